package redisconn

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
)

// PoolCollector exports a client's connection pool statistics, read from
// go-redis's PoolStats at scrape time.
type PoolCollector struct {
	client *redis.Client

	hits, misses, timeouts, waits, unusable, stale *prometheus.Desc
	waitSeconds, total, idle, pending              *prometheus.Desc
}

// NewPoolCollector returns a collector for client's pools. Register it
// with the registry that serves /metrics.
func NewPoolCollector(client *redis.Client) *PoolCollector {
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("webapp_redis_pool_"+name, help, []string{"pool"}, nil)
	}
	return &PoolCollector{
		client:      client,
		hits:        d("hits_total", "Times a free connection was found in the pool."),
		misses:      d("misses_total", "Times no free connection was found in the pool."),
		timeouts:    d("timeouts_total", "Times waiting for a connection timed out."),
		waits:       d("waits_total", "Times a caller waited for a connection."),
		waitSeconds: d("wait_seconds_total", "Time spent waiting for a connection."),
		unusable:    d("unusable_total", "Connections found unusable and closed."),
		stale:       d("stale_connections_total", "Stale connections removed from the pool."),
		total:       d("connections", "Connections in the pool."),
		idle:        d("idle_connections", "Idle connections in the pool."),
		pending:     d("pending_requests", "Callers waiting for a connection."),
	}
}

// Describe implements prometheus.Collector.
func (c *PoolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.hits, c.misses, c.timeouts, c.waits, c.waitSeconds, c.unusable, c.stale, c.total, c.idle, c.pending} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *PoolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.client.PoolStats()
	c.collect(ch, "main", s)
	if s.PipelineStats != nil {
		p := redis.PoolStats(*s.PipelineStats)
		c.collect(ch, "pipeline", &p)
	}
}

func (c *PoolCollector) collect(ch chan<- prometheus.Metric, pool string, s *redis.PoolStats) {
	counter := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, pool)
	}
	gauge := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, pool)
	}
	counter(c.hits, float64(s.Hits))
	counter(c.misses, float64(s.Misses))
	counter(c.timeouts, float64(s.Timeouts))
	counter(c.waits, float64(s.WaitCount))
	counter(c.waitSeconds, float64(s.WaitDurationNs)/1e9)
	counter(c.unusable, float64(s.Unusable))
	counter(c.stale, float64(s.StaleConns))
	gauge(c.total, float64(s.TotalConns))
	gauge(c.idle, float64(s.IdleConns))
	gauge(c.pending, float64(s.PendingRequests))
}
