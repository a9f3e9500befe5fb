package main

import (
	"io"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/appstack/appstack/internal/filter/csv"
	"github.com/appstack/appstack/internal/filter/date"
	"github.com/appstack/appstack/internal/filter/dissect"
	"github.com/appstack/appstack/internal/filter/drop"
	"github.com/appstack/appstack/internal/filter/geoip"
	"github.com/appstack/appstack/internal/filter/grok"
	"github.com/appstack/appstack/internal/filter/json"
	"github.com/appstack/appstack/internal/filter/kv"
	"github.com/appstack/appstack/internal/filter/mutate"
	"github.com/appstack/appstack/internal/filter/translate"
	"github.com/appstack/appstack/internal/filter/useragent"
	"github.com/appstack/appstack/internal/input/beats"
	fileIn "github.com/appstack/appstack/internal/input/file"
	"github.com/appstack/appstack/internal/input/stdin"
	"github.com/appstack/appstack/internal/input/tcp"
	"github.com/appstack/appstack/internal/input/udp"
	fileOut "github.com/appstack/appstack/internal/output/file"
	redisOut "github.com/appstack/appstack/internal/output/redis"
	stdoutOut "github.com/appstack/appstack/internal/output/stdout"
	"github.com/appstack/appstack/internal/pipeline"
	"github.com/appstack/appstack/internal/plugin"
)

// env is what plugins get from the command line and the process. The
// constructors read it and do no I/O, so that `-t` can build every
// plugin; what needs the disk or the network happens in Run or Write.
type env struct {
	dataDir string
	host    string // this machine's name, for the host field
	stdin   io.Reader
	stdout  io.Writer
	log     *slog.Logger
	metrics prometheus.Registerer
	workers int // the pipeline's: outputs Logstash shares between them take one request per worker
	// pipeline's metrics, which outputs that retry on their own add to.
	pipeline    *pipeline.Metrics
	deadLetters *prometheus.CounterVec // by output

	// files is what every file input shares: one registry (set after
	// -t), one memory budget, one bound on open files.
	files *fileIn.Shared
}

// The plugins logship runs, by kind and name. A constructor asks its
// *plugin.Options for every option it knows and records every problem
// there; the caller checks Err. Adding a plugin is one line here.
var (
	inputPlugins = map[string]func(o *plugin.Options, e *env) pipeline.Input{
		"file": func(o *plugin.Options, e *env) pipeline.Input {
			return fileIn.New(o, fileIn.Env{Shared: e.files, Log: e.log, Host: e.host})
		},
		"stdin": func(o *plugin.Options, e *env) pipeline.Input {
			return stdin.New(o, stdin.Env{Stdin: e.stdin, Host: e.host})
		},
		"tcp":   func(o *plugin.Options, e *env) pipeline.Input { return tcp.New(o, tcp.Env{Log: e.log}) },
		"udp":   func(o *plugin.Options, e *env) pipeline.Input { return udp.New(o, udp.Env{Log: e.log}) },
		"beats": func(o *plugin.Options, e *env) pipeline.Input { return beats.New(o, beats.Env{Log: e.log}) },
	}
	filterPlugins = map[string]func(o *plugin.Options, e *env) pipeline.Filter{
		"csv":     filter(csv.New),
		"date":    filter(date.New),
		"dissect": filter(dissect.New),
		"drop":    filter(drop.New),
		"grok":    filter(grok.New),
		"json":    filter(json.New),
		"kv":      filter(kv.New),
		"mutate":  filter(mutate.New),

		"geoip": filter(geoip.New),
		"translate": func(o *plugin.Options, e *env) pipeline.Filter {
			return translate.New(o, translate.Env{Log: e.log})
		},
		"useragent": filter(useragent.New),
	}
	outputPlugins = map[string]func(o *plugin.Options, e *env, index int) pipeline.Output{
		"stdout":        func(o *plugin.Options, e *env, _ int) pipeline.Output { return stdoutOut.New(o, e.stdout) },
		"file":          func(o *plugin.Options, _ *env, _ int) pipeline.Output { return fileOut.FromOptions(o) },
		"redis":         func(o *plugin.Options, _ *env, _ int) pipeline.Output { return redisOut.New(o) },
		"elasticsearch": newElasticsearch,
	}
)

// cannot says why a Logstash plugin that logship will never run is
// refused, by "kind name".
var cannot = map[string]string{
	"filter ruby": "it runs Ruby code, and logship, written in Go, has no Ruby interpreter; " +
		"rewrite what it does with mutate, grok, dissect, kv, date or a conditional",
}

// filter adapts the New of a filter package that needs no env to the
// table's type.
func filter[F pipeline.Filter](newFilter func(*plugin.Options) F) func(*plugin.Options, *env) pipeline.Filter {
	return func(o *plugin.Options, _ *env) pipeline.Filter { return newFilter(o) }
}
