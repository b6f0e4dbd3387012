#!/usr/bin/env bash
# Starts three Seed Agent nodes on this machine (ports 4001-4003) sharing ONE PostgreSQL database and ONE Redis,
# the way machines of a deployment share them. The embedded defaults cannot do this (each node would own its
# PGlite and its redis-server), so this script needs a real PostgreSQL and Redis:
#
#   DATABASE_URL  default postgres://postgres@127.0.0.1:5432/seed_cluster (created if missing, with psql)
#   REDIS_URL     default redis://127.0.0.1:6379
#   REDIS_PREFIX  default seed-local-cluster (the namespace of the nodes' keys, queue and channels)
#   API_TOKENS    default: one generated admin token, kept in data/cluster/admin-token (mode 0600)
#   BASE_PORT     default 4001 (nodes on BASE_PORT, +1, +2)
#
# Usage: scripts/start-local-cluster.sh [--build]    (--build: run `nest build` even if dist/ exists)
# Logs go to data/cluster/node-N.log; Ctrl-C stops the three nodes gracefully (SIGTERM).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# shellcheck source=scripts/ensure-node.sh
source scripts/ensure-node.sh

DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/seed_cluster}"
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
REDIS_PREFIX="${REDIS_PREFIX:-seed-local-cluster}"
BASE_PORT="${BASE_PORT:-4001}"
cluster_dir="$root/data/cluster"
main="dist/apps/seed-agent/src/main.js"
mkdir -p "$cluster_dir"

if [ "${1:-}" = "--build" ] || [ ! -f "$main" ]; then
  echo "building (nest build)..."
  npx nest build
fi

# The database must exist before three nodes race to migrate it (they migrate once, under an advisory lock).
db_name="$(node -e 'console.log(new URL(process.argv[1]).pathname.slice(1))' "$DATABASE_URL")"
if command -v psql >/dev/null; then
  admin_url="$(node -e 'const u = new URL(process.argv[1]); u.pathname = "/postgres"; console.log(u.href)' "$DATABASE_URL")"
  if ! psql "$admin_url" -Atqc "SELECT 1 FROM pg_database WHERE datname = '$db_name'" | grep -q 1; then
    echo "creating database $db_name"
    psql "$admin_url" -qc "CREATE DATABASE \"$db_name\""
  fi
else
  echo "psql not found: assuming database $db_name exists"
fi

auth_hint='<your token>'
if [ -z "${API_TOKENS:-}" ]; then
  token_file="$cluster_dir/admin-token"
  if [ ! -s "$token_file" ]; then
    (umask 077 && node -e 'console.log(require("node:crypto").randomBytes(24).toString("hex"))' >"$token_file")
    echo "generated an admin token in $token_file"
  fi
  API_TOKENS="local:admin:$(cat "$token_file")"
  auth_hint="\$(cat $token_file)"
fi

pids=()
stop() {
  echo "stopping the nodes..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  exit 0
}
trap stop INT TERM

for n in 1 2 3; do
  port=$((BASE_PORT + n - 1))
  mkdir -p "$cluster_dir/node-$n"
  NODE_NAME="node-$n" PORT="$port" DATA_DIR="$cluster_dir/node-$n" \
    DATABASE_URL="$DATABASE_URL" REDIS_URL="$REDIS_URL" REDIS_PREFIX="$REDIS_PREFIX" API_TOKENS="$API_TOKENS" \
    NODE_REGION="${NODE_REGION:-local}" \
    node --no-node-snapshot --max-semi-space-size=16 "$main" >"$cluster_dir/node-$n.log" 2>&1 &
  pids+=("$!")
done

for n in 1 2 3; do
  port=$((BASE_PORT + n - 1))
  for _ in $(seq 1 300); do
    if curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1; then break; fi
    if ! kill -0 "${pids[$((n - 1))]}" 2>/dev/null; then
      echo "node-$n exited; its log ($cluster_dir/node-$n.log) ends with:" >&2
      tail -n 20 "$cluster_dir/node-$n.log" >&2
      stop
    fi
    sleep 0.2
  done
  echo "node-$n ready on http://127.0.0.1:$port (log: $cluster_dir/node-$n.log)"
done

cat <<EOF

Three nodes share $DATABASE_URL and $REDIS_URL (prefix $REDIS_PREFIX).
  curl -s -H "Authorization: Bearer $auth_hint" http://127.0.0.1:$BASE_PORT/cluster
Ctrl-C stops them.
EOF
wait
