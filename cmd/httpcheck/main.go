// Command httpcheck is the HEALTHCHECK of images without a shell or curl
// (the log store): `httpcheck URL` exits 0 iff GET URL answers 200 within
// 2 seconds.
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
	if err := run(ctx, os.Args); err != nil {
		fmt.Fprintf(os.Stderr, "httpcheck: %v\n", err)
		os.Exit(1)
	}
}
