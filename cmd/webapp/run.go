package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/appstack/appstack/internal/accesslog"
	"github.com/appstack/appstack/internal/redisconn"
	"github.com/appstack/appstack/internal/session"
	sessionredis "github.com/appstack/appstack/internal/session/redis"
	"github.com/appstack/appstack/internal/web"
)

// HTTP hardening. Node's default is a 16 KiB limit on the request line
// and headers; net/http allows MaxHeaderBytes plus 4 KiB.
const (
	readHeaderTimeout = 5 * time.Second
	maxHeaderBytes    = 16<<10 - 4<<10
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

	signer, err := session.NewSigner(cfg.Secrets...)
	if err != nil {
		return fmt.Errorf("session secrets: %w", err)
	}
	logFile, err := accesslog.Open(cfg.LogFile, func(err error) {
		log.Error("access log", "err", err)
	})
	if err != nil {
		return fmt.Errorf("access log: %w", err)
	}
	defer func() {
		if err := logFile.Close(); err != nil {
			log.Error("close access log", "err", err)
		}
		if lines, bytes := logFile.Dropped(); lines > 0 {
			log.Warn("access log lines dropped", "lines", lines, "bytes", bytes)
		}
	}()

	rdb := redisconn.New(redisconn.Config{
		Addr:             cfg.RedisAddr,
		DB:               cfg.RedisDB,
		Username:         cfg.RedisUsername,
		Password:         cfg.RedisPassword,
		Sentinels:        cfg.Sentinels,
		MasterName:       cfg.MasterName,
		SentinelUsername: cfg.SentinelUser,
		SentinelPassword: cfg.SentinelPass,
		Timeout:          cfg.RedisTimeout,
		WaitTimeout:      cfg.waitTimeout(),
	})
	defer rdb.Close()

	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		redisconn.NewPoolCollector(rdb),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "webapp_access_log_dropped_lines_total",
			Help: "Access log lines lost: the oldest beyond what a failing log file may buffer, or written after it closed.",
		}, func() float64 { lines, _ := logFile.Dropped(); return float64(lines) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "webapp_access_log_dropped_bytes_total",
			Help: "Bytes of the access log lines lost.",
		}, func() float64 { _, bytes := logFile.Dropped(); return float64(bytes) }),
	)
	store := sessionredis.New(rdb, sessionredis.Options{
		WaitReplicas:   cfg.WaitReplicas,
		WaitTimeout:    cfg.WaitTimeout,
		AttemptTimeout: cfg.RedisTimeout,
		RetryBudget:    cfg.RetryBudget,
		Registerer:     reg,
	})
	defer store.Close() // before the client, deferred earlier
	handler := web.NewServer(web.Deps{
		Sessions:  &session.Manager{Store: store, Signer: signer},
		Ready:     store,
		Registry:  reg,
		AccessLog: logFile,
		Log:       log,
	})

	l, err := net.Listen("tcp", ":"+cfg.HTTPPort)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readHeaderTimeout,
		// A request may retry Redis for the budget twice (load, then save).
		WriteTimeout:   2*(cfg.RetryBudget+cfg.RedisTimeout+cfg.waitTimeout()) + 5*time.Second,
		IdleTimeout:    web.IdleTimeout, // what the Keep-Alive header says
		MaxHeaderBytes: maxHeaderBytes,
		ErrorLog:       slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}

	// SIGHUP: logrotate has renamed the log file.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer func() {
		signal.Stop(hup)
		close(hup)
	}()
	go func() {
		for range hup {
			if err := logFile.Reopen(); err != nil {
				log.Error("reopen access log", "err", err)
				continue
			}
			log.Info("reopened access log", "path", cfg.LogFile)
		}
	}()

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(l) }()
	log.Info("listening", "addr", l.Addr().String(), "redis", cfg.describeRedis(),
		"wait_replicas", cfg.WaitReplicas, "retry_budget", cfg.RetryBudget.String())
	// The seed app's startup line; with HTTP_PORT=0 it names the port chosen.
	fmt.Fprintf(stdout, "Listening on port %d\n", l.Addr().(*net.TCPAddr).Port)

	select {
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	// A second SIGTERM or SIGINT cuts the drain short.
	force := make(chan os.Signal, 1)
	signal.Notify(force, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(force)
	log.Info("shutting down", "timeout", cfg.ShutdownTimeout.String())
	deadline := time.Now().Add(cfg.ShutdownTimeout)
	// Retries end in time for a request's last load and save attempts,
	// and its answer, so that a dead Redis cannot hold it past the deadline.
	store.RetryUntil(deadline.Add(-cfg.sessionAttempts() - time.Second))
	// A fresh context: ctx is already cancelled, and would drain nothing.
	sctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	drained := make(chan error, 1)
	go func() { drained <- srv.Shutdown(sctx) }()
	select {
	case err := <-drained:
		if err != nil {
			log.Warn("shutdown: in-flight requests cut off", "err", err)
			_ = srv.Close()
		}
	case sig := <-force:
		log.Warn("second signal: exiting without draining", "signal", sig.String())
		_ = srv.Close()
		// Write out what is logged before the deferred closes, which wait
		// for the store's pipelines.
		if err := logFile.Close(); err != nil {
			log.Error("close access log", "err", err)
		}
		return fmt.Errorf("second signal (%s) during shutdown: in-flight requests cut off", sig)
	}
	if err := <-serveErr; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	log.Info("stopped")
	return nil
}

func (c config) describeRedis() string {
	if len(c.Sentinels) > 0 {
		return fmt.Sprintf("sentinel master %q via %v", c.MasterName, c.Sentinels)
	}
	return c.RedisAddr
}
