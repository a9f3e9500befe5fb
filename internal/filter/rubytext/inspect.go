package rubytext

import (
	"strconv"
	"strings"

	"github.com/appstack/appstack/internal/event"
)

// ToS is Ruby's to_s of an event value, which Logstash's filters match,
// substitute and store: a string as it is, nil as "", a timestamp as
// Logstash's Timestamp#to_s (ISO 8601 in UTC, milliseconds), anything
// else as Inspect.
func ToS(v event.Value) string {
	switch v.Kind() {
	case event.StringKind:
		return v.Str()
	case event.Nil:
		return ""
	case event.TimeKind:
		return v.Time().Format("2006-01-02T15:04:05.000Z")
	}
	return Inspect(v)
}

// Inspect is Ruby's inspect of an event value: strings quoted, numbers
// and booleans as Ruby writes them (Float#to_s), arrays as [a, b],
// hashes as {"k"=>v}, nil as nil.
func Inspect(v event.Value) string {
	var b strings.Builder
	inspect(&b, v)
	return b.String()
}

func inspect(b *strings.Builder, v event.Value) {
	switch v.Kind() {
	case event.StringKind:
		b.WriteString(strconv.Quote(v.Str()))
	case event.IntKind:
		b.WriteString(strconv.FormatInt(v.Int(), 10))
	case event.FloatKind:
		b.WriteString(event.RubyFloat(v.Float()))
	case event.BoolKind:
		b.WriteString(strconv.FormatBool(v.Bool()))
	case event.TimeKind:
		b.WriteString(ToS(v))
	case event.ListKind:
		b.WriteByte('[')
		for i, it := range v.List() {
			if i > 0 {
				b.WriteString(", ")
			}
			inspect(b, it)
		}
		b.WriteByte(']')
	case event.MapKind:
		b.WriteByte('{')
		for i, f := range v.Map() {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(strconv.Quote(f.Key))
			b.WriteString("=>")
			inspect(b, f.Value)
		}
		b.WriteByte('}')
	default:
		b.WriteString("nil")
	}
}
