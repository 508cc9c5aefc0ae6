#!/bin/sh
# One-time local setup: databases, secrets, release v1 (its migrations run with its first deploy). Needs PostgreSQL on
# 127.0.0.1:5432 (user postgres), Redis on 127.0.0.1:6379, openssl, and cutover + Node >= 24 on PATH
# (`npm run -w @cutover/payment-system setup` provides both).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
for db in payment_auth payment_payments; do
  if ! psql -h 127.0.0.1 -U postgres -tAc "select 1 from pg_database where datname = '$db'" | grep -q 1; then
    psql -h 127.0.0.1 -U postgres -qc "create database $db"
    echo "created database $db"
  fi
done
sh "$root/scripts/make-dev-secrets.sh"
[ -d "$root/auth/releases/v1" ] || sh "$root/scripts/package-release.sh" v1
echo "ready: npm run -w @cutover/payment-system up"
