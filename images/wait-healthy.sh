#!/usr/bin/env bash
# wait-healthy.sh TIMEOUT COMPOSE...: waits until every service of the
# compose project has a running, healthy container (each image has a
# HEALTHCHECK), polling once a second for at most TIMEOUT seconds. On
# failure it prints each container's state and the last logs of the bad ones.
set -euo pipefail
timeout=${1:?usage: wait-healthy.sh TIMEOUT COMPOSE...}
shift
compose=("$@")
deadline=$((SECONDS + timeout))
want=$("${compose[@]}" config --services | wc -l)

states() {
  local ids
  ids=$("${compose[@]}" ps -q)
  [ -z "$ids" ] || docker inspect -f '{{index .Config.Labels "com.docker.compose.service"}} {{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' $ids
}

while :; do
  s=$(states)
  healthy=$(grep -c ' healthy$' <<<"$s" || true)
  if [ "$healthy" -eq "$want" ]; then
    echo "all $want services healthy after $((SECONDS))s"
    exit 0
  fi
  if grep -q -E ' (unhealthy|exited|dead)$' <<<"$s" || [ $SECONDS -ge $deadline ]; then
    echo "wait-healthy.sh: the stack is not healthy ($healthy of $want services):" >&2
    echo "$s" >&2
    for svc in $(grep -v ' healthy$' <<<"$s" | cut -d' ' -f1); do
      "${compose[@]}" logs --tail=20 "$svc" >&2 || true
    done
    exit 1
  fi
  sleep 1
done
