package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// timeout bounds the whole probe, under the images' 3 s healthcheck timeout.
const timeout = 2 * time.Second

func run(ctx context.Context, args []string) error {
	if len(args) != 2 {
		return errors.New("usage: httpcheck URL")
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, args[1], nil)
	if err != nil {
		return err
	}
	// No proxy from the environment: the probe is for this container.
	client := &http.Client{Transport: &http.Transport{}, Timeout: timeout}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s", args[1], resp.Status)
	}
	return nil
}
