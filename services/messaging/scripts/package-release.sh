#!/bin/sh
# Packages release <version> of the messaging service into releases/<version>/ (package.json, src/,
# migrations/), and writes the rollout stage the release runs in to releases/<version>/release.env:
#   --stage disabled   consumers start but read nothing (ENABLE_STREAM_CONSUMERS=false)
#   --stage shadow     consumers read on their own group and write nothing (STREAM_CONSUMER_MODE=shadow)
#   --stage enabled    consumers persist messages (the default)
# Both processes start with `node --env-file-if-exists=release.env`, so the stage travels with the
# release: `cutover rollback` to a shadow release also turns persistence back off.
# From the working tree by default, or from a git ref with --git <ref>. A release is never overwritten.
# usage: package-release.sh <version> [--stage disabled|shadow|enabled] [--git <ref>]
# RELEASES_ROOT=<dir> writes <dir>/releases/<version> instead (the end-to-end test uses it).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
dest=${RELEASES_ROOT:-$root}
version=${1:?usage: package-release.sh <version> [--stage disabled|shadow|enabled] [--git <ref>]}
shift
case "$version" in
  *[!A-Za-z0-9._+-]* | [!A-Za-z0-9]*) echo "bad version \"$version\": letters, digits, . _ + - only" >&2; exit 2 ;;
esac
stage=enabled
ref=""
while [ $# -gt 0 ]; do
  case "$1" in
    --stage) stage=${2:?--stage needs disabled, shadow or enabled}; shift 2 ;;
    --git) ref=${2:?--git needs a ref}; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
case "$stage" in
  disabled) stage_env="ENABLE_STREAM_CONSUMERS=false" ;;
  shadow) stage_env="ENABLE_STREAM_CONSUMERS=true
STREAM_CONSUMER_MODE=shadow" ;;
  enabled) stage_env="ENABLE_STREAM_CONSUMERS=true
STREAM_CONSUMER_MODE=write" ;;
  *) echo "bad stage \"$stage\": disabled, shadow or enabled" >&2; exit 2 ;;
esac

target="$dest/releases/$version"
if [ -e "$target" ]; then echo "$target exists: pick a new version" >&2; exit 1; fi
mkdir -p "$dest/releases"
# Built beside the target and renamed into place only when complete: a failed export leaves no release.
work=$(mktemp -d "$target.partial.XXXXXX")
trap '[ -n "$work" ] && rm -rf "$work" "$work.tar"' EXIT
if [ -n "$ref" ]; then
  # git archive runs from the repository's top level, whatever directory this script is run from.
  top=$(git -C "$root" rev-parse --show-toplevel)
  prefix=$(git -C "$root" rev-parse --show-prefix)
  git -C "$top" rev-parse --verify --quiet "$ref^{commit}" >/dev/null || { echo "\"$ref\" is not a commit, tag or branch of $top" >&2; exit 2; }
  git -C "$top" archive --format=tar -o "$work.tar" "$ref:$prefix" package.json src migrations
  tar -x -C "$work" -f "$work.tar"
  rm -f "$work.tar"
else
  cp -R "$root/package.json" "$root/src" "$root/migrations" "$work/"
fi
printf '# Rollout stage of this release (%s), read by node --env-file-if-exists.\n%s\n' "$stage" "$stage_env" > "$work/release.env"
[ -f "$work/src/api-main.ts" ] || { echo "packaging failed: no src/api-main.ts" >&2; exit 1; }
mv "$work" "$target"
work=""
echo "$target"
