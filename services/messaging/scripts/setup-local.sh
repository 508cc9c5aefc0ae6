#!/bin/sh
# One-time local setup: the `messaging` database on the PostgreSQL of cutover.yml (127.0.0.1:5432),
# and release <version> (default 1.0.0, stage enabled) packaged under releases/.
# usage: setup-local.sh [version] [--stage disabled|shadow|enabled]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
version=${1:-1.0.0}
[ $# -gt 0 ] && shift
exists=$(psql -h 127.0.0.1 -U postgres -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = 'messaging'")
if [ "$exists" != "1" ]; then
  psql -h 127.0.0.1 -U postgres -d postgres -c "CREATE DATABASE messaging" >/dev/null
  echo "created database messaging"
fi
if [ -d "$root/releases/$version" ]; then
  echo "release $version already packaged: $root/releases/$version"
else
  sh "$root/scripts/package-release.sh" "$version" "$@"
fi
