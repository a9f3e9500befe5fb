package web

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"

	"github.com/appstack/appstack/internal/js"
)

var statusOK = []byte("{\n  \"status\": \"ok\"\n}")

// handleStatus serves GET /: res.json({status: "ok"}) with Express's
// two-space "json spaces", 20 bytes.
func handleStatus() handler {
	return func(e *exchange) { sendJSON(e, 200, statusOK) }
}

// handleHello serves GET /hello/:name with the name, which the router
// decoded, encoded as JSON.stringify encodes strings.
func handleHello() handler {
	return func(e *exchange) {
		body := make([]byte, 0, len(e.param)+20)
		body = append(body, "{\n  \"hello\": "...)
		body = js.AppendQuote(body, e.param)
		body = append(body, "\n}"...)
		sendJSON(e, 200, body)
	}
}

// handleHealthz answers while the process is alive.
func handleHealthz() handler {
	return func(e *exchange) { sendJSON(e, 200, statusOK) }
}

// readyTimeout bounds /readyz's ping, well inside a probe's timeout.
const readyTimeout = 500 * time.Millisecond

// handleReadyz answers 200 while Redis answers and 503 otherwise.
func handleReadyz(ready Pinger, log *slog.Logger) handler {
	unavailable := []byte("{\n  \"status\": \"unavailable\",\n  \"redis\": \"not answering\"\n}")
	return func(e *exchange) {
		ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
		defer cancel()
		e.ctx.Response.Header.Set("Cache-Control", "no-store")
		if err := ready.Ping(ctx); err != nil {
			log.Warn("not ready", "err", err)
			sendJSON(e, 503, unavailable)
			return
		}
		sendJSON(e, 200, statusOK)
	}
}

// handleMetrics serves the registry in Prometheus's formats, through
// promhttp: a scrape is rare enough for net/http's types.
func handleMetrics(reg *prometheus.Registry) handler {
	h := fasthttpadaptor.NewFastHTTPHandler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	return func(e *exchange) {
		h(e.ctx)
		e.contentLength = len(e.ctx.Response.Body())
	}
}

// sendError answers with code and a JSON body naming it, pretty-printed
// as Express prints res.json. The client gets the status text only;
// details go to the log.
func sendError(e *exchange, code int) {
	b := []byte("{\n  \"error\": ")
	b = js.AppendQuote(b, http.StatusText(code))
	sendJSON(e, code, append(b, "\n}"...))
}
