package logstoretest

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Client asks a VictoriaLogs store with LogsQL (/select/logsql/query).
// Stored logs become visible about a second after they are accepted, so
// callers poll.
type Client struct {
	// URL is the store's root, e.g. http://127.0.0.1:9428.
	URL string
	// User and Password, if set, are sent as basic auth.
	User, Password string
	// HTTP is the client used; nil means one with a 10 s timeout.
	HTTP *http.Client
}

// Row is one log entry: every field as VictoriaLogs returns it, a string.
// _msg is the message, _time the time (RFC 3339), _stream the stream.
type Row map[string]string

// Query runs a LogsQL query and returns its rows.
func (c *Client) Query(ctx context.Context, query string) ([]Row, error) {
	form := url.Values{"query": {query}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL+"/select/logsql/query", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if c.User != "" || c.Password != "" {
		req.SetBasicAuth(c.User, c.Password)
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("logsql %q: %w", query, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return nil, fmt.Errorf("logsql %q: %s: %s", query, resp.Status, strings.TrimSpace(string(b)))
	}
	var rows []Row
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var r Row
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("logsql %q: bad row %q: %w", query, sc.Bytes(), err)
		}
		rows = append(rows, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("logsql %q: %w", query, err)
	}
	return rows, nil
}

// Count returns how many entries match a LogsQL filter.
func (c *Client) Count(ctx context.Context, filter string) (int, error) {
	rows, err := c.Query(ctx, filter+" | stats count() n")
	if err != nil {
		return 0, err
	}
	if len(rows) != 1 {
		return 0, fmt.Errorf("logsql count of %q: %d rows; want 1", filter, len(rows))
	}
	n, err := strconv.Atoi(rows[0]["n"])
	if err != nil {
		return 0, fmt.Errorf("logsql count of %q: %w", filter, err)
	}
	return n, nil
}

// Quote returns s as a LogsQL quoted phrase, for exact matches.
func Quote(s string) string { return strconv.Quote(s) }

// insecureTLS is for the readiness probe only: a test's store may use a
// certificate the test just made.
func insecureTLS() *tls.Config {
	return &tls.Config{InsecureSkipVerify: true} //nolint:gosec // health probe of a test's own server
}
