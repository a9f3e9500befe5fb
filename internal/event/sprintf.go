package event

import (
	"strconv"
	"strings"
	"time"
)

// Sprintf expands Logstash field references in format, as Logstash's
// event.sprintf does: %{field} and %{[a][b]} become the field's value
// (arrays joined with ","), %{+FORMAT} formats @timestamp in UTC with a
// Joda-Time pattern (%{+yyyy.MM.dd}), %{+%s} is epoch seconds. A
// reference to a missing field is left as written.
func (e *Event) Sprintf(format string) string {
	if !strings.Contains(format, "%{") {
		return format
	}
	var b strings.Builder
	for {
		i := strings.Index(format, "%{")
		if i < 0 {
			b.WriteString(format)
			return b.String()
		}
		j := strings.IndexByte(format[i+2:], '}')
		if j < 0 {
			b.WriteString(format)
			return b.String()
		}
		b.WriteString(format[:i])
		ref := format[i+2 : i+2+j]
		whole := format[i : i+3+j]
		format = format[i+3+j:]
		if strings.HasPrefix(ref, "+") {
			ts, ok := e.timestamp()
			switch {
			case !ok:
				b.WriteString(whole)
			case ref == "+%s":
				b.WriteString(strconv.FormatInt(ts.Unix(), 10))
			default:
				b.WriteString(FormatJoda(ts, ref[1:]))
			}
			continue
		}
		v, ok := e.lookup(ref)
		if !ok {
			b.WriteString(whole)
			continue
		}
		b.WriteString(textOf(v))
	}
}

func (e *Event) timestamp() (time.Time, bool) {
	v, ok := e.Get("@timestamp")
	if !ok || v.kind != TimeKind {
		return time.Time{}, false
	}
	return v.Time(), true
}

// lookup resolves "field" or "[a][b]" references; a malformed one
// resolves to nothing, so sprintf leaves it as written.
func (e *Event) lookup(ref string) (Value, bool) {
	r, err := ParseRef(ref)
	if err != nil {
		return Value{}, false
	}
	return e.Lookup(r)
}

// textOf is the text Logstash interpolates for a value.
func textOf(v Value) string {
	switch v.kind {
	case StringKind:
		return v.s
	case ListKind:
		parts := make([]string, len(v.List()))
		for i, it := range v.List() {
			parts[i] = textOf(it)
		}
		return strings.Join(parts, ",")
	case MapKind:
		return string(appendJSONValue(nil, v))
	case Nil:
		return ""
	}
	return string(appendJSONValue(nil, v))
}

// FormatJoda formats t (in UTC) with a Joda-Time DateTimeFormat pattern:
// y Y u x (years), M (3: Jan, 4+: January), d, D, w, e, E (3: Mon, 4+:
// Monday), H, k, h, K, a, m, s, S (fraction), Z, z and 'quoted text'.
// Other characters are copied.
func FormatJoda(t time.Time, pattern string) string {
	t = t.UTC()
	var b strings.Builder
	for i := 0; i < len(pattern); {
		c := pattern[i]
		if c == '\'' {
			end := strings.IndexByte(pattern[i+1:], '\'')
			if end == 0 { // '' is a literal quote
				b.WriteByte('\'')
				i += 2
				continue
			}
			if end < 0 {
				b.WriteString(pattern[i+1:])
				break
			}
			b.WriteString(pattern[i+1 : i+1+end])
			i += end + 2
			continue
		}
		n := 1
		for i+n < len(pattern) && pattern[i+n] == c {
			n++
		}
		i += n
		num := func(v int) {
			s := strconv.Itoa(v)
			for k := len(s); k < n; k++ {
				b.WriteByte('0')
			}
			b.WriteString(s)
		}
		switch c {
		case 'y', 'Y', 'u', 'x':
			y := t.Year()
			if c == 'x' {
				y, _ = t.ISOWeek()
			}
			if n == 2 {
				b.WriteString(strconv.Itoa(100 + y%100)[1:])
			} else {
				num(y)
			}
		case 'M':
			switch {
			case n >= 4:
				b.WriteString(t.Month().String())
			case n == 3:
				b.WriteString(t.Month().String()[:3])
			default:
				num(int(t.Month()))
			}
		case 'd':
			num(t.Day())
		case 'D':
			num(t.YearDay())
		case 'w':
			_, w := t.ISOWeek()
			num(w)
		case 'e':
			num((int(t.Weekday())+6)%7 + 1)
		case 'E':
			if n >= 4 {
				b.WriteString(t.Weekday().String())
			} else {
				b.WriteString(t.Weekday().String()[:3])
			}
		case 'H':
			num(t.Hour())
		case 'k':
			num((t.Hour()+23)%24 + 1)
		case 'h':
			num((t.Hour()+11)%12 + 1)
		case 'K':
			num(t.Hour() % 12)
		case 'a':
			if t.Hour() < 12 {
				b.WriteString("AM")
			} else {
				b.WriteString("PM")
			}
		case 'm':
			num(t.Minute())
		case 's':
			num(t.Second())
		case 'S':
			frac := strconv.Itoa(1_000_000_000 + t.Nanosecond())[1:]
			for len(frac) < n {
				frac += "0"
			}
			b.WriteString(frac[:n])
		case 'Z':
			switch n {
			case 1:
				b.WriteString("+0000")
			case 2:
				b.WriteString("+00:00")
			default:
				b.WriteString("UTC")
			}
		case 'z':
			b.WriteString("UTC")
		default:
			for k := 0; k < n; k++ {
				b.WriteByte(c)
			}
		}
	}
	return b.String()
}
