#!/bin/sh
# Packages release <version> of the compliance service into releases/<version>/ (package.json,
# src/, migrations/) and writes releases/<version>/release.env, the variables that travel with the
# release (read by `node --env-file-if-exists=release.env`): the guide's feature flags, production's
# (all four on), each changed with --env NAME=VALUE. A variable in cutover.yml's env: wins over
# release.env: cutover.yml keeps the flags out of it, and staging's overlay (cutover.staging.yml)
# turns BULKHEAD_PATTERN off there, so the release promoted from staging is the very same one.
# From the working tree by default, or from a git ref with --git <ref>. A release is never overwritten.
# usage: package-release.sh <version> [--env NAME=VALUE]... [--git <ref>]
# RELEASES_ROOT=<dir> writes <dir>/releases/<version> instead (the end-to-end test uses it).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
dest=${RELEASES_ROOT:-$root}
version=${1:?usage: package-release.sh <version> [--env NAME=VALUE]... [--git <ref>]}
shift
case "$version" in
  *[!A-Za-z0-9._+-]* | [!A-Za-z0-9]*) echo "bad version \"$version\": letters, digits, . _ + - only" >&2; exit 2 ;;
esac
ref=""
release_env="DETAILED_HEALTH_CHECKS=true
METRICS_ENDPOINT=true
LOAD_SHEDDING=true
BULKHEAD_PATTERN=true
"
while [ $# -gt 0 ]; do
  case "$1" in
    --env)
      pair=${2:?--env needs NAME=VALUE}
      case "$pair" in
        [A-Z_]*=*) ;;
        *) echo "bad --env \"$pair\": NAME=VALUE with an upper-case NAME" >&2; exit 2 ;;
      esac
      release_env="$(printf '%s' "$release_env" | grep -v "^${pair%%=*}=" || true)
$pair
"
      shift 2 ;;
    --git) ref=${2:?--git needs a ref}; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

target="$dest/releases/$version"
if [ -e "$target" ]; then echo "$target exists: pick a new version" >&2; exit 1; fi
mkdir -p "$target"
if [ -n "$ref" ]; then
  prefix=$(git -C "$root" rev-parse --show-prefix)
  git -C "$root" archive --format=tar "$ref:$prefix" package.json src migrations | tar -x -C "$target"
else
  cp -R "$root/package.json" "$root/src" "$root/migrations" "$target/"
fi
printf '# Variables of release %s, read by node --env-file-if-exists (secrets never go here).\n%s' "$version" "$release_env" > "$target/release.env"
[ -f "$target/src/main.ts" ] || { echo "packaging failed" >&2; rm -rf "$target"; exit 1; }
echo "$target"
