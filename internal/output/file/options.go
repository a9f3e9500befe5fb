package file

import (
	"strings"

	"github.com/appstack/appstack/internal/plugin"
)

// FromOptions reads the file output's options from o, as
// logstash-output-file 4.x (Logstash 5) declares them, and returns the
// output: path (required; one fixed file), codec (json_lines by default)
// and the common output options. Options whose behaviour logship has by
// design are accepted with a warning; the ones it lacks are refused.
func FromOptions(o *plugin.Options) *Output {
	plugin.ReadOutputCommon(o)
	o.Require("path")
	path := o.String("path", "")
	// Logstash expands %{...} per event; one fixed file is all logship
	// writes, so say so rather than create "%{...}".
	if strings.Contains(path, "%{") {
		o.Errorf("path", "path %q uses %%{...}: per-event file paths are not supported, use a fixed path", path)
	}
	codec := plugin.OutputCodec(o, "json_lines", plugin.OutputCodecs...)
	if o.Bool("gzip", false) {
		o.Errorf("gzip", "gzip is not supported by logship")
	}
	if !o.Bool("create_if_deleted", true) {
		o.Errorf("create_if_deleted", "false is not supported: logship creates the file again when it is deleted or rotated")
	}
	if o.String("write_behavior", "append") != "append" {
		o.Errorf("write_behavior", "only append is supported")
	}
	o.Ignore("flush_interval", "each batch is written to the OS at once")
	o.Ignore("filename_failure", "the path has no %{...} to fail")
	o.Ignore("dir_mode", "directories are created 0755")
	o.Ignore("file_mode", "files are created 0644")
	return New(path, codec)
}
