#!/bin/sh
# Writes the local secrets of the payment system into a gitignored directory (default ../.secrets):
#   tls/cert.pem, tls/key.pem   a self-signed pair for the agent's HTTPS listener (agent.tls in cutover.yml),
#                               valid for localhost and 127.0.0.1, one year
#   jwt-signing-keys.json       the auth service's JWT signing key (EdDSA private JWK with its kid)
# Existing files are kept: rerunning is safe. Rotate the signing key with
#   node auth/src/generate-signing-key.ts .secrets/jwt-signing-keys.json --rotate   (then --promote; see docs/payment-system.md)
# usage: make-dev-secrets.sh [<directory>]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-"$root/.secrets"}

mkdir -p "$out/tls"
chmod 700 "$out"
if [ ! -f "$out/tls/cert.pem" ] || [ ! -f "$out/tls/key.pem" ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 \
    -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$out/tls/key.pem" -out "$out/tls/cert.pem" 2>/dev/null
  chmod 600 "$out/tls/key.pem"
  echo "$out/tls/cert.pem: self-signed certificate for localhost, 127.0.0.1"
fi
if [ ! -f "$out/jwt-signing-keys.json" ]; then
  node "$root/auth/src/generate-signing-key.ts" "$out/jwt-signing-keys.json"
fi
