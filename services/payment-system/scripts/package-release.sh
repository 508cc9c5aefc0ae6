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

# Release directories are built beside their target and renamed into place only when complete, so a
# failed export never leaves an empty (or half-written) release that a deploy would then take.
work=""
trap '[ -n "$work" ] && rm -rf "$work" "$work.tar"' EXIT
if [ -n "$ref" ]; then
  # git archive runs from the repository's top level, whatever directory this script is run from.
  top=$(git -C "$root" rev-parse --show-toplevel)
  prefix=$(git -C "$root" rev-parse --show-prefix)
  git -C "$top" rev-parse --verify --quiet "$ref^{commit}" >/dev/null || { echo "\"$ref\" is not a commit, tag or branch of $top" >&2; exit 2; }
fi
for service in auth payments; do
  target="$dest/$service/releases/$version"
  if [ -e "$target" ]; then echo "$target exists: pick a new version" >&2; exit 1; fi
done
for service in auth payments; do
  target="$dest/$service/releases/$version"
  mkdir -p "$(dirname "$target")"
  work=$(mktemp -d "$target.partial.XXXXXX")
  if [ -n "$ref" ]; then
    git -C "$top" archive --format=tar -o "$work.tar" "$ref:$prefix$service" package.json src migrations
    tar -x -C "$work" -f "$work.tar"
    rm -f "$work.tar"
  else
    cp -R "$root/$service/package.json" "$root/$service/src" "$root/$service/migrations" "$work/"
  fi
  [ -f "$work/src/main.ts" ] || { echo "packaging $service failed: no src/main.ts" >&2; exit 1; }
  mv "$work" "$target"
  work=""
  echo "$target"
done
