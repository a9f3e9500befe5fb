package redis

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	goredis "github.com/redis/go-redis/v9"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/output/outputtest"
	"github.com/appstack/appstack/internal/pipeline"
	"github.com/appstack/appstack/internal/plugin"
	"github.com/appstack/appstack/internal/plugin/plugintest"
	"github.com/appstack/appstack/internal/redistest"
)

func TestConformance(t *testing.T) {
	srv := redistest.Start(t, "--requirepass", "s3cret")
	outputtest.Run(t, outputtest.Harness{New: func(t testing.TB) (pipeline.Output, func() []map[string]any) {
		key := "logstash:" + t.Name()
		o := build(t, fmt.Sprintf(`redis { host => %q password => "s3cret" db => 3 key => %q data_type => list batch_events => 7 }`, srv.Addr, key))
		return o, func() []map[string]any {
			c := srv.Client(&goredis.Options{Password: "s3cret", DB: 3})
			vals, err := c.LRange(context.Background(), key, 0, -1).Result()
			if err != nil {
				t.Fatalf("LRANGE %s: %v", key, err)
			}
			lines := make([][]byte, len(vals))
			for i, v := range vals {
				lines[i] = []byte(v)
			}
			return outputtest.DecodeLines(t, lines)
		}
	}})
}

// TestEventRoundTripsThroughLogstashsRedisInput reads the list the way
// Logstash's redis input does (BLPOP, then the json codec on the value)
// and checks that every field comes back as it was sent.
func TestEventRoundTripsThroughLogstashsRedisInput(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	o := build(t, fmt.Sprintf(`redis { host => ["127.0.0.1"] port => %d key => "logstash" data_type => "list" }`, srv.Port))
	defer o.Close()
	ts := time.Date(2017, 7, 19, 15, 34, 57, 884_000_000, time.UTC)
	d := &outputtest.Decoration{Type: "syslog", Host: "web1", Tags: []string{"a", "b"},
		AddField: []outputtest.AddField{{Key: "env", Values: []string{"prod"}}}}
	msg := "GET / \"quoted\" \\ tab\t ünïcødé \x01"
	if err := o.Write(context.Background(), []event.Event{outputtest.Event(d, msg, "/var/log/nodeapp/nodeapp.log", ts)}); err != nil {
		t.Fatalf("Write = %v", err)
	}
	c := srv.Client(nil)
	kv, err := c.BLPop(context.Background(), time.Second, "logstash").Result()
	if err != nil {
		t.Fatalf("BLPOP: %v", err)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(kv[1]), &got); err != nil {
		t.Fatalf("json codec cannot decode %q: %v", kv[1], err)
	}
	want := map[string]any{
		"message": msg, "@version": "1", "@timestamp": "2017-07-19T15:34:57.884Z", "type": "syslog",
		"env": "prod", "tags": []any{"a", "b"}, "host": "web1", "path": "/var/log/nodeapp/nodeapp.log",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("event read back (-want +got):\n%s", d)
	}
	if _, err := time.Parse("2006-01-02T15:04:05.000Z07:00", got["@timestamp"].(string)); err != nil {
		t.Errorf("@timestamp %q is not ISO 8601 with ms: %v", got["@timestamp"], err)
	}
}

func TestPublishesToAChannel(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	sub := srv.Client(nil).Subscribe(context.Background(), "events")
	defer sub.Close()
	if _, err := sub.Receive(context.Background()); err != nil { // subscription confirmed
		t.Fatal(err)
	}
	o := build(t, `redis { host => "`+srv.Addr+`" key => "events" data_type => "channel" }`)
	defer o.Close()
	d := &outputtest.Decoration{}
	if err := o.Write(context.Background(), []event.Event{outputtest.Event(d, "one", "/p", time.Now()), outputtest.Event(d, "two", "/p", time.Now())}); err != nil {
		t.Fatalf("Write = %v", err)
	}
	for _, want := range []string{"one", "two"} {
		m, err := sub.ReceiveMessage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(m.Payload, `"message":"`+want+`"`) {
			t.Errorf("published %s; want message %q", m.Payload, want)
		}
	}
}

func TestFailsWhileDownAndDeliversWhenBack(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	o := build(t, `redis { host => "`+srv.Addr+`" key => "k" data_type => list timeout => 1 }`)
	defer o.Close()
	d := &outputtest.Decoration{}
	batch := []event.Event{outputtest.Event(d, "m", "/p", time.Now())}
	srv.Kill()
	if err := o.Write(context.Background(), batch); err == nil {
		t.Fatal("Write with redis down = nil; want an error")
	}
	srv.Restart()
	if err := o.Write(context.Background(), batch); err != nil {
		t.Fatalf("Write after restart = %v", err)
	}
	if n := srv.Do("LLEN", "k"); n != int64(1) {
		t.Errorf("LLEN k = %v; want 1", n)
	}
}

func TestWrongPasswordIsAnError(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t, "--requirepass", "right")
	o := build(t, `redis { host => "`+srv.Addr+`" password => "wrong" key => "k" data_type => list }`)
	defer o.Close()
	err := o.Write(context.Background(), []event.Event{outputtest.Event(&outputtest.Decoration{}, "m", "/p", time.Now())})
	if err == nil || !strings.Contains(strings.ToUpper(err.Error()), "WRONGPASS") {
		t.Errorf("Write with a wrong password = %v; want WRONGPASS", err)
	}
}

// build parses an output block and builds it, failing on option errors.
func build(tb testing.TB, block string) *Output {
	tb.Helper()
	o := options(tb, block)
	out := New(o)
	if err := o.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// options parses an output block.
func options(tb testing.TB, block string) *plugin.Options {
	tb.Helper()
	return plugintest.Options(tb, "output { "+block+" }")
}

func TestOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		block string
		want  string // substring of Err; "" for none
	}{
		{`redis { key => "k" data_type => "list" }`, ""},
		{`redis { queue => "q" }`, ""},
		{`redis { host => ["a:6380", "b", "[::1]:7000", "::1"] key => "k" data_type => channel codec => json }`, ""},
		{`redis { host => ["127.0.0.1:abc"] key => "k" data_type => "list" }`, `test.conf:1:26: redis output option "host": host "127.0.0.1:abc": port "abc" is not a number from 1 to 65535`},
		{`redis { host => ["127.0.0.1:0"] key => "k" data_type => "list" }`, `port "0" is not a number`},
		{`redis { host => [":6379"] key => "k" data_type => "list" }`, `the host name is empty`},
		{`redis { key => "k" }`, `test.conf:1:10: redis output: key and data_type are required`},
		{`redis { key => "k" data_type => "set" }`, `want one of list, channel, got "set"`},
		{`redis { key => "k" data_type => "channel" batch => true }`, `"batch": is not supported with data_type channel`},
		{`redis { queue => "q" key => "k" }`, `"queue": cannot be set with key or data_type`},
		{`redis { key => "k" data_type => "list" port => 70000 }`, `"port": want an integer from 1 to 65535, got "70000"`},
		{`redis { key => "k" data_type => "list" codec => json_lines }`, `codec "json_lines" is not supported by the redis output (supported: json)`},
		{`redis { key => "k" data_type => "list" timeout => 0 }`, `"timeout": want a positive number of seconds`},
		{`redis { key => "k" data_type => "list" congestion_threshold => 5 }`, `is not supported`},
		{`redis { host => [] key => "k" data_type => "list" }`, `"host": is empty`},
	}
	for _, tt := range tests {
		config := "output { " + tt.block + " }"
		plugintest.CheckErr(t, config, plugintest.BuildErr(t, config, New), tt.want)
	}
	o := options(t, `redis { key => "k" data_type => "list" reconnect_interval => 2 }`)
	New(o)
	if w := o.Warnings(); len(w) != 1 || !strings.Contains(w[0], `"reconnect_interval" is accepted and ignored`) {
		t.Errorf("Warnings = %q; want one about reconnect_interval", w)
	}
}

// TestTheKeyIsExpandedPerEvent: key => "logs-%{type}" pushes each event
// to the list its fields name, as Logstash does.
func TestTheKeyIsExpandedPerEvent(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	out := build(t, `redis { host => "`+srv.Addr+`" key => "logs-%{type}" data_type => "list" batch_events => 2 }`)
	defer out.Close()
	var events []event.Event
	for i, typ := range []string{"a", "a", "a", "b", "a"} {
		events = append(events, outputtest.Event(&outputtest.Decoration{Type: typ}, fmt.Sprint(i), "/p", time.Now()))
	}
	if err := out.Write(context.Background(), events); err != nil {
		t.Fatal(err)
	}
	c := srv.Client(nil)
	for key, want := range map[string]string{"logs-a": "0,1,2,4", "logs-b": "3"} {
		vals, err := c.LRange(context.Background(), key, 0, -1).Result()
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, v := range vals {
			var m map[string]any
			if err := json.Unmarshal([]byte(v), &m); err != nil {
				t.Fatal(err)
			}
			got = append(got, m["message"].(string))
		}
		if strings.Join(got, ",") != want {
			t.Errorf("%s = %v; want %s", key, got, want)
		}
	}
}
