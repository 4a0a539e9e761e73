# tgsage: one image for every service; the command chooses what runs.
#
#   docker build -t tgsage .
#   docker run --rm -p 50051-50052:50051-50052 -v tgsage-data:/data tgsage                      # `start`: all services
#   docker run --rm -p 50052:50052 tgsage serve scorer --host 0.0.0.0 --teacher-cache cache:50051  # one service
#   docker run --rm --network host tgsage teacher list                                          # the CLI
#
# Build stage: full Debian toolchain + OpenBLAS headers, so `npm ci` can build the native BLAS addon (native/).
FROM node:20-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends libopenblas-dev build-essential \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Dependencies first (cached while only sources change). npm ci's postinstall builds native/build/*.node.
COPY package.json package-lock.json ./
COPY native ./native
RUN npm ci --no-audit --no-fund
RUN ls native/build/*.node || echo "warning: native addon not built; the tfjs backends will be used"
COPY . .
# Runtime needs no dev tools (buf, ts-proto, typescript): TypeScript runs through tsx, a runtime dependency.
RUN npm prune --omit=dev --no-audit --no-fund

# Runtime stage: slim Debian with only the OpenBLAS shared library the addon links against.
FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libopenblas0 \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    TGSAGE_DATA_DIR=/data
WORKDIR /app
COPY --from=build /app /app
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
# teacher-cache, scorer, trainer, search-controller
EXPOSE 50051 50052 50053 50054
# Checks every default port that answers (set TGSAGE_HEALTH_ADDRS when a service runs on another port).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 CMD ["node", "/app/bin/healthcheck.mjs"]
ENTRYPOINT ["node", "/app/bin/tgsage.mjs"]
CMD ["start", "--host", "0.0.0.0"]
