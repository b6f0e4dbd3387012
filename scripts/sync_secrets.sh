#!/usr/bin/env bash
# Pushes Seed Agent's secrets to Fly.io and/or Kubernetes. See docs/deployment.md.
#
#   scripts/sync_secrets.sh [--apply] [--env-file FILE] [--fly] [--k8s] [options] [NAME ...]
#
#   NAME ...          the secrets to push (default: every key of deployment/k8s/secret.example.yaml:
#                     DATABASE_URL REDIS_URL API_TOKENS METRICS_TOKEN CLAUDE_CODE_OAUTH_TOKEN
#                     ANTHROPIC_API_KEY OPENAI_COMPATIBLE_API_KEY; unset optional ones are skipped)
#   --env-file FILE   read values from FILE (NAME=VALUE lines; never executed); a name missing there is
#                     taken from the environment
#   --fly, --k8s      the targets (default: both)
#   --apply           really push; without it nothing is sent and the plan is printed (never the values)
#
#   Fly:         --app NAME (default: app in fly.toml), --stage (apply on the next deploy, no restart)
#                runs: fly secrets import --app NAME   (values on stdin, never on a command line)
#   Kubernetes:  --namespace NS, --context CTX, --secret NAME (default: seed-agent)
#                runs: kubectl create secret generic NAME --from-file=... --dry-run=client -o yaml
#                      | kubectl apply -f -
#                The Secret then holds exactly the pushed names, so DATABASE_URL, REDIS_URL and API_TOKENS
#                must be among them.
set -euo pipefail

usage() {
  # The header comment above, without its '# '.
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
}
die() {
  echo "sync_secrets: $*" >&2
  exit 1
}
say() { echo "sync_secrets: $*"; }

DEFAULT_NAMES=(DATABASE_URL REDIS_URL API_TOKENS METRICS_TOKEN CLAUDE_CODE_OAUTH_TOKEN ANTHROPIC_API_KEY
  OPENAI_COMPATIBLE_API_KEY)
# Without these the pods cannot start; a Kubernetes push replaces the whole Secret, so it must carry them.
REQUIRED_NAMES=(DATABASE_URL REDIS_URL API_TOKENS)

apply=false
env_file=""
to_fly=false
to_k8s=false
fly_app=""
fly_stage=false
namespace=""
context=""
secret_name="seed-agent"
names=()
while [ $# -gt 0 ]; do
  case "$1" in
    --apply) apply=true ;;
    --dry-run) apply=false ;;
    --env-file)
      [ $# -ge 2 ] || die "--env-file needs a file"
      env_file="$2"
      shift
      ;;
    --fly) to_fly=true ;;
    --k8s | --kubernetes) to_k8s=true ;;
    --app)
      [ $# -ge 2 ] || die "--app needs a name"
      fly_app="$2"
      shift
      ;;
    --stage) fly_stage=true ;;
    --namespace | -n)
      [ $# -ge 2 ] || die "--namespace needs a name"
      namespace="$2"
      shift
      ;;
    --context)
      [ $# -ge 2 ] || die "--context needs a name"
      context="$2"
      shift
      ;;
    --secret)
      [ $# -ge 2 ] || die "--secret needs a name"
      secret_name="$2"
      shift
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    -*)
      usage >&2
      die "unknown option '$1'"
      ;;
    *)
      [[ "$1" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "'$1' is not a variable name"
      names+=("$1")
      ;;
  esac
  shift
done
if ! $to_fly && ! $to_k8s; then
  to_fly=true
  to_k8s=true
fi
explicit=true
if [ "${#names[@]}" -eq 0 ]; then
  names=("${DEFAULT_NAMES[@]}")
  explicit=false
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# --- values --------------------------------------------------------------------------------------------
# The env file is parsed, never sourced: NAME=VALUE, optional `export `, optional matching quotes around the
# value, # comments and blank lines ignored, nothing expanded.
declare -A file_values=()
if [ -n "$env_file" ]; then
  [ -r "$env_file" ] || die "cannot read $env_file"
  line_no=0
  while IFS= read -r line || [ -n "$line" ]; do
    line_no=$((line_no + 1))
    line="${line%$'\r'}"
    [[ "$line" =~ ^[[:space:]]*(#.*)?$ ]] && continue
    [[ "$line" =~ ^[[:space:]]*(export[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] ||
      die "$env_file:$line_no: expected NAME=VALUE"
    key="${BASH_REMATCH[2]}"
    value="${BASH_REMATCH[3]}"
    if [[ "$value" =~ ^\"(.*)\"[[:space:]]*$ ]] || [[ "$value" =~ ^\'(.*)\'[[:space:]]*$ ]]; then
      value="${BASH_REMATCH[1]}"
    else
      value="${value%"${value##*[![:space:]]}"}" # trailing blanks
    fi
    file_values["$key"]="$value"
  done <"$env_file"
fi

declare -A values=()
pushed=()
skipped=()
for name in "${names[@]}"; do
  if [ -n "${file_values[$name]+set}" ] && [ -n "${file_values[$name]}" ]; then
    values["$name"]="${file_values[$name]}"
    source_of="$env_file"
  elif [ -n "${!name:-}" ]; then
    values["$name"]="${!name}"
    source_of="environment"
  else
    if $explicit; then die "$name is not set (neither in ${env_file:-an env file} nor in the environment)"; fi
    skipped+=("$name")
    continue
  fi
  case "${values[$name]}" in
    *$'\n'* | *$'\r'*) die "$name holds a line break; push multi-line values by hand" ;;
    '""'*) $to_fly && die "$name starts with two double quotes, which flyctl's import reads as a multi-line value" ;;
  esac
  pushed+=("$name")
  say "secret $name (from $source_of)"
done
[ "${#skipped[@]}" -eq 0 ] || say "skipped, not set: ${skipped[*]}"
[ "${#pushed[@]}" -gt 0 ] || die "no secret to push"

if $to_k8s; then
  missing=()
  for name in "${REQUIRED_NAMES[@]}"; do
    [ -n "${values[$name]+set}" ] || missing+=("$name")
  done
  [ "${#missing[@]}" -eq 0 ] ||
    die "the Kubernetes Secret would lose ${missing[*]} (it holds exactly the pushed names); push them too"
fi

if $to_fly && [ -z "$fly_app" ]; then
  if [ -f "$root/fly.toml" ]; then
    fly_app="$(sed -nE 's/^app[[:space:]]*=[[:space:]]*["'\'']([^"'\'']+)["'\''].*/\1/p' "$root/fly.toml" | head -n 1)"
  fi
  [ -n "$fly_app" ] || die "no Fly app: pass --app NAME"
fi

# --- commands ------------------------------------------------------------------------------------------
fly_cmd=()
if $to_fly; then
  fly_bin="$(command -v fly || command -v flyctl || echo fly)"
  fly_cmd=("$fly_bin" secrets import --app "$fly_app")
  $fly_stage && fly_cmd+=(--stage)
fi
kube_args=()
[ -z "$context" ] || kube_args+=(--context "$context")
[ -z "$namespace" ] || kube_args+=(--namespace "$namespace")

fly_input() {
  # flyctl's import format: NAME=VALUE per line; outer double quotes are removed, so wrapping keeps the
  # value verbatim (a value starting with a quote or a space included).
  local name
  for name in "${pushed[@]}"; do
    printf '%s="%s"\n' "$name" "${values[$name]}"
  done
}

if ! $apply; then
  say "dry run: nothing is sent (add --apply)"
  if $to_fly; then
    say "would run: ${fly_cmd[*]}   # stdin: ${pushed[*]/%/=<value>}"
  fi
  if $to_k8s; then
    from=()
    for name in "${pushed[@]}"; do from+=("--from-file=$name=<file>"); done
    say "would run: kubectl ${kube_args[*]:+${kube_args[*]} }create secret generic $secret_name ${from[*]} --dry-run=client -o yaml | kubectl ${kube_args[*]:+${kube_args[*]} }apply -f -"
  fi
  exit 0
fi

if $to_fly; then
  command -v "${fly_cmd[0]}" >/dev/null || die "flyctl (fly) is not on PATH"
  say "running: ${fly_cmd[*]}"
  fly_input | "${fly_cmd[@]}" || die "fly secrets import failed"
fi

if $to_k8s; then
  command -v kubectl >/dev/null || die "kubectl is not on PATH"
  # One file per value (mode 0600, removed on exit): values never appear on a command line.
  tmp="$(umask 077 && mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  from=()
  for name in "${pushed[@]}"; do
    printf '%s' "${values[$name]}" >"$tmp/$name"
    from+=("--from-file=$name=$tmp/$name")
  done
  say "running: kubectl ${kube_args[*]:+${kube_args[*]} }create secret generic $secret_name (${pushed[*]}) | kubectl apply -f -"
  kubectl "${kube_args[@]}" create secret generic "$secret_name" "${from[@]}" --dry-run=client -o yaml |
    kubectl "${kube_args[@]}" apply -f - || die "kubectl apply failed"
fi
say "done: ${pushed[*]}"
