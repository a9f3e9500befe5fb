// Package redis is the redis output (logstash-output-redis 3.0, as in
// Logstash 5): events as JSON (Logstash's json codec) pushed to a list
// with RPUSH, or published to a channel, where Logstash's redis input
// (data_type list or channel, codec json) reads them.
package redis

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/plugin"
)

// config is the output's settings, read from its options by New.
type config struct {
	// Hosts are "host" or "host:port"; on failure the next one is used.
	Hosts    []string
	Port     int // for hosts without a port; 6379
	Password string
	DB       int
	// Key is the list or channel, a sprintf pattern (%{field}) expanded
	// per event.
	Key      string
	DataType string // "list" (default) or "channel"
	// BatchEvents bounds the values of one RPUSH (default 50).
	BatchEvents int
	// Timeout bounds dialing and each round trip (default 5s).
	Timeout time.Duration
}

// Output writes to Redis. It is not safe for concurrent use; the
// pipeline never calls it concurrently.
type Output struct {
	cfg    config
	codec  event.JSON
	client *redis.Client
	host   int // index in cfg.Hosts of client
	buf    []byte
	ends   []int
	keys   []string // per event, when Key has %{…}
	args   []any
}

// New reads the redis options from o, as logstash-output-redis declares
// them, and returns an output; it connects on the first Write. The
// caller checks o.Err() before using it.
func New(o *plugin.Options) *Output {
	plugin.ReadOutputCommon(o)
	plugin.OutputCodec(o, "json", "json")
	cfg := config{
		Hosts:       o.StringList("host", []string{"127.0.0.1"}),
		Port:        o.Int("port", 6379, 1, 65535),
		DB:          o.Int("db", 0, 0, 1<<20),
		Password:    o.String("password", ""),
		Key:         o.String("key", ""),
		DataType:    o.Enum("data_type", "", "list", "channel"),
		BatchEvents: o.Int("batch_events", 50, 1, 1<<20),
		Timeout:     time.Duration(o.Float("timeout", 5) * float64(time.Second)),
	}
	if q := o.String("queue", ""); q != "" {
		o.Warn("queue", "is deprecated: use key and data_type => list")
		if o.Has("key") || o.Has("data_type") {
			o.Errorf("queue", "cannot be set with key or data_type")
		}
		cfg.Key, cfg.DataType = q, "list"
	}
	if cfg.Key == "" || cfg.DataType == "" {
		o.Fail("key and data_type are required (or the deprecated queue)")
	}
	if o.Bool("batch", false) && cfg.DataType == "channel" {
		o.Errorf("batch", "is not supported with data_type channel")
	}
	if o.Bool("shuffle_hosts", true) {
		rand.Shuffle(len(cfg.Hosts), func(i, j int) { cfg.Hosts[i], cfg.Hosts[j] = cfg.Hosts[j], cfg.Hosts[i] })
	}
	o.Ignore("batch_timeout", "logship sends each batch of the pipeline at once")
	o.Ignore("reconnect_interval", "the pipeline retries a failed write with its own backoff (100 ms to 10 s)")
	o.Ignore("name", "it is deprecated; logs name the output by its id or position")
	if o.Float("congestion_threshold", 0) > 0 {
		o.Errorf("congestion_threshold", "is not supported by logship")
	}
	o.Float("congestion_interval", 1)
	if cfg.Timeout <= 0 {
		o.Errorf("timeout", "want a positive number of seconds")
	}
	if len(cfg.Hosts) == 0 {
		o.Errorf("host", "is empty: give at least one host")
	}
	for _, h := range cfg.Hosts {
		if err := checkHost(h); err != nil {
			o.Errorf("host", "%v", err)
		}
	}
	return &Output{cfg: cfg}
}

// checkHost accepts "host" or "host:port" with a port from 1 to 65535
// (and a bare IPv6 address).
func checkHost(h string) error {
	host, port, err := net.SplitHostPort(h)
	if err != nil {
		host, port = h, "" // no port: the port option applies
	} else if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("host %q: port %q is not a number from 1 to 65535", h, port)
	}
	if host == "" {
		return fmt.Errorf("host %q: the host name is empty", h)
	}
	return nil
}

func (o *Output) addr(i int) string {
	h := o.cfg.Hosts[i]
	if _, _, err := net.SplitHostPort(h); err == nil {
		return h
	}
	return net.JoinHostPort(h, strconv.Itoa(o.cfg.Port))
}

func (o *Output) conn() *redis.Client {
	if o.client == nil {
		o.client = redis.NewClient(&redis.Options{
			Addr:         o.addr(o.host),
			Password:     o.cfg.Password,
			DB:           o.cfg.DB,
			DialTimeout:  o.cfg.Timeout,
			ReadTimeout:  o.cfg.Timeout,
			WriteTimeout: o.cfg.Timeout,
			MaxRetries:   -1, // the pipeline retries, with backoff
			PoolSize:     1,
		})
	}
	return o.client
}

// Write implements pipeline.Output: one round trip per batch (RPUSH of
// up to BatchEvents values for each run of events with the same key, or
// PUBLISH per event). On error it moves to the next host; the pipeline
// retries the whole batch, so some events may be pushed twice, never
// lost.
func (o *Output) Write(ctx context.Context, events []event.Event) error {
	if len(events) == 0 {
		return nil
	}
	o.buf, o.ends, o.keys = o.buf[:0], o.ends[:0], o.keys[:0]
	perEvent := strings.Contains(o.cfg.Key, "%{")
	for i := range events {
		o.buf = o.codec.Append(o.buf, &events[i])
		o.ends = append(o.ends, len(o.buf))
		if perEvent {
			o.keys = append(o.keys, events[i].Sprintf(o.cfg.Key))
		}
	}
	key := func(i int) string {
		if perEvent {
			return o.keys[i]
		}
		return o.cfg.Key
	}
	c := o.conn()
	_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		start := 0
		for i := 0; i < len(o.ends); {
			k := key(i)
			o.args = o.args[:0]
			for ; i < len(o.ends) && len(o.args) < o.cfg.BatchEvents && key(i) == k; i++ {
				v := o.buf[start:o.ends[i]]
				start = o.ends[i]
				if o.cfg.DataType == "channel" {
					p.Publish(ctx, k, v)
					continue
				}
				o.args = append(o.args, v)
			}
			if len(o.args) > 0 {
				p.RPush(ctx, k, o.args...)
			}
		}
		return nil
	})
	if err != nil {
		addr := o.addr(o.host)
		o.client.Close()
		o.client = nil
		o.host = (o.host + 1) % len(o.cfg.Hosts)
		return fmt.Errorf("redis %s: %w", addr, err)
	}
	return nil
}

// Close implements pipeline.Output.
func (o *Output) Close() error {
	if o.client == nil {
		return nil
	}
	err := o.client.Close()
	o.client = nil
	return err
}
