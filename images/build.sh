#!/usr/bin/env bash
# build.sh NAME [FILE...]: builds appstack/NAME:latest from images/NAME, with
# FILEs (build outputs such as a static binary) added to its build context.
#
# Idempotent: the image carries a label with the SHA-256 of everything it is
# built from (the context's files and modes, the FROM image's ID, and for the
# base the host's Debian sources); when the image already has that label,
# nothing is built. The Redis base (NAME=redis) is a Debian rootfs imported
# with `docker import`; every other image is a Dockerfile for the legacy
# builder, which takes FROM from local images and never pulls.
set -euo pipefail
name=${1:?usage: build.sh NAME [FILE...]}
shift
root=$(cd "$(dirname "$0")/.." && pwd)
src=$root/images/$name
stage=$root/.build/images/$name
tag=appstack/$name:latest
label=appstack.input

[ -d "$src" ] || { echo "build.sh: no such image folder $src" >&2; exit 1; }
rm -rf "$stage"
mkdir -p "$stage"

# Context hash: names, modes and contents of every file, in a stable order.
tree_hash() {
  (cd "$1" && find . -type f -printf '%p %m\n' | LC_ALL=C sort &&
    find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum) | sha256sum | cut -d' ' -f1
}

current_label() {
  docker image inspect -f "{{ index .Config.Labels \"$label\" }}" "$tag" 2>/dev/null || true
}

# registry_tag also names the image for the user's registry, when
# APPSTACK_REGISTRY (<registry>/) is set: `make push` pushes that name.
registry_tag() {
  [ -z "${APPSTACK_REGISTRY:-}" ] || docker tag "$tag" "${APPSTACK_REGISTRY}appstack/$name:${APPSTACK_TAG:-latest}"
}

up_to_date() {
  echo "$tag is up to date"
  registry_tag
  exit 0
}

# finish removes the image this build replaced, if nothing else uses it.
finish() {
  local old=$1 new
  new=$(docker image inspect -f '{{.Id}}' "$tag")
  if [ -n "$old" ] && [ "$old" != "$new" ]; then
    docker image rm "$old" >/dev/null 2>&1 || true
  fi
  printf 'built %s (%s)\n' "$tag" "$(docker image inspect -f '{{.Size}}' "$tag" | numfmt --to=iec)"
  registry_tag
}

old_id=$(docker image inspect -f '{{.Id}}' "$tag" 2>/dev/null || true)

if [ "$name" = redis ]; then
  # Overlay: the shared scripts and configs every Redis role runs with.
  for f in webapp.acl webapp-sentinel.acl; do
    [ -f "$src/$f" ] || { echo "build.sh: $src/$f is missing (ACL rules of the webapp's Redis users)" >&2; exit 1; }
  done
  install -D -m 0644 "$src/redis.conf" "$stage/overlay/etc/redis/redis.conf"
  install -D -m 0644 "$src/webapp.acl" "$stage/overlay/etc/redis/acl/webapp.acl"
  install -D -m 0644 "$src/webapp-sentinel.acl" "$stage/overlay/etc/redis/acl/webapp-sentinel.acl"
  install -D -m 0644 "$src/appstack.sh" "$stage/overlay/usr/local/lib/appstack.sh"
  for f in redis-cli redis-entrypoint redis-healthcheck; do
    install -D -m 0755 "$src/$f" "$stage/overlay/usr/local/bin/$f"
  done
  "$src/apt-sources.sh" "${DEBIAN_SUITE:-bookworm}" >"$stage/debian.sources"
  cp "$src/rootfs.sh" "$src/apt-sources.sh" "$stage/"
  hash=$(tree_hash "$stage")
  if [ "$(current_label)" = "$hash" ]; then
    up_to_date
  fi
  # The Debian part is the slow one (a download): keep it while its inputs
  # (the scripts and the sources) are unchanged.
  rootfs_hash=$(cat "$stage/rootfs.sh" "$stage/apt-sources.sh" "$stage/debian.sources" | sha256sum | cut -d' ' -f1)
  cache=$root/.build/redis-rootfs
  if [ "$(cat "$cache.hash" 2>/dev/null)" != "$rootfs_hash" ]; then
    rm -f "$cache.hash"
    "$src/rootfs.sh" "$cache"
    echo "$rootfs_hash" >"$cache.hash"
  fi
  cp -a "$cache" "$stage/rootfs"
  cp -a "$stage/overlay/." "$stage/rootfs/"
  # Owners are set here, not on disk (rootfs.sh needs no root): root owns
  # everything but the two volumes' folders, which are user redis's.
  owned=(./var/lib/redis ./var/log/redis)
  (cd "$stage/rootfs" && find . | LC_ALL=C sort | grep -v -x -F "${owned[@]/#/-e}" >"$stage/files")
  tar --numeric-owner --owner=0 --group=0 --no-recursion -C "$stage/rootfs" -cf "$stage/rootfs.tar" -T "$stage/files"
  tar --numeric-owner --owner=999 --group=999 --no-recursion -C "$stage/rootfs" -rf "$stage/rootfs.tar" "${owned[@]}"
  docker import \
      --change "LABEL $label=$hash" \
      --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
      --change 'USER 999:999' \
      --change 'WORKDIR /var/lib/redis' \
      --change 'VOLUME ["/var/lib/redis", "/var/log/redis"]' \
      --change 'EXPOSE 6379' \
      "$stage/rootfs.tar" "$tag" >/dev/null
  finish "$old_id"
  exit 0
fi

cp -a "$src/." "$stage/"
for f in "$@"; do
  cp -a "$f" "$stage/"
done
# FROM images are part of the input: a rebuilt base rebuilds what is on it.
from_ids=$(sed -n 's/^FROM[[:space:]]\{1,\}\([^[:space:]]*\).*/\1/p' "$stage/Dockerfile" |
  while read -r img; do
    [ "$img" = scratch ] || docker image inspect -f '{{.Id}}' "$img" ||
      { echo "build.sh: $tag needs $img: build it first" >&2; exit 1; }
  done)
hash=$( (tree_hash "$stage" && echo "$from_ids") | sha256sum | cut -d' ' -f1)
if [ "$(current_label)" = "$hash" ]; then
  up_to_date
fi
# The legacy builder warns that it is deprecated on every run: show its
# stderr only when the build fails.
if ! DOCKER_BUILDKIT=0 docker build --quiet --label "$label=$hash" -t "$tag" "$stage" >/dev/null 2>"$stage.log"; then
  cat "$stage.log" >&2
  exit 1
fi
finish "$old_id"
