package event

import (
	"bufio"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var sampleTime = time.Date(2017, 7, 19, 15, 34, 57, 884_000_000, time.UTC)

const sampleMessage = `::ffff:192.168.251.1 - - [Wed, 19 Jul 2017 15:34:57 GMT] "GET / HTTP/1.1" 200 20 "-" "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_12_3) AppleWebKit/602.4.8 (KHTML, like Gecko) Version/10.0.3 Safari/602.4.8"`

// sampleEvent is the seed's event, its fields in the order Logstash 5's
// file input sets them: the plain codec's, then path, host, type.
func sampleEvent() Event {
	return Event{Fields: []Field{
		{"message", String(sampleMessage)},
		{"@version", String("1")},
		{"@timestamp", Time(sampleTime)},
		{"path", String("/var/log/nodeapp/nodeapp.log")},
		{"host", String("0b4555ee8df3")},
		{"type", String("syslog")},
	}}
}

func TestRubydebugMatchesTheSeedSampleByteForByte(t *testing.T) {
	t.Parallel()
	want, err := os.ReadFile("testdata/rubydebug-sample.txt")
	if err != nil {
		t.Fatal(err)
	}
	e := sampleEvent()
	got := Rubydebug{}.Append(nil, &e)
	if string(got) != string(want) {
		t.Errorf("rubydebug mismatch (-want +got):\n%s", cmp.Diff(string(want), string(got)))
	}
}

// TestOrderMatchesJavaHashMap compares with orders that java.util.HashMap
// produced (testdata/HashMapOrder.java): tags, added fields, resizes at
// 13 and 25 keys, a bucket of 10 colliding keys, non-ASCII keys.
func TestOrderMatchesJavaHashMap(t *testing.T) {
	t.Parallel()
	f, err := os.Open("testdata/java-hashmap-order.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		keys := strings.Split(sc.Text(), "\t")
		if !sc.Scan() {
			t.Fatalf("case %d has no expected order", n)
		}
		want := strings.Split(sc.Text(), "\t")
		fs := make([]Field, len(keys))
		for i, k := range keys {
			fs[i] = Field{Key: k, Value: Int(1)}
		}
		var got []string
		for _, i := range hashMapOrder(fs) {
			got = append(got, keys[i])
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("case %d (%d keys): order mismatch (-java +got):\n%s", n, len(keys), d)
		}
	}
}

// The key orders below are java.util.HashMap's for these keys.
func TestRubydebugNestedValues(t *testing.T) {
	t.Parallel()
	e := Event{Fields: []Field{
		{"message", String("m")},
		{"tags", Strings("a", "b")},
		{"list", List(Int(1), Float(2.5), Bool(true), Bool(false), Value{}, Float(1e20), Float(0.0001), Float(3), Float(1e16), Float(1e15))},
		{"empty", List()},
		{"nested", Map(Field{"k", String("v")}, Field{"longer", List(String("x"))}, Field{"h", Map()})},
		{"many", Strings("0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10")},
	}}
	want := `{
    "message" => "m",
       "list" => [
        [0] 1,
        [1] 2.5,
        [2] true,
        [3] false,
        [4] nil,
        [5] 1.0e+20,
        [6] 0.0001,
        [7] 3.0,
        [8] 1.0e+16,
        [9] 1000000000000000.0
    ],
       "many" => [
        [ 0] "0",
        [ 1] "1",
        [ 2] "2",
        [ 3] "3",
        [ 4] "4",
        [ 5] "5",
        [ 6] "6",
        [ 7] "7",
        [ 8] "8",
        [ 9] "9",
        [10] "10"
    ],
     "nested" => {
        "longer" => [
            [0] "x"
        ],
             "h" => {},
             "k" => "v"
    },
       "tags" => [
        [0] "a",
        [1] "b"
    ],
      "empty" => []
}
`
	got := string(Rubydebug{}.Append(nil, &e))
	if got != want {
		t.Errorf("rubydebug mismatch (-want +got):\n%s", cmp.Diff(want, got))
	}
}

func TestRubyInspect(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"plain text stays", "abc", `"abc"`},
		{"quotes and backslashes are escaped", `a"b\c`, `"a\"b\\c"`},
		{"interpolation starts are escaped", "#{x} #$y #@z #a", `"\#{x} \#$y \#@z #a"`},
		{"named control characters", "\n\r\t\f\v\b\a\x1b", `"\n\r\t\f\v\b\a\e"`},
		{"other controls use \\u", "\x00\x01\x7f", `"\u0000\u0001\u007F"`},
		{"printable unicode stays", "café 日本 😀", `"café 日本 😀"`},
		{"unprintable unicode is escaped", "\u0085\u2028\U000E0001x\U0010FFFF", `"\u0085\u2028` + "\U000E0001" + `x\u{10FFFF}"`},
		{"invalid bytes use \\x", "a\xffb", `"a\xFFb"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(appendRubyInspect(nil, tt.in)); got != tt.want {
				t.Errorf("inspect(%q) = %s; want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestJSONLinesIsJacksonCompatible(t *testing.T) {
	t.Parallel()
	e := sampleEvent()
	e.Set("ctl", String("a\"\\\n\t\r\b\f\x01\x1b/<>&\u2028é\xff"))
	e.Set("n", List(Int(-3), Float(1.5), Float(1e7), Float(0.5e-3), Bool(true), Value{}))
	got := string(JSON{Delimiter: "\n"}.Append(nil, &e))
	// Key order from java.util.HashMap for these keys.
	want := `{"path":"/var/log/nodeapp/nodeapp.log","@timestamp":"2017-07-19T15:34:57.884Z","@version":"1","host":"0b4555ee8df3",` +
		`"ctl":"a\"\\\n\t\r\b\f\u0001\u001B/<>&` + "\u2028é\uFFFD" + `",` +
		`"message":"::ffff:192.168.251.1 - - [Wed, 19 Jul 2017 15:34:57 GMT] \"GET / HTTP/1.1\" 200 20 \"-\" \"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_12_3) AppleWebKit/602.4.8 (KHTML, like Gecko) Version/10.0.3 Safari/602.4.8\"",` +
		`"type":"syslog","n":[-3,1.5,1.0E7,5.0E-4,true,null]}` + "\n"
	if got != want {
		t.Errorf("json_lines mismatch (-want +got):\n%s", cmp.Diff(want, got))
	}
}

func TestLineCodec(t *testing.T) {
	t.Parallel()
	e := sampleEvent()
	tests := []struct{ name, format, want string }{
		{"the default is timestamp host message", "", "2017-07-19T15:34:57.884Z 0b4555ee8df3 " + sampleMessage + "\n"},
		{"a format interpolates fields", "%{type}|%{path}|%{missing}|%{+HH:mm:ss.SSS}|%{+%s}", "syslog|/var/log/nodeapp/nodeapp.log|%{missing}|15:34:57.884|1500478497\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(Line{Format: tt.format}.Append(nil, &e)); got != tt.want {
				t.Errorf("line %q = %q; want %q", tt.format, got, tt.want)
			}
		})
	}
}

func TestFormatJoda(t *testing.T) {
	t.Parallel()
	ts := time.Date(2017, 1, 2, 3, 4, 5, 6_000_000, time.FixedZone("X", 3600)) // 02:04:05 UTC
	tests := []struct{ pattern, want string }{
		{"yyyy.MM.dd", "2017.01.02"},
		{"YYYY.MM.dd", "2017.01.02"},
		{"yy-M-d H:m:s", "17-1-2 2:4:5"},
		{"MMM MMMM EEE EEEE", "Jan January Mon Monday"},
		{"HH:mm:ss.SSS Z ZZ", "02:04:05.006 +0000 +00:00"},
		{"'week' ww xxxx DDD", "week 01 2017 002"},
		{"hh a ''", "02 AM '"},
	}
	for _, tt := range tests {
		if got := FormatJoda(ts, tt.pattern); got != tt.want {
			t.Errorf("FormatJoda(%q) = %q; want %q", tt.pattern, got, tt.want)
		}
	}
}

func BenchmarkJSONLines(b *testing.B) {
	e := sampleEvent()
	var buf []byte
	for b.Loop() {
		buf = JSON{Delimiter: "\n"}.Append(buf[:0], &e)
	}
}

func TestTimestampFormattingMatchesTimeFormat(t *testing.T) {
	t.Parallel()
	for _, ms := range []int64{0, 951782400000, 951868799999, 1500478497884, 4102444800000, 253402300799999, -1, 253402300800000} {
		tm := time.UnixMilli(ms).UTC()
		want := tm.Format(timestampLayout)
		if got := string(appendMillis(nil, ms)); got != want {
			t.Errorf("appendMillis(%d) = %s; want %s", ms, got, want)
		}
	}
	for ms := int64(0); ms < 4102444800000; ms += 86400000*13 + 3600007 {
		if got, want := string(appendMillis(nil, ms)), time.UnixMilli(ms).UTC().Format(timestampLayout); got != want {
			t.Fatalf("appendMillis(%d) = %s; want %s", ms, got, want)
		}
	}
}
