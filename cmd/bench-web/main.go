// Command bench-web benchmarks webapp against the seed's Node app, side by
// side in one run: it starts a Redis primary and a replica (so WAIT has
// something to wait for), the Node app and webapp (built from source) on
// them, and runs wrk against each app in turn for the scenarios below. It
// prints a Markdown table of throughput and latency, the ratios to Node,
// and webapp's peak RSS.
//
// Usage (from the repository root; make bench-web):
//
//	go run ./cmd/bench-web [-d 10s] [-c 32] [-t 1]
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "bench-web: %v\n", err)
		os.Exit(1)
	}
}
