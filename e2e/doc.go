// Package e2e tests the whole stack on the real Docker engine: the images
// that `make images` builds, started with the repository's compose files by
// docker-compose 1.29 or `docker compose` v2.
//
// The tests carry the build tag e2e and run with `make test-e2e` (part of
// `make test`), which builds the images first. Each test starts its own
// compose project (unique name, free port, fresh secrets) with StartStack
// and always tears it down, volumes included.
//
// The helpers are meant for every e2e test, fault tests included: Stack
// runs compose and docker against one project (Compose, Exec, RedisCLI,
// Kill, WaitHealthy), HTTP requests go through its published port (Get),
// logship's output is parsed from rubydebug (Events, FollowEvents), and
// Load keeps a steady stream of session requests going while a test breaks
// something, recording every answer. The fault tests (fault_test.go) also
// cut a container off the network (Disconnect), read what the Sentinels
// and webapp logged (SentinelEvents, Diagnostics) and look for sessions
// inside Redis (MissingKeys).
//
// The Swarm tests (swarm_test.go, `make test-swarm`) deploy
// deploy/swarm/appstack.yaml with `make swarm-up` on a multi-node Swarm
// built on this machine (internal/swarmtest): SwarmStack runs make and
// docker against it, and a Balancer spreads a Load over its nodes
// (StartLoadOn), as the load balancer in front of a Swarm would.
package e2e
