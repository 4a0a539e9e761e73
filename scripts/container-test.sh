#!/usr/bin/env bash
# Builds the tgsage image with podman and runs a search in it, offline from any image registry:
#   1. a Debian bookworm base bootstrapped with mmdebstrap from Debian's packages (libopenblas0, the Fashion-MNIST
#      dataset) plus this machine's Node binary, imported with `podman import` (cached by its recipe's hash in
#      $TGSAGE_CONTAINER_CACHE, default /var/cache/tgsage-container: the download is most of the time);
#   2. the Dockerfile built on it with PREBUILT=1 (node_modules and native/build from this checkout's `npm ci`,
#      dev dependencies pruned) and --format docker (an OCI image would drop the HEALTHCHECK);
#   3. the four services as one pod on host loopback (host network: podman's bridge uses a private address range),
#      each container non-root, read-only root filesystem, all capabilities dropped; HEALTHCHECK run in each;
#   4. a 4-trial search through the image's own CLI, which must finish with 4 completed trials.
# Needs root, podman, runc and mmdebstrap (.ci/run installs them). Exits 0 after printing "container test: ok".
# Runtime: crun fails on some cgroup setups, so runc; rootful containers get explicit nofile/nproc limits.
set -euo pipefail
cd "$(dirname "$0")/.."

START=$(date +%s)
say() { printf '[container-test %4ss] %s\n' "$(($(date +%s) - START))" "$*" >&2; }
for tool in podman mmdebstrap runc; do
  command -v "$tool" >/dev/null || { echo "container test: $tool is not installed (apt-get install podman runc mmdebstrap)" >&2; exit 1; }
done
[[ "$(id -u)" == "0" ]] || { echo "container test: needs root (rootful podman)" >&2; exit 1; }

NODE_BIN=$(readlink -f "$(command -v node)")
PACKAGES=libopenblas0,ca-certificates,dataset-fashion-mnist
KEY=$( { echo "bookworm apt $PACKAGES"; sha256sum "$NODE_BIN"; } | sha256sum | cut -c1-16)
CACHE=${TGSAGE_CONTAINER_CACHE:-/var/cache/tgsage-container}
BASE_TAR=$CACHE/base-$KEY.tar
BASE_IMAGE=localhost/tgsage-base:$KEY
IMAGE=localhost/tgsage:container-test
PODMAN=(podman --runtime runc)
# rootful podman asks for limits above what this machine allows unless told (runc: "error setting rlimits"): open
# files as this shell has them, and a process cap far above what Node's threads need
LIMITS=(--ulimit "nofile=$(ulimit -Hn):$(ulimit -Hn)" --ulimit nproc=4096:4096)
WORK=$(mktemp -d /tmp/tgsage-container.XXXXXX)
POD=tgsage-ct-$$

cleanup() {
  "${PODMAN[@]}" pod rm -f "$POD" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# 1. base image
if ! podman image exists "$BASE_IMAGE"; then
  if [[ ! -f "$BASE_TAR" ]]; then
    say "bootstrapping the Debian base with mmdebstrap ($PACKAGES + $NODE_BIN)"
    mkdir -p "$CACHE"
    mmdebstrap --variant=apt --aptopt='Acquire::Check-Valid-Until "false"' --include="$PACKAGES" \
      --customize-hook="copy-in $NODE_BIN /usr/local/bin" bookworm "$BASE_TAR.partial"
    mv "$BASE_TAR.partial" "$BASE_TAR"
  fi
  say "importing the base $BASE_TAR"
  podman import --change 'CMD ["/bin/bash"]' "$BASE_TAR" "$BASE_IMAGE" >/dev/null
fi

# 2. the image, from this checkout (TGSAGE_CONTAINER_SKIP_BUILD=1 reuses the last one: for work on steps 3-4) (tracked and not-ignored files) plus its built node_modules and native addons
if [[ "${TGSAGE_CONTAINER_SKIP_BUILD:-}" != 1 ]] || ! podman image exists "$IMAGE"; then
say "staging the build context"
mkdir -p "$WORK/context"
git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$WORK/context" 2>/dev/null || true
for built in node_modules native/build; do
  [[ -e "$built" ]] || { echo "container test: $built is missing: run npm ci first" >&2; exit 1; }
  mkdir -p "$WORK/context/$(dirname "$built")"
  cp -a "$(readlink -f "$built")" "$WORK/context/$built"
done
(cd "$WORK/context" && npm prune --omit=dev --offline --no-audit --no-fund >/dev/null)
# .dockerignore leaves node_modules and native/build out; here they are the point
rm -f "$WORK/context/.dockerignore" "$WORK/context/.containerignore"
say "building $IMAGE (podman build --format docker)"
"${PODMAN[@]}" build --format docker --network host "${LIMITS[@]}" \
  --build-arg BUILD_BASE="$BASE_IMAGE" --build-arg RUNTIME_BASE="$BASE_IMAGE" --build-arg PREBUILT=1 \
  -t "$IMAGE" "$WORK/context" >"$WORK/build.log" 2>&1 || { tail -40 "$WORK/build.log" >&2; exit 1; }
[[ "$(podman image inspect --format '{{.Config.User}}' "$IMAGE")" == "1000:1000" ]] || { echo "image does not run as 1000:1000" >&2; exit 1; }
podman image inspect --format '{{json .Config.Healthcheck}}' "$IMAGE" | grep -q healthcheck.mjs \
  || { echo "the image lost its HEALTHCHECK" >&2; exit 1; }
fi
say "image: $(podman image inspect --format '{{.Size}}' "$IMAGE" | awk '{printf "%.0f MB", $1/1e6}')"

# 3. the pod: four services on free loopback ports, each with a plaintext health port
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
declare -A PORT HEALTH
for s in teacher-cache scorer trainer search-controller; do PORT[$s]=$(free_port); HEALTH[$s]=$(free_port); done
ADDR=(--teacher-cache "127.0.0.1:${PORT[teacher-cache]}" --scorer "127.0.0.1:${PORT[scorer]}"
      --trainer "127.0.0.1:${PORT[trainer]}" --controller "127.0.0.1:${PORT[search-controller]}")
mkdir -p "$WORK/data" && chown 1000:1000 "$WORK/data"
# no infra container (it would need catatonit): with the host network there is no namespace for it to hold
"${PODMAN[@]}" pod create --name "$POD" --infra=false >/dev/null
for s in teacher-cache scorer trainer search-controller; do
  "${PODMAN[@]}" run -d --pod "$POD" --name "$POD-$s" --network host "${LIMITS[@]}" \
    --read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges \
    -v "$WORK/data:/data" -e TGSAGE_HEALTH_ADDRS="127.0.0.1:${HEALTH[$s]}" \
    "$IMAGE" "${ADDR[@]}" serve "$s" --host 127.0.0.1 --port "${PORT[$s]}" --health-port "${HEALTH[$s]}" \
    --log-level warn >/dev/null 2>>"$WORK/podman.log"  # (podman's complaints about systemd health timers)
done
# The image's HEALTHCHECK command, run in each container through exec: `podman healthcheck run` would hold it to the
# image's 10 s timeout (podman 4.3 ignores --health-timeout), which Node's start-up alone can take on a busy machine.
HEALTH_CMD=$(podman image inspect --format '{{range .Config.Healthcheck.Test}}{{.}} {{end}}' "$IMAGE" | sed 's/^CMD //')
say "pod $POD started; waiting for every service's health check ($HEALTH_CMD) to pass"
for s in teacher-cache scorer trainer search-controller; do
  for i in $(seq 1 120); do
    # shellcheck disable=SC2086
    if "${PODMAN[@]}" exec "$POD-$s" $HEALTH_CMD >/dev/null 2>&1; then break; fi
    if [[ $i == 120 ]]; then echo "$s never passed its health check" >&2; "${PODMAN[@]}" logs "$POD-$s" 2>&1 | tail -20 >&2; exit 1; fi
    sleep 1
  done
done

cli() { "${PODMAN[@]}" run --rm --network host "${LIMITS[@]}" --read-only --tmpfs /tmp --cap-drop ALL "$IMAGE" "${ADDR[@]}" "$@"; }
say "the image has the Fashion-MNIST dataset"
cli data export --dataset fashion-mnist --stimuli 10 --out /tmp/x.npy >/dev/null
say "waiting for the default teacher (computed by the teacher cache on its first start)"
for i in $(seq 1 90); do
  if cli --json teacher list 2>/dev/null | grep -q '"default"'; then break; fi
  if [[ $i == 90 ]]; then echo "the default teacher never appeared" >&2; "${PODMAN[@]}" logs "$POD-teacher-cache" 2>&1 | tail -20 >&2; exit 1; fi
  sleep 2
done

# 4. a search
say "running a 4-trial search in the pod"
cli --json search run --trials 4 --steps 4 --parallelism 2 --seed 102 --batch-size 16 >"$WORK/search.json" \
  || { cat "$WORK/search.json" >&2; for s in trainer search-controller; do "${PODMAN[@]}" logs "$POD-$s" 2>&1 | tail -20 >&2; done; exit 1; }
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  if (r.state !== "finished" || r.completedTrials !== 4) { console.error(JSON.stringify(r)); process.exit(1); }
  console.error(`study ${r.study}: ${r.completedTrials} trials completed, best ${r.bestTrialId}`);
' "$WORK/search.json"
# sizing figures: each service's peak memory over the search (cgroup v2 memory.peak, or v1 max_usage_in_bytes)
for s in teacher-cache scorer trainer search-controller; do
  peak=$("${PODMAN[@]}" exec "$POD-$s" sh -c 'cat /sys/fs/cgroup/memory.peak 2>/dev/null ||
    cat /sys/fs/cgroup/memory/memory.max_usage_in_bytes 2>/dev/null' || true)
  if [[ "$peak" =~ ^[0-9]+$ ]]; then say "$s: peak memory $((peak / 1048576)) MiB"; else say "$s: peak memory not available here"; fi
done
say "container test: ok"
echo "container test: ok"
