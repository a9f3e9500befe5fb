// Package plugintest holds what the tests of every plugin kind share: a
// plugin block parsed from config text into the options its constructor
// gets, and the check of what a constructor refused.
package plugintest

import (
	"strings"
	"testing"

	"github.com/appstack/appstack/internal/lsconf"
	"github.com/appstack/appstack/internal/plugin"
)

// File is the name errors give the config text.
const File = "test.conf"

// Options parses config, one section holding one plugin block, and
// returns that block's options (of the section's kind), as cmd/logship
// gives them to the plugin's constructor.
func Options(tb testing.TB, config string) *plugin.Options {
	tb.Helper()
	cfg, err := lsconf.Parse(File, []byte(config))
	if err != nil {
		tb.Fatalf("parse %q: %v", config, err)
	}
	if len(cfg.Sections) != 1 || len(cfg.Sections[0].Plugins) != 1 {
		tb.Fatalf("parse %q: want one section of one plugin block", config)
	}
	s := &cfg.Sections[0]
	return plugin.New(s.Kind, File, &s.Plugins[0])
}

// Build parses config and builds its plugin with newPlugin, failing the
// test on any option error.
func Build[P any](tb testing.TB, config string, newPlugin func(*plugin.Options) P) P {
	tb.Helper()
	o := Options(tb, config)
	p := newPlugin(o)
	if err := o.Err(); err != nil {
		tb.Fatalf("%s: %v", config, err)
	}
	return p
}

// BuildErr parses config, builds its plugin with newPlugin and returns
// the options' error.
func BuildErr[P any](tb testing.TB, config string, newPlugin func(*plugin.Options) P) error {
	tb.Helper()
	o := Options(tb, config)
	newPlugin(o)
	return o.Err()
}

// CheckErr checks the error a constructor recorded for config: none when
// want is "", else one at a test.conf position that contains want.
func CheckErr(tb testing.TB, config string, err error, want string) {
	tb.Helper()
	switch {
	case want == "" && err != nil:
		tb.Errorf("%s: error %v; want none", config, err)
	case want != "" && (err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), File+":")):
		tb.Errorf("%s: error %v; want one at %s:line:col containing %q", config, err, File, want)
	}
}
