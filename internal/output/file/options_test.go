package file

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/output/outputtest"
	"github.com/appstack/appstack/internal/plugin"
	"github.com/appstack/appstack/internal/plugin/plugintest"
)

func optionsOf(tb testing.TB, block string) *plugin.Options {
	tb.Helper()
	return plugintest.Options(tb, "output { "+block+" }")
}

func TestOptions(t *testing.T) {
	t.Parallel()
	tests := []struct{ block, want string }{
		{`file { path => "/tmp/x.json" codec => json_lines flush_interval => 0 id => "f" }`, ""},
		{`file { }`, `test.conf:1:10: output plugin "file" is missing required option "path"`},
		{`file { path => "/out/%{type}.log" }`, `test.conf:1:25: file output option "path": path "/out/%{type}.log" uses %{...}: per-event file paths are not supported`},
		{`file { path => "/x" gzip => true }`, `"gzip": gzip is not supported`},
		{`file { path => "/x" create_if_deleted => false }`, `"create_if_deleted": false is not supported`},
		{`file { path => "/x" codec => multiline { } }`, `codec "multiline" is not supported by the file output`},
	}
	for _, tt := range tests {
		config := "output { " + tt.block + " }"
		plugintest.CheckErr(t, config, plugintest.BuildErr(t, config, FromOptions), tt.want)
	}
}

func TestOptionsBuildTheOutput(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "out.txt")
	o := optionsOf(t, `file { path => "`+path+`" codec => line { format => "%{message}!" } }`)
	out := FromOptions(o)
	if err := o.Err(); err != nil {
		t.Fatal(err)
	}
	e := outputtest.Event(&outputtest.Decoration{}, "m", "/p", time.Now())
	if err := out.Write(context.Background(), []event.Event{e}); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "m!\n" {
		t.Errorf("file = %q; want m!\\n", b)
	}
}
