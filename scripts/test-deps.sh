#!/usr/bin/env bash
# Installs what `make test` needs beyond Docker, Go and make, once: the
# Debian packages below and the Compose v2 CLI plugin (built from the Go
# module proxy: Debian bookworm does not package it). As root with apt it
# installs what is missing; otherwise it says in one line what to install.
# (make bench-logship also wants rsyslog-elasticsearch; it says so itself.)
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v redis-server >/dev/null || need+=(redis-server)
command -v redis-cli >/dev/null || need+=(redis-tools)
command -v wrk >/dev/null || need+=(wrk)
command -v rsyslogd >/dev/null || need+=(rsyslog)
command -v ip >/dev/null || need+=(iproute2)
command -v node >/dev/null || need+=(nodejs)
compose_v2=yes
docker compose version >/dev/null 2>&1 || compose_v2=no

if [ ${#need[@]} -eq 0 ] && [ $compose_v2 = yes ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  what=${need[*]:+apt-get install ${need[*]}}
  if [ $compose_v2 = no ]; then
    what="${what:+$what; }the Compose v2 plugin (as root: images/compose-v2.sh)"
  fi
  echo "make test needs: $what" >&2
  exit 1
fi
if [ ${#need[@]} -gt 0 ]; then
  echo "make test: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q "${need[@]}"
fi
if [ $compose_v2 = no ]; then
  echo "make test: building the Compose v2 plugin" >&2
  ./images/compose-v2.sh
fi
