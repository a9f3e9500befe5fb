package lsconf

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Pipeline is the typed description of a config: what logship runs.
type Pipeline struct {
	Inputs  []FileInput
	Outputs []Output
}

// Codec is an output codec: "rubydebug", "json_lines", "json" or "line".
// Format is the line codec's format (empty: Logstash's event.to_s).
type Codec struct {
	Name   string
	Format string
}

// Field is one add_field entry: its values in order (one, or an array).
type Field struct {
	Key    string
	Values []string
}

// FileInput is the file input plugin.
type FileInput struct {
	Pos           Pos
	Paths         []string // absolute paths or globs
	Exclude       []string // globs matched against the base name
	Type          string
	Tags          []string
	AddField      []Field
	StartPosition string // "beginning" (default) or "end"
	SincedbPath   string // accepted for compatibility; offsets live under --path.data
	StatInterval  float64
}

// Output is one of *StdoutOutput, *FileOutput, *RedisOutput and
// *ElasticsearchOutput.
type Output interface {
	// PluginName is the plugin's config name, e.g. "stdout".
	PluginName() string
}

// StdoutOutput is the stdout output plugin.
type StdoutOutput struct {
	Pos   Pos
	Codec Codec
}

// FileOutput is the file output plugin.
type FileOutput struct {
	Pos   Pos
	Path  string
	Codec Codec
}

// RedisOutput is the redis output plugin.
type RedisOutput struct {
	Pos         Pos
	Hosts       []string // "host" or "host:port"
	Port        int
	Password    string
	DB          int
	Key         string
	DataType    string // "list" or "channel"
	BatchEvents int
}

// ElasticsearchOutput is the elasticsearch output plugin.
type ElasticsearchOutput struct {
	Pos                  Pos
	Hosts                []string // "host:port" or URLs
	Index                string   // sprintf pattern, e.g. "logstash-%{+YYYY.MM.dd}"
	DocumentType         string   // empty: no _type in action lines
	User                 string
	Password             string
	FlushSize            int
	RetryInitialInterval float64 // seconds
	RetryMaxInterval     float64 // seconds
	DeadLetterPath       string  // empty: the caller picks one under --path.data
}

func (*StdoutOutput) PluginName() string        { return "stdout" }
func (*FileOutput) PluginName() string          { return "file" }
func (*RedisOutput) PluginName() string         { return "redis" }
func (*ElasticsearchOutput) PluginName() string { return "elasticsearch" }

// Load reads and compiles a config file. A directory loads every file in
// it in name order, concatenated, as Logstash does.
func Load(path string) (*Pipeline, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	files := []string{path}
	if fi.IsDir() {
		ents, err := os.ReadDir(path)
		if err != nil {
			return nil, fmt.Errorf("read config: %w", err)
		}
		files = files[:0]
		for _, e := range ents {
			if !e.IsDir() {
				files = append(files, filepath.Join(path, e.Name()))
			}
		}
		if len(files) == 0 {
			return nil, fmt.Errorf("read config: no files in %s", path)
		}
	}
	var all Config
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("read config: %w", err)
		}
		cfg, err := Parse(f, src)
		if err != nil {
			return nil, err
		}
		all.Sections = append(all.Sections, cfg.Sections...)
	}
	// Errors inside a section name its own file; the rest name path.
	all.File = path
	return Compile(&all)
}

// Compile checks a parsed config against the plugins and options logship
// implements and returns the pipeline it describes.
func Compile(cfg *Config) (*Pipeline, error) {
	c := &compiler{file: cfg.File}
	p := &Pipeline{}
	for _, s := range cfg.Sections {
		c.file = cfg.File
		if s.File != "" {
			c.file = s.File
		}
		for i := range s.Plugins {
			pl := &s.Plugins[i]
			var err error
			switch s.Kind {
			case "input":
				var in FileInput
				in, err = c.input(pl)
				p.Inputs = append(p.Inputs, in)
			case "filter":
				err = c.errf(pl.Pos, "unknown filter plugin %q: logship implements no filters", pl.Name)
			case "output":
				var out Output
				out, err = c.output(pl)
				p.Outputs = append(p.Outputs, out)
			}
			if err != nil {
				return nil, err
			}
		}
	}
	c.file = cfg.File
	if len(p.Inputs) == 0 {
		return nil, c.errf(Pos{Line: 1, Col: 1}, "no input plugin configured: logship needs at least one file input")
	}
	if len(p.Outputs) == 0 {
		return nil, c.errf(Pos{Line: 1, Col: 1}, "no output plugin configured")
	}
	return p, nil
}

type compiler struct{ file string }

func (c *compiler) errf(pos Pos, format string, args ...any) error {
	return &Error{File: c.file, Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// options maps an option name to the function that stores its value.
type options map[string]func(Value) error

// apply runs each setting through its option, rejecting unknown and
// repeated options, then checks required ones.
func (c *compiler) apply(pl *Plugin, kind string, opts options, required ...string) error {
	seen := map[string]bool{}
	for _, s := range pl.Settings {
		set, ok := opts[s.Key]
		if !ok {
			names := make([]string, 0, len(opts))
			for n := range opts {
				names = append(names, n)
			}
			sort.Strings(names)
			return c.errf(s.Pos, "unknown option %q for %s plugin %q (known: %s)", s.Key, kind, pl.Name, strings.Join(names, ", "))
		}
		if seen[s.Key] {
			return c.errf(s.Pos, "option %q is set twice in %s plugin %q", s.Key, kind, pl.Name)
		}
		seen[s.Key] = true
		if err := set(s.Value); err != nil {
			return c.errf(s.Value.Pos, "%s %s option %q: %v", pl.Name, kind, s.Key, err)
		}
	}
	for _, r := range required {
		if !seen[r] {
			return c.errf(pl.Pos, "%s plugin %q is missing required option %q", kind, pl.Name, r)
		}
	}
	return nil
}

func (c *compiler) input(pl *Plugin) (FileInput, error) {
	in := FileInput{Pos: pl.Pos, StartPosition: "beginning", StatInterval: 1}
	if pl.Name != "file" {
		return in, c.errf(pl.Pos, "unknown input plugin %q: logship implements only \"file\"", pl.Name)
	}
	err := c.apply(pl, "input", options{
		"path": func(v Value) error {
			ps, err := stringList(v)
			if err != nil {
				return err
			}
			for _, p := range ps {
				if !filepath.IsAbs(p) {
					return fmt.Errorf("path %q is relative: file paths must be absolute", p)
				}
				if _, err := filepath.Match(p, ""); err != nil {
					return fmt.Errorf("path %q is not a valid glob: %w", p, err)
				}
			}
			in.Paths = ps
			return nil
		},
		"exclude": func(v Value) (err error) {
			in.Exclude, err = stringList(v)
			for _, p := range in.Exclude {
				if _, err := filepath.Match(p, ""); err != nil {
					return fmt.Errorf("exclude %q is not a valid glob: %w", p, err)
				}
			}
			return err
		},
		"type":         func(v Value) (err error) { in.Type, err = str(v); return err },
		"tags":         func(v Value) (err error) { in.Tags, err = stringList(v); return err },
		"sincedb_path": func(v Value) (err error) { in.SincedbPath, err = str(v); return err },
		"add_field": func(v Value) (err error) {
			in.AddField, err = fields(v)
			return err
		},
		"start_position": func(v Value) (err error) {
			in.StartPosition, err = oneOf(v, "beginning", "end")
			return err
		},
		"stat_interval": func(v Value) (err error) {
			in.StatInterval, err = positive(v)
			return err
		},
		"codec": func(v Value) error {
			cd, err := codec(v)
			if err == nil && (cd.Name != "plain" || cd.Format != "") {
				err = fmt.Errorf("codec %q is not supported: the file input reads lines (codec plain)", cd.Name)
			}
			return err
		},
	}, "path")
	return in, err
}

func (c *compiler) output(pl *Plugin) (Output, error) {
	switch pl.Name {
	case "stdout":
		o := &StdoutOutput{Pos: pl.Pos, Codec: Codec{Name: "rubydebug"}}
		return o, c.apply(pl, "output", options{
			"codec": func(v Value) (err error) { o.Codec, err = outCodec(v); return err },
		})
	case "file":
		o := &FileOutput{Pos: pl.Pos, Codec: Codec{Name: "json_lines"}}
		return o, c.apply(pl, "output", options{
			"path": func(v Value) (err error) {
				if o.Path, err = str(v); err != nil {
					return err
				}
				// Logstash expands %{...} per event; one fixed file is all
				// logship writes, so say so rather than create "%{...}".
				if strings.Contains(o.Path, "%{") {
					return fmt.Errorf("path %q uses %%{...}: per-event file paths are not supported, use a fixed path", o.Path)
				}
				return nil
			},
			"codec": func(v Value) (err error) { o.Codec, err = outCodec(v); return err },
		}, "path")
	case "redis":
		o := &RedisOutput{Pos: pl.Pos, Hosts: []string{"127.0.0.1"}, Port: 6379, BatchEvents: 50}
		return o, c.apply(pl, "output", options{
			"host":         func(v Value) (err error) { o.Hosts, err = stringList(v); return err },
			"port":         func(v Value) (err error) { o.Port, err = intIn(v, 1, 65535); return err },
			"password":     func(v Value) (err error) { o.Password, err = str(v); return err },
			"db":           func(v Value) (err error) { o.DB, err = intIn(v, 0, 1<<20); return err },
			"key":          func(v Value) (err error) { o.Key, err = str(v); return err },
			"data_type":    func(v Value) (err error) { o.DataType, err = oneOf(v, "list", "channel"); return err },
			"batch":        func(v Value) error { _, err := boolean(v); return err },
			"batch_events": func(v Value) (err error) { o.BatchEvents, err = intIn(v, 1, 1<<20); return err },
			"codec": func(v Value) error {
				cd, err := codec(v)
				if err == nil && cd.Name != "json" {
					err = fmt.Errorf("codec %q is not supported: the redis output writes json", cd.Name)
				}
				return err
			},
		}, "key", "data_type")
	case "elasticsearch":
		o := &ElasticsearchOutput{Pos: pl.Pos, Hosts: []string{"127.0.0.1:9200"}, Index: "logstash-%{+YYYY.MM.dd}",
			FlushSize: 500, RetryInitialInterval: 2, RetryMaxInterval: 64}
		return o, c.apply(pl, "output", options{
			"hosts":                  func(v Value) (err error) { o.Hosts, err = stringList(v); return err },
			"index":                  func(v Value) (err error) { o.Index, err = str(v); return err },
			"document_type":          func(v Value) (err error) { o.DocumentType, err = str(v); return err },
			"user":                   func(v Value) (err error) { o.User, err = str(v); return err },
			"password":               func(v Value) (err error) { o.Password, err = str(v); return err },
			"flush_size":             func(v Value) (err error) { o.FlushSize, err = intIn(v, 1, 1<<20); return err },
			"retry_initial_interval": func(v Value) (err error) { o.RetryInitialInterval, err = positive(v); return err },
			"retry_max_interval":     func(v Value) (err error) { o.RetryMaxInterval, err = positive(v); return err },
			"dead_letter_path":       func(v Value) (err error) { o.DeadLetterPath, err = str(v); return err },
		})
	}
	return nil, c.errf(pl.Pos, "unknown output plugin %q: logship implements stdout, file, redis and elasticsearch", pl.Name)
}

// str accepts a string, bareword or number, or a one-element array of
// one, as Logstash's :string validation does.
func str(v Value) (string, error) {
	if v.Kind == Array && len(v.Items) == 1 {
		v = v.Items[0]
	}
	switch v.Kind {
	case String, Bareword, Number:
		return v.Text, nil
	}
	return "", fmt.Errorf("want a string, got %s", v.Kind)
}

// stringList accepts a string or an array of strings.
func stringList(v Value) ([]string, error) {
	if v.Kind != Array {
		s, err := str(v)
		if err != nil {
			return nil, fmt.Errorf("want a string or an array of strings, got %s", v.Kind)
		}
		return []string{s}, nil
	}
	out := make([]string, 0, len(v.Items))
	for _, it := range v.Items {
		if it.Kind == Array {
			return nil, fmt.Errorf("want an array of strings, got a nested array")
		}
		s, err := str(it)
		if err != nil {
			return nil, fmt.Errorf("want an array of strings: %w", err)
		}
		out = append(out, s)
	}
	return out, nil
}

func number(v Value) (float64, error) {
	s, err := str(v)
	if err != nil {
		return 0, fmt.Errorf("want a number, got %s", v.Kind)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("want a number, got %q", s)
	}
	return f, nil
}

func positive(v Value) (float64, error) {
	f, err := number(v)
	if err == nil && !(f > 0) {
		err = fmt.Errorf("want a positive number, got %v", f)
	}
	return f, err
}

func intIn(v Value, lo, hi int) (int, error) {
	f, err := number(v)
	if err != nil {
		return 0, err
	}
	if f != float64(int(f)) || int(f) < lo || int(f) > hi {
		return 0, fmt.Errorf("want an integer from %d to %d, got %v", lo, hi, f)
	}
	return int(f), nil
}

func boolean(v Value) (bool, error) {
	s, err := str(v)
	switch {
	case err != nil:
	case s == "true":
		return true, nil
	case s == "false":
		return false, nil
	}
	return false, fmt.Errorf("want true or false, got %s", describe(v))
}

func oneOf(v Value, allowed ...string) (string, error) {
	s, err := str(v)
	if err == nil {
		for _, a := range allowed {
			if s == a {
				return s, nil
			}
		}
	}
	return "", fmt.Errorf("want one of %s, got %s", strings.Join(allowed, ", "), describe(v))
}

func describe(v Value) string {
	if v.Kind == String || v.Kind == Bareword || v.Kind == Number {
		return strconv.Quote(v.Text)
	}
	return "a " + v.Kind.String()
}

// fields reads add_field: a hash whose values are strings (or numbers or
// barewords, kept as written) or arrays of them.
func fields(v Value) ([]Field, error) {
	if v.Kind != Hash {
		return nil, fmt.Errorf("want a hash, got %s", v.Kind)
	}
	out := make([]Field, 0, len(v.Entries))
	for _, e := range v.Entries {
		vals, err := stringList(e.Value)
		if err != nil {
			return nil, fmt.Errorf("field %q: %w", e.Key, err)
		}
		merged := false
		for i := range out {
			if out[i].Key == e.Key {
				out[i].Values = append(out[i].Values, vals...)
				merged = true
			}
		}
		if !merged {
			out = append(out, Field{Key: e.Key, Values: vals})
		}
	}
	return out, nil
}

// codec reads `codec => name` or `codec => name { format => "..." }`.
func codec(v Value) (Codec, error) {
	if v.Kind != PluginValue {
		name, err := str(v)
		if err != nil {
			return Codec{}, fmt.Errorf("want a codec name, got %s", v.Kind)
		}
		return Codec{Name: name}, nil
	}
	cd := Codec{Name: v.Plugin.Name}
	for _, s := range v.Plugin.Settings {
		if cd.Name != "line" || s.Key != "format" {
			return cd, fmt.Errorf("unknown option %q for codec %q", s.Key, cd.Name)
		}
		f, err := str(s.Value)
		if err != nil {
			return cd, fmt.Errorf("codec %q option %q: %w", cd.Name, s.Key, err)
		}
		cd.Format = f
	}
	return cd, nil
}

func outCodec(v Value) (Codec, error) {
	cd, err := codec(v)
	if err != nil {
		return cd, err
	}
	switch cd.Name {
	case "rubydebug", "json_lines", "json", "line":
		return cd, nil
	}
	return cd, fmt.Errorf("unknown codec %q: want rubydebug, json_lines, json or line", cd.Name)
}
