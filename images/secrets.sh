#!/usr/bin/env bash
# secrets.sh DIR: creates the stack's secrets in DIR, each from /dev/urandom
# (32 bytes, hex), keeping any that already exist. Compose bind-mounts each
# file at /run/secrets/NAME in the containers that need it.
#
# Modes: DIR is 0700, so no other user on the host can reach the files; the
# files are 0644 because Compose (without Swarm) bind-mounts them as they are
# and the containers' non-root users (redis 999, webapp 10001) must read them.
# Inside a container the path is /run/secrets/NAME: DIR is not on it.
set -euo pipefail
dir=${1:?usage: secrets.sh DIR}
mkdir -p "$dir"
chmod 0700 "$dir"
for name in redis_admin_password redis_webapp_password redis_replication_password \
  redis_sentinel_password sentinel_webapp_password session_secret logstore_password; do
  f=$dir/$name
  [ -s "$f" ] && continue
  (umask 022 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$f.tmp" && mv "$f.tmp" "$f")
  echo "generated $f"
done
