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
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	goredis "github.com/redis/go-redis/v9"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/lsconf"
	esOut "github.com/appstack/appstack/internal/output/elasticsearch"
	fileOut "github.com/appstack/appstack/internal/output/file"
	redisOut "github.com/appstack/appstack/internal/output/redis"
	stdoutOut "github.com/appstack/appstack/internal/output/stdout"
	"github.com/appstack/appstack/internal/pipeline"
	"github.com/appstack/appstack/internal/registry"
	"github.com/appstack/appstack/internal/status"
	"github.com/appstack/appstack/internal/tail"
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
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("logship", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: logship [-f FILE | -e CONFIG] [-t] [--path.data DIR] [--http.host HOST] [--http.port PORT]\n"+
			"       logship healthcheck [--http.host HOST] [--http.port PORT]\n")
		fs.PrintDefaults()
	}
	for _, name := range []string{"f", "path.config"} {
		fs.StringVar(&o.configFile, name, defaultConfig, "pipeline config file or directory")
	}
	for _, name := range []string{"e", "config.string"} {
		fs.StringVar(&o.configString, name, "", "pipeline config given inline (overrides -f)")
	}
	for _, name := range []string{"t", "config.test_and_exit"} {
		fs.BoolVar(&o.testOnly, name, false, "check the config and exit: 0 if valid")
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
	return o, nil
}

// run is logship: args[0] is the program name; getenv reads
// LOGSHIP_LOG_LEVEL (debug, info, warn, error; default info).
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

	p, err := loadConfig(o)
	if err != nil {
		return err
	}
	if o.testOnly {
		fmt.Fprintln(stdout, "Configuration OK")
		return nil
	}

	host, err := os.Hostname()
	if err != nil {
		return fmt.Errorf("hostname: %w", err)
	}
	reg, err := registry.Open(o.dataDir, log)
	if err != nil {
		return err
	}
	metrics := prometheus.NewRegistry()
	tailMetrics := tail.NewMetrics()
	metrics.MustRegister(tailMetrics)
	pl := &pipeline.Pipeline{
		Offsets: reg,
		Log:     log,
		Metrics: pipeline.NewMetrics(metrics),
	}
	// fail undoes what was built when startup cannot finish.
	fail := func(err error) error {
		for _, out := range pl.Outputs {
			_ = out.Output.Close()
		}
		return errors.Join(err, reg.Stop())
	}
	// One budget for all inputs: memory is bounded overall, not per file.
	budget := tail.NewBudget(0)
	for _, in := range p.Inputs {
		if in.SincedbPath != "" {
			log.Info("sincedb_path is ignored: offsets live in the registry under --path.data",
				"sincedb_path", in.SincedbPath, "registry", filepath.Join(o.dataDir, registry.FileName))
		}
		t, err := tail.New(tail.Config{
			Paths:        in.Paths,
			Exclude:      in.Exclude,
			StartAtEnd:   in.StartPosition == "end",
			PollInterval: time.Duration(in.StatInterval * float64(time.Second)),
			Offsets:      reg,
			Budget:       budget,
			Log:          log,
			Metrics:      tailMetrics,
		})
		if err != nil {
			return fail(err)
		}
		tailMetrics.Add(t)
		pl.Inputs = append(pl.Inputs, pipeline.Input{Source: t, Decoration: decoration(in, host)})
	}
	for i, out := range p.Outputs {
		name := out.PluginName() + "." + strconv.Itoa(i)
		made, err := newOutput(out, i, o.dataDir, stdout, log, pl.Metrics.Retries.WithLabelValues(name))
		if err != nil {
			return fail(err)
		}
		pl.Outputs = append(pl.Outputs, pipeline.NamedOutput{Name: name, Output: made})
	}

	health := &status.Health{}
	if o.httpPort != 0 {
		stopHTTP, err := serveAPI(o.httpHost, o.httpPort, status.NewServer(health, metrics), log)
		if err != nil {
			return fail(err)
		}
		defer stopHTTP()
	}
	health.SetRunning(true)
	log.Info("logship started", "inputs", len(pl.Inputs), "outputs", len(pl.Outputs), "registry", o.dataDir)
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
// prints to stdout with rubydebug.
func loadConfig(o options) (*lsconf.Pipeline, error) {
	if o.configString == "" {
		return lsconf.Load(o.configFile)
	}
	cfg, err := lsconf.Parse("config string", []byte(o.configString))
	if err != nil {
		return nil, err
	}
	hasOutput := false
	for _, s := range cfg.Sections {
		hasOutput = hasOutput || s.Kind == "output"
	}
	if !hasOutput {
		cfg.Sections = append(cfg.Sections, lsconf.Section{Kind: "output", Plugins: []lsconf.Plugin{{Name: "stdout"}}})
	}
	return lsconf.Compile(cfg)
}

func decoration(in lsconf.FileInput, host string) *event.Decoration {
	d := &event.Decoration{Type: in.Type, Tags: in.Tags, Host: host}
	for _, f := range in.AddField {
		d.AddField = append(d.AddField, event.AddField{Key: f.Key, Values: f.Values})
	}
	return d
}

// newOutput builds one output; retries counts the documents an output
// retries on its own (elasticsearch items), beside the pipeline's retries.
func newOutput(out lsconf.Output, index int, dataDir string, stdout io.Writer, log *slog.Logger, retries prometheus.Counter) (pipeline.Output, error) {
	switch o := out.(type) {
	case *lsconf.StdoutOutput:
		codec, err := event.NewCodec(o.Codec.Name, o.Codec.Format)
		if err != nil {
			return nil, err
		}
		return stdoutOut.New(stdout, codec), nil
	case *lsconf.FileOutput:
		codec, err := event.NewCodec(o.Codec.Name, o.Codec.Format)
		if err != nil {
			return nil, err
		}
		return fileOut.New(o.Path, codec), nil
	case *lsconf.RedisOutput:
		return redisOut.New(redisOut.Config{
			Hosts: o.Hosts, Port: o.Port, Password: o.Password, DB: o.DB,
			Key: o.Key, DataType: o.DataType, BatchEvents: o.BatchEvents,
		})
	case *lsconf.ElasticsearchOutput:
		dead := o.DeadLetterPath
		if dead == "" {
			dead = filepath.Join(dataDir, "dead_letter", "elasticsearch-"+strconv.Itoa(index)+".ndjson")
		}
		return esOut.New(esOut.Config{
			Hosts: o.Hosts, Index: o.Index, DocumentType: o.DocumentType, User: o.User, Password: o.Password,
			FlushSize:      o.FlushSize,
			RetryInitial:   time.Duration(o.RetryInitialInterval * float64(time.Second)),
			RetryMax:       time.Duration(o.RetryMaxInterval * float64(time.Second)),
			DeadLetterPath: dead,
			Retries:        retries,
			Log:            log,
		})
	}
	return nil, fmt.Errorf("output %q is not implemented", out.PluginName())
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
