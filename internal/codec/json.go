package codec

import (
	"time"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/lsjson"
)

// jsonDecoder is the json and json_lines codecs: each unit is one JSON
// document, as Logstash 5's Event.from_json reads it. An object is an
// event; an array of objects is an event per object (none when empty);
// blank text is no event. Anything else (invalid JSON, a scalar, an array
// holding a non-object, an @metadata that is not an object) is one event
// with the text as message, tagged _jsonparsefailure. What follows the
// first JSON value is ignored, as Jackson does.
type jsonDecoder struct {
	c       *Codec
	settled int64
}

func (d *jsonDecoder) Decode(dst []event.Event, u Unit) []event.Event {
	d.settled = u.End
	text := d.c.conv.convert(u.Text)
	if blank(text) {
		return dst
	}
	now := d.c.now()
	n := len(dst)
	if dst, ok := appendJSON(dst, text, now); ok {
		if u.Truncated {
			for i := n; i < len(dst); i++ {
				dst[i].AddTag(TruncatedTag)
			}
		}
		return dst
	}
	dst, e := next(dst[:n])
	// Event.new("message" => json, "tags" => ["_jsonparsefailure"])
	e.Fields = append(e.Fields,
		event.Field{Key: "message", Value: event.String(text)},
		event.Field{Key: event.TagsKey, Value: event.Strings(JSONFailureTag)},
		event.Field{Key: "@version", Value: event.String("1")},
		event.Field{Key: "@timestamp", Value: event.Time(now)})
	if u.Truncated {
		e.AddTag(TruncatedTag)
	}
	return dst
}

// appendJSON appends the events of the JSON document text; ok is false,
// with dst unchanged in length, when text makes no event.
func appendJSON(dst []event.Event, text string, now time.Time) ([]event.Event, bool) {
	v, err := lsjson.ParseFirst(text)
	if err != nil {
		return dst, false
	}
	var objects []event.Value
	switch v.Kind() {
	case event.MapKind:
		objects = []event.Value{v}
	case event.ListKind:
		objects = v.List()
		for _, o := range objects {
			if o.Kind() != event.MapKind {
				return dst, false
			}
		}
	default:
		return dst, false
	}
	n := len(dst)
	for _, o := range objects {
		var e *event.Event
		dst, e = next(dst)
		if FromMap(e, o.Map(), now) != nil {
			return dst[:n], false
		}
	}
	return dst, true
}

// blank is Java's String.trim().isEmpty(): nothing above U+0020.
func blank(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] > ' ' {
			return false
		}
	}
	return true
}

func (d *jsonDecoder) Flush(dst []event.Event) []event.Event { return dst }
func (d *jsonDecoder) FlushAt() time.Time                    { return time.Time{} }
func (d *jsonDecoder) Settled() int64                        { return d.settled }
