#!/bin/sh
# Prints one secret of the compliance service, for cutover.yml's `secrets:` (the agent runs it each
# time it starts an instance; the value goes to that instance's environment only, never to disk):
#   - with COMPLIANCE_SECRET_ID set (e.g. compliance-service/production), from AWS Secrets Manager:
#     aws secretsmanager get-secret-value --secret-id $COMPLIANCE_SECRET_ID --query SecretString
#     --output text, a JSON object with one key per secret (the guide's layout); for an environment
#     (the second argument, e.g. staging) the id's last part is replaced: compliance-service/staging;
#   - otherwise from .secrets/<NAME> beside cutover.yml (scripts/make-dev-secrets.sh writes them),
#     .secrets/<environment>/<NAME> for an environment.
# usage: read-secret.sh <NAME> [<environment>]   (cutover.staging.yml passes staging)
set -eu
name=${1:?usage: read-secret.sh <NAME> [<environment>]}
environment=${2:-}
case "$name" in *[!A-Z0-9_]*) echo "bad secret name \"$name\"" >&2; exit 2 ;; esac
case "$environment" in *[!a-z0-9_-]*) echo "bad environment \"$environment\"" >&2; exit 2 ;; esac
if [ -n "${COMPLIANCE_SECRET_ID:-}" ]; then
  id=$COMPLIANCE_SECRET_ID
  [ -z "$environment" ] || id="${id%/*}/$environment"
  aws secretsmanager get-secret-value --secret-id "$id" --query SecretString --output text |
    node -e 'let s="";process.stdin.on("data",(c)=>(s+=c)).on("end",()=>{const v=JSON.parse(s)[process.argv[1]];if(typeof v!=="string"){console.error(`no ${process.argv[1]} in the secret`);process.exit(1)}process.stdout.write(v)})' "$name"
else
  dir=${COMPLIANCE_SECRETS_DIR:-.secrets}
  [ -z "$environment" ] || dir="$dir/$environment"
  [ -f "$dir/$name" ] || { echo "no secret $name: $dir/$name does not exist (sh scripts/make-dev-secrets.sh writes the local ones)" >&2; exit 1; }
  cat "$dir/$name"
fi
