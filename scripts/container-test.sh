#!/usr/bin/env bash
# Builds the tgsage image with podman and runs a search in it, offline from any image registry (CI runs it: .ci/run):
#   1. a base image assembled from this machine's own Debian files (TGSAGE_CONTAINER_BASE=host, the default): the
#      Node binary, the shared libraries it and every native addon of the checkout link against (ldd: glibc,
#      libstdc++, libopenblas, libgfortran, ...), dash and a few coreutils for the Dockerfile's RUN steps, the
#      Fashion-MNIST dataset (Debian's dataset-fashion-mnist), the CA bundle, root and uid/gid 1000 in /etc/passwd.
#      Seconds, nothing downloaded, and exactly the libraries the prebuilt addons were linked against.
#      TGSAGE_CONTAINER_BASE=mmdebstrap bootstraps a whole Debian bookworm instead (apt, libopenblas0, the dataset,
#      this machine's Node binary: a base with a package manager in it; 1-6 min of downloads, cached by its recipe's
#      hash in $TGSAGE_CONTAINER_CACHE, default /var/cache/tgsage-container);
#   2. the Dockerfile built on it with PREBUILT=1 (node_modules and native/build from this checkout's `npm ci`, dev
#      dependencies pruned) and --format docker (an OCI image would drop the HEALTHCHECK); the build precompiles the
#      TypeScript (scripts/precompile.mjs), so no container transpiles at start;
#   3. the four services as one pod on host loopback (host network: podman's bridge uses a private address range),
#      each container non-root, read-only root filesystem, all capabilities dropped, no new privileges; once every
#      service answers SERVING (polled from here), the image's HEALTHCHECK command is run in each container;
#   4. the image's own CLI, run in a fifth container of the pod (podman exec): the Fashion-MNIST dataset is
#      there, the default teacher appears (the teacher cache computes it on its first start), and a 4-trial search
#      finishes with 4 completed trials; then each service's peak memory.
# Needs root, podman and runc (and mmdebstrap for that base; .ci/run installs them all), and `npm ci` run in this
# checkout. Prints the seconds each phase took, and "container test: ok" when it passes; exits 77 when this machine
# cannot start a container at all (a shell in the bare base), before anything of tgsage's has run.
# Runtime: crun fails on some cgroup setups, so runc; rootful containers get explicit nofile/nproc limits.
set -euo pipefail
cd "$(dirname "$0")/.."

START=$(date +%s)
LAST=$START
PHASES=()
say() { printf '[container-test %4ss] %s\n' "$(($(date +%s) - START))" "$*" >&2; }
# phase NAME: the time since the previous phase ended is NAME's
phase() { local now; now=$(date +%s); PHASES+=("$(printf '%5ss  %s' "$((now - LAST))" "$1")"); LAST=$now; }

BASE_KIND=${TGSAGE_CONTAINER_BASE:-host}
TOOLS=(podman runc)
case "$BASE_KIND" in
  host) ;;
  mmdebstrap) TOOLS+=(mmdebstrap) ;;
  *) echo "container test: TGSAGE_CONTAINER_BASE is host or mmdebstrap, not '$BASE_KIND'" >&2; exit 1 ;;
esac
for tool in "${TOOLS[@]}"; do
  command -v "$tool" >/dev/null || { echo "container test: $tool is not installed (apt-get install ${TOOLS[*]})" >&2; exit 1; }
done
[[ "$(id -u)" == "0" ]] || { echo "container test: needs root (rootful podman)" >&2; exit 1; }
for built in node_modules native/build; do
  [[ -d "$built" ]] || { echo "container test: $built is missing: run npm ci first" >&2; exit 1; }
done

NODE_BIN=$(readlink -f "$(command -v node)")
IMAGE=localhost/tgsage:container-test
PODMAN=(podman --runtime runc)
# rootful podman asks for limits above what this machine allows unless told (runc: "error setting rlimits"): open
# files as this shell has them, and a process cap far above what Node's threads need
LIMITS=(--ulimit "nofile=$(ulimit -Hn):$(ulimit -Hn)" --ulimit nproc=4096:4096)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tgsage-container.XXXXXX")
CONTEXT=$WORK/context
POD=tgsage-ct-$$

cleanup() {
  if [[ "${TGSAGE_CONTAINER_KEEP:-}" == 1 ]] && "${PODMAN[@]}" pod exists "$POD"; then
    echo "container test: pod $POD left running (podman pod rm -f $POD; rm -rf $WORK)" >&2
    return
  fi
  "${PODMAN[@]}" pod rm -f "$POD" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# The build context: this checkout's tracked and not-ignored files, its built node_modules (dev dependencies pruned)
# and native addons. For work on steps 3-4: TGSAGE_CONTAINER_SKIP_BUILD=1 reuses the last image instead, and
# TGSAGE_CONTAINER_KEEP=1 leaves the pod running at the end.
SKIP_BUILD=0
if [[ "${TGSAGE_CONTAINER_SKIP_BUILD:-}" == 1 ]] && podman image exists "$IMAGE"; then SKIP_BUILD=1; fi
if [[ $SKIP_BUILD == 0 ]]; then
  say "staging the build context"
  mkdir -p "$CONTEXT/native"
  git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$CONTEXT" 2>/dev/null || true
  cp -a "$(readlink -f node_modules)" "$CONTEXT/node_modules"
  cp -a "$(readlink -f native/build)" "$CONTEXT/native/build"
  (cd "$CONTEXT" && npm prune --omit=dev --offline --no-audit --no-fund >/dev/null 2>&1)
  # webgpu's Dawn builds for the other platforms (~110 MB; the Dockerfile drops them too, but only after copying them)
  find "$CONTEXT/node_modules/webgpu/dist" -mindepth 1 -maxdepth 1 ! -name "linux-$(node -p process.arch)" -exec rm -rf {} + 2>/dev/null || true
  # .dockerignore leaves node_modules and native/build out; here they are the point
  rm -f "$CONTEXT/.dockerignore" "$CONTEXT/.containerignore"
  phase "staging the build context (sources, node_modules pruned to production, native addons)"
fi

# 1. the base image
# host_base: the base from this machine's files, as a deterministic tar (its hash names the image)
host_base() {
  local root=$WORK/base tools=() elves=() libs=() owned=() f r
  mkdir -p "$root"/{etc/ssl/certs,usr/local/bin,usr/share/datasets,tmp,root}
  chmod 1777 "$root/tmp"
  chmod 700 "$root/root"
  # the host's layout of /usr (bookworm merges it: /bin, /lib, /lib64 ... are links into /usr)
  for f in bin sbin lib lib32 lib64 libx32; do
    if [[ -L /$f ]]; then ln -s "$(readlink "/$f")" "$root/$f"; fi
  done
  # put FILE: a dereferenced copy at the place FILE's directory really is (through those links)
  put() {
    local dir
    dir=$root$(realpath -m "$(dirname "$1")")
    mkdir -p "$dir"
    cp -L "$1" "$dir/"
  }
  # dash as /bin/sh and the coreutils the Dockerfile's RUN steps and this script's `exec`s use
  for f in dash cat chmod chown cp ls ln mkdir mv rm env id sleep; do tools+=("$(readlink -f "$(command -v "$f")")"); done
  for f in "${tools[@]}"; do put "$f"; done
  ln -s dash "$root$(realpath -m "$(dirname "${tools[0]}")")/sh"
  cp "$NODE_BIN" "$root/usr/local/bin/node"
  # every shared library the binaries and the addons (all ELF *.node files of the context) need, as ldd finds them
  mapfile -d '' elves < <(find "$CONTEXT/node_modules" "$CONTEXT/native/build" -name '*.node' -type f -print0)
  mapfile -t libs < <(for f in "$NODE_BIN" "${tools[@]}" "${elves[@]}"; do ldd "$f" 2>/dev/null || true; done \
    | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort -u)
  [[ " ${libs[*]} " == *libopenblas* ]] || { echo "container test: no native addon links libopenblas (native/build?)" >&2; exit 1; }
  for f in "${libs[@]}"; do put "$f"; done
  [[ -d /usr/share/datasets/fashion-mnist ]] \
    || { echo "container test: /usr/share/datasets/fashion-mnist is missing (apt-get install dataset-fashion-mnist)" >&2; exit 1; }
  cp -rL /usr/share/datasets/fashion-mnist "$root/usr/share/datasets/"
  if [[ -f /etc/ssl/certs/ca-certificates.crt ]]; then cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"; fi
  printf 'root:x:0:0:root:/root:/bin/sh\ntgsage:x:1000:1000:tgsage:/tmp:/bin/sh\n' >"$root/etc/passwd"
  printf 'root:x:0:\ntgsage:x:1000:\n' >"$root/etc/group"
  printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$root/etc/nsswitch.conf"
  # where each file came from, for whoever inspects the image: Debian packages and versions (dpkg may know a file by
  # its name before the /usr merge, or by the file behind an alternatives link)
  mkdir -p "$root/usr/share/tgsage-base"
  mapfile -t owned < <(for f in "$NODE_BIN" "${tools[@]}" "${libs[@]}" /usr/share/datasets/fashion-mnist; do
    r=$(readlink -f "$f"); printf '%s\n' "$f" "$r" "${r#/usr}" "/usr${f#/usr}"; done | sort -u)
  dpkg -S "${owned[@]}" 2>/dev/null | sort -u >"$WORK/owners" || true
  { echo "# files copied from the build machine ($(sed -n 's/^PRETTY_NAME=//p' /etc/os-release)) and their packages"
    cat "$WORK/owners"
    # shellcheck disable=SC2016
    cut -d: -f1 "$WORK/owners" | sort -u | xargs -r dpkg-query -W -f '${Package} ${Version}\n'
  } >"$root/usr/share/tgsage-base/manifest"
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$root" -cf "$WORK/base.tar" .
  rm -rf "$root"
}

if [[ $SKIP_BUILD == 0 ]]; then
  if [[ "$BASE_KIND" == host ]]; then
    say "assembling the base from this machine's files"
    host_base
    BASE_IMAGE=localhost/tgsage-base:host-$(sha256sum "$WORK/base.tar" | cut -c1-16)
    if ! podman image exists "$BASE_IMAGE"; then
      podman import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'CMD ["/bin/sh"]' "$WORK/base.tar" "$BASE_IMAGE" >/dev/null
    fi
    rm -f "$WORK/base.tar"
  else
    PACKAGES=libopenblas0,ca-certificates,dataset-fashion-mnist
    KEY=$( { echo "bookworm apt $PACKAGES"; sha256sum "$NODE_BIN"; } | sha256sum | cut -c1-16)
    CACHE=${TGSAGE_CONTAINER_CACHE:-/var/cache/tgsage-container}
    BASE_TAR=$CACHE/base-$KEY.tar
    BASE_IMAGE=localhost/tgsage-base:$KEY
    if ! podman image exists "$BASE_IMAGE"; then
      if [[ ! -f "$BASE_TAR" ]]; then
        say "bootstrapping the Debian base with mmdebstrap ($PACKAGES + $NODE_BIN)"
        mkdir -p "$CACHE"
        mmdebstrap --format=tar --variant=apt --aptopt='Acquire::Check-Valid-Until "false"' --include="$PACKAGES" \
          --customize-hook="copy-in $NODE_BIN /usr/local/bin" bookworm "$BASE_TAR.partial"
        mv "$BASE_TAR.partial" "$BASE_TAR"
      fi
      podman import --change 'CMD ["/bin/bash"]' "$BASE_TAR" "$BASE_IMAGE" >/dev/null
    fi
  fi
  say "base image: $BASE_IMAGE ($(podman image inspect --format '{{.Size}}' "$BASE_IMAGE" | awk '{printf "%.0f MB", $1/1e6}'))"
  # Can this machine run a container at all? If the runtime cannot start a shell in the bare base, nothing of ours has
  # run yet: say why and exit 77, which .ci/run reports as "this machine cannot run containers", not as a failure of
  # the image. Anything that fails after this line is the image's or the services' failure.
  if ! out=$("${PODMAN[@]}" run --rm --network host "${LIMITS[@]}" "$BASE_IMAGE" /bin/sh -c 'exit 0' 2>&1); then
    echo "container test: this machine cannot run containers (podman run of the bare base failed):" >&2
    printf '%s\n' "$out" | tail -5 >&2
    exit 77
  fi
  phase "base image ($BASE_KIND)"

  # 2. the image
  say "building $IMAGE (podman build --format docker --layers=false)"
  # --layers=false: one commit per stage instead of one per instruction (each COPY of the app is ~300 MB); nothing
  # to reuse on a fresh machine anyway
  previous=$(podman image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)
  "${PODMAN[@]}" build --format docker --layers=false --network host "${LIMITS[@]}" \
    --build-arg BUILD_BASE="$BASE_IMAGE" --build-arg RUNTIME_BASE="$BASE_IMAGE" --build-arg PREBUILT=1 \
    -t "$IMAGE" "$CONTEXT" >"$WORK/build.log" 2>&1 || { tail -40 "$WORK/build.log" >&2; exit 1; }
  rm -rf "$CONTEXT"
  # the image this one replaces (untagged now), unless a container still uses it
  if [[ -n "$previous" && "$previous" != "$(podman image inspect --format '{{.Id}}' "$IMAGE")" ]]; then
    podman rmi "$previous" >/dev/null 2>&1 || true
  fi
  [[ "$(podman image inspect --format '{{.Config.User}}' "$IMAGE")" == "1000:1000" ]] || { echo "image does not run as 1000:1000" >&2; exit 1; }
  podman image inspect --format '{{json .Config.Healthcheck}}' "$IMAGE" | grep -q healthcheck.mjs \
    || { echo "the image lost its HEALTHCHECK" >&2; exit 1; }
  grep -h '^precompiled' "$WORK/build.log" >&2 || true
  phase "image build"
fi
say "image: $(podman image inspect --format '{{.Size}}' "$IMAGE" | awk '{printf "%.0f MB", $1/1e6}')"

# 3. the pod: four services on free loopback ports, each with a plaintext health port
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
SERVICES=(teacher-cache scorer trainer search-controller)
declare -A PORT HEALTH
for s in "${SERVICES[@]}"; do PORT[$s]=$(free_port); HEALTH[$s]=$(free_port); done
ADDR=(--teacher-cache "127.0.0.1:${PORT[teacher-cache]}" --scorer "127.0.0.1:${PORT[scorer]}"
      --trainer "127.0.0.1:${PORT[trainer]}" --controller "127.0.0.1:${PORT[search-controller]}")
mkdir -p "$WORK/data" && chown 1000:1000 "$WORK/data"
# no infra container (it would need catatonit): with the host network there is no namespace for it to hold
"${PODMAN[@]}" pod create --name "$POD" --infra=false >/dev/null
# all four at once (podman's own start-up is a second or two each)
pids=()
for s in "${SERVICES[@]}"; do
  "${PODMAN[@]}" run -d --pod "$POD" --name "$POD-$s" --network host "${LIMITS[@]}" \
    --read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges \
    -v "$WORK/data:/data" -e TGSAGE_HEALTH_ADDRS="127.0.0.1:${HEALTH[$s]}" \
    "$IMAGE" "${ADDR[@]}" serve "$s" --host 127.0.0.1 --port "${PORT[$s]}" --health-port "${HEALTH[$s]}" \
    --log-level warn >/dev/null 2>"$WORK/run-$s.log" &
  pids+=($!)
done
# and an idle fifth container of the same image, confined the same way, for the CLI (podman exec: no container to
# create per call, and the services' memory figures stay their own); no service in it to health-check
"${PODMAN[@]}" run -d --pod "$POD" --name "$POD-cli" --network host "${LIMITS[@]}" \
  --read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges --no-healthcheck \
  --entrypoint node "$IMAGE" -e 'process.on("SIGTERM", () => process.exit(0)); setInterval(() => {}, 3600e3)' >/dev/null 2>"$WORK/run-cli.log" &
pids+=($!)
for i in "${!SERVICES[@]}" 4; do
  name=${SERVICES[$i]:-cli}
  # (podman also complains there about systemd timers for health checks, which this machine may not have)
  wait "${pids[$i]}" || { echo "$name: podman run failed:" >&2; cat "$WORK/run-$name.log" >&2; exit 1; }
done
say "pod $POD started; waiting for every service to answer SERVING"
logs() { for s in "$@"; do echo "--- $s" >&2; "${PODMAN[@]}" logs "$POD-$s" 2>&1 | tail -20 >&2; done; }
# gRPC health of all four, polled from here every 0.2 s (one Node process; nice-grpc from this checkout)
HEALTH_ADDRS=()
for s in "${SERVICES[@]}"; do HEALTH_ADDRS+=("$s=127.0.0.1:${HEALTH[$s]}"); done
# shellcheck disable=SC2016
node --input-type=module -e '
  import { createChannel, createClient } from "nice-grpc";
  import { HealthDefinition } from "nice-grpc-server-health";
  const t0 = Date.now(), deadline = t0 + 240_000;
  const waitFor = async ([name, addr]) => {
    const channel = createChannel(addr), client = createClient(HealthDefinition, channel);
    try {
      for (;;) {
        try {
          if ((await client.check({ service: "" }, { signal: AbortSignal.timeout(2000) })).status === 1) {
            console.error(`  ${name}: SERVING after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
            return true;
          }
        } catch {}
        if (Date.now() > deadline) { console.error(`  ${name}: not SERVING after 240 s`); return false; }
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally { channel.close(); }
  };
  const ok = await Promise.all(process.argv.slice(1).map((a) => waitFor(a.split("="))));
  process.exit(ok.every(Boolean) ? 0 : 1);
' "${HEALTH_ADDRS[@]}" || { logs "${SERVICES[@]}"; exit 1; }
phase "services up (four containers started, all SERVING)"
# The image's HEALTHCHECK command, run in each container through exec (`podman healthcheck run` would hold it to the
# image's 10 s timeout, podman 4.3 ignores --health-timeout, and a loaded machine can take that to start Node), with
# the image's --retries=3: the teacher cache computing the shipped teachers can keep a check waiting past its 2 s.
HEALTH_CMD=$(podman image inspect --format '{{range .Config.Healthcheck.Test}}{{.}} {{end}}' "$IMAGE" | sed 's/^CMD //')
RETRIES=$(podman image inspect --format '{{.Config.Healthcheck.Retries}}' "$IMAGE")
pids=()
for s in "${SERVICES[@]}"; do
  (
    for try in $(seq 1 "$RETRIES"); do
      # shellcheck disable=SC2086
      if "${PODMAN[@]}" exec "$POD-$s" $HEALTH_CMD; then exit 0; fi
      echo "(try $try of $RETRIES failed)"
      sleep 2
    done
    exit 1
  ) >"$WORK/health-$s.log" 2>&1 &
  pids+=($!)
done
for i in "${!SERVICES[@]}"; do
  wait "${pids[$i]}" || { echo "${SERVICES[$i]}: the HEALTHCHECK ($HEALTH_CMD) failed:" >&2; cat "$WORK/health-${SERVICES[$i]}.log" >&2; exit 1; }
done
for s in "${SERVICES[@]}"; do
  if grep -q '^(try' "$WORK/health-$s.log"; then say "$s: HEALTHCHECK passed after $(grep -c '^(try' "$WORK/health-$s.log") failed tries"; fi
done
say "HEALTHCHECK ($HEALTH_CMD) passed in each container"
phase "HEALTHCHECK run in each container"

# 4. the CLI, in the pod's fifth container
cli() { "${PODMAN[@]}" exec "$POD-cli" node /app/bin/tgsage.mjs "${ADDR[@]}" "$@"; }
say "reading Fashion-MNIST in the image; waiting for the default teacher (the teacher cache computes it on its first start)"
cli data export --dataset fashion-mnist --stimuli 10 --out /tmp/x.npy >"$WORK/export.log" 2>&1 &
export_pid=$!
for i in $(seq 1 120); do
  if cli --json teacher list 2>/dev/null | grep -q '"default"'; then break; fi
  if [[ $i == 120 ]]; then echo "the default teacher never appeared" >&2; logs teacher-cache; exit 1; fi
  sleep 1
done
wait "$export_pid" || { echo "the image cannot read the Fashion-MNIST dataset:" >&2; cat "$WORK/export.log" >&2; exit 1; }
say "the image has the Fashion-MNIST dataset and the default teacher"
phase "CLI: Fashion-MNIST read in the image (data export); default teacher present"

say "running a 4-trial P+TG search in the pod (trainer, scorer and teacher cache on every trial)"
cli --json search run --trials 4 --steps 4 --parallelism 2 --seed 102 --batch-size 16 --score ptg >"$WORK/search.json" \
  || { cat "$WORK/search.json" >&2; logs trainer search-controller; exit 1; }
# shellcheck disable=SC2016
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  if (r.state !== "finished" || r.completedTrials !== 4) { console.error(JSON.stringify(r)); process.exit(1); }
  console.error(`study ${r.study}: ${r.completedTrials} trials completed, best ${r.bestTrialId}`);
' "$WORK/search.json"
phase "CLI: 4-trial search"
# sizing figures: each service's peak memory over the test (cgroup v2 memory.peak, or v1 max_usage_in_bytes)
for s in "${SERVICES[@]}"; do
  peak=$("${PODMAN[@]}" exec "$POD-$s" sh -c 'cat /sys/fs/cgroup/memory.peak 2>/dev/null ||
    cat /sys/fs/cgroup/memory/memory.max_usage_in_bytes 2>/dev/null' || true)
  if [[ "$peak" =~ ^[0-9]+$ ]]; then say "$s: peak memory $((peak / 1048576)) MiB"; else say "$s: peak memory not available here"; fi
done
phase "peak memory"
if [[ "${TGSAGE_CONTAINER_KEEP:-}" != 1 ]]; then
  "${PODMAN[@]}" pod rm -f "$POD" >/dev/null 2>&1
  phase "pod stopped and removed"
fi
printf 'container test phases:\n' >&2
printf '  %s\n' "${PHASES[@]}" >&2
say "container test: ok"
echo "container test: ok"
