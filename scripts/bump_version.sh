#!/usr/bin/env bash
# Release flow: bump VERSION (and package.json), verify, commit, tag. See docs/deployment.md.
#
#   scripts/bump_version.sh [--dry-run] [--no-verify] micro|baseline|major
#   (npm run release:micro / npm run release:baseline)
#
#   micro     X.Y.Z -> X.Y.(Z+1)  npm run verify                    tag vX.Y.Z
#   baseline  X.Y.Z -> X.(Y+1).0  npm run verify, the tests run     tag baseline-vX.Y.0
#                                 once with coverage: lines >= 85 %
#                                 and RELEASE_SUMMARY.md (commits since the previous baseline)
#   major     X.Y.Z -> (X+1).0.0  as baseline                       tag baseline-vX.0.0
#
#   --no-verify  skip verification and the coverage gate
#   --dry-run    print what would happen; change nothing
#
# Environment (tests replace the commands with harmless ones):
#   RELEASE_VERIFY_CMD        micro: npm run verify; baseline: its checks without the tests
#   RELEASE_COVERAGE_CMD      baseline: the test suite with coverage (writes the summary below)
#   RELEASE_COVERAGE_SUMMARY  coverage/coverage-summary.json (istanbul json-summary)
#   RELEASE_COVERAGE_MIN      85 (percent of lines)
#
# Needs a clean git worktree. Leaves one commit and one annotated tag, ready to push.
set -euo pipefail

usage() {
  # The header comment above, without its '# '.
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
}
die() {
  echo "bump_version: $*" >&2
  exit 1
}
say() { echo "bump_version: $*"; }

kind=""
dry_run=false
verify=true
for arg in "$@"; do
  case "$arg" in
    micro | baseline | major)
      [ -z "$kind" ] || die "give one release kind, not '$kind' and '$arg'"
      kind="$arg"
      ;;
    --dry-run | -n) dry_run=true ;;
    --no-verify) verify=false ;;
    -h | --help)
      usage
      exit 0
      ;;
    *)
      usage >&2
      die "unknown argument '$arg'"
      ;;
  esac
done
[ -n "$kind" ] || {
  usage >&2
  die "missing release kind: micro, baseline or major"
}

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
git rev-parse --is-inside-work-tree >/dev/null 2>&1 || die "$root is not a git worktree"
[ -f VERSION ] || die "no VERSION file in $root"

current="$(tr -d '[:space:]' <VERSION)"
[[ "$current" =~ ^([0-9]+)\.([0-9]+)\.([0-9]+)$ ]] || die "VERSION holds '$current', expected MAJOR.MINOR.PATCH"
major="${BASH_REMATCH[1]}" minor="${BASH_REMATCH[2]}" patch="${BASH_REMATCH[3]}"

case "$kind" in
  micro) next="$major.$minor.$((patch + 1))" tag="v$next" ;;
  baseline) next="$major.$((minor + 1)).0" tag="baseline-v$next" ;;
  major) next="$((major + 1)).0.0" tag="baseline-v$next" ;;
esac
baseline_like=false
[ "$kind" = micro ] || baseline_like=true

# --- preconditions -------------------------------------------------------------------------------------
problems=()
if [ -n "$(git status --porcelain --untracked-files=normal)" ]; then
  problems+=("the git worktree is not clean (commit or stash first):"$'\n'"$(git status --short)")
fi
if git rev-parse -q --verify "refs/tags/$tag" >/dev/null; then
  problems+=("tag $tag already exists")
fi
git rev-parse -q --verify HEAD >/dev/null || problems+=("the repository has no commit yet")
git var GIT_COMMITTER_IDENT >/dev/null 2>&1 || problems+=("git has no user.name/user.email to commit with")
command -v node >/dev/null || problems+=("node is not on PATH (it updates package.json)")
if [ "${#problems[@]}" -gt 0 ]; then
  if $dry_run; then
    for p in "${problems[@]}"; do say "WARNING (a real run stops here): $p" >&2; done
  else
    for p in "${problems[@]}"; do echo "bump_version: $p" >&2; done
    exit 1
  fi
fi

# --- release summary (baseline and major) --------------------------------------------------------------
date_utc="$(date -u +%Y-%m-%d)"
since=""
if $baseline_like; then
  # The previous baseline, else the whole history (micro tags in between are part of the summary).
  since="$(git describe --tags --abbrev=0 --match 'baseline-v*' HEAD 2>/dev/null || true)"
fi

summary_section() {
  local range="HEAD" count
  [ -z "$since" ] || range="$since..HEAD"
  count="$(git rev-list --no-merges --count "$range" 2>/dev/null || echo 0)"
  echo "## $tag ($date_utc)"
  echo
  echo "- Version: $next (from $current, $kind release)"
  if [ -n "$since" ]; then
    echo "- Since: $since, $count commit(s)"
  else
    echo "- Since: the first commit, $count commit(s)"
  fi
  echo
  if [ "$count" -gt 0 ]; then
    # Escape what Markdown would read as emphasis, links or HTML, outside `code spans` only.
    git log --no-merges --format='- %h %s (%an)' "$range" | awk -F'`' -v OFS='`' '{
      for (i = 1; i <= NF; i += 2) gsub(/[\\*_<>[]/, "\\\\&", $i)
      print
    }'
  else
    echo "- No commits."
  fi
  echo
}

write_summary() {
  local file=RELEASE_SUMMARY.md section tmp
  section="$(summary_section)"
  tmp="$(mktemp)"
  {
    echo "# Release summary"
    echo
    echo "Newest first. Written by scripts/bump_version.sh for baseline and major releases."
    echo
    echo "$section"
    if [ -f "$file" ]; then
      # Keep the earlier sections, dropping the old header (everything before the first "## ").
      echo
      awk 'found || /^## / { found = 1; print }' "$file"
    fi
  } | cat -s >"$tmp"
  mv "$tmp" "$file"
  # Keep it in the project's format so the next `npm run verify` (prettier --check) passes.
  if [ -x node_modules/.bin/prettier ]; then node_modules/.bin/prettier --log-level warn --write "$file"; fi
}

set_package_versions() {
  # package.json and the root entries of package-lock.json follow VERSION.
  node -e '
    const fs = require("node:fs");
    const [version, ...files] = process.argv.slice(1);
    for (const file of files) {
      if (!fs.existsSync(file)) continue;
      const json = JSON.parse(fs.readFileSync(file, "utf8"));
      json.version = version;
      if (json.packages && json.packages[""]) json.packages[""].version = version;
      fs.writeFileSync(file, JSON.stringify(json, null, 2) + "\n");
    }
  ' "$next" package.json package-lock.json
}

ensure_node() {
  # Verification needs Node 24 (isolated-vm, ai); scripts/ensure-node.sh installs it when the machine's is older.
  if [ -f scripts/ensure-node.sh ]; then
    # shellcheck source=ensure-node.sh
    source scripts/ensure-node.sh
  fi
}

# A baseline runs the test suite once, under coverage, instead of once in `npm run verify` and again.
if $baseline_like; then
  verify_cmd="${RELEASE_VERIFY_CMD:-npm run format:check && npm run lint && npm run typecheck}"
else
  verify_cmd="${RELEASE_VERIFY_CMD:-npm run verify}"
fi
coverage_cmd="${RELEASE_COVERAGE_CMD:-npm test -- --coverage --coverageReporters=json-summary --coverageReporters=text-summary}"
coverage_summary="${RELEASE_COVERAGE_SUMMARY:-coverage/coverage-summary.json}"
coverage_min="${RELEASE_COVERAGE_MIN:-85}"
[[ "$coverage_min" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "RELEASE_COVERAGE_MIN must be a number, not '$coverage_min'"

verify_steps=()
if $verify; then
  verify_steps+=("$verify_cmd")
  $baseline_like && verify_steps+=("$coverage_cmd")
fi

coverage_gate() {
  # The line coverage of the whole run (istanbul's json-summary), against the minimum.
  [ -f "$coverage_summary" ] || die "the coverage run wrote no $coverage_summary; nothing was changed"
  local pct
  pct="$(node -e '
    const total = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8")).total;
    const pct = total && total.lines && total.lines.pct;
    if (typeof pct !== "number") process.exit(1);
    console.log(pct);
  ' "$coverage_summary")" || die "$coverage_summary has no total.lines.pct; nothing was changed"
  if node -e 'process.exit(Number(process.argv[1]) >= Number(process.argv[2]) ? 0 : 1)' "$pct" "$coverage_min"; then
    say "coverage gate passed: lines $pct % >= $coverage_min %"
  else
    die "coverage gate failed: lines $pct % < $coverage_min %; nothing was changed"
  fi
}
files=(VERSION package.json)
[ -f package-lock.json ] && files+=(package-lock.json)
$baseline_like && files+=(RELEASE_SUMMARY.md)
commit_msg="Release $tag"
tag_msg="Seed Agent $next ($kind release, $date_utc)"

# --- dry run -------------------------------------------------------------------------------------------
if $dry_run; then
  say "dry run: nothing is changed"
  say "release:  $kind, $current -> $next"
  if [ "${#verify_steps[@]}" -gt 0 ]; then
    for step in "${verify_steps[@]}"; do say "would run: $step"; done
    $baseline_like && say "would require: lines >= $coverage_min % in $coverage_summary"
  else
    say "would skip verification (--no-verify)"
  fi
  say "would write: ${files[*]}"
  say "would run: git commit -m '$commit_msg' -- ${files[*]}"
  say "would run: git tag -a $tag -m '$tag_msg'"
  if $baseline_like; then
    say "RELEASE_SUMMARY.md would gain this section:"
    summary_section | sed 's/^/    /'
  fi
  exit 0
fi

# --- real run ------------------------------------------------------------------------------------------
say "$kind release: $current -> $next ($tag)"
# Verify before touching anything: a failure leaves the worktree as it was.
if [ "${#verify_steps[@]}" -gt 0 ]; then
  ensure_node
  # A stale summary from an earlier run must never pass the gate.
  $baseline_like && rm -f "$coverage_summary"
  for step in "${verify_steps[@]}"; do
    say "running: $step"
    bash -c "$step" || die "'$step' failed; nothing was changed"
  done
  $baseline_like && coverage_gate
else
  say "verification skipped (--no-verify)"
fi

echo "$next" >VERSION
set_package_versions
$baseline_like && write_summary

git add -- "${files[@]}"
git commit --quiet -m "$commit_msg" -- "${files[@]}"
git tag -a "$tag" -m "$tag_msg"

say "committed $(git rev-parse --short HEAD) and tagged $tag"
say "push with: git push origin HEAD $tag"
