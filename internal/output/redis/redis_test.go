package redis

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	goredis "github.com/redis/go-redis/v9"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/output/outputtest"
	"github.com/appstack/appstack/internal/pipeline"
	"github.com/appstack/appstack/internal/redistest"
)

func TestConformance(t *testing.T) {
	srv := redistest.Start(t, "--requirepass", "s3cret")
	outputtest.Run(t, outputtest.Harness{New: func(t testing.TB) (pipeline.Output, func() []map[string]any) {
		key := "logstash:" + t.Name()
		o, err := New(Config{Hosts: []string{srv.Addr}, Password: "s3cret", DB: 3, Key: key, DataType: "list", BatchEvents: 7})
		if err != nil {
			t.Fatal(err)
		}
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
	o, err := New(Config{Hosts: []string{"127.0.0.1"}, Port: srv.Port, Key: "logstash", DataType: "list"})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	ts := time.Date(2017, 7, 19, 15, 34, 57, 884_000_000, time.UTC)
	d := &event.Decoration{Type: "syslog", Host: "web1", Tags: []string{"a", "b"},
		AddField: []event.AddField{{Key: "env", Values: []string{"prod"}}}}
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
	o, err := New(Config{Hosts: []string{srv.Addr}, Key: "events", DataType: "channel"})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	d := &event.Decoration{}
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
	o, err := New(Config{Hosts: []string{srv.Addr}, Key: "k", Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	d := &event.Decoration{}
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
	o, err := New(Config{Hosts: []string{srv.Addr}, Password: "wrong", Key: "k"})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	err = o.Write(context.Background(), []event.Event{outputtest.Event(&event.Decoration{}, "m", "/p", time.Now())})
	if err == nil || !strings.Contains(strings.ToUpper(err.Error()), "WRONGPASS") {
		t.Errorf("Write with a wrong password = %v; want WRONGPASS", err)
	}
}
