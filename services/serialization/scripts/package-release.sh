#!/bin/sh
# Packages release <version> of the serialization service into releases/<version>/ (package.json,
# src/, migrations/) and writes its feature switch to releases/<version>/release.env:
#   --serialization on    the serialization API serves (the default)
#   --serialization off   the guide's feature rollback: health and metrics stay, the API answers 503
# The service starts with `node --env-file-if-exists=release.env`, so the switch travels with the
# release and `cutover rollback` restores it with the code.
# From the working tree by default, or from a git ref with --git <ref>. A release is never overwritten.
# usage: package-release.sh <version> [--serialization on|off] [--git <ref>]
# RELEASES_ROOT=<dir> writes <dir>/releases/<version> instead (the end-to-end test uses it).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
dest=${RELEASES_ROOT:-$root}
version=${1:?usage: package-release.sh <version> [--serialization on|off] [--git <ref>]}
shift
case "$version" in
  *[!A-Za-z0-9._+-]* | [!A-Za-z0-9]*) echo "bad version \"$version\": letters, digits, . _ + - only" >&2; exit 2 ;;
esac
switch=on
ref=""
while [ $# -gt 0 ]; do
  case "$1" in
    --serialization) switch=${2:?--serialization needs on or off}; shift 2 ;;
    --git) ref=${2:?--git needs a ref}; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
case "$switch" in
  on) enabled=true ;;
  off) enabled=false ;;
  *) echo "bad --serialization \"$switch\": on or off" >&2; exit 2 ;;
esac
target="$dest/releases/$version"
if [ -e "$target" ]; then echo "$target exists: pick a new version" >&2; exit 1; fi
mkdir -p "$target"
if [ -n "$ref" ]; then
  prefix=$(git -C "$root" rev-parse --show-prefix)
  git -C "$root" archive --format=tar "$ref:$prefix" package.json src migrations | tar -x -C "$target"
else
  cp -R "$root/package.json" "$root/src" "$root/migrations" "$target/"
fi
printf '# Feature switch of this release, read by node --env-file-if-exists.\nSERIALIZATION_ENABLED=%s\n' "$enabled" > "$target/release.env"
[ -f "$target/src/main.ts" ] || { echo "packaging failed" >&2; rm -rf "$target"; exit 1; }
echo "$target"
