package redisconn

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/appstack/appstack/internal/redistest"
)

func TestNewDoesNotConnect(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	srv.Kill()
	c := New(Config{Addr: srv.Addr, Timeout: 100 * time.Millisecond})
	defer c.Close()
	start := time.Now()
	if err := c.Ping(context.Background()).Err(); err == nil {
		t.Fatal("Ping with Redis down succeeded")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Ping with Redis down took %v; want one quick dial", d)
	}
	srv.Restart()
	deadline := time.Now().Add(5 * time.Second)
	for c.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatal("client did not reconnect within 5 s of Redis starting")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestPoolCollector(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	c := New(Config{Addr: srv.Addr})
	defer c.Close()
	for range 3 {
		c.Ping(context.Background())
	}
	pipe := c.Pipeline()
	pipe.Ping(context.Background())
	pipe.Exec(context.Background())
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewPoolCollector(c))
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			v := m.GetGauge().GetValue() + m.GetCounter().GetValue()
			got[f.GetName()+"/"+m.GetLabel()[0].GetValue()] = v
		}
	}
	for name, min := range map[string]float64{
		"webapp_redis_pool_connections/main":     1,
		"webapp_redis_pool_hits_total/main":      2,
		"webapp_redis_pool_connections/pipeline": 1,
	} {
		if got[name] < min {
			t.Errorf("%s = %v; want at least %v (all: %v)", name, got[name], min, got)
		}
	}
}

func TestLoggerWritesJSON(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	Logger{Log: slog.New(slog.NewJSONHandler(&buf, nil))}.Printf(context.Background(), "sentinel: new master=%q addr=%q\n", "m", "a:1")
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("log line %q is not JSON: %v", buf.String(), err)
	}
	if line["msg"] != `sentinel: new master="m" addr="a:1"` || line["component"] != "go-redis" || !strings.Contains(buf.String(), `"level":"WARN"`) {
		t.Errorf("log line = %v", line)
	}
}
