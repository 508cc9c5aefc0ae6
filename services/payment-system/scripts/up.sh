#!/bin/sh
# Starts the agent and deploys both services (release v1 unless given another) where nothing serves
# yet, auth first: payments verifies tokens with the auth service's JWKS (and checks it before deploying).
# Extra arguments go to `cutover deploy`, e.g. to skip a pre-deploy check on a busy laptop:
#   up.sh v1 --skip-check load --reason "laptop busy compiling"
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
release=${1:-v1}
[ $# -gt 0 ] && shift
for service in auth payments; do
  config="$root/$service/cutover.yml"
  cutover up --config "$config" > /dev/null
  serving=$(cutover status --json --config "$config" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).serving ?? ""))')
  if [ -n "$serving" ]; then
    echo "$service already serves $serving (cutover deploy <release> --config $config to change it)"
  else
    cutover deploy "$release" --config "$config" "$@"
  fi
done
echo "auth:     http://127.0.0.1:8080/auth/health      https://localhost:8443/auth/health"
echo "payments: http://127.0.0.1:8080/payments/health/check"
