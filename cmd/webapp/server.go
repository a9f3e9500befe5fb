package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	goredis "github.com/redis/go-redis/v9"

	"github.com/appstack/appstack/internal/accesslog"
	"github.com/appstack/appstack/internal/redisconn"
	"github.com/appstack/appstack/internal/session"
	sessionredis "github.com/appstack/appstack/internal/session/redis"
	"github.com/appstack/appstack/internal/web"
)

// server is webapp running: open builds and wires its parts and listens,
// serve answers requests until ctx is done and then shuts down, close
// releases what open took.
type server struct {
	cfg     config
	log     *slog.Logger
	logFile *accesslog.File
	rdb     *goredis.Client
	store   *sessionredis.Store
	http    *web.Server
}

// open builds webapp from cfg and listens on its port, so that a port in
// use fails here. On error it has released what it took.
func open(cfg config, log *slog.Logger) (_ *server, err error) {
	s := &server{cfg: cfg, log: log}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	signer, err := session.NewSigner(cfg.Secrets...)
	if err != nil {
		return nil, fmt.Errorf("session secrets: %w", err)
	}
	s.logFile, err = accesslog.Open(cfg.LogFile, accesslog.Hooks{
		Error: func(err error) { log.Error("access log", "err", err) },
		DropStart: func(err error) {
			log.Error("access log: dropping the oldest lines until writes work again", "path", cfg.LogFile, "err", err)
		},
		DropEnd: func(lines, bytes uint64) {
			log.Warn("access log: writing again after dropping lines", "path", cfg.LogFile, "lines", lines, "bytes", bytes)
		},
	})
	if err != nil {
		return nil, fmt.Errorf("access log: %w", err)
	}
	s.rdb = redisconn.New(redisconn.Config{
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
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		redisconn.NewPoolCollector(s.rdb),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "webapp_access_log_dropped_lines_total",
			Help: "Access log lines lost: the oldest beyond what a failing log file may buffer, or written after it closed.",
		}, func() float64 { lines, _ := s.logFile.Dropped(); return float64(lines) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "webapp_access_log_dropped_bytes_total",
			Help: "Bytes of the access log lines lost.",
		}, func() float64 { _, bytes := s.logFile.Dropped(); return float64(bytes) }),
	)
	opt := cfg.storeOptions()
	opt.Registerer, opt.Log = reg, log
	s.store = sessionredis.New(s.rdb, opt)
	handler := web.NewHandler(web.Deps{
		Sessions:  &session.Manager{Store: s.store, Signer: signer},
		Ready:     s.store,
		Registry:  reg,
		AccessLog: s.logFile,
		Log:       log,
	})
	if s.http, err = web.Listen(":"+cfg.HTTPPort, handler, log); err != nil {
		return nil, err
	}
	return s, nil
}

// serve answers requests until ctx is done, then shuts down: see
// shutdown. SIGHUP reopens the access log meanwhile (logrotate renamed
// it). stdout gets the seed app's startup line.
func (s *server) serve(ctx context.Context, stdout io.Writer) error {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer func() {
		signal.Stop(hup)
		close(hup)
	}()
	go func() {
		for range hup {
			if err := s.logFile.Reopen(); err != nil {
				s.log.Error("reopen access log", "err", err)
				continue
			}
			s.log.Info("reopened access log", "path", s.cfg.LogFile)
		}
	}()

	served := make(chan error, 1)
	go func() { served <- s.http.Serve() }()
	s.log.Info("listening", "addr", s.http.Addr().String(), "redis", s.cfg.describeRedis(),
		"wait_replicas", s.cfg.describeWait(), "retry_budget", s.cfg.RetryBudget.String(), "session_max_bytes", s.cfg.SessionMax)
	// The seed app's startup line; with HTTP_PORT=0 it names the port chosen.
	fmt.Fprintf(stdout, "Listening on port %d\n", s.http.Addr().Port)

	select {
	case err := <-served:
		return errors.Join(errors.New("server stopped unasked"), err)
	case <-ctx.Done():
	}
	return s.shutdown(served)
}

// shutdown stops accepting and drains the requests in flight, for up to
// ShutdownTimeout: Redis retries stop early enough that a request on a
// dead Redis is still answered within it. A second SIGTERM or SIGINT cuts
// the drain short.
func (s *server) shutdown(served <-chan error) error {
	force := make(chan os.Signal, 1)
	signal.Notify(force, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(force)
	s.log.Info("shutting down", "timeout", s.cfg.ShutdownTimeout.String())
	deadline := time.Now().Add(s.cfg.ShutdownTimeout)
	// The last retry must leave a request time for its load and save
	// attempts, as the store bounds them, and its answer.
	s.store.RetryUntil(deadline.Add(-s.store.Bounds().Request() - time.Second))
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	drained := make(chan error, 1)
	go func() { drained <- s.http.Shutdown(ctx) }()
	select {
	case err := <-drained:
		if err != nil {
			s.log.Warn("shutdown: in-flight requests cut off", "err", err)
			_ = s.http.Close()
		}
	case sig := <-force:
		s.log.Warn("second signal: exiting without draining", "signal", sig.String())
		_ = s.http.Close()
		// Write out what is logged before close waits for the store's
		// pipelines.
		if err := s.logFile.Close(); err != nil {
			s.log.Error("close access log", "err", err)
		}
		return fmt.Errorf("second signal (%s) during shutdown: in-flight requests cut off", sig)
	}
	if err := <-served; err != nil {
		return err
	}
	s.log.Info("stopped")
	return nil
}

// close releases what open took, in order: the store's pipelines before
// the client they use, the access log last.
func (s *server) close() {
	if s.store != nil {
		s.store.Close()
	}
	if s.rdb != nil {
		_ = s.rdb.Close()
	}
	if s.logFile != nil {
		if err := s.logFile.Close(); err != nil {
			s.log.Error("close access log", "err", err)
		}
		if lines, bytes := s.logFile.Dropped(); lines > 0 {
			s.log.Warn("access log lines dropped", "lines", lines, "bytes", bytes)
		}
	}
}
