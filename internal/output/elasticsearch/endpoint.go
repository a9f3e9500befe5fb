package elasticsearch

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// bulkURL returns the _bulk endpoint of host: "host[:port]" (http, or
// https with ssl) or a URL whose path is where Elasticsearch is served,
// e.g. VictoriaLogs' "http://logstore:9428/insert/elasticsearch"; path,
// if set, is that path for hosts that give none. A host without a port
// uses 9200, as Logstash does. The host's own query is kept and params
// are appended to it, as Logstash's `parameters` option does.
func bulkURL(host string, ssl bool, path string, params url.Values) (string, error) {
	raw := strings.TrimPrefix(host, "//") // Logstash's default is "//127.0.0.1"
	if !strings.Contains(raw, "://") {
		scheme := "http://"
		if ssl {
			scheme = "https://"
		}
		raw = scheme + raw
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return "", fmt.Errorf("bad host %q: %w", host, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return "", fmt.Errorf("bad host %q: want an http or https URL", host)
	case u.Host == "":
		return "", fmt.Errorf("bad host %q: no host name", host)
	case u.User != nil:
		// Credentials in a URL end up in logs and error messages.
		return "", fmt.Errorf("host %q carries credentials: use the user and password (or password_file) options", u.Redacted())
	case u.Fragment != "":
		return "", fmt.Errorf("bad host %q: a URL fragment is never sent", host)
	}
	if u.Port() == "" {
		u.Host = net.JoinHostPort(u.Hostname(), "9200")
	}
	if path != "" {
		if strings.Trim(u.Path, "/") != "" {
			return "", fmt.Errorf("host %q has a path and the path option is set: give one of them", host)
		}
		u.Path = "/" + strings.TrimPrefix(path, "/")
	}
	u = u.JoinPath("_bulk")
	if len(params) > 0 {
		if u.RawQuery != "" {
			u.RawQuery += "&"
		}
		u.RawQuery += params.Encode()
	}
	return u.String(), nil
}

// newClient returns the HTTP client of the output: the system's CAs, or
// only those of caFile when it is set.
func newClient(caFile string, timeout time.Duration) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil // the store is on the stack's network; an http_proxy variable must not divert logs
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("cacert: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, errors.New("cacert " + caFile + ": no PEM certificate in it")
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: tr, Timeout: timeout}, nil
}
