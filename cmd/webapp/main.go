// Command webapp is the Go web tier of appstack: a byte-for-byte drop-in for
// the seed's Express app, keeping connect's sessions in Redis.
//
// Usage:
//
//	webapp              serve HTTP on $HTTP_PORT
//	webapp healthcheck  exit 0 iff GET /readyz on 127.0.0.1:$HTTP_PORT answers 200 within 2 s
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/redis/go-redis/v9"

	"github.com/appstack/appstack/internal/redisconn"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// go-redis logs through one process-wide logger; make its lines JSON
	// on stderr like ours.
	redis.SetLogger(redisconn.Logger{Log: slog.New(slog.NewJSONHandler(os.Stderr, nil))})
	if err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "webapp: %v\n", err)
		os.Exit(1)
	}
}
