#!/usr/bin/env bash
# swarm-down.sh STACK: removes the stack (its services, networks and Swarm
# secrets) and leaves the Swarm as swarm-up.sh found it: the placement
# labels swarm-up.sh added are removed, and a Swarm that swarm-up.sh created
# is left again, unless other services or nodes use it by now. Volumes stay
# on each node, as with `make down`; on a node:
#   docker volume rm $(docker volume ls -q --filter label=com.docker.stack.namespace=STACK)
set -euo pipefail
stack=${1:?usage: swarm-down.sh STACK}

if [ "$(docker info -f '{{.Swarm.LocalNodeState}}')" != active ]; then
  echo "swarm-down: this engine is in no Swarm: nothing to do"
  exit 0
fi

if [ -n "$(docker stack services -q "$stack" 2>/dev/null)" ]; then
  docker stack rm "$stack" >/dev/null
fi
# docker stack rm returns at once; its containers stop within their grace
# period (webapp drains up to 25 s) and the network goes after them.
gone() {
  [ -z "$(docker service ls -q --filter "label=com.docker.stack.namespace=$stack")" ] &&
    [ -z "$(docker ps -aq --filter "label=com.docker.stack.namespace=$stack")" ] &&
    [ -z "$(docker network ls -q --filter "label=com.docker.stack.namespace=$stack")" ]
}
for _ in $(seq 1 60); do
  gone && break
  sleep 1
done
gone || { echo "swarm-down: stack $stack still being removed after 60 s: docker stack ps $stack" >&2; exit 1; }
echo "swarm-down: stack $stack removed (volumes kept)"

for node in $(docker node ls -q); do
  if [ "$(docker node inspect -f '{{index .Spec.Labels "appstack.labels"}}' "$node")" = swarm-up ]; then
    for key in appstack.redis1 appstack.redis2 appstack.redis3 appstack.logstore appstack.labels; do
      [ -z "$(docker node inspect -f "{{index .Spec.Labels \"$key\"}}" "$node")" ] ||
        docker node update --label-rm "$key" "$node" >/dev/null
    done
  fi
done

if [ "$(docker node inspect -f '{{index .Spec.Labels "appstack.swarm-init"}}' self)" = true ]; then
  if [ -z "$(docker service ls -q)" ] && [ "$(docker node ls -q | wc -l)" -eq 1 ]; then
    docker swarm leave --force >/dev/null
    echo "swarm-down: left the single-node Swarm that make swarm-up created"
  else
    docker node update --label-rm appstack.swarm-init "$(docker info -f '{{.Swarm.NodeID}}')" >/dev/null
    echo "swarm-down: kept the Swarm make swarm-up created: it has other services or nodes now"
  fi
fi
