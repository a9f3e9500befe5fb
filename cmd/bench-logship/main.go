// Command bench-logship measures logship against rsyslog's imfile →
// omfile on the same 1M Express access-log lines, in one run, then the
// same lines into VictoriaLogs (logship's elasticsearch output against
// rsyslog's omelasticsearch, interleaved rounds), and logship's
// append→emit latency at a steady rate. It prints Markdown.
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
		fmt.Fprintf(os.Stderr, "bench-logship: %v\n", err)
		os.Exit(1)
	}
}
