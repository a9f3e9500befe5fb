// Package elasticsearch is the elasticsearch output: events indexed with
// the _bulk API (NDJSON) into Elasticsearch or a store that speaks it
// (VictoriaLogs); per-item retries with backoff for 429 and 5xx, whole
// requests retried while the store is unreachable, and a dead-letter
// file for documents rejected for good.
package elasticsearch

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/appstack/appstack/internal/backoff"
	"github.com/appstack/appstack/internal/event"
)

// maxKeep bounds the request buffers kept between batches.
const maxKeep = 1 << 20

// DefaultMaxBytes bounds the body of one _bulk request (Logstash 6's
// target bulk size): a request ends at the document that crosses it.
const DefaultMaxBytes = 20 << 20

// Config configures the output. Zero values are Logstash's defaults.
type Config struct {
	// Hosts are "host[:port]" or URLs ("https://es:9200/prefix?k=v"); the
	// port is 9200 when none is given.
	Hosts []string
	// Path, if set, is where Elasticsearch is served on hosts given
	// without a path (Logstash's `path`, for a proxy).
	Path string
	// Parameters are added to the query of every request (Logstash's
	// `parameters`), e.g. VictoriaLogs' _msg_field and _time_field.
	Parameters url.Values
	// Index is a sprintf pattern, e.g. "logstash-%{+YYYY.MM.dd}".
	Index string
	// DocumentID, if set, is a sprintf pattern sent as _id.
	DocumentID string
	// Action is "index" (default) or "create".
	Action string
	// DocumentType, if set, is sent as _type (Elasticsearch 6 and older).
	DocumentType string
	User         string
	// Password, or the first line of PasswordFile when that is set.
	Password     string
	PasswordFile string
	// SSL makes hosts given without a scheme https.
	SSL bool
	// CACert, if set, is a PEM file of the only CAs trusted.
	CACert string
	// Compression gzips request bodies (Logstash's http_compression).
	Compression bool
	// Timeout bounds one request (60s).
	Timeout time.Duration
	// FlushSize bounds the documents of one _bulk request (500).
	FlushSize int
	// MaxBytes bounds its body (DefaultMaxBytes).
	MaxBytes int
	// RetryInitial and RetryMax bound the backoff between retries made by
	// the output itself (2s and 64s, as Logstash).
	RetryInitial, RetryMax time.Duration
	// DeadLetterPath is the NDJSON file for rejected documents.
	DeadLetterPath string
	// Workers is how many Writes may run at once, each with its own
	// request (1 if 0): as in Logstash, whose elasticsearch output is
	// shared by the pipeline workers, one request per worker.
	Workers int
	// Retries, if set, counts documents the output sent again itself.
	Retries prometheus.Counter
	// DeadLetters, if set, counts documents written to the dead-letter file.
	DeadLetters prometheus.Counter
	// Client is the HTTP client (FromConfig makes one if nil).
	Client *http.Client
	Log    *slog.Logger
}

// Output writes to Elasticsearch. Up to Config.Workers Writes may run at
// once (see MaxInFlight), each on a writer of its own.
type Output struct {
	cfg  Config
	urls []string
	host atomic.Int64 // index in urls of the host requests go to
	// byTime says Index refers to @timestamp only (%{+YYYY.MM.dd}): the
	// events of a batch share a timestamp, so the name of the last one is
	// reused.
	byTime  bool
	dead    deadLetters
	writers chan *writer // idle writers, at most Workers
}

// writer is the state of one Write: its request buffers and documents.
type writer struct {
	*Output
	codec     event.JSON
	body      bytes.Buffer
	gz        *gzip.Writer
	zipped    bytes.Buffer
	docs      []*event.Event
	indexes   []string
	progress  bool  // something of the current Write is stored
	lastStamp int64 // ms
	lastIndex string
}

// FromConfig checks cfg and returns an output.
func FromConfig(cfg Config) (*Output, error) {
	if len(cfg.Hosts) == 0 {
		cfg.Hosts = []string{"127.0.0.1:9200"}
	}
	if cfg.Index == "" {
		cfg.Index = "logstash-%{+YYYY.MM.dd}"
	}
	switch cfg.Action {
	case "":
		cfg.Action = "index"
	case "index", "create":
	default:
		return nil, fmt.Errorf("elasticsearch output: action %q: want index or create", cfg.Action)
	}
	if cfg.FlushSize <= 0 {
		cfg.FlushSize = 500
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
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
	if cfg.PasswordFile != "" {
		pw, err := readPasswordFile(cfg.PasswordFile)
		if err != nil {
			return nil, fmt.Errorf("elasticsearch output: password_file: %w", err)
		}
		cfg.Password = pw
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 60 * time.Second
	}
	if cfg.Client == nil {
		c, err := newClient(cfg.CACert, cfg.Timeout)
		if err != nil {
			return nil, fmt.Errorf("elasticsearch output: %w", err)
		}
		cfg.Client = c
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	cfg.Workers = max(cfg.Workers, 1)
	o := &Output{cfg: cfg, dead: deadLetters{path: cfg.DeadLetterPath},
		byTime:  strings.Count(cfg.Index, "%{") == strings.Count(cfg.Index, "%{+"),
		writers: make(chan *writer, cfg.Workers)}
	for range cfg.Workers {
		o.writers <- &writer{Output: o}
	}
	for _, h := range cfg.Hosts {
		u, err := bulkURL(h, cfg.SSL, cfg.Path, cfg.Parameters)
		if err != nil {
			return nil, fmt.Errorf("elasticsearch output: %w", err)
		}
		o.urls = append(o.urls, u)
	}
	return o, nil
}

// readPasswordFile returns the first line of path, which a secret file
// holds (with or without a newline).
func readPasswordFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	if line = strings.TrimSuffix(line, "\r"); line == "" {
		return "", fmt.Errorf("%s is empty", path)
	}
	return line, nil
}

// MaxInFlight implements pipeline.Concurrent: how many Writes may run at
// once.
func (o *Output) MaxInFlight() int { return o.cfg.Workers }

// Write implements pipeline.Output. It returns nil once every event is
// stored or dead-lettered. A request that fails for now (see failureKind)
// before anything of events is stored is an error: the pipeline sends
// the batch again with its backoff, and reading pauses meanwhile. Once
// part of the batch is stored, the rest is retried here until it is
// stored or ctx is done, so what is stored is not sent again. Writes
// beyond MaxInFlight wait for one to end.
func (o *Output) Write(ctx context.Context, events []event.Event) error {
	var w *writer
	select {
	case w = <-o.writers:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { o.writers <- w }()
	return w.write(ctx, events)
}

func (w *writer) write(ctx context.Context, events []event.Event) error {
	w.progress = false
	w.docs = w.docs[:0]
	for i := range events {
		w.docs = append(w.docs, &events[i])
	}
	defer func() {
		clear(w.docs) // keep no event past Write
		if w.body.Cap() > maxKeep {
			w.body, w.zipped = bytes.Buffer{}, bytes.Buffer{} // a batch of long lines: do not keep its memory
		}
	}()
	for docs := w.docs; len(docs) > 0; {
		n, err := w.deliver(ctx, docs)
		if err != nil {
			return err
		}
		docs = docs[n:]
	}
	return nil
}

// deliver stores the first n documents of docs, as many as one request
// holds, and returns n.
func (w *writer) deliver(ctx context.Context, docs []*event.Event) (n int, err error) {
	delays := backoff.Backoff{Min: w.cfg.RetryInitial, Max: w.cfg.RetryMax}
	delay := delays.Next()
	pending := docs
	for {
		sent, items, err := w.send(ctx, pending)
		if n == 0 {
			n = sent // later rounds send subsets of these
		}
		switch {
		case err == nil:
			w.progress = true
			if items == nil {
				return n, nil // all stored
			}
			if pending, err = w.sortItems(pending[:sent], items); err != nil || len(pending) == 0 {
				return n, err
			}
			w.cfg.Log.Warn("elasticsearch rejected documents for now, retrying them", "documents", len(pending), "backoff", delay.String())
		case kindOf(err) == tooLarge && sent > 1:
			// Halve until the store takes it; one document too large is rejected.
			half := pending[:sent/2]
			if _, err := w.deliverAll(ctx, half); err != nil {
				return n, err
			}
			_, err := w.deliverAll(ctx, pending[sent/2:sent])
			return n, err
		case kindOf(err) != retryable:
			return n, w.deadLetter(pending[:sent], w.indexes[:sent], []rejection{requestRejection(err)}, err)
		case !w.progress || ctx.Err() != nil:
			return n, err
		default:
			w.cfg.Log.Warn("elasticsearch request failed after part of the batch was stored, retrying the rest",
				"documents", sent, "backoff", delay.String(), "err", err)
			pending = pending[:sent]
		}
		if err := backoff.Wait(ctx, delay); err != nil {
			return n, fmt.Errorf("elasticsearch: %d documents not indexed: %w", len(pending), err)
		}
		delay = delays.Next()
		if w.cfg.Retries != nil {
			w.cfg.Retries.Add(float64(len(pending)))
		}
	}
}

// deliverAll stores all of docs.
func (w *writer) deliverAll(ctx context.Context, docs []*event.Event) (int, error) {
	for done := 0; done < len(docs); {
		n, err := w.deliver(ctx, docs[done:])
		if err != nil {
			return done, err
		}
		done += n
	}
	return len(docs), nil
}

// sortItems reads the items of an answer to docs: stored, retried (429,
// 5xx, or no status at all, which says nothing was stored) or
// dead-lettered. It returns the documents to send again.
func (w *writer) sortItems(docs []*event.Event, items []map[string]json.RawMessage) ([]*event.Event, error) {
	var retry, dead []*event.Event
	var deadIndexes []string
	var why []rejection
	for n, item := range items {
		var res itemResult
		ok := len(item) == 1
		for _, raw := range item { // one key: the action
			ok = ok && json.Unmarshal(raw, &res) == nil && res.Status != 0
		}
		switch {
		case !ok:
			w.cfg.Log.Warn("elasticsearch answered an item without a status, retrying it", "item", n)
			retry = append(retry, docs[n])
		case res.Status >= 200 && res.Status < 300:
		case res.Status == http.StatusTooManyRequests || res.Status >= 500:
			retry = append(retry, docs[n])
		default:
			dead = append(dead, docs[n])
			deadIndexes = append(deadIndexes, w.indexes[n])
			why = append(why, rejection{status: res.Status, error: res.Error})
		}
	}
	if len(dead) > 0 {
		if err := w.deadLetter(dead, deadIndexes, why, nil); err != nil {
			return nil, err
		}
	}
	return retry, nil
}

// send posts as many of docs as one request holds (FlushSize documents,
// MaxBytes) and returns how many it sent, and their items. The index
// of each is in w.indexes.
func (w *writer) send(ctx context.Context, docs []*event.Event) (int, []map[string]json.RawMessage, error) {
	w.body.Reset()
	w.indexes = w.indexes[:0]
	n := 0
	for n < len(docs) && n < w.cfg.FlushSize && (n == 0 || w.body.Len() < w.cfg.MaxBytes) {
		e := docs[n]
		w.indexes = append(w.indexes, w.index(e))
		w.appendAction(e, w.indexes[n])
		w.body.Write(w.codec.Append(w.body.AvailableBuffer(), e))
		w.body.WriteByte('\n')
		n++
	}
	host := w.host.Load()
	u := w.urls[host]
	items, err := w.post(ctx, u, n)
	if err != nil {
		if kindOf(err) == retryable {
			// The next host for the retry, unless another writer moved on already.
			w.host.CompareAndSwap(host, (host+1)%int64(len(w.urls)))
		}
		return n, nil, fmt.Errorf("elasticsearch %s: %w", redact(u), err)
	}
	return n, items, nil
}

// index is the index name of e.
func (w *writer) index(e *event.Event) string {
	if !w.byTime {
		return e.Sprintf(w.cfg.Index)
	}
	ts, ok := e.Get("@timestamp")
	if !ok || ts.Kind() != event.TimeKind {
		return e.Sprintf(w.cfg.Index)
	}
	if ms := ts.Time().UnixMilli(); ms != w.lastStamp || w.lastIndex == "" {
		w.lastStamp, w.lastIndex = ms, e.Sprintf(w.cfg.Index)
	}
	return w.lastIndex
}

func (w *writer) appendAction(e *event.Event, index string) {
	b := w.body.AvailableBuffer()
	b = append(b, `{"`...)
	b = append(b, w.cfg.Action...)
	b = append(b, `":{"_index":`...)
	b = appendString(b, index)
	if w.cfg.DocumentType != "" {
		b = append(b, `,"_type":`...)
		b = appendString(b, w.cfg.DocumentType)
	}
	if w.cfg.DocumentID != "" {
		b = append(b, `,"_id":`...)
		b = appendString(b, e.Sprintf(w.cfg.DocumentID))
	}
	b = append(b, "}}\n"...)
	w.body.Write(b)
}

// appendString appends s as a JSON string. Index names and ids are
// nearly always plain ASCII, which needs no escaping: the rest goes
// through encoding/json.
func appendString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' {
			b, _ := json.Marshal(s) // a string always marshals
			return append(dst, b...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// post sends the body to u and reads the answer to its docs documents.
func (w *writer) post(ctx context.Context, u string, docs int) ([]map[string]json.RawMessage, error) {
	body := w.body.Bytes()
	if w.cfg.Compression {
		body = w.gzip(body)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	if w.cfg.Compression {
		req.Header.Set("Content-Encoding", "gzip")
	}
	if w.cfg.User != "" || w.cfg.Password != "" {
		req.SetBasicAuth(w.cfg.User, w.cfg.Password)
	}
	resp, err := w.cfg.Client.Do(req)
	if err != nil {
		return nil, &requestError{kind: retryable, msg: "request failed", err: unwrapURLError(err)}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, &requestError{kind: retryable, status: resp.StatusCode, msg: "read answer", err: err}
	}
	return readAnswer(resp.StatusCode, resp.Status, b, docs)
}

func (w *writer) gzip(b []byte) []byte {
	w.zipped.Reset()
	if w.gz == nil {
		w.gz, _ = gzip.NewWriterLevel(&w.zipped, gzip.BestSpeed) // a valid level: no error
	} else {
		w.gz.Reset(&w.zipped)
	}
	_, _ = w.gz.Write(b) // writes to a bytes.Buffer do not fail
	_ = w.gz.Close()
	return w.zipped.Bytes()
}

// unwrapURLError drops url.Error's "Post URL:" prefix: the caller names
// the URL once, without the query.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// redact is u without its query, for messages: the parameters are config,
// and long.
func redact(u string) string {
	base, _, _ := strings.Cut(u, "?")
	return base
}

// deadLetter sets docs aside with their reasons and counts them; cause,
// if set, is the whole request's failure.
func (w *writer) deadLetter(docs []*event.Event, indexes []string, why []rejection, cause error) error {
	if err := w.dead.add(docs, indexes, why); err != nil {
		return err
	}
	if w.cfg.DeadLetters != nil {
		w.cfg.DeadLetters.Add(float64(len(docs)))
	}
	w.progress = true
	if cause != nil {
		w.cfg.Log.Error("elasticsearch rejected a request for good: its documents are in the dead-letter file",
			"documents", len(docs), "err", cause.Error(), "file", w.cfg.DeadLetterPath)
		return nil
	}
	for i, r := range why {
		w.cfg.Log.Error("elasticsearch rejected a document, written to the dead-letter file",
			"status", r.status, "index", indexes[i], "error", string(r.error), "file", w.cfg.DeadLetterPath)
	}
	return nil
}

// Close implements pipeline.Output.
func (o *Output) Close() error {
	o.cfg.Client.CloseIdleConnections()
	return o.dead.close()
}
