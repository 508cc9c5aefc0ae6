#!/bin/sh
# The guide's "Redis backup created": an RDB snapshot of every Redis the service uses, fetched with
# `redis-cli --rdb` into <dir>/<timestamp>/ (the newest 14 are kept). Single Redis: REDIS_URL
# (default redis://127.0.0.1:6379). Cluster (REDIS_CLUSTER_ENABLED=true): every REDIS_CLUSTER_NODES entry.
# Restore: stop the service, put the file in place of the server's dbfilename, restart redis-server.
# usage: backup-redis.sh <dir>
set -eu
dir=${1:?usage: backup-redis.sh <dir>}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
target="$dir/$stamp"
mkdir -p "$target"
chmod 700 "$dir" "$target"
if [ "${REDIS_CLUSTER_ENABLED:-false}" = "true" ]; then
  for node in $(echo "${REDIS_CLUSTER_NODES:?REDIS_CLUSTER_NODES is empty}" | tr ',' ' '); do
    host=${node%:*}
    port=${node##*:}
    redis-cli -h "$host" -p "$port" --rdb "$target/$host-$port.rdb" >/dev/null
  done
else
  redis-cli -u "${REDIS_URL:-redis://127.0.0.1:6379}" --rdb "$target/redis.rdb" >/dev/null
fi
# Keep the newest 14 snapshots.
ls -1d "$dir"/*/ 2>/dev/null | sort | head -n -14 | xargs -r rm -rf
echo "redis backup: $target"
