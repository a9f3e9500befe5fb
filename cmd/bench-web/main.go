// Command bench-web benchmarks webapp against the seed's Node app, side by
// side in one run: it starts a Redis primary and a replica (so WAIT has
// something to wait for), the Node app and webapp (built from source) on
// them, and runs wrk against each app in turn, for each scenario, in
// interleaved rounds. What it reports first is CPU time per request, of
// the app and of the Redis processes (from /proc/PID/stat), which does
// not depend on who won the shared cores; then req/s and latency. It
// prints medians with each round's figure, and checks them against the
// targets of issue 13.
//
// Usage (from the repository root; make bench-web):
//
//	go run ./cmd/bench-web [-rounds 5] [-d 5s] [-c 32] [-t 1] [-rate 2000]
//	    [-baseline DIR] [-variant 'name=DIR KEY=VALUE...'] [-node=false]
//
// -baseline builds webapp as it was from another checkout (for example
// git archive of an older commit), for the targets that compare with it;
// -variant adds any other build, with its own environment, to compare a
// change side by side.
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
