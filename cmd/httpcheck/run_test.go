package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestRun(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/health" {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("OK"))
	}))
	defer srv.Close()
	tests := []struct {
		name string
		args []string
		ok   bool
	}{
		{"a 200 answer passes", []string{"httpcheck", srv.URL + "/health"}, true},
		{"a 503 answer fails", []string{"httpcheck", srv.URL + "/other"}, false},
		{"a closed port fails", []string{"httpcheck", "http://127.0.0.1:1/health"}, false},
		{"no URL fails", []string{"httpcheck"}, false},
		{"two URLs fail", []string{"httpcheck", srv.URL, srv.URL}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(context.Background(), tt.args)
			if (err == nil) != tt.ok {
				t.Errorf("run(%q) = %v; want ok=%v", tt.args, err, tt.ok)
			}
		})
	}
}
