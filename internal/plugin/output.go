package plugin

import (
	"slices"
	"strings"

	"github.com/appstack/appstack/internal/event"
)

// ReadOutputCommon reads the options Logstash 5 gives every output, but
// codec, which each output reads with OutputCodec: id (the name
// cmd/logship gives the plugin), enable_metric, workers (logship runs one
// writer per output: a higher value is accepted with a warning), and
// refuses the obsolete type, tags and exclude_tags as Logstash 5 does.
func ReadOutputCommon(o *Options) {
	o.String("id", "")
	o.Bool("enable_metric", true)
	if w := o.Int("workers", 1, 1, 1<<16); w > 1 {
		o.Warn("workers", "logship writes to each output from one goroutine; workers => %d has no effect", w)
	}
	refuseObsolete(o, "type", "tags", "exclude_tags")
}

// OutputCodecs are the codecs OutputCodec builds.
var OutputCodecs = []string{"dots", "json", "json_lines", "line", "plain", "rubydebug"}

// OutputCodec reads an output's codec option: a name, or a block with
// the codec's options, one of allowed (def when the option is not set).
// A codec not in allowed is an error naming it (its options are not
// looked at); a codec's unknown options are errors naming the codec.
func OutputCodec(o *Options, def string, allowed ...string) event.Codec {
	name := def
	if v, ok := o.Raw("codec"); ok {
		switch {
		case v.Plugin != nil:
			name = v.Plugin.Name
		default:
			n, err := scalar(v)
			if err != nil {
				o.Errorf("codec", "want a codec name or block, got %s", describe(v))
				return codec(def, nil)
			}
			name = n
		}
		if !slices.Contains(allowed, name) {
			o.Errorf("codec", "codec %q is not supported by the %s output (supported: %s)", name, o.Name(), strings.Join(allowed, ", "))
			return codec(def, nil)
		}
	}
	sub, ok := o.Sub("codec", "codec")
	if !ok {
		return codec(name, nil)
	}
	return codec(name, sub)
}

// codec builds codec name with the options of sub, which may be nil.
func codec(name string, sub *Options) event.Codec {
	if sub == nil {
		sub = &Options{known: map[string]bool{}}
	}
	sub.String("id", "")
	sub.Bool("enable_metric", true)
	switch name {
	case "rubydebug":
		return event.Rubydebug{Metadata: sub.Bool("metadata", false)}
	case "json":
		utf8Only(sub)
		return event.JSON{}
	case "json_lines":
		utf8Only(sub)
		return event.JSON{Delimiter: sub.String("delimiter", "\n")}
	case "line":
		utf8Only(sub)
		return event.Line{Format: sub.String("format", "")}
	case "plain":
		utf8Only(sub)
		return event.Plain{Format: sub.String("format", "")}
	case "dots":
		return event.Dots{}
	}
	panic("plugin: no output codec " + name)
}

// utf8Only accepts charset => "UTF-8", what logship writes.
func utf8Only(o *Options) {
	if cs := o.String("charset", "UTF-8"); !strings.EqualFold(cs, "UTF-8") {
		o.Errorf("charset", "logship writes UTF-8 only, got %q", cs)
	}
}
