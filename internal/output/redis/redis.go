// Package redis is the redis output: events as JSON (Logstash's json
// codec) pushed to a list with RPUSH, or published to a channel, where
// Logstash's redis input (data_type list or channel, codec json) reads
// them.
package redis

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/appstack/appstack/internal/event"
)

// Config configures the output. Zero values are Logstash's defaults.
type Config struct {
	// Hosts are "host" or "host:port"; on failure the next one is used.
	Hosts    []string
	Port     int // for hosts without a port; 6379
	Password string
	DB       int
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
	cfg    Config
	codec  event.JSON
	client *redis.Client
	host   int // index in cfg.Hosts of client
	buf    []byte
	ends   []int
	args   []any
}

// New checks cfg and returns an output; it connects on the first Write.
func New(cfg Config) (*Output, error) {
	if len(cfg.Hosts) == 0 {
		cfg.Hosts = []string{"127.0.0.1"}
	}
	if cfg.Port == 0 {
		cfg.Port = 6379
	}
	if cfg.DataType == "" {
		cfg.DataType = "list"
	}
	if cfg.BatchEvents <= 0 {
		cfg.BatchEvents = 50
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.Key == "" {
		return nil, errors.New("redis output: key is required")
	}
	if cfg.DataType != "list" && cfg.DataType != "channel" {
		return nil, fmt.Errorf("redis output: data_type %q: want list or channel", cfg.DataType)
	}
	return &Output{cfg: cfg}, nil
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
// up to BatchEvents values each, or PUBLISH per event). On error it moves
// to the next host; the pipeline retries the whole batch, so some events
// may be pushed twice, never lost.
func (o *Output) Write(ctx context.Context, events []event.Event) error {
	if len(events) == 0 {
		return nil
	}
	o.buf, o.ends = o.buf[:0], o.ends[:0]
	for i := range events {
		o.buf = o.codec.Append(o.buf, &events[i])
		o.ends = append(o.ends, len(o.buf))
	}
	c := o.conn()
	_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		start := 0
		for i := 0; i < len(o.ends); i += o.cfg.BatchEvents {
			o.args = o.args[:0]
			for _, end := range o.ends[i:min(i+o.cfg.BatchEvents, len(o.ends))] {
				v := o.buf[start:end]
				start = end
				if o.cfg.DataType == "channel" {
					p.Publish(ctx, o.cfg.Key, v)
					continue
				}
				o.args = append(o.args, v)
			}
			if len(o.args) > 0 {
				p.RPush(ctx, o.cfg.Key, o.args...)
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
