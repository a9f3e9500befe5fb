# appstack: see README.md. `make up` starts the stack, `make test` runs every test.
SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

GO       ?= go
BIN      := bin
GOBUILD  := CGO_ENABLED=0 $(GO) build -trimpath -ldflags='-s -w'

.PHONY: help build test test-unit test-e2e fuzz bench-web bench-logship images up down clean

help:
	@echo 'make up          build the images (offline) and start the stack'
	@echo 'make test        run every test: unit, integration, interop and e2e'
	@echo 'make down        stop the stack, keep its volumes'
	@echo 'make clean       stop the stack, remove its volumes and secrets'
	@echo 'make images      build every image offline (idempotent)'
	@echo 'make bench-web   benchmark webapp against the seed Node app'
	@echo 'make bench-logship  benchmark logship against rsyslog imfile'
	@echo 'make fuzz        run every fuzz target for FUZZTIME (default 30s each)'

build:
	$(GOBUILD) -o $(BIN)/ ./cmd/...

test: test-unit test-e2e

test-unit:
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 15m ./...

test-e2e: images
	$(GO) test -tags e2e -count=1 -timeout 25m -v ./e2e/...

FUZZTIME ?= 30s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$f"; \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

bench-web:
	$(GO) run ./cmd/bench-web

bench-logship:
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
images:
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

up: images
	images/secrets.sh $(SECRETS_DIR)
	$(COMPOSE) up -d --remove-orphans
	images/wait-healthy.sh $(UP_TIMEOUT) $(COMPOSE)
	@echo
	@echo "appstack ($(TOPOLOGY) topology, project $(PROJECT)) is up: http://localhost:$(WEBAPP_PORT)/"
	@echo "logship's events:  $(UP_ENV)$(COMPOSE) -p $(PROJECT) logs -f logship"
	@echo "a Redis shell:     $(UP_ENV)$(COMPOSE) -p $(PROJECT) exec redis_primary redis-cli"

down:
	$(COMPOSE) down --remove-orphans

clean:
	$(COMPOSE) down -v --remove-orphans
	rm -rf $(SECRETS_DIR) $(STAGE) $(BIN)
