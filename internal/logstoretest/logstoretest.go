// Package logstoretest runs the real log store, VictoriaLogs, for tests:
// the victoria-logs binary on a free loopback port with a temporary data
// directory, stopped at cleanup. Its Client (query.go) asks any store,
// the stack's too, with LogsQL.
package logstoretest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/appstack/appstack/internal/freeport"
	"github.com/appstack/appstack/internal/proctest"
	"github.com/appstack/appstack/internal/syncbuf"
)

// Env names the variable holding the victoria-logs binary's path; the
// Makefile sets it after building the binary (make victoria-logs).
const Env = "APPSTACK_VICTORIA_LOGS"

// startTimeout bounds how long the store may take to answer /health
// (it takes well under a second).
const startTimeout = 15 * time.Second

// Binary returns the victoria-logs binary: $APPSTACK_VICTORIA_LOGS, or
// the one `make victoria-logs` caches under .build/logstore/ in the
// module's root, at the version pinned in images/logstore/version.
func Binary(getenv func(string) string) (string, error) {
	const how = "victoria-logs not found: run `make victoria-logs` (builds it into .build/logstore/) or set " + Env + " to its path"
	if p := getenv(Env); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s: %w", how, err)
		}
		return p, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", errors.New(how)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			v, err := os.ReadFile(filepath.Join(dir, "images", "logstore", "version"))
			if err != nil {
				return "", errors.New(how)
			}
			p := filepath.Join(dir, ".build", "logstore", "victoria-logs-"+strings.TrimSpace(string(v)))
			if _, err := os.Stat(p); err != nil {
				return "", errors.New(how)
			}
			return p, nil
		}
		if filepath.Dir(dir) == dir {
			return "", errors.New(how)
		}
	}
}

// Store is one victoria-logs process owned by a test.
type Store struct {
	// URL is the store's root, http(s)://127.0.0.1:PORT.
	URL string
	// Dir is the data directory; it survives Stop, for Restart.
	Dir string
	// Log is what the store printed.
	Log *syncbuf.Buffer

	tb    testing.TB
	bin   string
	port  int
	flags []string
	tls   bool
	proc  *proctest.Process
}

// Start starts victoria-logs with the given extra flags ("-name=value")
// and waits until /health answers. It fails the test when the binary is
// missing: integration tests do not pass by skipping.
func Start(tb testing.TB, flags ...string) *Store {
	tb.Helper()
	bin, err := Binary(os.Getenv)
	if err != nil {
		tb.Fatal(err)
	}
	s := &Store{tb: tb, bin: bin, Dir: tb.TempDir(), flags: flags, Log: &syncbuf.Buffer{}}
	for _, f := range flags {
		s.tls = s.tls || f == "-tls" || f == "-tls=true"
	}
	for attempt := 0; attempt < 5; attempt++ {
		if err = s.start(freeport.Get(tb)); err == nil {
			tb.Cleanup(s.Stop)
			return s
		}
	}
	tb.Fatalf("logstoretest: start victoria-logs: %v", err)
	return nil
}

// InsertURL is the root of the store's Elasticsearch API: the `hosts`
// entry of an elasticsearch output.
func (s *Store) InsertURL() string { return s.URL + "/insert/elasticsearch" }

// Client returns a LogsQL client of the store.
func (s *Store) Client() *Client { return &Client{URL: s.URL} }

// Restart starts the store again on the same port and data directory.
func (s *Store) Restart() {
	s.tb.Helper()
	if err := s.start(s.port); err != nil {
		s.tb.Fatalf("logstoretest: restart victoria-logs: %v", err)
	}
}

func (s *Store) start(port int) error {
	s.port = port
	scheme := "http"
	if s.tls {
		scheme = "https"
	}
	s.URL = scheme + "://127.0.0.1:" + strconv.Itoa(port)
	args := append([]string{
		"-httpListenAddr=127.0.0.1:" + strconv.Itoa(port),
		"-storageDataPath=" + s.Dir,
		"-retentionPeriod=100y",
		"-loggerLevel=WARN",
	}, s.flags...)
	cmd := exec.Command(s.bin, args...)
	cmd.Stdout, cmd.Stderr = s.Log, s.Log
	proc, err := proctest.Start(cmd)
	if err != nil {
		return err
	}
	s.proc = proc

	// /health needs no credentials; TLS is the test's own certificate.
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{TLSClientConfig: insecureTLS()}}
	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-s.proc.Exited():
			return fmt.Errorf("victoria-logs exited early: %s", s.Log.String())
		default:
		}
		if healthy(client, s.URL+"/health") {
			return nil
		}
		if time.Now().After(deadline) {
			s.Kill()
			return fmt.Errorf("victoria-logs on %s not ready after %s: %s", s.URL, startTimeout, s.Log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func healthy(c *http.Client, url string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	resp, err := c.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// Stop shuts the store down gracefully (SIGTERM: it flushes its data)
// and waits. It is safe to call more than once.
func (s *Store) Stop() { s.signal(os.Interrupt) }

// Kill stops the store with SIGKILL and waits.
func (s *Store) Kill() { s.signal(os.Kill) }

func (s *Store) signal(sig os.Signal) { s.proc.Signal(sig, 30*time.Second) }
