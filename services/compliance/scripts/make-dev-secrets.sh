#!/bin/sh
# Writes the guide's secrets for a local run into .secrets/compliance.env (mode 0600, gitignored):
# DATABASE_URL, REDIS_URL, JWT_SECRET, WEBHOOK_SECRET, STRIPE_WEBHOOK_SECRET and the document key.
# In production these come from the secrets manager instead (docs/compliance.md, "Secrets").
# An existing file is kept: rerunning is safe.
# usage: make-dev-secrets.sh [<file>]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-"$root/.secrets/compliance.env"}
if [ -f "$out" ]; then echo "$out exists: kept"; exit 0; fi
mkdir -p "$(dirname "$out")"
chmod 700 "$(dirname "$out")"
umask 077
{
  echo "DATABASE_URL=postgres://postgres@127.0.0.1:5432/compliance"
  echo "REDIS_URL=redis://127.0.0.1:6379/2"
  echo "JWT_SECRET=$(openssl rand -hex 32)"
  echo "WEBHOOK_SECRET=whsec_$(openssl rand -base64 32)"
  echo "STRIPE_WEBHOOK_SECRET=whsec_$(openssl rand -hex 24)"
  echo "DOCUMENT_ENCRYPTION_KEY=$(openssl rand -hex 32)"
} > "$out"
echo "$out written (mode 0600)"
