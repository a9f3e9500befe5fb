package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
)

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 1 {
		switch args[1] {
		case "healthcheck":
			return healthcheck(ctx, or(getenv("HTTP_PORT"), defaultHTTPPort))
		default:
			return fmt.Errorf("unknown command %q (usage: webapp [healthcheck])", args[1])
		}
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	cfg, err := loadConfig(getenv)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	s, err := open(cfg, log)
	if err != nil {
		return err
	}
	defer s.close()
	return s.serve(ctx, stdout)
}
