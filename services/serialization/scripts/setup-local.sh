#!/bin/sh
# One-time local setup, the guide's "Create Production Database" and "Configure Environment
# Variables" steps: the mes_prod_db database on the PostgreSQL of .env.production (127.0.0.1:5432),
# .env.production from .env.production.example with a fresh JWT_SECRET and admin password (mode
# 0600; an existing file is kept), and release <version> (default 1.0.0) packaged under releases/.
# usage: setup-local.sh [version]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
version=${1:-1.0.0}
env_file="$root/.env.production"
if [ ! -f "$env_file" ]; then
  umask 077
  secret=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
  password=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
  sed -e "s|^JWT_SECRET=.*|JWT_SECRET=$secret|" -e "s|^ADMIN_PASSWORD=.*|ADMIN_PASSWORD=$password|" "$root/.env.production.example" > "$env_file"
  chmod 600 "$env_file"
  echo "wrote $env_file (mode 0600; the admin password is in it)"
fi
exists=$(psql -h 127.0.0.1 -U postgres -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = 'mes_prod_db'")
if [ "$exists" != "1" ]; then
  psql -h 127.0.0.1 -U postgres -d postgres -c "CREATE DATABASE mes_prod_db" >/dev/null
  echo "created database mes_prod_db"
fi
if [ -d "$root/releases/$version" ]; then
  echo "release $version already packaged: $root/releases/$version"
else
  sh "$root/scripts/package-release.sh" "$version"
fi
