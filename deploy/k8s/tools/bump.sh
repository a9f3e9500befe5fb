#!/usr/bin/env bash
# bump.sh vX.Y.Z: points this module at another k8s.io/kubernetes release.
# k8s.io/kubernetes's own go.mod replaces its staging modules (k8s.io/api,
# k8s.io/client-go...) with folders its published zip does not contain; a
# module that requires it must repeat each of those replace lines with the
# published version of the staging module, v0.Y.Z for Kubernetes v1.Y.Z.
# Then run `make k8s-schemas` (the schemas follow the version) and
# `make test-k8s`.
set -euo pipefail
v=${1:?usage: bump.sh vX.Y.Z}
cd "$(dirname "$0")"
staging=v0.${v#v1.}
upstream=$(go mod download -json "k8s.io/kubernetes@$v" | sed -n 's/^\t"GoMod": "\(.*\)",$/\1/p')
[ -s "$upstream" ] || { echo "bump.sh: no go.mod for k8s.io/kubernetes@$v" >&2; exit 1; }
# Our replace block, rewritten from upstream's.
sed -i '/^replace (/,/^)/d; /^replace /d' go.mod
{
  echo 'replace ('
  sed -n "s|^\t\(k8s\.io/[^ ]*\) => \./staging/.*|\t\1 => \1 $staging|p" "$upstream"
  echo ')'
} >>go.mod
go mod edit -require="k8s.io/kubernetes@$v"
go mod tidy
echo "deploy/k8s/tools now builds Kubernetes $v (staging modules $staging)"
