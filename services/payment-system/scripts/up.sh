#!/bin/sh
# Starts the agent and both services (release v1 unless given another), auth first: payments
# verifies tokens with the auth service's JWKS. Then prints where they answer.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
release=${1:-v1}
cutover up --release "$release" --config "$root/auth/cutover.yml"
cutover up --release "$release" --config "$root/payments/cutover.yml"
echo "auth:     http://127.0.0.1:8080/auth/health   https://localhost:8443/auth/health"
echo "payments: http://127.0.0.1:8080/payments/health/check"
