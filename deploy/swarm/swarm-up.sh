#!/usr/bin/env bash
# swarm-up.sh STACK TIMEOUT: deploys deploy/swarm/appstack.yaml as STACK on
# the Swarm of the Docker engine the CLI talks to (DOCKER_HOST), then waits
# at most TIMEOUT seconds until every service runs all its tasks and webapp
# acknowledges a new session (which needs the primary and a replica).
#
# An engine in no Swarm is made a single-node Swarm (docker swarm init,
# SWARM_ADVERTISE_ADDR if it has several addresses); the node is labelled
# appstack.swarm-init so that swarm-down.sh leaves that Swarm again. When no
# node carries the placement labels (appstack.redis1..3, appstack.logstore),
# they are spread over the ready nodes and marked appstack.labels=swarm-up,
# for swarm-down.sh to remove. webapp runs min(3, nodes) tasks unless
# WEBAPP_REPLICAS is set; WEBAPP_ROUTING_MESH=yes publishes it through the
# routing mesh (needs IPVS) with start-first updates.
# Without APPSTACK_REGISTRY the images are this engine's own
# (--resolve-image never); with it, every node pulls them from there.
set -euo pipefail
stack=${1:?usage: swarm-up.sh STACK TIMEOUT}
timeout=${2:?usage: swarm-up.sh STACK TIMEOUT}
here=$(cd "$(dirname "$0")" && pwd)
deadline=$((SECONDS + timeout))

case $(docker info -f '{{.Swarm.LocalNodeState}}') in
inactive)
  echo "swarm-up: this engine is in no Swarm: docker swarm init (make swarm-down leaves it again)"
  docker swarm init ${SWARM_ADVERTISE_ADDR:+--advertise-addr "$SWARM_ADVERTISE_ADDR"} >/dev/null
  docker node update --label-add appstack.swarm-init=true "$(docker info -f '{{.Swarm.NodeID}}')" >/dev/null
  ;;
active)
  [ "$(docker info -f '{{.Swarm.ControlAvailable}}')" = true ] ||
    { echo "swarm-up: this engine is a Swarm worker: run it against a manager (DOCKER_HOST)" >&2; exit 1; }
  ;;
*)
  echo "swarm-up: this engine's Swarm is $(docker info -f '{{.Swarm.LocalNodeState}}'): wait, or docker swarm leave" >&2
  exit 1
  ;;
esac

# Placement labels: the user's, or spread here over the ready nodes: the
# three Redis slots on nodes 1, 2, 3 (modulo their number), the log store
# with the third.
mapfile -t nodes < <(docker node ls --format '{{.ID}} {{.Hostname}} {{.Status}}' | awk '$3 == "Ready" { print $2, $1 }' | sort | cut -d' ' -f2)
placement=(appstack.redis1 appstack.redis2 appstack.redis3 appstack.logstore)
slots=(0 1 2 2)
labels() {
  docker node inspect -f '{{range $k, $v := .Spec.Labels}}{{$k}}={{$v}} {{end}}' "${nodes[@]}" | tr ' ' '\n'
}
have=$(labels | grep -c -x -F -f <(printf '%s=true\n' "${placement[@]}") || true)
if [ "$have" -eq 0 ]; then
  for i in "${!placement[@]}"; do
    node=${nodes[$((slots[i] % ${#nodes[@]}))]}
    docker node update --label-add "${placement[i]}=true" --label-add appstack.labels=swarm-up "$node" >/dev/null
  done
  echo "swarm-up: labelled ${#nodes[@]} node(s) ${placement[*]} (where the Redis nodes, Sentinels and the log store run)"
else
  for l in "${placement[@]}"; do
    labels | grep -x "$l=true" >/dev/null ||
      { echo "swarm-up: no ready node has the label $l=true (docker node update --label-add $l=true NODE)" >&2; exit 1; }
  done
fi

export WEBAPP_REPLICAS=${WEBAPP_REPLICAS:-$((${#nodes[@]} < 3 ? ${#nodes[@]} : 3))}
if [ "${WEBAPP_ROUTING_MESH:-}" = yes ]; then
  # Needs IPVS in the kernel (/proc/net/ip_vs); webapp on a virtual IP.
  export WEBAPP_ENDPOINT_MODE=vip WEBAPP_PORT_MODE=ingress WEBAPP_UPDATE_ORDER=start-first
fi
resolve=never
[ -z "${APPSTACK_REGISTRY:-}" ] || resolve=always
if ! out=$(docker stack deploy --prune --resolve-image "$resolve" ${APPSTACK_REGISTRY:+--with-registry-auth} \
  -c "$here/appstack.yaml" "$stack" 2>&1); then
  echo "$out" >&2
  exit 1
fi

# Converged: every service runs as many tasks as it wants (Swarm counts a
# task with a healthcheck only once it is healthy).
converged() {
  local out
  out=$(docker stack services "$stack" --format '{{.Replicas}}') || return 1
  [ -n "$out" ] && ! grep -v -E '^([0-9]+)/\1( |$)' <<<"$out" >/dev/null
}

# new_session ADDR PORT: GET / answers 200 with a new connect.sid.
new_session() {
  local reply
  reply=$(timeout 5 bash -c 'exec 3<>"/dev/tcp/$1/$2" && printf "GET / HTTP/1.1\r\nHost: appstack\r\nConnection: close\r\n\r\n" >&3 && cat <&3' _ "$1" "$2" 2>/dev/null) || return 1
  grep -q '^HTTP/1.1 200' <<<"$reply" && grep -q -i '^Set-Cookie: connect.sid=' <<<"$reply"
}

port=${WEBAPP_PORT:-3000}
while :; do
  if converged; then
    # The node of a running webapp task, at the address Swarm knows it by
    # (by ID: hostnames need not be unique).
    node=$(docker inspect -f '{{.Status.State}} {{.NodeID}}' $(docker service ps -q --filter desired-state=running "${stack}_webapp") |
      awk '$1 == "running" { print $2; exit }')
    addr=$([ -z "$node" ] || docker node inspect -f '{{.Status.Addr}}' "$node")
    if [ -n "$addr" ] && new_session "$addr" "$port"; then
      echo "swarm-up: stack $stack converged; http://$addr:$port/ acknowledged a new session after ${SECONDS}s"
      exit 0
    fi
  fi
  if [ $SECONDS -ge $deadline ]; then
    echo "swarm-up: stack $stack not ready after ${timeout}s:" >&2
    docker stack services "$stack" >&2 || true
    docker stack ps "$stack" --no-trunc --filter desired-state=running \
      --format '{{.Name}} on {{.Node}}: {{.CurrentState}} {{.Error}}' >&2 || true
    for svc in $(docker stack services "$stack" --format '{{.Name}} {{.Replicas}}' | awk '{ split($2, r, "/"); if (r[1] != r[2]) print $1 }'); do
      docker service logs --tail 20 "$svc" >&2 2>&1 || true
    done
    exit 1
  fi
  sleep 2
done
