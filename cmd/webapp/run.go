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
		return err
	}
	logFile, err := accesslog.Open(cfg.LogFile, func(err error) {
		log.Error("access log", "err", err)
	})
	if err != nil {
		return fmt.Errorf("access log %s: %w", cfg.LogFile, err)
	}
	defer func() {
		if err := logFile.Close(); err != nil {
			log.Error("close access log", "err", err)
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
	log.Info("shutting down", "timeout", cfg.ShutdownTimeout.String())
	// A fresh context: ctx is already cancelled, and would drain nothing.
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("shutdown: in-flight requests cut off", "err", err)
		_ = srv.Close()
	}
	if err := <-serveErr; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	log.Info("stopped")
	return nil
}

// waitTimeout is how long a session write may block in WAIT.
func (c config) waitTimeout() time.Duration {
	if c.WaitReplicas == 0 {
		return 0
	}
	return c.WaitTimeout
}

func (c config) describeRedis() string {
	if len(c.Sentinels) > 0 {
		return fmt.Sprintf("sentinel master %q via %v", c.MasterName, c.Sentinels)
	}
	return c.RedisAddr
}
