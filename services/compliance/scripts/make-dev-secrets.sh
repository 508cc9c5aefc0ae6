#!/bin/sh
# Writes the guide's secrets for a local run, one file each in .secrets/ (directory 0700, files
# 0600, gitignored): DATABASE_URL, REDIS_URL, JWT_SECRET, WEBHOOK_SECRET, STRIPE_WEBHOOK_SECRET and
# DOCUMENT_ENCRYPTION_KEY. scripts/read-secret.sh reads them when COMPLIANCE_SECRET_ID is not set;
# in production the same names come from AWS Secrets Manager (docs/compliance.md, "Secrets").
# Existing files are kept: rerunning is safe. With --env staging: .secrets/staging/, staging's own
# database (compliance_staging) and Redis database (3), what cutover.staging.yml reads.
# usage: make-dev-secrets.sh [<directory>] | make-dev-secrets.sh --env <environment>
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
database=compliance
redis_db=2
if [ "${1:-}" = "--env" ]; then
  environment=${2:?--env needs an environment name}
  case "$environment" in *[!a-z0-9_-]* | "") echo "bad environment \"$environment\"" >&2; exit 2 ;; esac
  out="$root/.secrets/$environment"
  database="compliance_$environment"
  redis_db=3
else
  out=${1:-"$root/.secrets"}
fi
mkdir -p "$out"
chmod 700 "$out"
umask 077
put() { [ -f "$out/$1" ] || { printf '%s' "$2" > "$out/$1"; echo "$out/$1 written"; }; }
put DATABASE_URL "postgres://postgres@127.0.0.1:5432/$database"
put REDIS_URL "redis://127.0.0.1:6379/$redis_db"
put JWT_SECRET "$(openssl rand -hex 32)"
put WEBHOOK_SECRET "whsec_$(openssl rand -base64 32)"
put STRIPE_WEBHOOK_SECRET "whsec_$(openssl rand -hex 24)"
put DOCUMENT_ENCRYPTION_KEY "$(openssl rand -hex 32)"
