// Package codec is Logstash 5's input codecs: plain, line, json,
// json_lines and multiline, as logstash-codec-plain 3.0.6, -line 3.0.8,
// -json 3.0.5, -json_lines 3.0.6 and -multiline 3.0.10 (Logstash 5.6)
// decode.
//
// An input frames what it reads into units (lines of a file or of a
// stream, a datagram, a Beats message) and hands them, one stream at a
// time, to a Decoder, which builds events: message (or the JSON's
// fields), @version, @timestamp and the codec's tags. The input then
// decorates them (plugin.InputCommon.Decorate) and adds its own fields.
// Stream frames a byte stream at the codec's delimiter, with a cap on a
// unit's size, for the inputs that read streams (stdin, tcp, udp).
package codec

import (
	"slices"
	"strings"
	"time"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/lsconf"
	"github.com/appstack/appstack/internal/plugin"
)

// Tags the decoders add.
const (
	// TruncatedTag marks an event with a unit cut at the input's cap.
	TruncatedTag = "_linetoolong"
	// JSONFailureTag marks text the json codecs could not decode; the
	// text is the event's message.
	JSONFailureTag = "_jsonparsefailure"
)

// Names are the codecs inputs can decode with.
var Names = []string{"json", "json_lines", "line", "multiline", "plain"}

// Env is what decoders take from the process.
type Env struct {
	// Now is the clock of @timestamp (time.Now if nil).
	Now func() time.Time
}

// Unit is one piece of input: a line, a datagram, a message.
type Unit struct {
	// Text is the unit, without its delimiter. Events may share its
	// memory: a decoder keeps it only by copying.
	Text string
	// End is where the input resumes once the unit's event is
	// acknowledged (a file offset); streams without one leave it 0.
	End int64
	// Truncated is set when the input cut the unit at its cap; the event
	// holding it is tagged _linetoolong.
	Truncated bool
}

// Decoder turns the units of one stream (a file, a connection) into
// events: one per stream, as Logstash's IdentityMapCodec keeps one
// multiline buffer per file. It is not safe for concurrent use.
type Decoder interface {
	// Decode appends the events u completes to dst and returns dst. It
	// reuses the memory of events between len(dst) and cap(dst).
	Decode(dst []event.Event, u Unit) []event.Event
	// Flush appends the event the decoder holds (multiline's pending
	// lines), if any: at the end of a stream, at shutdown, or once
	// FlushAt has passed.
	Flush(dst []event.Event) []event.Event
	// FlushAt is when Flush is due if no unit comes in the meantime
	// (multiline's auto_flush_interval); zero when none is.
	FlushAt() time.Time
	// Settled is the End of the last unit decoded whose text, and that
	// of every unit before it, is in events already returned: where a
	// restart must resume so that nothing held is lost. For multiline it
	// is the End of the last line of the last event returned.
	Settled() int64
}

// Codec is an input's codec block, read once; NewDecoder makes the
// decoder of each stream. It is safe for concurrent use.
type Codec struct {
	name      string
	delimiter string // framing of a stream: "" means a unit is what one read or datagram gave
	conv      converter
	ml        *multilineConfig // multiline only
	now       func() time.Time
}

// Name is the codec's name, e.g. "json_lines".
func (c *Codec) Name() string { return c.name }

// Delimiter is the delimiter that frames a stream into units for this
// codec: "\n" by default for line, json_lines and multiline; "" for plain
// and json, whose unit is everything one read or datagram gives.
func (c *Codec) Delimiter() string { return c.delimiter }

// Streaming returns the codec an input reading a byte stream (stdin,
// tcp) uses in place of c, as Logstash's fix_streaming_codecs: plain
// becomes line and json becomes json_lines, with the same charset; other
// codecs are themselves.
func (c *Codec) Streaming() *Codec {
	s := *c
	switch c.name {
	case "plain":
		s.name, s.delimiter = "line", "\n"
	case "json":
		s.name, s.delimiter = "json_lines", "\n"
	}
	return &s
}

// UTF8 reports whether the codec reads UTF-8 (its charset); an input
// hands a codec of another charset its bytes as they are.
func (c *Codec) UTF8() bool { return c.conv == converter{} }

// NewDecoder returns a decoder for one stream.
func (c *Codec) NewDecoder() Decoder {
	switch c.name {
	case "json", "json_lines":
		return &jsonDecoder{c: c}
	case "multiline":
		return newMultiline(c)
	}
	return &textDecoder{c: c}
}

// Read reads the codec option of the input block o: def when o does not
// set it. A codec that is not one of allowed (Names when none is given)
// is an error naming it, its options not looked at; the codec's unknown
// options and bad values are errors at their place (o.Err reports them).
func Read(o *plugin.Options, def string, env Env, allowed ...string) *Codec {
	if len(allowed) == 0 {
		allowed = Names
	}
	now := env.Now
	if now == nil {
		now = time.Now
	}
	name := def
	pl, set := o.Plugin("codec")
	if set {
		name = pl.Name
	}
	if !slices.Contains(allowed, name) {
		why := "not supported by logship"
		switch {
		case slices.Contains(Names, name):
			why = "not supported by the " + o.Name() + " input"
		case name == "rubydebug" || name == "dots":
			why = "an output codec: it cannot decode"
		}
		o.Errorf("codec", "codec %q is %s (supported: %s)", name, why, strings.Join(allowed, ", "))
		name = def
		set = false
	}
	var sub *plugin.Options
	if set {
		sub, _ = o.Sub("codec", "codec")
	} else {
		sub = plugin.New("codec", o.File(), &lsconf.Plugin{Name: name, Pos: o.Pos()})
	}
	sub.String("id", "")
	sub.Bool("enable_metric", true)
	c := &Codec{name: name, now: now}
	c.conv = readCharset(sub)
	switch name {
	case "plain":
		sub.Ignore("format", "it formats events for outputs; an input's codec only decodes")
	case "line":
		sub.Ignore("format", "it formats events for outputs; an input's codec only decodes")
		c.delimiter = delimiter(sub)
	case "json_lines":
		c.delimiter = delimiter(sub)
	case "multiline":
		c.delimiter = "\n"
		c.ml = readMultiline(sub)
	}
	return c
}

func delimiter(o *plugin.Options) string {
	d := o.String("delimiter", "\n")
	if d == "" {
		o.Errorf("delimiter", "must not be empty")
		return "\n"
	}
	return d
}
