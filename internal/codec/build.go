package codec

import (
	"errors"
	"time"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/filter/date/joda"
)

// The fields and tag of an event whose @timestamp could not be read, as
// Logstash's Event names them.
const (
	timestampFailureTag   = "_timestampparsefailure"
	timestampFailureField = "_@timestamp"
)

// eventRoom is the fields a new event has room for: a codec's three and
// what an input adds (path, host, type, tags, an add_field), so that they
// take one allocation, reused with the event.
const eventRoom = 8

// next returns dst grown by one event, and that event, empty: it reuses
// the fields' memory of an event already between len(dst) and cap(dst).
func next(dst []event.Event) ([]event.Event, *event.Event) {
	if len(dst) < cap(dst) {
		dst = dst[:len(dst)+1]
		e := &dst[len(dst)-1]
		*e = event.Event{Fields: e.Fields[:0], Metadata: e.Metadata[:0]}
		return dst, e
	}
	dst = append(dst, event.Event{Fields: make([]event.Field, 0, eventRoom)})
	return dst, &dst[len(dst)-1]
}

// appendMessage appends the event of Logstash's Event.new("message" =>
// text): message, @version, @timestamp; tagged _linetoolong when its
// text was cut.
func appendMessage(dst []event.Event, text string, now time.Time, truncated bool) []event.Event {
	dst, e := next(dst)
	e.Fields = append(e.Fields,
		event.Field{Key: "message", Value: event.String(text)},
		event.Field{Key: "@version", Value: event.String("1")},
		event.Field{Key: "@timestamp", Value: event.Time(now)})
	if truncated {
		e.AddTag(TruncatedTag)
	}
	return dst
}

// errMetadata is a JSON object whose @metadata is not an object, which
// Logstash cannot make an event of either.
var errMetadata = errors.New("@metadata is not an object")

// FromMap fills the empty event e with the keys of a decoded JSON object
// as Logstash 5's Event.new(hash) does: keys as they are (not read as
// field references); @metadata (an object) becomes the event's metadata;
// @version "1" is added when absent; @timestamp, when absent or null, is
// now; an ISO 8601 string is read as the timestamp; anything else makes
// the timestamp now, tagged _timestampparsefailure, with the value kept
// in _@timestamp.
func FromMap(e *event.Event, fs []event.Field, now time.Time) error {
	hasVersion := false
	ts := -1
	for _, f := range fs {
		switch f.Key {
		case event.MetadataKey:
			if f.Value.Kind() != event.MapKind {
				return errMetadata
			}
			e.Metadata = append(e.Metadata, f.Value.Map()...)
			continue
		case "@version":
			hasVersion = true
		case "@timestamp":
			ts = len(e.Fields)
		}
		e.Fields = append(e.Fields, f)
	}
	if !hasVersion {
		e.Fields = append(e.Fields, event.Field{Key: "@version", Value: event.String("1")})
	}
	if ts < 0 {
		e.Fields = append(e.Fields, event.Field{Key: "@timestamp", Value: event.Time(now)})
		return nil
	}
	given := e.Fields[ts].Value
	if t, ok := Timestamp(given); ok {
		e.Fields[ts].Value = event.Time(t)
		return nil
	}
	e.Fields[ts].Value = event.Time(now)
	if given.Kind() == event.Nil {
		return nil
	}
	e.AddTag(timestampFailureTag)
	e.Set(timestampFailureField, given)
	return nil
}

// Timestamp reads a JSON @timestamp as LogStash::Timestamp.coerce does:
// an ISO 8601 string (without an offset, UTC).
func Timestamp(v event.Value) (time.Time, bool) {
	if v.Kind() != event.StringKind {
		return time.Time{}, false
	}
	t, err := joda.ParseISO8601(v.Str(), time.UTC)
	return t, err == nil
}
