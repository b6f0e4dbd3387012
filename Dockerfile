# syntax=docker/dockerfile:1
#
# Seed Agent image: one image for Fly.io and Kubernetes (operator notes: docs/deployment.md).
#   docker build -t seed-agent .
#   docker run -p 4000:4000 -e DATABASE_URL=... -e REDIS_URL=... -e API_TOKENS=ops:admin:<secret> seed-agent
# Stages: deps (npm ci, dev dependencies included) -> build (nest build, then prune to production
# dependencies) -> runtime (slim, non-root, no compiler, no npm run at start).

ARG NODE_VERSION=24

# ---------------------------------------------------------------------------------------------------------
FROM node:${NODE_VERSION}-slim AS base
WORKDIR /app

# ---------------------------------------------------------------------------------------------------------
FROM base AS deps
# npm's settings stay in the build stages; the runtime image never runs npm.
ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false
# isolated-vm 7 ships prebuilt binaries for linux-x64/arm64 (glibc) on Node 24, so normally nothing compiles.
# The toolchain stays here as the fallback node-gyp needs (another architecture, a Node ABI without a prebuild);
# it never reaches the runtime stage.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json .npmrc ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --no-fund

# ---------------------------------------------------------------------------------------------------------
FROM deps AS build
COPY . .
# nest build (not plain tsc): it rewrites the @seed/* path aliases in dist/.
# Then drop dev dependencies here, where a native rebuild would still find the toolchain.
RUN npm run build \
 && test -f dist/apps/seed-agent/src/main.js \
 && test -f dist/libs/persistence/src/data-source.js \
 && test -f apps/console/dist/index.html \
 && npm prune --omit=dev --no-audit --no-fund

# ---------------------------------------------------------------------------------------------------------
FROM base AS runtime
# tini is PID 1: it forwards SIGTERM to node and reaps child processes (CLIs the agent spawns).
# redis-server is only needed for the zero-config embedded mode (REDIS_URL unset); deployments set REDIS_URL,
# so it is left out unless built with --build-arg INSTALL_REDIS_SERVER=true.
ARG INSTALL_REDIS_SERVER=false
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && if [ "$INSTALL_REDIS_SERVER" = "true" ]; then apt-get install -y --no-install-recommends redis-server; fi \
 && rm -rf /var/lib/apt/lists/*

# CODE_DIR would default to $DATA_DIR/code anyway; spelled out because probes, volumes and docs name it.
ENV NODE_ENV=production \
    DATA_DIR=/data \
    CODE_DIR=/data/code \
    PORT=4000

# The app's files belong to root (read-only for the app); only /data is writable by the `node` user
# (uid/gid 1000 in the official image). On Fly /data is the machine's ephemeral disk; on Kubernetes a PVC.
RUN mkdir -p /data/code && chown -R node:node /data
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The console's static files, served at /ui (built by npm run build:console, part of npm run build).
COPY --from=build /app/apps/console/dist ./apps/console/dist
# package.json carries "type": "module" (dist/ is ESM); VERSION is read at boot (cwd /app).
COPY --from=build /app/package.json /app/VERSION ./

# Numeric so Kubernetes can check runAsNonRoot against the image.
USER 1000:1000
EXPOSE 4000

# Liveness only (the process answers); readiness and dependencies are /health/ready and /health/deep.
# No curl in slim images: Node's fetch does it.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "if (process.env.HTTP_SERVER_ENABLED === 'false') process.exit(0); const h = process.env.HOST; const host = !h || h === '0.0.0.0' || h === '::' ? '127.0.0.1' : h.includes(':') ? '[' + h + ']' : h; fetch('http://' + host + ':' + (process.env.PORT || 4000) + '/health', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1));"]

# Nest's shutdown hooks run on SIGTERM: readiness 503, workers drain, connections close.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--"]
# --no-node-snapshot: required by isolated-vm on Node >= 20.
# --max-semi-space-size=16: caps V8's young generation; without it RSS grows ~64 MB under load for no gain
# in throughput (npm run bench, memory and invoke benchmarks).
CMD ["node", "--no-node-snapshot", "--max-semi-space-size=16", "dist/apps/seed-agent/src/main.js"]
