#!/bin/sh
# Writes .secrets/card-generation.env with a new CARD_MASTER_KEY (32 random bytes), readable by
# its owner only. Run it once per environment: the key decides every PAN a counter constructs and
# decrypts the stored ones, so it must survive every release (back it up with the database backups).
# Refuses to overwrite an existing key.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
file="$root/.secrets/card-generation.env"
if [ -e "$file" ]; then echo "$file exists: keeping its key (delete it yourself to start over, with a new database)" >&2; exit 1; fi
mkdir -p "$root/.secrets"
chmod 700 "$root/.secrets"
umask 077
printf 'CARD_MASTER_KEY=%s\n' "$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')" > "$file"
echo "wrote $file"
