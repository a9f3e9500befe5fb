#!/usr/bin/env bash
# Builds the Compose v2 CLI plugin from the Go module proxy and installs it
# for the docker CLI. Debian bookworm packages only docker-compose 1.29, and
# the stack is tested with both. `go install` refuses the module (its go.mod
# has exclude directives), so build it as the main module.
set -euo pipefail
version=${COMPOSE_V2_VERSION:-v2.40.3}
dest=${DOCKER_CLI_PLUGINS:-/usr/local/lib/docker/cli-plugins}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

dir=$(GOFLAGS=-mod=mod go mod download -json "github.com/docker/compose/v2@$version" |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
cp -r "$dir" "$work/src"
chmod -R u+w "$work/src"
(cd "$work/src" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -o "$work/docker-compose" ./cmd)
mkdir -p "$dest"
install -m 0755 "$work/docker-compose" "$dest/docker-compose"
docker compose version
