// Package status serves logship's HTTP API: /healthz and /metrics.
package status

import (
	"net/http"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Health is what /healthz reports. Its zero value is "starting".
type Health struct {
	running atomic.Bool
}

// SetRunning marks the pipeline as running (true) or stopping (false).
func (h *Health) SetRunning(v bool) { h.running.Store(v) }

// NewServer returns the API handler: health from h, metrics from g.
func NewServer(h *Health, g prometheus.Gatherer) http.Handler {
	mux := http.NewServeMux()
	addRoutes(mux, h, g)
	return mux
}

func handleHealthz(h *Health) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if !h.running.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("not running\n"))
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
}

func handleMetrics(g prometheus.Gatherer) http.Handler {
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{})
}
