package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	goredis "github.com/redis/go-redis/v9"

	"github.com/appstack/appstack/internal/codec"
	fileIn "github.com/appstack/appstack/internal/input/file"
	"github.com/appstack/appstack/internal/lsconf"
	"github.com/appstack/appstack/internal/pipeline"
	"github.com/appstack/appstack/internal/registry"
	"github.com/appstack/appstack/internal/status"
)

const (
	defaultConfig   = "/etc/logstash.conf"
	defaultDataDir  = "/var/lib/logship"
	defaultHTTPPort = 9600 // Logstash's API port
	shutdownTimeout = 5 * time.Second
)

type options struct {
	configFile   string
	configString string
	testOnly     bool
	dataDir      string
	httpHost     string
	httpPort     int
	workers      int
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("logship", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: logship [-f PATH | -e CONFIG] [-t] [-w N] [--path.data DIR] [--http.host HOST] [--http.port PORT]\n"+
			"       logship healthcheck [--http.host HOST] [--http.port PORT]\n")
		fs.PrintDefaults()
	}
	for _, name := range []string{"f", "path.config"} {
		fs.StringVar(&o.configFile, name, defaultConfig, "pipeline config: a file, a directory of files, or a glob")
	}
	for _, name := range []string{"e", "config.string"} {
		fs.StringVar(&o.configString, name, "", "pipeline config given inline (overrides -f)")
	}
	for _, name := range []string{"t", "config.test_and_exit"} {
		fs.BoolVar(&o.testOnly, name, false, "check the config and exit: 0 if valid")
	}
	for _, name := range []string{"w", "pipeline.workers"} {
		fs.IntVar(&o.workers, name, runtime.GOMAXPROCS(0), "goroutines running the filters")
	}
	fs.StringVar(&o.dataDir, "path.data", defaultDataDir, "directory of the offsets registry")
	fs.StringVar(&o.httpHost, "http.host", "127.0.0.1", "address of the /healthz and /metrics API")
	fs.IntVar(&o.httpPort, "http.port", 0, "port of the API (off when 0)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.workers < 1 {
		return o, fmt.Errorf("-w %d: want at least 1 worker", o.workers)
	}
	return o, nil
}

// run is logship: args[0] is the program name; getenv reads
// LOGSHIP_LOG_LEVEL (debug, info, warn, error; default info) and the
// variables ${VAR} in the config refers to.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 1 && args[1] == "healthcheck" {
		return healthcheck(ctx, args[2:], stderr)
	}
	o, err := parseFlags(args[1:], stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(orDefault(getenv("LOGSHIP_LOG_LEVEL"), "info"))); err != nil {
		return fmt.Errorf("LOGSHIP_LOG_LEVEL: %w", err)
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))
	redisLog.Store(log)
	setRedisLogger.Do(func() { goredis.SetLogger(redisLogger{}) })

	cfg, err := loadConfig(o)
	if err != nil {
		return err
	}
	if err := cfg.Substitute(getenv); err != nil {
		return err
	}
	host, err := os.Hostname()
	if err != nil {
		return fmt.Errorf("hostname: %w", err)
	}
	metrics := prometheus.NewRegistry()
	e := &env{
		dataDir:  o.dataDir,
		host:     host,
		stdin:    os.Stdin,
		stdout:   stdout,
		log:      log,
		metrics:  metrics,
		workers:  o.workers,
		pipeline: pipeline.NewMetrics(metrics),
		deadLetters: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "logship_output_dead_letters_total", Help: "Events an output set aside in its dead-letter file: rejected for good."}, []string{"output"}),
		files: fileIn.NewShared(),
	}
	e.files.Truncated = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "logship_lines_truncated_total", Help: "Lines cut at the line cap and tagged " + codec.TruncatedTag + "."})
	metrics.MustRegister(e.deadLetters, e.files.Metrics, e.files.Truncated)
	a, err := assemble(cfg, e)
	if a != nil {
		for _, w := range a.warnings {
			log.Warn("config: " + w)
		}
	}
	if err != nil {
		return err
	}
	if o.testOnly {
		a.close()
		fmt.Fprintln(stdout, "Configuration OK")
		return nil
	}

	reg, err := registry.Open(o.dataDir, log)
	if err != nil {
		a.close()
		return err
	}
	e.files.Offsets = reg
	pl := &pipeline.Pipeline{
		Inputs:  a.inputs,
		Filters: a.filters,
		Workers: o.workers,
		Outputs: a.outputs,
		Routes:  a.routes,
		Log:     log,
		Metrics: e.pipeline,
	}
	health := &status.Health{}
	if o.httpPort != 0 {
		stopHTTP, err := serveAPI(o.httpHost, o.httpPort, status.NewServer(health, metrics), log)
		if err != nil {
			a.close()
			return errors.Join(err, reg.Stop())
		}
		defer stopHTTP()
	}
	health.SetRunning(true)
	log.Info("logship started", "inputs", len(pl.Inputs), "outputs", len(pl.Outputs), "workers", o.workers, "registry", o.dataDir)
	runErr := pl.Run(ctx)
	health.SetRunning(false)
	if err := reg.Stop(); err != nil {
		runErr = errors.Join(runErr, err)
	}
	log.Info("logship stopped")
	return runErr
}

// go-redis logs through a process-wide logger of its own: redisLogger
// sends it to the slog logger of the latest run, so stderr stays JSON.
// These package-level variables are a deliberate exception to "no
// package-level loggers": redis.SetLogger is global, so the redirection
// is too, set once per process.
var (
	redisLog       atomic.Pointer[slog.Logger]
	setRedisLogger sync.Once
)

type redisLogger struct{}

func (redisLogger) Printf(ctx context.Context, format string, v ...any) {
	if l := redisLog.Load(); l != nil {
		l.WarnContext(ctx, "redis client", "detail", fmt.Sprintf(format, v...))
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// loadConfig reads -e or -f. Like Logstash, -e without an output section
// prints to stdout with rubydebug, and without an input section reads
// stdin (when logship has a stdin input).
func loadConfig(o options) (*lsconf.Config, error) {
	if o.configString == "" {
		return lsconf.Load(o.configFile)
	}
	cfg, err := lsconf.Parse("config string", []byte(o.configString))
	if err != nil {
		return nil, err
	}
	has := map[string]bool{}
	for _, s := range cfg.Sections {
		has[s.Kind] = true
	}
	defaults := map[string]string{"input": `input { stdin { type => stdin } }`, "output": `output { stdout { codec => rubydebug } }`}
	for _, kind := range []string{"input", "output"} {
		if _, stdin := inputPlugins["stdin"]; has[kind] || kind == "input" && !stdin {
			continue
		}
		def, err := lsconf.Parse("default "+kind, []byte(defaults[kind]))
		if err != nil {
			return nil, err
		}
		cfg.Sections = append(cfg.Sections, def.Sections...)
	}
	return cfg, nil
}

// serveAPI listens before serving, so a busy port fails at startup, and
// returns a function that shuts the server down with a fresh timeout.
func serveAPI(host string, port int, h http.Handler, log *slog.Logger) (func(), error) {
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("api server", "err", err)
		}
	}()
	log.Info("api listening", "addr", l.Addr().String())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}
