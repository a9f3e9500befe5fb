# appstack: see README.md. `make up` starts the stack, `make test` runs every test.
SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

GO       ?= go
BIN      := bin
GOBUILD  := CGO_ENABLED=0 $(GO) build -trimpath -ldflags='-s -w'

# The log store, VictoriaLogs, at the version pinned in images/logstore/version:
# built once from the Go module proxy into .build/ (the name carries the
# version), then reused offline. Its tests find it in APPSTACK_VICTORIA_LOGS.
VLOGS_BIN := .build/logstore/victoria-logs-$(shell cat images/logstore/version)
export APPSTACK_VICTORIA_LOGS := $(abspath $(VLOGS_BIN))

# kubeconform, pinned, built once from the Go module proxy into .build/ (the
# path carries the version); the deploy/k8s tests find it in KUBECONFORM.
KUBECONFORM_VERSION := v0.8.0
KUBECONFORM_BIN := .build/kubeconform-$(KUBECONFORM_VERSION)/kubeconform
export KUBECONFORM := $(abspath $(KUBECONFORM_BIN))

.PHONY: help build test test-deps test-unit test-e2e fuzz bench-web bench-logship images up down clean victoria-logs

help:
	@echo 'make up          build the images (offline) and start the stack'
	@echo 'make test        run every test: unit, integration, interop and e2e'
	@echo 'make down        stop the stack, keep its volumes'
	@echo 'make clean       stop the stack, remove its volumes and secrets'
	@echo 'make images      build every image offline (idempotent)'
	@echo 'make bench-web   benchmark webapp against the seed Node app'
	@echo 'make bench-logship  benchmark logship against rsyslog (to a file, and into VictoriaLogs)'
	@echo 'make fuzz        run every fuzz target for FUZZTIME (default 30s each)'
	@echo 'make victoria-logs  build the log store (VictoriaLogs) once into .build/logstore/'
	@echo 'make test-k8s    deploy/k8s on a real API server with kwok nodes (opt-in; first build 10-40 min)'
	@echo 'make k8s-schemas regenerate deploy/k8s/schemas from the Kubernetes OpenAPI document'
	@echo 'make swarm-up     deploy the stack on the Docker Swarm of this engine (swarm init if in none), wait until ready'
	@echo 'make swarm-down   remove it; leave the Swarm as swarm-up found it'
	@echo 'make push         tag the images APPSTACK_REGISTRY=<registry>/ and push them, for a multi-node Swarm'
	@echo 'make test-swarm   the Swarm tests: a 3-node Swarm of dockerds in network namespaces (part of make test)'

build:
	$(GOBUILD) -o $(BIN)/ ./cmd/...

test: test-unit test-e2e test-swarm

# What the tests need beyond Docker, Go and make: installed as root through
# apt, else named in one line.
test-deps:
	@./scripts/test-deps.sh

test-unit: test-deps $(VLOGS_BIN) $(KUBECONFORM_BIN)
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 15m ./...

test-e2e: test-deps images
	$(GO) test -tags e2e -count=1 -timeout 25m -v -skip '^TestSwarm' ./e2e/...
	$(GO) test -tags e2e -count=1 -timeout 10m -v -run TestPodsOnDocker ./deploy/k8s/

FUZZTIME ?= 30s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$f"; \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

bench-web:
	$(GO) run ./cmd/bench-web $(BENCH_WEB_FLAGS)

bench-logship: $(VLOGS_BIN)
	$(GO) run ./cmd/bench-logship

# ---- The stack: images, up, down, clean -----------------------------------
# Compose reads .env (COMPOSE_FILE, COMPOSE_PROJECT_NAME); the environment
# and these variables override it.
COMPOSE      ?= docker-compose
TOPOLOGY     ?= ha
SECRETS_DIR  ?= secrets
UP_TIMEOUT   ?= 180
CA_CERTS     ?= /etc/ssl/certs/ca-certificates.crt
STAGE        := .build
PROJECT      := $(or $(COMPOSE_PROJECT_NAME),$(shell sed -n 's/^COMPOSE_PROJECT_NAME=//p' .env))
export COMPOSE_PROJECT_NAME := $(PROJECT)
export WEBAPP_PORT ?= 3000
export APPSTACK_SECRETS := $(abspath $(SECRETS_DIR))

# What a compose command typed after `make up` needs, beyond .env.
UP_ENV := $(if $(filter-out secrets,$(SECRETS_DIR)),APPSTACK_SECRETS=$(APPSTACK_SECRETS) )$(if $(filter seed,$(TOPOLOGY)),COMPOSE_FILE=compose.yaml )

ifeq ($(TOPOLOGY),seed)
up: export COMPOSE_FILE := compose.yaml
else ifeq ($(TOPOLOGY),ha)
up: export COMPOSE_FILE := compose.yaml:compose.ha.yaml
else
$(error TOPOLOGY=$(TOPOLOGY): want ha (Sentinel, the default) or seed)
endif

# Each image is rebuilt only when what it is built from changed (see
# images/build.sh); the Go binaries are rebuilt by go's own cache.
images: $(VLOGS_BIN)
	$(GOBUILD) -o $(STAGE)/bin/webapp ./cmd/webapp
	$(GOBUILD) -o $(STAGE)/bin/logship ./cmd/logship
	@test -s $(CA_CERTS) || { echo "CA_CERTS=$(CA_CERTS) is missing (apt-get install ca-certificates)" >&2; exit 1; }
	mkdir -p $(STAGE)/empty/nodeapp $(STAGE)/empty/data
	images/build.sh redis
	images/build.sh redis-primary
	images/build.sh redis-replica
	images/build.sh redis-sentinel
	images/build.sh webapp $(STAGE)/bin/webapp $(STAGE)/empty/nodeapp
	images/build.sh logship $(STAGE)/bin/logship $(STAGE)/empty/data $(CA_CERTS)
	$(GOBUILD) -o $(STAGE)/bin/httpcheck ./cmd/httpcheck
	install -m 0755 $(VLOGS_BIN) $(STAGE)/bin/victoria-logs
	images/build.sh logstore $(STAGE)/bin/victoria-logs $(STAGE)/bin/httpcheck $(STAGE)/empty/data

victoria-logs: $(VLOGS_BIN)
$(VLOGS_BIN):
	GO=$(GO) images/logstore/build-binary.sh $@

up: images
	images/secrets.sh $(SECRETS_DIR)
	$(COMPOSE) up -d --remove-orphans
	images/wait-healthy.sh $(UP_TIMEOUT) $(COMPOSE)
	@echo
	@echo "appstack ($(TOPOLOGY) topology, project $(PROJECT)) is up: http://localhost:$(WEBAPP_PORT)/"
	@echo "logship's events:  $(UP_ENV)$(COMPOSE) -p $(PROJECT) logs -f logship"
	@echo "a Redis shell:     $(UP_ENV)$(COMPOSE) -p $(PROJECT) exec redis_primary redis-cli"
	@# The log store is not published: its address on the stack's network.
	@ip=$$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}' $$($(COMPOSE) ps -q logstore) | cut -d' ' -f1); \
	echo "the log store:     http://$$ip:9428/select/vmui/ from this host, user appstack, password in $(SECRETS_DIR)/logstore_password;"; \
	echo "                   from elsewhere: ssh -L 9428:$$ip:9428 $$(hostname), then http://localhost:9428/select/vmui/;"; \
	echo "                   LogsQL: curl -u appstack:\$$(cat $(SECRETS_DIR)/logstore_password) http://$$ip:9428/select/logsql/query -d 'query=_time:5m error'"

down:
	$(COMPOSE) down --remove-orphans

clean:
	$(COMPOSE) down -v --remove-orphans
	rm -rf $(SECRETS_DIR) $(STAGE) $(BIN)

# ---- Kubernetes: deploy/k8s (README: Beyond one machine) --------------------
# The Kubernetes version is the k8s.io/kubernetes that deploy/k8s/tools/go.mod
# requires: the schemas kubeconform uses and the binaries of test-k8s come
# from it. Binaries are cached in .build/ under their versions.
K8S_TOOLS    := deploy/k8s/tools
K8S_VERSION   = $(shell sed -n 's/^[[:space:]]*k8s.io\/kubernetes \(v[^ ]*\).*/\1/p' $(K8S_TOOLS)/go.mod)
K8S_BIN       = .build/k8s/$(K8S_VERSION)
KWOK_VERSION := v0.8.0
KWOK_BIN     := .build/kwok-$(KWOK_VERSION)/kwok
K8S_KINDS    := v1/Namespace v1/ConfigMap v1/Service apps/v1/StatefulSet apps/v1/Deployment \
                policy/v1/PodDisruptionBudget networking.k8s.io/v1/NetworkPolicy

.PHONY: kubeconform k8s-schemas k8s-binaries test-k8s

kubeconform: $(KUBECONFORM_BIN)
$(KUBECONFORM_BIN):
	GOBIN=$(abspath $(dir $@)) CGO_ENABLED=0 $(GO) install -trimpath -ldflags='-s -w' github.com/yannh/kubeconform/cmd/kubeconform@$(KUBECONFORM_VERSION)

# The OpenAPI document ships in the k8s.io/kubernetes module (a 21 MB zip from
# the module proxy, no build): regenerate after changing its version.
k8s-schemas:
	spec=$$(cd $(K8S_TOOLS) && $(GO) mod download -json k8s.io/kubernetes | sed -n 's/^\t"Dir": "\(.*\)",$$/\1/p')/api/openapi-spec/swagger.json && \
	$(GO) run ./cmd/k8s-schemas -spec "$$spec" -out deploy/k8s/schemas/$(K8S_VERSION) $(K8S_KINDS)

# kube-apiserver, kube-scheduler and kube-controller-manager from their own
# module (deploy/k8s/tools); a cold build takes ~30 min on 2 cores.
k8s-binaries: $(KWOK_BIN)
	@test -x $(K8S_BIN)/kube-apiserver -a -x $(K8S_BIN)/kube-scheduler -a -x $(K8S_BIN)/kube-controller-manager || \
	{ cd $(K8S_TOOLS) && CGO_ENABLED=0 nice $(GO) build -trimpath -ldflags='-s -w' -o $(abspath $(K8S_BIN))/ \
	  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kube-controller-manager; }
$(KWOK_BIN):
	GOBIN=$(abspath $(dir $@)) CGO_ENABLED=0 $(GO) install -trimpath -ldflags='-s -w' sigs.k8s.io/kwok/cmd/kwok@$(KWOK_VERSION)

test-k8s: k8s-binaries $(KUBECONFORM_BIN)
	@command -v etcd >/dev/null || { echo 'test-k8s needs etcd: apt-get install etcd-server' >&2; exit 1; }
	K8S_BIN=$(abspath $(K8S_BIN)) KWOK=$(abspath $(KWOK_BIN)) KWOK_STAGES=$$($(GO) env GOMODCACHE)/sigs.k8s.io/kwok@$(KWOK_VERSION)/kustomize/stage \
	  $(GO) test -tags k8s -count=1 -timeout 30m -v -run 'TestOnAPIServer|TestSchemasAreGenerated' ./deploy/k8s/

# ---- Docker Swarm: deploy/swarm/appstack.yaml (README, "Beyond one machine") ----
# APPSTACK_REGISTRY=<registry>/ (with the slash) prefixes the image names:
# `make images` tags every image with it too, `make push` pushes them, and
# swarm-up has every node pull them from there. Without it the images are
# the engine's own (a single-node Swarm, or images copied to each node).
SWARM_STACK      ?= appstack
SWARM_UP_TIMEOUT ?= 300
export APPSTACK_REGISTRY ?=
export APPSTACK_TAG      ?= latest
ifneq ($(APPSTACK_REGISTRY),)
ifneq ($(patsubst %/,,$(APPSTACK_REGISTRY)),)
$(error APPSTACK_REGISTRY=$(APPSTACK_REGISTRY): end it with a slash, as in <registry>/)
endif
endif
SWARM_IMAGES := redis-primary redis-replica redis-sentinel webapp logship

.PHONY: swarm-up swarm-down push test-swarm

# With a registry, the images were built and pushed beforehand (make push):
# the engine swarm-up talks to need not be the one that builds.
swarm-up: $(if $(APPSTACK_REGISTRY),,images)
	images/secrets.sh $(SECRETS_DIR)
	deploy/swarm/swarm-up.sh $(SWARM_STACK) $(SWARM_UP_TIMEOUT)

swarm-down:
	deploy/swarm/swarm-down.sh $(SWARM_STACK)

push: images
	@test -n "$(APPSTACK_REGISTRY)" || { echo 'make push needs APPSTACK_REGISTRY=<registry>/' >&2; exit 1; }
	for n in $(SWARM_IMAGES); do docker push "$(APPSTACK_REGISTRY)appstack/$$n:$(APPSTACK_TAG)"; done

test-swarm: test-deps images
	$(GO) test -tags e2e -count=1 -timeout 30m -v -run '^TestSwarm' ./e2e/...
