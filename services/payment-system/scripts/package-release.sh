#!/bin/sh
# Packages release <version> of both services (the guide's "build images" step): writes
#   auth/releases/<version>/ and payments/releases/<version>/, each with package.json, src/ and migrations/.
# From the working tree by default, or from a git ref (a tag such as v1.2.3) with --git <ref>.
# A release directory is never overwritten: a version names one build for good.
# usage: package-release.sh <version> [--git <ref>]
# RELEASES_ROOT=<dir> writes <dir>/auth/releases/... instead (the end-to-end test uses it).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
dest=${RELEASES_ROOT:-$root}
version=${1:?usage: package-release.sh <version> [--git <ref>]}
case "$version" in
  *[!A-Za-z0-9._+-]* | [!A-Za-z0-9]*) echo "bad version \"$version\": letters, digits, . _ + - only" >&2; exit 2 ;;
esac
ref=""
if [ "${2:-}" = "--git" ]; then ref=${3:?--git needs a ref}; fi

for service in auth payments; do
  target="$dest/$service/releases/$version"
  if [ -e "$target" ]; then echo "$target exists: pick a new version" >&2; exit 1; fi
  mkdir -p "$target"
  if [ -n "$ref" ]; then
    prefix=$(git -C "$root" rev-parse --show-prefix)
    git -C "$root" archive --format=tar "$ref:$prefix$service" package.json src migrations | tar -x -C "$target"
  else
    cp -R "$root/$service/package.json" "$root/$service/src" "$root/$service/migrations" "$target/"
  fi
  [ -f "$target/src/main.ts" ] || { echo "packaging $service failed" >&2; rm -rf "$target"; exit 1; }
  echo "$target"
done
