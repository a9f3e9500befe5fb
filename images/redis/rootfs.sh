#!/usr/bin/env bash
# rootfs.sh DIR: fills DIR with the smallest tree that runs Debian's
# redis-server, redis-sentinel and redis-cli, plus busybox as the shell the
# entrypoint scripts need.
#
# Debian's packages come from the host's own mirror (apt-sources.sh) through
# apt with a private state, cache and config (APT_CONFIG), so the host's apt
# state is neither read nor changed and no root is needed: apt resolves the
# packages' dependency closure against an empty dpkg status, downloads it and
# checks it against Debian's archive keyring (Release signatures, then each
# .deb's hash). The packages are extracted with dpkg-deb -x (not installed:
# no maintainer script runs), then only the binaries and the shared libraries
# the tree's own dynamic loader lists for them are copied out.
set -euo pipefail
dest=${1:?usage: rootfs.sh DIR}
suite=${DEBIAN_SUITE:-bookworm}
keyring=${DEBIAN_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}
here=$(cd "$(dirname "$0")" && pwd)

# One line, then stop, when the host cannot do this.
for tool in apt-get dpkg dpkg-deb; do
  command -v "$tool" >/dev/null || {
    echo "rootfs.sh: $tool not found: build the Redis image on a Debian or Ubuntu host (apt-get, dpkg-deb)" >&2
    exit 1
  }
done
[ -r "$keyring" ] || {
  echo "rootfs.sh: $keyring not found: apt-get install debian-archive-keyring" >&2
  exit 1
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
apt=$work/apt
full=$work/full
mkdir -p "$apt"/etc/{apt.conf.d,preferences.d,sources.list.d,trusted.gpg.d} \
  "$apt"/state/lists/partial "$apt"/cache/archives/partial "$apt"/log "$full"
: >"$apt/state/status"
"$here/apt-sources.sh" "$suite" >"$apt/etc/sources.list.d/debian.sources"
arch=$(dpkg --print-architecture)

# Only this file configures apt (APT_CONFIG, with Dir::Etc pointing into the
# work dir): the host's apt.conf.d, preferences and keys play no part, and
# Debian's keyring is the only one trusted, whatever a source's Signed-By.
cat >"$work/apt.conf" <<EOF
Dir::Etc "$apt/etc";
Dir::Etc::Trusted "$keyring";
Dir::Etc::TrustedParts "$apt/etc/trusted.gpg.d";
Dir::State "$apt/state";
Dir::State::status "$apt/state/status";
Dir::Cache "$apt/cache";
Dir::Log "$apt/log";
APT::Architecture "$arch";
APT::Architectures { "$arch"; };
APT::Install-Recommends "false";
APT::Install-Suggests "false";
APT::Sandbox::User "root";
Acquire::Languages "none";
Debug::NoLocking "true";
EOF
# A snapshot mirror's Release files may be past Valid-Until; follow the host.
if [ "$(apt-config dump Acquire::Check-Valid-Until 2>/dev/null | sed -n 's/^Acquire::Check-Valid-Until "\(.*\)";$/\1/p')" = false ]; then
  echo 'Acquire::Check-Valid-Until "false";' >>"$work/apt.conf"
fi
export APT_CONFIG=$work/apt.conf

apt-get -q update >"$work/update.log" 2>&1 || { cat "$work/update.log" >&2; exit 1; }
# --download-only against an empty status: the Depends closure, nothing
# installed anywhere, every file verified by apt before it is kept.
apt-get -q -y --download-only install redis-server redis-tools busybox >"$work/get.log" 2>&1 ||
  { cat "$work/get.log" >&2; exit 1; }
for deb in "$apt"/cache/archives/*.deb; do
  dpkg-deb -x "$deb" "$full"
done

# inroot PATH prints PATH resolved inside the tree as chroot would: symlinks
# (absolute ones too) are followed within $full, never out to the host.
inroot() {
  local rest=${1#/} out= comp target hops=0
  while [ -n "$rest" ]; do
    comp=${rest%%/*}
    if [ "$comp" = "$rest" ]; then rest=; else rest=${rest#*/}; fi
    case $comp in
    '' | .) continue ;;
    ..) out=${out%/*}; continue ;;
    esac
    if [ -L "$full$out/$comp" ]; then
      hops=$((hops + 1))
      [ $hops -le 40 ] || { echo "rootfs.sh: symlink loop at $1" >&2; return 1; }
      target=$(readlink "$full$out/$comp")
      case $target in /*) out= ;; esac
      rest=${target#/}${rest:+/$rest}
    else
      out=$out/$comp
    fi
  done
  printf '%s\n' "${out:-/}"
}

# The tree's loader lists each binary's libraries (recursively) as the image
# will find them: no ld.so.cache, the multiarch and default directories.
loader=$full$(inroot /lib64/ld-linux-x86-64.so.2)
libpath=
for d in /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu /lib /usr/lib; do
  libpath=$libpath${libpath:+:}$full$d
done

bins=(/usr/bin/redis-check-rdb /usr/bin/redis-cli /bin/busybox)
rm -rf "$dest"
mkdir -p "$dest"
for b in "${bins[@]}"; do
  mkdir -p "$dest$(dirname "$b")"
  cp "$full$(inroot "$b")" "$dest$b"
  "$loader" --inhibit-cache --library-path "$libpath" --list "$full$(inroot "$b")" >"$work/libs" ||
    { echo "rootfs.sh: the loader cannot list $b's libraries" >&2; exit 1; }
  # The interpreter is listed by the name the binaries give it (/lib64/…).
  awk '$1 ~ /^\// { print $1; next } $2 == "=>" && $3 ~ /^\// { print $3 }' "$work/libs"
done | sort -u | while read -r lib; do
  case $lib in
  "$full"/*) lib=${lib#"$full"} ;;
  /lib64/*) ;;
  *) echo "rootfs.sh: $lib resolved outside the Debian tree" >&2; exit 1 ;;
  esac
  mkdir -p "$dest$(dirname "$lib")"
  cp "$full$(inroot "$lib")" "$dest$lib"
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
# Modes here; owners in build.sh's tar stream (root, and redis for the two
# volumes), so this needs no root. A fresh named volume copies both from the
# image. /run/redis is always a tmpfs: Compose mounts it for user redis
# (0700); Swarm cannot give a tmpfs an owner or a mode and copies the mode
# of the folder it covers, so that is 1777 (sticky, like /tmp).
chmod 0750 "$dest/var/lib/redis"
chmod 1777 "$dest/run/redis"
chmod 0755 "$dest/var/log/redis"
