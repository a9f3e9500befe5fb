package plugin

// InputCommon is the options Logstash 5 gives every input, but codec,
// which each input reads itself (what it can decode depends on it).
type InputCommon struct {
	Type     string
	Tags     []string
	AddField []Entry
}

// inputObsolete are the input options Logstash 5 refuses, with its
// advice.
var inputObsolete = map[string]string{
	"debug":          "it no longer has any effect",
	"format":         "use the codec option instead",
	"charset":        `use the codec option instead, like: codec => plain { charset => "UTF-8" }`,
	"message_format": "it is no longer valid",
}

// ReadInputCommon reads the common input options from o: id,
// enable_metric, type, tags, add_field; and refuses the obsolete debug,
// format, charset and message_format as Logstash 5 does.
func ReadInputCommon(o *Options) InputCommon {
	o.String("id", "") // the name cmd/logship gives the plugin
	c := InputCommon{
		Type:     o.String("type", ""),
		Tags:     o.StringList("tags", nil),
		AddField: o.Hash("add_field"),
	}
	o.Bool("enable_metric", true)
	for _, n := range []string{"debug", "format", "charset", "message_format"} {
		if o.Has(n) {
			o.Errorf(n, "is obsolete: %s", inputObsolete[n])
		}
	}
	return c
}
