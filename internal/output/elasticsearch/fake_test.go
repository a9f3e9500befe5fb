package elasticsearch

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path"
	"sync"
	"testing"
)

// fakeES is an Elasticsearch _bulk endpoint that checks the protocol
// strictly and answers with per-item statuses chosen by the test.
type fakeES struct {
	user     string // required basic auth, if set
	password string

	mu       sync.Mutex
	docs     []indexed // accepted documents, in order
	requests int
	// status decides an item's status (0 means 201, -1 an item without a
	// status, as a broken proxy answers) from its source and how many
	// times that document was seen.
	status func(doc map[string]any, seen int) int
	// down answers whole requests with 503 while set.
	down bool
	// whole, if set, may answer a whole request (the requests-th, with
	// these documents) itself: a status other than 0, with body, and
	// nothing is stored.
	whole func(requests int, docs []map[string]any) (status int, body string)
	// queries are the query strings of the requests, in order.
	queries []string
	seen    map[string]int
	// violations are protocol errors found; a test fails if any.
	violations []string
}

type indexed struct {
	Action string
	Index  string
	ID     string // "" if none
	Doc    map[string]any
}

func newFakeES(t testing.TB) (*fakeES, *httptest.Server) {
	f := &fakeES{seen: map[string]int{}}
	srv := httptest.NewServer(f)
	t.Cleanup(func() {
		srv.Close()
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, v := range f.violations {
			t.Errorf("protocol violation: %s", v)
		}
	})
	return f, srv
}

func (f *fakeES) reject(w http.ResponseWriter, code int, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	f.violations = append(f.violations, msg)
	http.Error(w, msg, code)
}

func (f *fakeES) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests++
	f.queries = append(f.queries, r.URL.RawQuery)
	if r.Method != http.MethodPost || path.Base(r.URL.Path) != "_bulk" {
		f.reject(w, http.StatusNotFound, "%s %s; want POST …/_bulk", r.Method, r.URL.Path)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-ndjson" {
		f.reject(w, http.StatusNotAcceptable, "Content-Type %q; want application/x-ndjson", ct)
		return
	}
	if f.user != "" {
		u, p, ok := r.BasicAuth()
		if !ok || u != f.user || p != f.password {
			http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
			return
		}
	}
	if f.down {
		http.Error(w, `{"error":"unavailable"}`, http.StatusServiceUnavailable)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		f.reject(w, http.StatusBadRequest, "read body: %v", err)
		return
	}
	if len(body) == 0 || body[len(body)-1] != '\n' {
		f.reject(w, http.StatusBadRequest, "body does not end with a newline")
		return
	}
	lines := bytes.Split(body[:len(body)-1], []byte("\n"))
	if len(lines)%2 != 0 {
		f.reject(w, http.StatusBadRequest, "odd number of NDJSON lines (%d)", len(lines))
		return
	}
	type item struct {
		action, index, id string
		doc               map[string]any
	}
	var items []item
	for i := 0; i < len(lines); i += 2 {
		var action map[string]map[string]any
		if err := json.Unmarshal(lines[i], &action); err != nil || len(action) != 1 {
			f.reject(w, http.StatusBadRequest, "bad action line %q: %v", lines[i], err)
			return
		}
		var name string
		var meta map[string]any
		for k, v := range action { // one key, checked above
			name, meta = k, v
		}
		if name != "index" && name != "create" {
			f.reject(w, http.StatusBadRequest, "action line %q is not an index or create action", lines[i])
			return
		}
		idx, _ := meta["_index"].(string)
		if idx == "" {
			f.reject(w, http.StatusBadRequest, "action line %q has no _index", lines[i])
			return
		}
		for k, v := range meta {
			if _, isString := v.(string); !isString || (k != "_index" && k != "_type" && k != "_id") {
				f.reject(w, http.StatusBadRequest, "action line %q has unexpected %q", lines[i], k)
				return
			}
		}
		var doc map[string]any
		dec := json.NewDecoder(bytes.NewReader(lines[i+1]))
		if err := dec.Decode(&doc); err != nil || dec.More() {
			f.reject(w, http.StatusBadRequest, "bad source line %q: %v", lines[i+1], err)
			return
		}
		id, _ := meta["_id"].(string)
		items = append(items, item{name, idx, id, doc})
	}
	if f.whole != nil {
		docs := make([]map[string]any, len(items))
		for i, it := range items {
			docs[i] = it.doc
		}
		if status, body := f.whole(f.requests, docs); status != 0 {
			w.WriteHeader(status)
			_, _ = io.WriteString(w, body)
			return
		}
	}
	resp := map[string]any{"took": 1, "errors": false}
	var out []any
	for _, it := range items {
		key := fmt.Sprint(it.doc["message"])
		f.seen[key]++
		status := 201
		if f.status != nil {
			if s := f.status(it.doc, f.seen[key]); s != 0 {
				status = s
			}
		}
		res := map[string]any{"_index": it.index, "status": status}
		if status < 0 {
			resp["errors"] = true
			delete(res, "status")
		} else if status >= 300 {
			resp["errors"] = true
			res["error"] = map[string]any{"type": "mapper_parsing_exception", "reason": "failed to parse " + key}
		} else {
			f.docs = append(f.docs, indexed{it.action, it.index, it.id, it.doc})
		}
		out = append(out, map[string]any{it.action: res})
	}
	resp["items"] = out
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}

func (f *fakeES) indexed() []indexed {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]indexed(nil), f.docs...)
}
