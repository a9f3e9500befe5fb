package elasticsearch

import (
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/appstack/appstack/internal/plugin"
)

// Env is what the output takes from logship rather than from its options.
type Env struct {
	// DeadLetterPath is the dead-letter file unless dead_letter_path is set.
	DeadLetterPath string
	// Retries and DeadLetters count documents sent again by the output and
	// documents set aside (Config's fields of the same names).
	Retries, DeadLetters prometheus.Counter
	Log                  *slog.Logger
	// Workers is the pipeline's workers: the output sends up to one
	// request per worker at a time, as Logstash's shared output does.
	Workers int
}

// New reads the elasticsearch options from o, as the plugin shipped with
// Logstash 5 (logstash-output-elasticsearch 7) declares them, plus
// logship's password_file and dead_letter_path, and returns an output;
// it returns nil when o.Err() reports an error.
func New(o *plugin.Options, env Env) *Output {
	plugin.ReadOutputCommon(o)
	o.Ignore("codec", "the elasticsearch output sends every event as a JSON document")
	seconds := func(name string, def float64) time.Duration {
		v := o.Float(name, def)
		if v <= 0 {
			o.Errorf(name, "want a positive number of seconds, got %v", v)
		}
		return time.Duration(v * float64(time.Second))
	}
	cfg := Config{
		Hosts:          o.StringList("hosts", []string{"//127.0.0.1"}),
		Path:           o.String("path", ""),
		Index:          o.String("index", "logstash-%{+YYYY.MM.dd}"),
		DocumentID:     o.String("document_id", ""),
		DocumentType:   o.String("document_type", ""),
		Action:         o.Enum("action", "index", "index", "create"),
		User:           o.String("user", ""),
		Password:       o.String("password", ""),
		PasswordFile:   o.String("password_file", ""),
		SSL:            o.Bool("ssl", false),
		CACert:         o.String("cacert", ""),
		Compression:    o.Bool("http_compression", false),
		Timeout:        seconds("timeout", 60),
		FlushSize:      o.Int("flush_size", 500, 1, 1<<20),
		RetryInitial:   seconds("retry_initial_interval", 2),
		RetryMax:       seconds("retry_max_interval", 64),
		DeadLetterPath: o.String("dead_letter_path", env.DeadLetterPath),
		Retries:        env.Retries,
		DeadLetters:    env.DeadLetters,
		Log:            env.Log,
		Workers:        env.Workers,
	}
	if len(cfg.Hosts) == 0 {
		o.Errorf("hosts", "want at least one host")
	}
	for _, h := range cfg.Hosts {
		if _, err := bulkURL(h, cfg.SSL, cfg.Path, nil); err != nil {
			o.Errorf("hosts", "%v", err)
		}
	}
	for _, e := range o.Hash("parameters") {
		if cfg.Parameters == nil {
			cfg.Parameters = url.Values{}
		}
		cfg.Parameters[e.Key] = append(cfg.Parameters[e.Key], e.Values...)
	}
	if cfg.Password != "" && cfg.PasswordFile != "" {
		o.Errorf("password_file", "is set with password: give one of them")
	}
	if cfg.PasswordFile != "" {
		if _, err := readPasswordFile(cfg.PasswordFile); err != nil {
			o.Errorf("password_file", "%v", err)
		}
	}
	if cfg.RetryMax < cfg.RetryInitial {
		o.Errorf("retry_max_interval", "is shorter than retry_initial_interval")
	}
	if cfg.CACert != "" {
		if _, err := newClient(cfg.CACert, cfg.Timeout); err != nil {
			o.Errorf("cacert", "%v", err)
		}
	}
	if !o.Bool("ssl_certificate_verification", true) {
		o.Errorf("ssl_certificate_verification", "false is not supported: give the server's CA in cacert")
	}
	if o.Bool("sniffing", false) {
		o.Errorf("sniffing", "is not supported: list the nodes in hosts")
	}
	noTemplate := "there is no template to manage: logship never installs an index template (VictoriaLogs needs none; install yours in Elasticsearch itself)"
	for _, name := range []string{"manage_template", "template", "template_name", "template_overwrite"} {
		o.Ignore(name, noTemplate)
	}
	o.Ignore("idle_flush_time", "logship sends each batch as soon as it is read")
	o.Ignore("pool_max", "logship sends at most one request per pipeline worker (-w) at a time")
	o.Ignore("pool_max_per_route", "logship sends at most one request per pipeline worker (-w) at a time")
	for _, name := range []string{"healthcheck_path", "resurrect_delay", "validate_after_inactivity"} {
		o.Ignore(name, "logship checks no host in the background: a request that fails moves to the next one in hosts")
	}
	o.Ignore("sniffing_delay", "sniffing is not supported")
	o.Ignore("sniffing_path", "sniffing is not supported")
	if o.Err() != nil {
		return nil
	}
	out, err := FromConfig(cfg)
	if err != nil {
		o.Fail("%s", strings.TrimPrefix(err.Error(), "elasticsearch output: "))
		return nil
	}
	return out
}
