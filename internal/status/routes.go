package status

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
)

func addRoutes(mux *http.ServeMux, h *Health, g prometheus.Gatherer) {
	mux.Handle("GET /healthz", handleHealthz(h))
	mux.Handle("GET /metrics", handleMetrics(g))
}
