package file

import (
	"strings"
	"testing"
	"time"

	"github.com/appstack/appstack/internal/plugin"
	"github.com/appstack/appstack/internal/plugin/plugintest"
)

// options parses one file input block with the given settings.
func options(tb testing.TB, settings string) *plugin.Options {
	tb.Helper()
	return plugintest.Options(tb, "input { file { "+settings+" } }")
}

func TestOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, settings string
		check          func(*Input) string // "" if fine, else what is wrong
	}{
		{"the defaults", `path => "/var/log/*.log"`, func(in *Input) string {
			c := in.cfg
			if c.StartAtEnd || c.ReadMode || c.FollowSymlinks || c.PollInterval != time.Second || c.DiscoverInterval != 15*time.Second ||
				c.CloseOlder != time.Hour || c.IgnoreOlder != 0 || c.MaxOpenFiles != 0 {
				return "defaults differ from Logstash 5's (and start_position => beginning)"
			}
			return ""
		}},
		{"every tail option", `path => ["/a/*.log", "/b/x.log"] exclude => "*.gz" start_position => end stat_interval => 0.5
			discover_interval => 5 close_older => 60 ignore_older => 86400 max_open_files => 100 follow_symlinks => true
			delimiter => "\n" sincedb_path => "/dev/null" sincedb_write_interval => 1 type => "t" tags => ["a"]
			add_field => { "k" => "v" } codec => plain { charset => "UTF-8" } id => "x" enable_metric => false`, func(in *Input) string {
			c := in.cfg
			if len(c.Paths) != 2 || c.Exclude[0] != "*.gz" || !c.StartAtEnd || c.PollInterval != 500*time.Millisecond ||
				c.DiscoverInterval != 5*time.Second || c.CloseOlder != time.Minute || c.IgnoreOlder != 24*time.Hour ||
				c.MaxOpenFiles != 100 || !c.FollowSymlinks || in.common.Type != "t" || c.KeepBytes {
				return "options not taken"
			}
			return ""
		}},
		{"read mode deleting", `path => "/in/*.csv" mode => read`, func(in *Input) string {
			if !in.cfg.ReadMode || !in.cfg.CompletedDelete || in.cfg.CompletedLog != "" {
				return "read mode should delete completed files by default"
			}
			return ""
		}},
		{"read mode logging", `path => "/in/*.csv" mode => read file_completed_action => log file_completed_log_path => "/var/done.log"`,
			func(in *Input) string {
				if in.cfg.CompletedDelete || in.cfg.CompletedLog != "/var/done.log" {
					return "file_completed_action => log should log and keep"
				}
				return ""
			}},
		{"the line codec", `path => "/x" codec => line`, func(in *Input) string {
			if in.codec.Name() != "line" {
				return "codec not taken"
			}
			return ""
		}},
		{"each input codec", `path => "/x" codec => multiline { pattern => "^\s" what => previous auto_flush_interval => 2 }`,
			func(in *Input) string {
				if in.codec.Name() != "multiline" {
					return "codec not taken"
				}
				return ""
			}},
		{"another charset hands the codec the file's bytes", `path => "/x" codec => plain { charset => "ISO-8859-1" }`,
			func(in *Input) string {
				if !in.cfg.KeepBytes {
					return "KeepBytes not set"
				}
				return ""
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := options(t, tt.settings)
			in := New(o, Env{Shared: NewShared()})
			if err := o.Err(); err != nil {
				t.Fatalf("New(%s): %v", tt.settings, err)
			}
			if msg := tt.check(in); msg != "" {
				t.Errorf("New(%s): %s: %+v", tt.settings, msg, in.cfg)
			}
		})
	}
}

// TestOptionsRefusedAtTheirPosition: what startup cannot run is refused
// by New, so `-t` refuses it, at file:line:col.
func TestOptionsRefusedAtTheirPosition(t *testing.T) {
	t.Parallel()
	tests := []struct{ settings, want string }{
		{`path => []`, `test.conf:1:24: file input option "path": is empty`},
		{`type => "x"`, `missing required option "path"`},
		{`path => "rel/*.log"`, `path "rel/*.log" is relative`},
		{`path => "/x/[.log"`, `is not a valid glob`},
		{`path => "/x" exclude => "[a"`, `exclude "[a" is not a valid glob`},
		{`path => "/x" stat_interval => 0`, `option "stat_interval": want a positive number of seconds`},
		{`path => "/x" close_older => -1`, `option "close_older": want a positive number of seconds`},
		{`path => "/x" max_open_files => 0`, `option "max_open_files": want an integer from 1`},
		{`path => "/x" start_position => middle`, `want one of beginning, end`},
		{`path => "/x" mode => stream`, `want one of tail, read`},
		{`path => "/x" mode => read file_completed_action => log`, `"log" needs file_completed_log_path`},
		{`path => "/x" delimiter => ";"`, `option "delimiter": only "\n" is supported`},
		{`path => "/x" codec => dots`, `test.conf:1:38: file input option "codec": codec "dots" is an output codec: it cannot decode`},
		{`path => "/x" codec => collectd { pattern => "^ " }`, `codec "collectd" is not supported by logship`},
		{`path => "/x" codec => multiline { what => previous }`, `missing required option "pattern"`},
		{`path => "/x" codec => plain { charset => "KLINGON" }`, `unsupported charset "KLINGON"`},
		{`path => "/x" codec => line { delimiter => ";" }`, `the line codec's delimiter must be "\n" on the file input`},
		{`path => "/x" sincedb => "/y"`, `unknown option "sincedb" for input plugin "file"`},
		{`path => "/x" charset => "UTF-8"`, `is obsolete`},
	}
	for _, tt := range tests {
		o := options(t, tt.settings)
		New(o, Env{Shared: NewShared()})
		err := o.Err()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%s).Err() = %v; want an error containing %q", tt.settings, err, tt.want)
		}
		if err != nil && strings.Contains(tt.settings, "collectd") && strings.Contains(err.Error(), "pattern") {
			t.Errorf("New(%s).Err() = %v; want the codec blamed, not its options", tt.settings, err)
		}
	}
}

func TestOptionsWarnings(t *testing.T) {
	t.Parallel()
	tests := []struct{ settings, want string }{
		{`path => "/x" stat_interval => 0.0000001`, `is below the floor of 100ms, which is used instead`},
		{`path => "/x" sincedb_path => "/y"`, `"sincedb_path" is accepted and ignored`},
		{`path => "/x" file_completed_action => log`, `has no effect with mode => tail`},
		{`path => "/x" mode => read start_position => end`, `has no effect with mode => read`},
	}
	for _, tt := range tests {
		o := options(t, tt.settings)
		in := New(o, Env{Shared: NewShared()})
		if err := o.Err(); err != nil {
			t.Errorf("New(%s).Err() = %v; want none", tt.settings, err)
		}
		if w := strings.Join(o.Warnings(), "\n"); !strings.Contains(w, tt.want) {
			t.Errorf("New(%s).Warnings() = %q; want one containing %q", tt.settings, w, tt.want)
		}
		if strings.Contains(tt.settings, "stat_interval") && in.cfg.PollInterval != MinStatInterval {
			t.Errorf("New(%s) polls every %v; want the floor %v", tt.settings, in.cfg.PollInterval, MinStatInterval)
		}
	}
}
