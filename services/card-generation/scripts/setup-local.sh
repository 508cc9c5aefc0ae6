#!/bin/sh
# One-time local setup: the `payment_sandbox` database of cutover.yml (127.0.0.1:5432), the master
# key (scripts/make-secrets.sh), and release <version> (default 1.0.0) packaged under releases/.
# usage: setup-local.sh [version]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
version=${1:-1.0.0}
exists=$(psql -h 127.0.0.1 -U postgres -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = 'payment_sandbox'")
if [ "$exists" != "1" ]; then
  psql -h 127.0.0.1 -U postgres -d postgres -c "CREATE DATABASE payment_sandbox" >/dev/null
  echo "created database payment_sandbox"
fi
[ -e "$root/.secrets/card-generation.env" ] || sh "$root/scripts/make-secrets.sh"
if [ -d "$root/releases/$version" ]; then
  echo "release $version already packaged: $root/releases/$version"
else
  sh "$root/scripts/package-release.sh" "$version"
fi
