#!/usr/bin/env bash
# The worked example of docs/rollouts.md: a module, a candidate rolled out at 25 % then 100 %, sticky keys,
# a pinned call, the recorded decisions and the stats. Needs a running Seed Agent, curl and sed.
#   SEED_URL    the agent (default http://127.0.0.1:3000)
#   SEED_TOKEN  an admin token
#   MODULE      the module to create (default greeter; it must not exist yet)
set -euo pipefail
URL=${SEED_URL:-http://127.0.0.1:3000}
MODULE=${MODULE:-greeter}
AUTH="authorization: Bearer ${SEED_TOKEN:?set SEED_TOKEN to an admin token}"

api() { curl -sS -H "$AUTH" -H 'content-type: application/json' "$@"; }
# the value of a string field in a one-object JSON answer
field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }
status_of() { api "$URL/modules/$MODULE/versions/$1" | sed -n 's/.*"status":"\([a-z]*\)".*/\1/p'; }
wait_for() { # version, wanted status
  for _ in $(seq 1 100); do [ "$(status_of "$1")" = "$2" ] && return 0; sleep 0.2; done
  echo "version $1 never became $2" >&2; exit 1
}

# 1. v1 is active; v2 is a candidate that passed its tests but is not activated
V1=$(api -X POST "$URL/modules" -d "{\"name\":\"$MODULE\",\"source\":\"export default (i: { name: string }) => 'Hello, ' + i.name;\",\"tests\":[{\"name\":\"hi\",\"input\":{\"name\":\"Ada\"},\"expect\":\"Hello, Ada\"}]}" | field versionId)
wait_for "$V1" active
V2=$(api -X POST "$URL/modules/$MODULE/versions" -d "{\"source\":\"export default (i: { name: string }) => ['Hello', i.name].join(', ');\",\"activate\":false}" | field versionId)
wait_for "$V2" ready
echo "v1 $V1 active, v2 $V2 ready"

# 2. roll v2 out: 25 % of the calls for one 5 s interval, then 100 %, then promoted
api -X POST "$URL/modules/$MODULE/rollouts" \
  -d "{\"versionId\":\"$V2\",\"steps\":[25,100],\"intervalMs\":5000,\"analysis\":{\"minCalls\":10}}" >/dev/null
echo "rollout started at 25 %"

# 3. the same Seed-Version-Key always gets the same version; the Seed-Version-Served header names the version that answered
served() { curl -sS -o /dev/null -D - -H "$AUTH" -H 'content-type: application/json' -H "seed-version-key: $1" \
  -X POST "$URL/modules/$MODULE/invoke" -d '{"input":{"name":"Ada"}}' | tr -d '\r' | sed -n 's/^seed-version-served: //p'; }
sleep 1 # every node loads the canary on the rollout's broadcast
first=$(served user-7)
for _ in 1 2 3; do [ "$(served user-7)" = "$first" ] || { echo "user-7 moved" >&2; exit 1; }; done
echo "user-7 stays on $first"

# 4. a pin reaches any ready, canary or active version, and is counted nowhere
api -H "seed-version: $V1" -X POST "$URL/modules/$MODULE/invoke" -d '{"input":{"name":"pinned"}}'
echo

# 5. traffic from keyed callers until the analyser has decided every step
for _ in $(seq 1 60); do
  for i in $(seq 1 40); do served "user-$i" >/dev/null; done
  state=$(api "$URL/modules/$MODULE/rollouts" | sed -n 's/^{"items":\[{[^[]*"status":"\([a-z_]*\)".*/\1/p')
  case "$state" in running) ;; *) break ;; esac
done
echo "rollout $state"
api "$URL/modules/$MODULE/rollouts" | grep -o '"verdict":"[a-z]*","reason":"[a-z_]*","action":"[a-z]*"'
api "$URL/modules/$MODULE/stats?windowMs=60000" | grep -o '"role":"[a-z]*","total":{"calls":[0-9]*'
[ "$state" = promoted ]
