#!/bin/sh
# Packages release <version> of the card-generation service into releases/<version>/ (package.json,
# src/, migrations/): the guide's `npm run build` (Node 24 runs the TypeScript as is). From the
# working tree by default, or from a git ref with --git <ref>. A release is never overwritten.
# usage: package-release.sh <version> [--git <ref>]
# RELEASES_ROOT=<dir> writes <dir>/releases/<version> instead (the end-to-end test uses it).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
dest=${RELEASES_ROOT:-$root}
version=${1:?usage: package-release.sh <version> [--git <ref>]}
shift
case "$version" in
  *[!A-Za-z0-9._+-]* | [!A-Za-z0-9]*) echo "bad version \"$version\": letters, digits, . _ + - only" >&2; exit 2 ;;
esac
ref=""
while [ $# -gt 0 ]; do
  case "$1" in
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
[ -f "$target/src/api-main.ts" ] && [ -f "$target/src/worker-main.ts" ] || { echo "packaging failed" >&2; rm -rf "$target"; exit 1; }
echo "$target"
