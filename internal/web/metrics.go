package web

import (
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the handler's Prometheus metrics, registered on the
// registry given to NewHandler.
type metrics struct {
	requests  *prometheus.CounterVec
	duration  *prometheus.HistogramVec
	inFlight  prometheus.Gauge
	degraded  *prometheus.CounterVec
	discarded *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "webapp_http_requests_total",
			Help: "HTTP requests by route pattern (\"unmatched\" for none) and status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "webapp_http_request_duration_seconds",
			Help:    "Time to serve HTTP requests, by route pattern.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "webapp_http_requests_in_flight",
			Help: "HTTP requests being served.",
		}),
		degraded: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "webapp_session_degraded_total",
			Help: "Requests answered without a working session: the store failed to load (load_failed) or save (save_failed) it, or no replica confirmed the write (not_replicated). New sessions get no cookie then.",
		}, []string{"reason"}),
		discarded: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "webapp_session_discarded_total",
			Help: "Stored sessions replaced by a new one because they were not session documents (corrupt) or larger than the cap (too_large).",
		}, []string{"reason"}),
	}
	reg.MustRegister(m.requests, m.duration, m.inFlight, m.degraded, m.discarded)
	for _, reason := range []string{"load_failed", "save_failed", "not_replicated"} {
		m.degraded.WithLabelValues(reason)
	}
	for _, reason := range []string{discardedCorrupt, discardedTooLarge} {
		m.discarded.WithLabelValues(reason)
	}
	return m
}

// The reasons of webapp_session_discarded_total.
const (
	discardedCorrupt  = "corrupt"
	discardedTooLarge = "too_large"
)

// routeMetrics are one route's series, looked up once rather than by
// label on every request.
type routeMetrics struct {
	label    string
	requests *prometheus.CounterVec
	duration prometheus.Observer
	// byCode caches the counters of the codes webapp's routes answer,
	// each made on first use so that /metrics lists only codes sent;
	// others are looked up by label.
	byCode [len(commonCodes)]atomic.Pointer[counter]
}

type counter struct{ prometheus.Counter }

var commonCodes = [...]int{200, 304, 400, 404, 405, 503}

func (m *metrics) route(label string) *routeMetrics {
	return &routeMetrics{label: label, requests: m.requests, duration: m.duration.WithLabelValues(label)}
}

func (rm *routeMetrics) observe(code int, d time.Duration) {
	rm.counter(code).Inc()
	rm.duration.Observe(d.Seconds())
}

func (rm *routeMetrics) counter(code int) prometheus.Counter {
	for i, c := range commonCodes {
		if c != code {
			continue
		}
		if p := rm.byCode[i].Load(); p != nil {
			return p.Counter
		}
		// Two first requests may both look it up: the same counter.
		p := &counter{rm.requests.WithLabelValues(rm.label, strconv.Itoa(code))}
		rm.byCode[i].Store(p)
		return p.Counter
	}
	return rm.requests.WithLabelValues(rm.label, strconv.Itoa(code))
}
