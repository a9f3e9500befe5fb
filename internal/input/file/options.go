// Package file is Logstash's file input: it follows files (internal/tail),
// decodes their lines into events with its codec, and hands them to the
// pipeline in batches whose one acknowledgement saves the offset.
package file

import (
	"log/slog"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/appstack/appstack/internal/codec"
	"github.com/appstack/appstack/internal/plugin"
	"github.com/appstack/appstack/internal/tail"
)

// MinStatInterval is the floor of stat_interval: below it polling costs
// CPU for nothing (inotify already wakes readers at once), and 1e-7 s
// busy-polled at 70% of a core.
const MinStatInterval = 100 * time.Millisecond

// Shared is what every file input of a process shares: one registry, one
// memory budget, one bound on open files, one set of metrics.
type Shared struct {
	// Offsets is the registry. It is opened after `-t`, so it may be set
	// after New; only Run uses it.
	Offsets   tail.Offsets
	Budget    *tail.Budget
	OpenFiles *tail.OpenFiles
	Metrics   *tail.Metrics
	// Truncated counts lines cut at the line cap (nil: not counted).
	Truncated prometheus.Counter
}

// NewShared returns the shared state with its default bounds: a budget of
// tail.DefaultBudgetChunks chunks, open files bounded by the descriptor
// limit. Register Metrics (and Truncated) once.
func NewShared() *Shared {
	return &Shared{Budget: tail.NewBudget(0), OpenFiles: tail.NewOpenFiles(0), Metrics: tail.NewMetrics()}
}

// Env is what cmd/logship gives every file input.
type Env struct {
	Shared *Shared
	Log    *slog.Logger
	// Host is this machine's name, for the host field.
	Host string
	// Now is the clock of @timestamp (time.Now if nil).
	Now func() time.Time
}

// Input is one file input block.
type Input struct {
	cfg    tail.Config
	common plugin.InputCommon
	codec  *codec.Codec
	env    Env
}

// New reads the file input's options from o, as logstash-input-file 4.0
// (Logstash 5) declares them, plus mode => read and its
// file_completed_action from 4.1, and follow_symlinks of our own; its
// codec is any input codec of internal/codec. It records every problem on
// o (the caller checks o.Err) and does no I/O but reading the pattern
// files a multiline codec names.
func New(o *plugin.Options, env Env) *Input {
	in := &Input{env: env, common: plugin.ReadInputCommon(o)}
	c := &in.cfg

	o.Require("path")
	c.Paths = o.StringList("path", nil)
	if o.Has("path") && len(c.Paths) == 0 {
		o.Errorf("path", "is empty: give at least one absolute path or glob")
	}
	for _, p := range c.Paths {
		if !filepath.IsAbs(p) {
			o.Errorf("path", "path %q is relative: file paths must be absolute", p)
		} else if _, err := filepath.Match(p, ""); err != nil {
			o.Errorf("path", "path %q is not a valid glob: %v", p, err)
		}
	}
	c.Exclude = o.StringList("exclude", nil)
	for _, p := range c.Exclude {
		if _, err := filepath.Match(p, ""); err != nil {
			o.Errorf("exclude", "exclude %q is not a valid glob: %v", p, err)
		}
	}

	c.ReadMode = o.Enum("mode", "tail", "tail", "read") == "read"
	// Logstash's default is end; beginning loses nothing written before
	// logship first starts.
	c.StartAtEnd = o.Enum("start_position", "beginning", "beginning", "end") == "end"
	c.PollInterval = seconds(o, "stat_interval", 1)
	if c.PollInterval > 0 && c.PollInterval < MinStatInterval {
		o.Warn("stat_interval", "%v is below the floor of %v, which is used instead", c.PollInterval, MinStatInterval)
		c.PollInterval = MinStatInterval
	}
	c.DiscoverInterval = seconds(o, "discover_interval", 15)
	c.CloseOlder = seconds(o, "close_older", 3600)
	c.IgnoreOlder = seconds(o, "ignore_older", 0)
	c.MaxOpenFiles = o.Int("max_open_files", 0, 1, 1<<20)
	c.FollowSymlinks = o.Bool("follow_symlinks", false)
	if d := o.String("delimiter", "\n"); d != "\n" {
		o.Errorf("delimiter", "only \"\\n\" is supported (a trailing \"\\r\" stays in the line, as in Logstash)")
	}
	o.Ignore("sincedb_path", "offsets live in the registry under --path.data")
	o.Ignore("sincedb_write_interval", "offsets are saved within 100 ms of their acknowledgement")

	action := o.Enum("file_completed_action", "delete", "delete", "log", "log_and_delete")
	logPath := o.String("file_completed_log_path", "")
	if c.ReadMode {
		c.CompletedDelete = action != "log"
		if action != "delete" {
			c.CompletedLog = logPath
			if logPath == "" {
				o.Errorf("file_completed_action", "%q needs file_completed_log_path", action)
			}
		}
		for _, n := range []string{"start_position", "close_older"} {
			if o.Has(n) {
				o.Warn(n, "has no effect with mode => read (files are read from their start and closed at their end)")
			}
		}
	} else {
		for _, n := range []string{"file_completed_action", "file_completed_log_path"} {
			if o.Has(n) {
				o.Warn(n, "has no effect with mode => tail")
			}
		}
	}

	// Each line is a unit of the codec: the file input frames at "\n".
	in.codec = codec.Read(o, "plain", codec.Env{Now: env.Now})
	if d := in.codec.Delimiter(); d != "" && d != "\n" {
		o.Errorf("codec", `the %s codec's delimiter must be "\n" on the file input, which reads lines`, in.codec.Name())
	}
	c.KeepBytes = !in.codec.UTF8()
	return in
}

// seconds reads a positive number of seconds; def 0 means unset.
func seconds(o *plugin.Options, name string, def float64) time.Duration {
	s := o.Float(name, def)
	if o.Has(name) && s <= 0 {
		o.Errorf(name, "want a positive number of seconds")
		return 0
	}
	return time.Duration(s * float64(time.Second))
}
