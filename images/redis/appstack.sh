# Shell functions shared by the Redis and Sentinel entrypoints (sourced).
# Secrets arrive as files (compose secrets, /run/secrets/NAME); they are read
# at start and only hashes or tmpfs copies are written anywhere.

secrets_dir=${SECRETS_DIR:-/run/secrets}

# secret NAME prints the secret, failing clearly if it was not mounted.
secret() {
  if [ ! -r "$secrets_dir/$1" ]; then
    echo "appstack: secret $secrets_dir/$1 is missing (compose secrets: $1)" >&2
    return 1
  fi
  cat "$secrets_dir/$1"
}

# acl_user NAME SECRET RULES prints an ACL user line with the SHA-256 of the
# secret as its password. Without the secret the user exists but is off, so
# a topology that does not mount it (no Sentinel) still starts.
acl_user() {
  local user=$1 file=$secrets_dir/$2
  shift 2
  if [ -r "$file" ]; then
    printf 'user %s on #%s %s\n' "$user" "$(printf %s "$(cat "$file")" | sha256sum | cut -d' ' -f1)" "$*"
  else
    printf 'user %s off %s\n' "$user" "$*"
  fi
}

# acl_rules FILE prints the one-line ACL rules kept in FILE.
acl_rules() { tr '\n' ' ' <"$1"; }

# What each role may run, from the Redis replication and Sentinel docs.
replication_rules='-@all +psync +replconf +ping'
sentinel_on_redis_rules='allchannels -@all +multi +slaveof +ping +exec +subscribe +config|rewrite +role +publish +info +client|setname +client|kill +script|kill'
sentinel_peer_rules='resetchannels &__sentinel__:hello -@all +ping +publish +sentinel|is-master-down-by-addr +client|setname'
admin_rules='~* &* +@all'
