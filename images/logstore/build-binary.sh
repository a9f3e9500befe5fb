#!/usr/bin/env bash
# build-binary.sh OUT: builds victoria-logs, at the version pinned in
# images/logstore/version, into OUT (a static binary, CGO_ENABLED=0) with
# `go install` from the Go module proxy. Nothing is done when OUT exists:
# the Makefile names OUT after the version, so the cache is keyed by it.
# About 5 minutes on two cores with a cold Go cache; offline afterwards
# while the module cache holds the sources.
set -euo pipefail
out=${1:?usage: build-binary.sh OUT}
here=$(cd "$(dirname "$0")" && pwd)
version=$(cat "$here/version")
[ -x "$out" ] && exit 0
mkdir -p "$(dirname "$out")"
out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
gobin=$(mktemp -d "$(dirname "$out")/gobin.XXXXXX")
trap 'rm -rf "$gobin"' EXIT
echo "building victoria-logs $version (once; cached as $out)" >&2
CGO_ENABLED=0 GOBIN=$gobin nice "${GO:-go}" install -trimpath \
  -ldflags "-s -w -X github.com/VictoriaMetrics/VictoriaMetrics/lib/buildinfo.Version=victoria-logs-$version" \
  "github.com/VictoriaMetrics/VictoriaLogs/app/victoria-logs@$version"
mv "$gobin/victoria-logs" "$out"
