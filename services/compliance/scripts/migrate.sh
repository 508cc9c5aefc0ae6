#!/bin/sh
# The guide's npm run migrate:* commands, through cutover's migration runner (lock_timeout 10 s and
# statement_timeout 60 s from cutover.yml, one advisory lock, a history table):
#   status    applied and pending migrations        cutover migrate status
#   dry       each pending statement with its lock  cutover migrate plan
#   up        apply pending migrations              cutover migrate up
#   down      revert the newest (--step N: npm run migrate:down --step 2)
#   rollback  revert down to a named migration: npm run migrate:rollback --to 0004_sanctions_screenings
# Set CUTOVER_CONFIG to use another file (default cutover.yml beside this script's service);
# with {releaseDir} in migrations.directory, RELEASE=<version> picks the release's migrations.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
config=${CUTOVER_CONFIG:-"$root/cutover.yml"}
release_args=""
[ -n "${RELEASE:-}" ] && release_args="--release $RELEASE"
run() { exec cutover migrate "$@" --config "$config" $release_args; }
case "${1:-}" in
  status) run status ;;
  dry) run plan ;;
  up) run up ;;
  down) run down --steps "${npm_config_step:-1}" ;;
  rollback)
    to=${npm_config_to:-${2:-}}
    [ -n "$to" ] || { echo "migrate:rollback needs --to <migration id>, e.g. npm run migrate:rollback --to 0004" >&2; exit 2; }
    run to "$to" ;;
  *) echo "usage: migrate.sh status|dry|up|down|rollback" >&2; exit 2 ;;
esac
