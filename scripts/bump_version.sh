#!/usr/bin/env bash
# Release flow: bump VERSION (and package.json), verify, commit, tag. See docs/deployment.md.
#
#   scripts/bump_version.sh [--dry-run] [--no-verify] micro|baseline|major
#
#   micro     X.Y.Z -> X.Y.(Z+1)  npm run verify                         tag vX.Y.Z
#   baseline  X.Y.Z -> X.(Y+1).0  npm run verify + npm test -- --coverage tag baseline-vX.Y.0
#                                 and RELEASE_SUMMARY.md (commits since the previous baseline)
#   major     X.Y.Z -> (X+1).0.0  as baseline                             tag baseline-vX.0.0
#
#   --no-verify  skip the verification steps
#   --dry-run    print what would happen; change nothing
#
# Needs a clean git worktree. Leaves one commit and one annotated tag, ready to push.
set -euo pipefail

usage() {
  sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
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
  # The previous baseline, else the last tag of any kind, else the whole history.
  since="$(git describe --tags --abbrev=0 --match 'baseline-v*' HEAD 2>/dev/null ||
    git describe --tags --abbrev=0 HEAD 2>/dev/null || true)"
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

verify_steps=()
if $verify; then
  verify_steps+=("npm run verify")
  $baseline_like && verify_steps+=("npm test -- --coverage")
fi
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
  for step in "${verify_steps[@]}"; do
    say "running: $step"
    $step || die "'$step' failed; nothing was changed"
  done
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
