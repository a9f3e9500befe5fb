package web

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/appstack/appstack/internal/jsjson"
)

// handleStatus serves GET /: res.json({status: "ok"}) with Express's
// two-space "json spaces", 20 bytes.
func handleStatus() http.Handler {
	body := []byte("{\n  \"status\": \"ok\"\n}")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sendJSON(w, r, http.StatusOK, body)
	})
}

// handleHello serves GET /hello/:name with the name, which the router
// decoded, encoded as JSON.stringify encodes strings.
func handleHello() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		body := make([]byte, 0, len(name)+20)
		body = append(body, "{\n  \"hello\": "...)
		body = jsjson.AppendQuote(body, name)
		body = append(body, "\n}"...)
		sendJSON(w, r, http.StatusOK, body)
	})
}

// handleHealthz answers while the process is alive.
func handleHealthz() http.Handler {
	body := []byte("{\n  \"status\": \"ok\"\n}")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sendJSON(w, r, http.StatusOK, body)
	})
}

// readyTimeout bounds /readyz's ping, well inside a probe's timeout.
const readyTimeout = 500 * time.Millisecond

// handleReadyz answers 200 while Redis answers and 503 otherwise.
func handleReadyz(ready Pinger, log *slog.Logger) http.Handler {
	ok := []byte("{\n  \"status\": \"ok\"\n}")
	unavailable := []byte("{\n  \"status\": \"unavailable\",\n  \"redis\": \"not answering\"\n}")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		if err := ready.Ping(ctx); err != nil {
			log.WarnContext(ctx, "not ready", "err", err)
			w.Header()["Cache-Control"] = []string{"no-store"}
			sendJSON(w, r, http.StatusServiceUnavailable, unavailable)
			return
		}
		w.Header()["Cache-Control"] = []string{"no-store"}
		sendJSON(w, r, http.StatusOK, ok)
	})
}

// handleMetrics serves the registry in Prometheus's formats.
func handleMetrics(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
}

// sendError answers with code and a JSON body naming it, pretty-printed
// as Express prints res.json. The client gets the status text only;
// details go to the log.
func sendError(w http.ResponseWriter, r *http.Request, code int) {
	b := []byte("{\n  \"error\": ")
	b = jsjson.AppendQuote(b, http.StatusText(code))
	sendJSON(w, r, code, append(b, "\n}"...))
}
