package elasticsearch

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/appstack/appstack/internal/plugin"
	"github.com/appstack/appstack/internal/plugin/plugintest"
)

// fromBlock parses `output { elasticsearch { … } }` and reads its options.
func fromBlock(tb testing.TB, settings string) (*Output, *plugin.Options) {
	tb.Helper()
	o := plugintest.Options(tb, "output { elasticsearch { "+settings+" } }")
	return New(o, Env{DeadLetterPath: filepath.Join(tb.TempDir(), "dead.ndjson")}), o
}

func TestOptions(t *testing.T) {
	t.Parallel()
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, o := fromBlock(t, `
		hosts => ["http://logstore:9428/insert/elasticsearch?_stream_fields=host"]
		parameters => { "_msg_field" => "message" "_time_field" => "@timestamp" }
		index => "app-%{+YYYY.MM.dd}"
		document_id => "%{id}"
		action => "create"
		user => "appstack"
		password_file => "`+pw+`"
		flush_size => 1000
		retry_initial_interval => 0.5
		retry_max_interval => 8
		timeout => 5
		http_compression => true
		manage_template => false
		template_name => "logstash"
		idle_flush_time => 1`)
	if err := o.Err(); err != nil {
		t.Fatalf("options: %v", err)
	}
	c := out.cfg
	want := Config{Action: "create", Index: "app-%{+YYYY.MM.dd}", DocumentID: "%{id}", User: "appstack", Password: "s3cret",
		FlushSize: 1000, RetryInitial: 500 * time.Millisecond, RetryMax: 8 * time.Second, Timeout: 5 * time.Second, Compression: true}
	if c.Action != want.Action || c.Index != want.Index || c.DocumentID != want.DocumentID || c.User != want.User || c.Password != want.Password ||
		c.FlushSize != want.FlushSize || c.RetryInitial != want.RetryInitial || c.RetryMax != want.RetryMax || c.Timeout != want.Timeout || !c.Compression {
		t.Errorf("config = %+v; want %+v", c, want)
	}
	if u := "http://logstore:9428/insert/elasticsearch/_bulk?_stream_fields=host&_msg_field=message&_time_field=%40timestamp"; len(out.urls) != 1 || out.urls[0] != u {
		t.Errorf("urls = %q; want [%q]", out.urls, u)
	}
	warnings := strings.Join(o.Warnings(), "\n")
	for _, name := range []string{"manage_template", "template_name", "idle_flush_time"} {
		if !strings.Contains(warnings, `"`+name+`" is accepted and ignored`) {
			t.Errorf("warnings %q; want one for %s", warnings, name)
		}
	}
	if !strings.Contains(warnings, "there is no template to manage") {
		t.Errorf("warnings %q; want them to say there is no template to manage", warnings)
	}
}

func TestOptionDefaults(t *testing.T) {
	t.Parallel()
	out, o := fromBlock(t, ``)
	if err := o.Err(); err != nil {
		t.Fatal(err)
	}
	c := out.cfg
	if len(out.urls) != 1 || out.urls[0] != "http://127.0.0.1:9200/_bulk" || c.Index != "logstash-%{+YYYY.MM.dd}" || c.Action != "index" ||
		c.FlushSize != 500 || c.RetryInitial != 2*time.Second || c.RetryMax != 64*time.Second || c.Timeout != 60*time.Second || c.Parameters != nil {
		t.Errorf("defaults: urls %q, config %+v; want Logstash 5's", out.urls, c)
	}
	if w := o.Warnings(); len(w) != 0 {
		t.Errorf("warnings %q; want none", w)
	}
}

func TestOptionErrors(t *testing.T) {
	t.Parallel()
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ settings, want string }{
		{`hosts => ["http://es:9200"] routing => "x"`, `test.conf:1:54: unknown option "routing" for output plugin "elasticsearch"`},
		{`action => "update"`, `test.conf:1:36: elasticsearch output option "action": want one of index, create, got "update"`},
		{`hosts => ["ftp://es"]`, `elasticsearch output option "hosts": bad host "ftp://es": want an http or https URL`},
		{`hosts => ["http://u:p@es"]`, `carries credentials`},
		{`password => "a" password_file => "/x"`, `option "password_file": is set with password`},
		{`password_file => "/nonexistent/pw"`, `option "password_file": open /nonexistent/pw`},
		{`password_file => "` + empty + `"`, `is empty`},
		{`cacert => "/nonexistent/ca.pem"`, `option "cacert": cacert: open /nonexistent/ca.pem`},
		{`ssl_certificate_verification => false`, `false is not supported: give the server's CA in cacert`},
		{`sniffing => true`, `option "sniffing": is not supported`},
		{`flush_size => 0`, `option "flush_size": want an integer from 1`},
		{`retry_max_interval => -1`, `option "retry_max_interval": want a positive number of seconds`},
		{`parameters => "x"`, `option "parameters": want a hash`},
		{`hosts => ["http://es/p"] path => "/q"`, `has a path and the path option is set`},
	}
	for _, tt := range tests {
		out, o := fromBlock(t, tt.settings)
		err := o.Err()
		if err == nil || !strings.Contains(err.Error(), tt.want) || out != nil {
			t.Errorf("%s: output %v, error %v; want nil and an error containing %q", tt.settings, out != nil, err, tt.want)
		}
	}
}

// The parameters hash keeps every value given for a key.
func TestParametersMayRepeat(t *testing.T) {
	t.Parallel()
	out, o := fromBlock(t, `parameters => { "a" => ["1", "2"] "b" => "3" }`)
	if err := o.Err(); err != nil {
		t.Fatal(err)
	}
	if want := (url.Values{"a": {"1", "2"}, "b": {"3"}}); out.cfg.Parameters.Encode() != want.Encode() {
		t.Errorf("parameters = %v; want %v", out.cfg.Parameters, want)
	}
}
