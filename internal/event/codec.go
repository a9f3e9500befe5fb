package event

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
	"unsafe"
)

// Codec encodes events. Append appends the encoding of e to dst and
// returns the extended buffer. Codecs hold no state and are safe for
// concurrent use.
type Codec interface {
	Append(dst []byte, e *Event) []byte
}

// AppendAll appends the encoding of every event to dst.
func AppendAll(dst []byte, c Codec, events []Event) []byte {
	for i := range events {
		dst = c.Append(dst, &events[i])
	}
	return dst
}

// NewCodec returns the codec Logstash calls name: "rubydebug",
// "json_lines", "json" (no delimiter) or "line" (format, or Logstash's
// event.to_s when format is empty).
func NewCodec(name, format string) (Codec, error) {
	switch name {
	case "rubydebug":
		return Rubydebug{}, nil
	case "json_lines":
		return JSON{Delimiter: "\n"}, nil
	case "json":
		return JSON{}, nil
	case "line":
		return Line{Format: format}, nil
	}
	return nil, fmt.Errorf("unknown codec %q", name)
}

// timestampLayout is LogStash::Timestamp#to_iso8601: UTC, milliseconds.
const timestampLayout = "2006-01-02T15:04:05.000Z"

func appendTimestamp(dst []byte, t time.Time) []byte {
	return t.UTC().AppendFormat(dst, timestampLayout)
}

// appendMillis formats Unix milliseconds like appendTimestamp, without
// time.Format's cost: it runs for every event.
func appendMillis(dst []byte, ms int64) []byte {
	if ms < 0 || ms >= 253402300800000 { // outside years 1970..9999
		return appendTimestamp(dst, time.UnixMilli(ms))
	}
	days := ms / 86400000
	rem := ms % 86400000
	y, m, d := civil(days)
	h, mi, s, milli := rem/3600000, rem/60000%60, rem/1000%60, rem%1000
	return append(dst,
		byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+m/10), byte('0'+m%10), '-', byte('0'+d/10), byte('0'+d%10), 'T',
		byte('0'+h/10), byte('0'+h%10), ':', byte('0'+mi/10), byte('0'+mi%10), ':',
		byte('0'+s/10), byte('0'+s%10), '.', byte('0'+milli/100), byte('0'+milli/10%10), byte('0'+milli%10), 'Z')
}

// civil converts days since 1970-01-01 to a date (Howard Hinnant's
// days_from_civil inverse).
func civil(days int64) (y, m, d int64) {
	z := days + 719468
	era := z / 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	m = mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

// JSON is Logstash's json codec (Delimiter "") and json_lines codec
// (Delimiter "\n"): the event serialised as Jackson does, keys in event
// order, @timestamp as an ISO 8601 string.
type JSON struct {
	Delimiter string
}

// Append implements Codec.
func (c JSON) Append(dst []byte, e *Event) []byte {
	dst = appendJSONFields(dst, e.Fields, e.Order())
	return append(dst, c.Delimiter...)
}

func appendJSONFields(dst []byte, fs []Field, order []int) []byte {
	dst = append(dst, '{')
	for n, i := range order {
		if n > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, fs[i].Key)
		dst = append(dst, ':')
		dst = appendJSONValue(dst, fs[i].Value)
	}
	return append(dst, '}')
}

func appendJSONValue(dst []byte, v Value) []byte {
	switch v.kind {
	case StringKind:
		return appendJSONString(dst, v.s)
	case TimeKind:
		dst = append(dst, '"')
		dst = appendMillis(dst, v.i)
		return append(dst, '"')
	case IntKind:
		return strconv.AppendInt(dst, v.i, 10)
	case FloatKind:
		if f := v.Float(); math.IsNaN(f) || math.IsInf(f, 0) {
			return append(dst, "null"...)
		}
		return appendJavaDouble(dst, v.Float())
	case BoolKind:
		return strconv.AppendBool(dst, v.i != 0)
	case ListKind:
		dst = append(dst, '[')
		for i, it := range v.List() {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONValue(dst, it)
		}
		return append(dst, ']')
	case MapKind:
		return appendJSONFields(dst, v.Map(), cachedOrder(v.Map()))
	}
	return append(dst, "null"...)
}

const hexDigits = "0123456789ABCDEF"

// appendJSONString quotes s as Jackson does: ", \ and control characters
// escaped (\b \t \n \f \r, else \u00XX), everything else as UTF-8.
// Invalid UTF-8 becomes U+FFFD.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	b := unsafe.Slice(unsafe.StringData(s), len(s))
	for i := 0; i < len(s); {
		// Eight bytes at a time while none needs a look: the common case,
		// and where every codec spends its time.
		if i+8 <= len(s) && plain8(binary.LittleEndian.Uint64(b[i:])) {
			i += 8
			continue
		}
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < 0x80 {
			i++
			continue
		}
		if c >= 0x80 {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				dst = append(dst, s[start:i]...)
				dst = append(dst, "\uFFFD"...)
				i++
				start = i
				continue
			}
			i += size
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\f':
			dst = append(dst, '\\', 'f')
		case '\r':
			dst = append(dst, '\\', 'r')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
		}
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// plain8 reports whether the eight bytes of x are all printable ASCII
// other than the quote and the backslash: bytes appendJSONString copies
// as they are. The tests are the classic word-at-a-time ones (a byte
// below n, a zero byte); a false "no" only sends the bytes down the
// byte-by-byte path.
func plain8(x uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	below20 := (x - ones*0x20) & ^x
	quote := x ^ ones*'"'
	backslash := x ^ ones*'\\'
	return (below20|(quote-ones)&^quote|(backslash-ones)&^backslash|x)&highs == 0
}

// appendJavaDouble formats f as Java's Double.toString: plain notation
// with at least one decimal for 1e-3 <= |f| < 1e7, else "1.5E10".
func appendJavaDouble(dst []byte, f float64) []byte {
	if f == 0 {
		if math.Signbit(f) {
			return append(dst, "-0.0"...)
		}
		return append(dst, "0.0"...)
	}
	if a := math.Abs(f); a >= 1e-3 && a < 1e7 {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return append(dst, s...)
	}
	digits, exp, neg := decimalDigits(f)
	if neg {
		dst = append(dst, '-')
	}
	dst = append(dst, digits[0], '.')
	if len(digits) > 1 {
		dst = append(dst, digits[1:]...)
	} else {
		dst = append(dst, '0')
	}
	dst = append(dst, 'E')
	return strconv.AppendInt(dst, int64(exp), 10)
}

// decimalDigits returns the shortest decimal digits of |f| and the
// exponent of the first digit (f = d.ddd × 10^exp).
func decimalDigits(f float64) (digits string, exp int, neg bool) {
	s := strconv.FormatFloat(math.Abs(f), 'e', -1, 64) // d.ddde±XX
	mant, e, _ := strings.Cut(s, "e")
	exp, _ = strconv.Atoi(e)
	return strings.Replace(mant, ".", "", 1), exp, f < 0
}

// Line is Logstash's line codec: Format interpolated with Sprintf, or
// "@timestamp host message" when Format is empty, then "\n".
type Line struct {
	Format string
}

// Append implements Codec.
func (c Line) Append(dst []byte, e *Event) []byte {
	if c.Format != "" {
		dst = append(dst, e.Sprintf(c.Format)...)
		return append(dst, '\n')
	}
	if ts, ok := e.timestamp(); ok {
		dst = appendTimestamp(dst, ts)
	} else {
		dst = append(dst, "%{@timestamp}"...)
	}
	dst = append(dst, ' ')
	dst = append(dst, e.Sprintf("%{host}")...)
	dst = append(dst, ' ')
	dst = append(dst, e.Sprintf("%{message}")...)
	return append(dst, '\n')
}

// Rubydebug is Logstash 5.5's rubydebug codec: the event hash as
// awesome_print 1.7 prints it without colours (keys right-aligned to the
// longest, indent 4, arrays with [index], nested hashes aligned at their
// depth), strings as Ruby's String#inspect, @timestamp bare, then "\n".
// With Metadata (the codec's metadata => true), a non-empty @metadata is
// printed too, as one more key of the event (to_hash_with_metadata).
type Rubydebug struct {
	Metadata bool
}

// Append implements Codec.
func (c Rubydebug) Append(dst []byte, e *Event) []byte {
	if c.Metadata && len(e.Metadata) > 0 {
		fs := append(append(make([]Field, 0, len(e.Fields)+1), e.Fields...), Field{MetadataKey, Map(e.Metadata...)})
		dst = appendAwesomeHash(dst, fs, cachedOrder(fs), 4)
		return append(dst, '\n')
	}
	dst = appendAwesomeHash(dst, e.Fields, e.Order(), 4)
	return append(dst, '\n')
}

const spaces = "                                                                "

func appendSpaces(dst []byte, n int) []byte {
	for n > len(spaces) {
		dst = append(dst, spaces...)
		n -= len(spaces)
	}
	return append(dst, spaces[:n]...)
}

// appendAwesomeHash follows awesome_print's HashFormatter: width is the
// longest inspected key plus the current indentation, keys are
// right-justified to it, values are formatted one level deeper, and the
// closing brace is outdented one level.
func appendAwesomeHash(dst []byte, fs []Field, order []int, indent int) []byte {
	if len(fs) == 0 {
		return append(dst, "{}"...)
	}
	keys := make([][]byte, len(fs))
	width := 0
	for i, f := range fs {
		keys[i] = appendRubyInspect(nil, f.Key)
		if n := utf8.RuneCount(keys[i]); n > width {
			width = n
		}
	}
	width += indent
	dst = append(dst, "{\n"...)
	for n, i := range order {
		if n > 0 {
			dst = append(dst, ",\n"...)
		}
		dst = appendSpaces(dst, width-utf8.RuneCount(keys[i]))
		dst = append(dst, keys[i]...)
		dst = append(dst, " => "...)
		dst = appendAwesome(dst, fs[i].Value, indent+4)
	}
	dst = append(dst, '\n')
	dst = appendSpaces(dst, indent-4)
	return append(dst, '}')
}

// appendAwesome formats one value at indentation indent.
func appendAwesome(dst []byte, v Value, indent int) []byte {
	switch v.kind {
	case StringKind:
		return appendRubyInspect(dst, v.s)
	case TimeKind:
		return appendMillis(dst, v.i)
	case IntKind:
		return strconv.AppendInt(dst, v.i, 10)
	case FloatKind:
		return appendRubyFloat(dst, v.Float())
	case BoolKind:
		return strconv.AppendBool(dst, v.i != 0)
	case ListKind:
		list := v.List()
		if len(list) == 0 {
			return append(dst, "[]"...)
		}
		width := len(strconv.Itoa(len(list) - 1))
		dst = append(dst, "[\n"...)
		for i, it := range list {
			if i > 0 {
				dst = append(dst, ",\n"...)
			}
			dst = appendSpaces(dst, indent)
			dst = append(dst, '[')
			idx := strconv.Itoa(i)
			dst = appendSpaces(dst, width-len(idx))
			dst = append(dst, idx...)
			dst = append(dst, "] "...)
			dst = appendAwesome(dst, it, indent+4)
		}
		dst = append(dst, '\n')
		dst = appendSpaces(dst, indent-4)
		return append(dst, ']')
	case MapKind:
		return appendAwesomeHash(dst, v.Map(), cachedOrder(v.Map()), indent)
	}
	return append(dst, "nil"...)
}

// appendRubyFloat formats f as Ruby's Float#to_s: plain notation with at
// least one decimal when the decimal exponent is in -4 < e < 16, else
// "1.0e+16".
func appendRubyFloat(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "NaN"...)
	case math.IsInf(f, 1):
		return append(dst, "Infinity"...)
	case math.IsInf(f, -1):
		return append(dst, "-Infinity"...)
	case f == 0:
		if math.Signbit(f) {
			return append(dst, "-0.0"...)
		}
		return append(dst, "0.0"...)
	}
	digits, exp, neg := decimalDigits(f)
	if neg {
		dst = append(dst, '-')
	}
	decpt := exp + 1
	switch {
	case decpt > 0 && decpt <= 16:
		if len(digits) <= decpt {
			dst = append(dst, digits...)
			dst = append(dst, strings.Repeat("0", decpt-len(digits))...)
			return append(dst, ".0"...)
		}
		dst = append(dst, digits[:decpt]...)
		dst = append(dst, '.')
		return append(dst, digits[decpt:]...)
	case decpt <= 0 && decpt > -4:
		dst = append(dst, "0."...)
		dst = append(dst, strings.Repeat("0", -decpt)...)
		return append(dst, digits...)
	}
	dst = append(dst, digits[0], '.')
	if len(digits) > 1 {
		dst = append(dst, digits[1:]...)
	} else {
		dst = append(dst, '0')
	}
	dst = append(dst, 'e')
	if exp < 0 {
		dst = append(dst, '-')
		exp = -exp
	} else {
		dst = append(dst, '+')
	}
	if exp < 10 {
		dst = append(dst, '0')
	}
	return strconv.AppendInt(dst, int64(exp), 10)
}

// appendRubyInspect quotes s as Ruby's String#inspect does for a UTF-8
// string: \" \\ and \#{ \#$ \#@ escaped; \n \r \t \f \v \b \a \e; other
// control and unprintable characters as \uXXXX (\u{XXXXX} above the BMP);
// printable characters as they are; invalid bytes as \xXX.
func appendRubyInspect(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < 0x80 {
			i++
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c == '#':
				if i < len(s) && (s[i] == '{' || s[i] == '$' || s[i] == '@') {
					dst = append(dst, '\\')
				}
				dst = append(dst, '#')
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c == '\t':
				dst = append(dst, '\\', 't')
			case c == '\f':
				dst = append(dst, '\\', 'f')
			case c == '\v':
				dst = append(dst, '\\', 'v')
			case c == '\b':
				dst = append(dst, '\\', 'b')
			case c == '\a':
				dst = append(dst, '\\', 'a')
			case c == 0x1b:
				dst = append(dst, '\\', 'e')
			case c >= 0x20 && c < 0x7f:
				dst = append(dst, c)
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xF])
		case rubyPrintable(r):
			dst = append(dst, s[i:i+size]...)
		case r < 0x10000:
			dst = append(dst, fmt.Sprintf(`\u%04X`, r)...)
		default:
			dst = append(dst, fmt.Sprintf(`\u{%X}`, r)...)
		}
		i += size
	}
	return append(dst, '"')
}

// rubyPrintable is Onigmo's [[:print:]] for a non-ASCII rune: graphic
// characters (everything but white space, controls, surrogates and
// unassigned code points) and space separators.
func rubyPrintable(r rune) bool {
	switch {
	case unicode.Is(unicode.Zs, r):
		return true
	case unicode.IsSpace(r), unicode.Is(unicode.Cc, r), unicode.Is(unicode.Cs, r):
		return false
	}
	return unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Cf, unicode.Co)
}

// RubyFloat formats f as Ruby's Float#to_s ("1.5", "1.0e+20"), which
// filters reproduce when they turn numbers into text as Logstash does.
func RubyFloat(f float64) string { return string(appendRubyFloat(nil, f)) }
