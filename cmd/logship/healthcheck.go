package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"
)

// healthcheckTimeout bounds the whole probe, as the contract asks (2 s).
const healthcheckTimeout = 2 * time.Second

// healthcheck is the image's HEALTHCHECK: it needs no shell and no curl. It
// succeeds iff GET /healthz on the local API port answers 200.
func healthcheck(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("logship healthcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	host := fs.String("http.host", "127.0.0.1", "host of the logship API")
	port := fs.Int("http.port", defaultHTTPPort, "port of the logship API")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, healthcheckTimeout)
	defer cancel()
	url := "http://" + net.JoinHostPort(*host, strconv.Itoa(*port)) + "/healthz"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	// An own client: no shared state, and a timeout even without ctx.
	client := &http.Client{Timeout: healthcheckTimeout}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %s", url, resp.Status)
	}
	return nil
}
