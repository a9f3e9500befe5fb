package stdout

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/output/outputtest"
	"github.com/appstack/appstack/internal/pipeline"
	"github.com/appstack/appstack/internal/plugin"
	"github.com/appstack/appstack/internal/plugin/plugintest"
)

func TestConformance(t *testing.T) {
	outputtest.Run(t, outputtest.Harness{New: func(t testing.TB) (pipeline.Output, func() []map[string]any) {
		var buf bytes.Buffer
		return build(t, `stdout { codec => json_lines }`, &buf), func() []map[string]any {
			return outputtest.DecodeLines(t, bytes.Split(buf.Bytes(), []byte("\n")))
		}
	}})
}

// build parses an output block and builds it, failing on option errors.
func build(tb testing.TB, block string, w io.Writer) *Output {
	tb.Helper()
	return plugintest.Build(tb, "output { "+block+" }", func(o *plugin.Options) *Output { return New(o, w) })
}

func TestCodecs(t *testing.T) {
	t.Parallel()
	e := outputtest.Event(&outputtest.Decoration{Host: "h"}, "m", "/p", time.Unix(0, 0))
	e.Metadata = []event.Field{{Key: "target", Value: event.String("es")}}
	tests := []struct{ block, want string }{
		{`stdout { }`, "1970-01-01T00:00:00.000Z h m\n"},
		{`stdout { codec => line { format => "%{message}!" } }`, "m!\n"},
		{`"stdout" { codec => "dots" { } }`, "."},
		{`stdout { codec => plain { format => "%{message}!" } }`, "m!"},
		{`stdout { codec => plain }`, "1970-01-01T00:00:00.000Z h m"},
		{`stdout { codec => json_lines { delimiter => "|" charset => "UTF-8" } }`, `{"path":"/p","@timestamp":"1970-01-01T00:00:00.000Z","@version":"1","host":"h","message":"m"}|`},
		{`stdout { codec => rubydebug { metadata => true } }`,
			// Key order checked with java.util.HashMap: path @timestamp @metadata @version host message.
			"{\n          \"path\" => \"/p\",\n    \"@timestamp\" => 1970-01-01T00:00:00.000Z,\n     \"@metadata\" => {\n        \"target\" => \"es\"\n    },\n      \"@version\" => \"1\",\n          \"host\" => \"h\",\n       \"message\" => \"m\"\n}\n"},
		{`stdout { codec => rubydebug { metadata => false } id => "out" workers => 1 }`, "{\n          \"path\" => \"/p\",\n    \"@timestamp\" => 1970-01-01T00:00:00.000Z,\n      \"@version\" => \"1\",\n          \"host\" => \"h\",\n       \"message\" => \"m\"\n}\n"},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		if err := build(t, tt.block, &buf).Write(context.Background(), []event.Event{e}); err != nil {
			t.Fatal(err)
		}
		if got := buf.String(); got != tt.want {
			t.Errorf("%s wrote %q; want %q", tt.block, got, tt.want)
		}
	}
}

func TestOptionErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ block, want string }{
		{`stdout { codec => multiline { pattern => "x" } }`, `test.conf:1:28: stdout output option "codec": codec "multiline" is not supported by the stdout output (supported: dots, json, json_lines, line, plain, rubydebug)`},
		{`stdout { codec => line { formt => "x" } }`, `test.conf:1:35: unknown option "formt" for codec plugin "line"`},
		{`stdout { codec => json { charset => "ISO-8859-1" } }`, `test.conf:1:46: json codec option "charset": logship writes UTF-8 only`},
		{`stdout { tags => ["a"] }`, `stdout output option "tags": is obsolete: use a conditional instead`},
	}
	for _, tt := range tests {
		config := "output { " + tt.block + " }"
		plugintest.CheckErr(t, config, plugintest.BuildErr(t, config, func(o *plugin.Options) *Output { return New(o, io.Discard) }), tt.want)
	}
}

type failing struct{}

func (failing) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

func TestWriteErrorsAreReturned(t *testing.T) {
	t.Parallel()
	o := build(t, `stdout { codec => rubydebug }`, failing{})
	e := outputtest.Event(&outputtest.Decoration{}, "m", "/p", time.Unix(0, 0))
	err := o.Write(context.Background(), []event.Event{e})
	if err == nil || !strings.Contains(err.Error(), "broken pipe") {
		t.Errorf("Write to a broken stream = %v; want the write error", err)
	}
}
