package elasticsearch

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzReadAnswer: whatever a server answers, readAnswer classifies it
// without panicking; an answer it accepts names one item per document,
// or says all were stored.
func FuzzReadAnswer(f *testing.F) {
	f.Add(200, []byte(`{"took":0,"errors":false,"items":[{"create":{"status":201}},{"create":{"status":201}}]}`), 2)
	f.Add(200, []byte(`{"took":1,"errors":true,"items":[{"index":{"status":400,"error":{"type":"mapper_parsing_exception"}}}]}`), 1)
	f.Add(200, []byte(``), 3)
	f.Add(400, []byte(`cannot decode log message #0 in /_bulk request`), 1)
	f.Add(503, []byte(`<html>busy</html>`), 1)
	f.Add(200, []byte(`{"items":[{}],"errors":null}`), 1)
	f.Fuzz(func(t *testing.T, status int, body []byte, docs int) {
		items, err := readAnswer(status, "status", body, docs)
		if err != nil {
			if items != nil {
				t.Fatalf("readAnswer(%d, %q, %d) = %d items and %v", status, body, docs, len(items), err)
			}
			if k := kindOf(err); k != retryable && k != tooLarge && k != rejected {
				t.Fatalf("kind %d", k)
			}
			return
		}
		if status < 200 || status > 299 {
			t.Fatalf("readAnswer(%d, %q) accepted a non-2xx answer", status, body)
		}
		if items != nil && len(items) != docs {
			t.Fatalf("readAnswer(%q, %d docs) = %d items", body, docs, len(items))
		}
	})
}

// FuzzBulkURL: a host either is refused or becomes an http(s) URL ending
// in /_bulk, with a port, and without credentials.
func FuzzBulkURL(f *testing.F) {
	for _, h := range []string{"es:9200", "http://logstore:9428/insert/elasticsearch?_msg_field=message", "//127.0.0.1", "[::1]", "https://u:p@es/", "http://es:9200/#x"} {
		f.Add(h, false, "")
	}
	f.Add("es", true, "/prefix")
	f.Fuzz(func(t *testing.T, host string, ssl bool, path string) {
		got, err := bulkURL(host, ssl, path, url.Values{"_msg_field": {"message"}})
		if err != nil {
			return
		}
		u, perr := url.Parse(got)
		if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Port() == "" || u.User != nil ||
			!strings.HasSuffix(u.Path, "/_bulk") || u.Query().Get("_msg_field") != "message" {
			t.Fatalf("bulkURL(%q, %v, %q) = %q (%v); want an http(s) URL with a port and no user, ending in /_bulk, with the parameter", host, ssl, path, got, perr)
		}
	})
}

// FuzzAppendString: what appendString writes is one JSON string, which
// reads back as the text when the text is valid UTF-8.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"logstash-2017.07.19", `a"b\c`, "<&>", "é\x01\xff", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := appendString([]byte("x"), s)
		var back string
		if err := json.Unmarshal(b[1:], &back); err != nil || utf8.ValidString(s) && back != s {
			t.Errorf("appendString(%q) = %s, which reads back as %q, %v", s, b[1:], back, err)
		}
	})
}
