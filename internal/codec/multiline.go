package codec

import (
	"strings"
	"time"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/filter/grok"
	"github.com/appstack/appstack/internal/plugin"
)

// The tags of a multiline event flushed because it reached a bound.
const (
	maxLinesTag = "multiline_codec_max_lines_reached"
	maxBytesTag = "multiline_codec_max_bytes_reached"
)

// matchTimeout bounds one match of the pattern: the backtracking engine
// could otherwise stall the input on a hostile line. A match abandoned is
// taken as no match.
const matchTimeout = 2 * time.Second

type multilineConfig struct {
	re        *grok.Regexp
	negate    bool
	next      bool // what => next
	tag       string
	maxLines  int
	maxBytes  int64
	autoFlush time.Duration // 0: none
}

func readMultiline(o *plugin.Options) *multilineConfig {
	o.Require("pattern", "what")
	m := &multilineConfig{
		negate:   o.Bool("negate", false),
		next:     o.Enum("what", "previous", "previous", "next") == "next",
		tag:      o.String("multiline_tag", "multiline"),
		maxLines: o.Int("max_lines", 500, 0, 1<<31-1),
	}
	m.maxBytes = readBytes(o, "max_bytes", 10<<20)
	if o.Has("auto_flush_interval") {
		s := o.Float("auto_flush_interval", 0)
		if s <= 0 {
			o.Errorf("auto_flush_interval", "want a positive number of seconds")
		}
		m.autoFlush = time.Duration(s * float64(time.Second))
	}
	dirs := o.StringList("patterns_dir", nil)
	pattern := o.String("pattern", "")
	if o.Has("pattern") {
		re, err := grok.CompileRegexp(pattern, dirs, matchTimeout)
		if err != nil {
			o.Errorf("pattern", "%v", err)
		}
		m.re = re
	}
	return m
}

// multiline is the multiline codec: it joins lines into one event with
// "\n". A line that matches the pattern (or, with negate, does not)
// belongs with the previous line (what => previous) or the next one (what
// => next); any other line ends the event before it (previous) or the
// event it is in (next). As Logstash does:
//
//   - a unit is split at "\n" with Ruby's String#split, so an empty line
//     is no line at all (the file input hands it over as "");
//   - the event is flushed, tagged, once it holds more than max_lines
//     lines or at least max_bytes bytes, when the next line comes
//     (previous) or right away (next);
//   - an event of two lines or more is tagged multiline_tag;
//   - the @timestamp is when the event is flushed.
type multiline struct {
	c      *Codec
	cfg    *multilineConfig
	re     *grok.Regexp
	lines  []string
	bytes  int64
	cut    bool // a line was cut at the input's cap
	lastAt time.Time
	seen   int64 // End of the last unit decoded
	// holdFrom is the End of the unit before the first one with a
	// buffered line: where a restart must resume to read it again.
	holdFrom int64
}

func newMultiline(c *Codec) *multiline {
	m := &multiline{c: c, cfg: c.ml}
	if c.ml.re != nil {
		m.re = c.ml.re.Copy()
	}
	return m
}

func (m *multiline) Decode(dst []event.Event, u Unit) []event.Event {
	// Ruby's String#split("\n"): the pieces between newlines, without
	// the trailing empty ones.
	rest := strings.TrimRight(m.c.conv.convert(u.Text), "\n")
	for rest != "" {
		var line string
		line, rest, _ = strings.Cut(rest, "\n")
		match := m.match(line) != m.cfg.negate
		if m.cfg.next {
			m.buffer(line, u)
			if !match || m.overLimits() {
				dst = m.Flush(dst)
			}
		} else {
			if !match || m.overLimits() {
				dst = m.Flush(dst)
			}
			m.buffer(line, u)
		}
	}
	m.seen = u.End
	return dst
}

func (m *multiline) match(line string) bool {
	if m.re == nil { // the pattern did not compile: -t refuses the config
		return false
	}
	ok, err := m.re.MatchString(line)
	return ok && err == nil
}

func (m *multiline) buffer(line string, u Unit) {
	if len(m.lines) == 0 {
		m.holdFrom = m.seen
	}
	m.lines = append(m.lines, strings.Clone(line))
	m.bytes += int64(len(line))
	m.cut = m.cut || u.Truncated
	m.lastAt = m.c.now()
}

func (m *multiline) overLimits() bool {
	return len(m.lines) > m.cfg.maxLines || m.bytes >= m.cfg.maxBytes
}

func (m *multiline) Flush(dst []event.Event) []event.Event {
	if len(m.lines) == 0 {
		return dst
	}
	dst, e := next(dst)
	// Event.new("@timestamp" => nil, "message" => lines.join("\n"))
	e.Fields = append(e.Fields,
		event.Field{Key: "@timestamp", Value: event.Time(m.c.now())},
		event.Field{Key: "message", Value: event.String(strings.Join(m.lines, "\n"))},
		event.Field{Key: "@version", Value: event.String("1")})
	if m.cfg.tag != "" && len(m.lines) > 1 {
		e.AddTag(m.cfg.tag)
	}
	if m.bytes >= m.cfg.maxBytes {
		e.AddTag(maxBytesTag)
	}
	if len(m.lines) > m.cfg.maxLines {
		e.AddTag(maxLinesTag)
	}
	if m.cut {
		e.AddTag(TruncatedTag)
	}
	clear(m.lines)
	m.lines, m.bytes, m.cut = m.lines[:0], 0, false
	return dst
}

func (m *multiline) FlushAt() time.Time {
	if m.cfg.autoFlush <= 0 || len(m.lines) == 0 {
		return time.Time{}
	}
	return m.lastAt.Add(m.cfg.autoFlush)
}

func (m *multiline) Settled() int64 {
	if len(m.lines) > 0 {
		return m.holdFrom
	}
	return m.seen
}
