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

# Stack targets (images, up, down, clean) are defined below.
