#!/usr/bin/env bash
# rootfs.sh DIR: fills DIR with the smallest tree that runs Debian's
# redis-server, redis-sentinel and redis-cli, plus busybox as the shell the
# entrypoint scripts need. Debian's packages are extracted (not installed:
# no maintainer script runs, so nothing is generated) from the host's own
# mirror, then only the binaries and the shared libraries the dynamic loader
# says they need are copied out. Needs root (chroot) and mmdebstrap.
set -euo pipefail
dest=${1:?usage: rootfs.sh DIR}
suite=${DEBIAN_SUITE:-bookworm}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$here/apt-sources.sh" "$suite" >"$work/debian.sources"
mmdebstrap --quiet --variant=extract --include=redis-server,redis-tools,busybox \
  "$suite" "$work/full" "$work/debian.sources"

bins=(/usr/bin/redis-check-rdb /usr/bin/redis-cli /bin/busybox)
rm -rf "$dest"
mkdir -p "$dest"
for b in "${bins[@]}"; do
  mkdir -p "$dest$(dirname "$b")"
  cp "$work/full$b" "$dest$b"
  # The loader lists every library (recursively) with its path in the tree.
  chroot "$work/full" /lib64/ld-linux-x86-64.so.2 --list "$b" |
    awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\/lib64\// { print $1 }'
done | sort -u | while read -r lib; do
  mkdir -p "$dest$(dirname "$lib")"
  cp -L "$work/full$lib" "$dest$lib"
done

# redis-server picks its mode from argv[0]: one binary, four names.
for n in redis-server redis-sentinel redis-check-aof; do ln -s redis-check-rdb "$dest/usr/bin/$n"; done
for a in sh cat chmod cp cut grep head hostname ls mkdir mv ps rm sed sha256sum sleep sort tail timeout tr uniq wc; do
  ln -s busybox "$dest/bin/$a"
done

mkdir -p "$dest"/{etc,tmp,run/redis,var/lib/redis,var/log/redis,usr/local/bin}
chmod 1777 "$dest/tmp"
cat >"$dest/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/sbin/nologin
redis:x:999:999:redis:/var/lib/redis:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
EOF
cat >"$dest/etc/group" <<'EOF'
root:x:0:
redis:x:999:
nogroup:x:65534:
EOF
echo 'hosts: files dns' >"$dest/etc/nsswitch.conf"
# A fresh named volume copies these owners and modes from the image.
chown 999:999 "$dest"/{run/redis,var/lib/redis,var/log/redis}
chmod 0750 "$dest/var/lib/redis"
chmod 0700 "$dest/run/redis"
chmod 0755 "$dest/var/log/redis"
