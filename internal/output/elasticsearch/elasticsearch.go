// Package elasticsearch is the elasticsearch output: events indexed with
// the _bulk API (NDJSON), per-item retries with backoff for 429 and 5xx,
// and a dead-letter file for documents rejected for good.
package elasticsearch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/appstack/appstack/internal/event"
)

// Config configures the output. Zero values are Logstash's defaults.
type Config struct {
	// Hosts are "host:port" or URLs ("https://es:9200/prefix").
	Hosts []string
	// Index is a sprintf pattern, e.g. "logstash-%{+YYYY.MM.dd}".
	Index string
	// DocumentType, if set, is sent as _type (Elasticsearch 6 and older).
	DocumentType   string
	User, Password string
	// FlushSize bounds the documents of one _bulk request (500).
	FlushSize int
	// RetryInitial and RetryMax bound the backoff between retries of
	// items answered 429 or 5xx (2s and 64s, as Logstash).
	RetryInitial, RetryMax time.Duration
	// DeadLetterPath is the NDJSON file for rejected documents.
	DeadLetterPath string
	// Retries, if set, counts documents retried alone after a 429, a 5xx
	// or an item answer without a status.
	Retries prometheus.Counter
	Client  *http.Client
	Log     *slog.Logger
}

// Output writes to Elasticsearch. It is not safe for concurrent use.
type Output struct {
	cfg   Config
	urls  []string
	host  int
	codec event.JSON
	body  bytes.Buffer
	dead  *os.File
}

// New checks cfg and returns an output.
func New(cfg Config) (*Output, error) {
	if len(cfg.Hosts) == 0 {
		cfg.Hosts = []string{"127.0.0.1:9200"}
	}
	if cfg.Index == "" {
		cfg.Index = "logstash-%{+YYYY.MM.dd}"
	}
	if cfg.FlushSize <= 0 {
		cfg.FlushSize = 500
	}
	if cfg.RetryInitial <= 0 {
		cfg.RetryInitial = 2 * time.Second
	}
	if cfg.RetryMax < cfg.RetryInitial {
		cfg.RetryMax = max(64*time.Second, cfg.RetryInitial)
	}
	if cfg.DeadLetterPath == "" {
		return nil, errors.New("elasticsearch output: a dead-letter path is required")
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 60 * time.Second}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	o := &Output{cfg: cfg}
	for _, h := range cfg.Hosts {
		if !strings.Contains(h, "://") {
			h = "http://" + h
		}
		u, err := url.Parse(h)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("elasticsearch output: bad host %q", h)
		}
		o.urls = append(o.urls, strings.TrimSuffix(u.String(), "/")+"/_bulk")
	}
	return o, nil
}

// bulkResponse is the part of a _bulk answer the output reads.
type bulkResponse struct {
	Items []map[string]json.RawMessage `json:"items"`
}

type itemResult struct {
	Status int             `json:"status"`
	Error  json.RawMessage `json:"error"`
}

// Write implements pipeline.Output. It returns nil once every event is
// indexed or dead-lettered. A request that fails as a whole (network,
// non-200 answer, unreadable reply) is an error and the pipeline retries
// the batch; items answered 429 or 5xx, or without a status, are retried
// here, alone, with backoff, until they succeed or ctx is done.
func (o *Output) Write(ctx context.Context, events []event.Event) error {
	for start := 0; start < len(events); start += o.cfg.FlushSize {
		if err := o.writeBulk(ctx, events[start:min(start+o.cfg.FlushSize, len(events))]); err != nil {
			return err
		}
	}
	return nil
}

func (o *Output) writeBulk(ctx context.Context, events []event.Event) error {
	pending := make([]int, len(events))
	for i := range pending {
		pending[i] = i
	}
	backoff := o.cfg.RetryInitial
	for {
		indexes := make([]string, len(pending))
		o.body.Reset()
		for n, i := range pending {
			indexes[n] = events[i].Sprintf(o.cfg.Index)
			o.appendAction(indexes[n])
			o.body.Write(o.codec.Append(o.body.AvailableBuffer(), &events[i]))
			o.body.WriteByte('\n')
		}
		resp, err := o.post(ctx)
		if err != nil {
			return err
		}
		if len(resp.Items) != len(pending) {
			return fmt.Errorf("elasticsearch answered %d items for %d documents", len(resp.Items), len(pending))
		}
		var retry []int
		for n, item := range resp.Items {
			var res itemResult
			for _, raw := range item { // one key: the action
				if err := json.Unmarshal(raw, &res); err != nil {
					return fmt.Errorf("elasticsearch item %d: %w", n, err)
				}
			}
			switch {
			case len(item) != 1 || res.Status == 0:
				// No status says nothing was stored: retry, never count it done.
				o.cfg.Log.Warn("elasticsearch answered an item without a status, retrying it", "item", n)
				retry = append(retry, pending[n])
			case res.Status >= 200 && res.Status < 300:
			case res.Status == http.StatusTooManyRequests || res.Status >= 500:
				retry = append(retry, pending[n])
			default:
				if err := o.deadLetter(&events[pending[n]], indexes[n], res); err != nil {
					return err
				}
			}
		}
		if len(retry) == 0 {
			return nil
		}
		o.cfg.Log.Warn("elasticsearch rejected documents for now, retrying them", "documents", len(retry), "backoff", backoff.String())
		select {
		case <-ctx.Done():
			return fmt.Errorf("elasticsearch: %d documents not indexed: %w", len(retry), ctx.Err())
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, o.cfg.RetryMax)
		pending = retry
		if o.cfg.Retries != nil {
			o.cfg.Retries.Add(float64(len(retry)))
		}
	}
}

func (o *Output) appendAction(index string) {
	b := o.body.AvailableBuffer()
	b = append(b, `{"index":{"_index":`...)
	b = appendString(b, index)
	if o.cfg.DocumentType != "" {
		b = append(b, `,"_type":`...)
		b = appendString(b, o.cfg.DocumentType)
	}
	b = append(b, "}}\n"...)
	o.body.Write(b)
}

func appendString(dst []byte, s string) []byte {
	b, _ := json.Marshal(s) // a string always marshals
	return append(dst, b...)
}

// post sends the body to the current host; on failure it moves to the
// next host for the retry.
func (o *Output) post(ctx context.Context) (*bulkResponse, error) {
	u := o.urls[o.host]
	resp, err := o.do(ctx, u)
	if err != nil {
		o.host = (o.host + 1) % len(o.urls)
		return nil, fmt.Errorf("elasticsearch %s: %w", u, err)
	}
	return resp, nil
}

func (o *Output) do(ctx context.Context, u string) (*bulkResponse, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(o.body.Bytes()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	if o.cfg.User != "" || o.cfg.Password != "" {
		req.SetBasicAuth(o.cfg.User, o.cfg.Password)
	}
	resp, err := o.cfg.Client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", resp.Status, snippet(b))
	}
	var br bulkResponse
	if err := json.Unmarshal(b, &br); err != nil {
		return nil, fmt.Errorf("unreadable _bulk answer %s: %w", snippet(b), err)
	}
	return &br, nil
}

func snippet(b []byte) string {
	if len(b) > 200 {
		b = b[:200]
	}
	return strings.TrimSpace(string(b))
}

// deadLetter appends a rejected document, with the reason, to the
// dead-letter file and syncs it: the document is acknowledged only once
// it is safely set aside.
func (o *Output) deadLetter(e *event.Event, index string, res itemResult) error {
	if o.dead == nil {
		if err := os.MkdirAll(filepath.Dir(o.cfg.DeadLetterPath), 0o755); err != nil {
			return fmt.Errorf("open dead-letter file: %w", err)
		}
		f, err := os.OpenFile(o.cfg.DeadLetterPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return fmt.Errorf("open dead-letter file: %w", err)
		}
		o.dead = f
	}
	reason := res.Error
	if len(reason) == 0 {
		reason = json.RawMessage("null")
	}
	line := fmt.Appendf(nil, `{"status":%d,"index":%s,"error":%s,"event":`, res.Status, appendString(nil, index), reason)
	line = o.codec.Append(line, e)
	line = append(line, "}\n"...)
	if _, err := o.dead.Write(line); err != nil {
		return fmt.Errorf("write dead-letter file: %w", err)
	}
	if err := o.dead.Sync(); err != nil {
		return fmt.Errorf("sync dead-letter file: %w", err)
	}
	o.cfg.Log.Error("elasticsearch rejected a document, written to the dead-letter file",
		"status", res.Status, "index", index, "error", string(reason), "file", o.cfg.DeadLetterPath)
	return nil
}

// Close implements pipeline.Output.
func (o *Output) Close() error {
	if o.dead == nil {
		return nil
	}
	err := o.dead.Close()
	o.dead = nil
	return err
}
