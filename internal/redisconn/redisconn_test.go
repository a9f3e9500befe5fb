package redisconn

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strconv"
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
	if err := c.Ping(context.Background()).Err(); err == nil {
		t.Fatal("Ping with Redis down succeeded")
	}
	srv.Restart()
	deadline := time.Now().Add(20 * time.Second)
	for c.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatal("client did not reconnect within 20 s of Redis starting")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestGoRedisDoesNotRetry: a command that fails with an error go-redis
// would retry (READONLY) reaches Redis once, alone or pipelined as the
// session store sends it, so that the store's own retries are the only
// ones and each of its attempts is one command.
func TestGoRedisDoesNotRetry(t *testing.T) {
	t.Parallel()
	replica := redistest.Start(t).ReplicaOf()
	c := New(Config{Addr: replica.Addr})
	defer c.Close()
	ctx := context.Background()
	if err := c.Set(ctx, "k", "v", 0).Err(); err == nil || !strings.HasPrefix(err.Error(), "READONLY") {
		t.Fatalf("SET on a replica = %v; want READONLY", err)
	}
	pipe := c.Pipeline()
	setex := pipe.SetEx(ctx, "k", "v", time.Hour)
	pipe.Exec(ctx)
	if err := setex.Err(); err == nil || !strings.HasPrefix(err.Error(), "READONLY") {
		t.Fatalf("pipelined SETEX on a replica = %v; want READONLY", err)
	}
	for _, cmd := range []string{"set", "setex"} {
		if n := rejectedCalls(t, replica, cmd); n != 1 {
			t.Errorf("replica rejected %s %d times; want once: go-redis must not retry", strings.ToUpper(cmd), n)
		}
	}
}

// rejectedCalls reads a command's rejected_calls from INFO commandstats.
func rejectedCalls(t *testing.T, srv *redistest.Server, cmd string) int {
	t.Helper()
	info, _ := srv.Do("INFO", "commandstats").(string)
	for _, line := range strings.Split(info, "\n") {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "cmdstat_"+cmd+":")
		if !ok {
			continue
		}
		for _, field := range strings.Split(rest, ",") {
			if v, ok := strings.CutPrefix(field, "rejected_calls="); ok {
				n, err := strconv.Atoi(v)
				if err != nil {
					t.Fatalf("INFO commandstats %q: %v", line, err)
				}
				return n
			}
		}
		t.Fatalf("INFO commandstats %q has no rejected_calls", line)
	}
	return 0
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
