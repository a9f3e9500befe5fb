//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/appstack/appstack/internal/freeport"
)

// Services of the two topologies, as named in compose.yaml and compose.ha.yaml.
var (
	RedisServices    = []string{"redis_primary", "redis_replica1", "redis_replica2"}
	SentinelServices = []string{"sentinel1", "sentinel2", "sentinel3"}
)

// MasterName is the primary's name for the Sentinels (sentinel.conf).
const MasterName = "appstack"

// Timeouts of the bounded polls.
const (
	upTimeout      = 3 * time.Minute
	healthTimeout  = 90 * time.Second
	commandTimeout = 2 * time.Minute
	pollInterval   = 250 * time.Millisecond
)

// Compose commands: the one Debian packages and the v2 CLI plugin.
var (
	ComposeV1 = []string{"docker-compose"}
	ComposeV2 = []string{"docker", "compose"}
)

// Options say which stack StartStack starts. The zero value is the default
// topology (HA) started by docker-compose 1.29.
type Options struct {
	// Seed selects the seed's plain topology (compose.yaml alone).
	Seed bool
	// Compose is the compose command; nil means ComposeV1.
	Compose []string
	// ViaMake starts the stack with `make up` instead of compose itself,
	// which tests the Makefile and times what a user waits for.
	ViaMake bool
}

// Stack is one compose project owned by a test: its own project name,
// published port and secrets. StartStack registers its teardown.
type Stack struct {
	Project string
	// Port is the webapp port published on the host.
	Port int
	// Secrets is the folder of the stack's secrets (images/secrets.sh).
	Secrets string
	// Root is the repository, where the compose files are.
	Root string
	// UpTime is how long starting took until every service was healthy.
	UpTime time.Duration

	opts  Options
	files string

	mu  sync.Mutex
	ids map[string]string // service -> container ID
}

// StartStack starts a stack and waits until every service is healthy. At
// cleanup it removes the containers, networks and volumes, after printing
// the logs of every service if the test failed.
func StartStack(tb testing.TB, opts Options) *Stack {
	tb.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		tb.Fatal(err)
	}
	if opts.Compose == nil {
		opts.Compose = ComposeV1
	}
	s := &Stack{
		Project: "e2e" + randomHex(tb, 4),
		Port:    freeport.Get(tb),
		Secrets: tb.TempDir(),
		Root:    root,
		opts:    opts,
		files:   "compose.yaml:compose.ha.yaml",
		ids:     map[string]string{},
	}
	if opts.Seed {
		s.files = "compose.yaml"
	}
	tb.Cleanup(func() { s.teardown(tb) })

	var start time.Time
	if opts.ViaMake {
		// UpTime measures `make up` with the images already built: build
		// them first, in case the sources changed since `make test-e2e` did.
		if out, err := s.run(upTimeout, "make", "--no-print-directory", "images"); err != nil {
			tb.Fatalf("make images: %v\n%s", err, out)
		}
		topology := "ha"
		if opts.Seed {
			topology = "seed"
		}
		start = time.Now()
		out, err := s.run(upTimeout, "make", "--no-print-directory", "up",
			"COMPOSE="+strings.Join(opts.Compose, " "), "TOPOLOGY="+topology, "SECRETS_DIR="+s.Secrets)
		tb.Logf("make up:\n%s", out)
		if err != nil {
			tb.Fatalf("make up: %v", err)
		}
	} else {
		if out, err := s.run(commandTimeout, filepath.Join(root, "images", "secrets.sh"), s.Secrets); err != nil {
			tb.Fatalf("secrets.sh: %v\n%s", err, out)
		}
		start = time.Now()
		s.MustCompose(tb, "up", "-d")
		if err := s.WaitHealthy(healthTimeout); err != nil {
			tb.Fatal(err)
		}
	}
	s.UpTime = time.Since(start)
	return s
}

func (s *Stack) teardown(tb testing.TB) {
	if tb.Failed() {
		out, _ := s.Compose("logs", "--no-color", "--tail=60")
		tb.Logf("logs of %s:\n%s", s.Project, out)
	}
	if out, err := s.Compose("down", "-v", "--remove-orphans", "-t", "5"); err != nil {
		tb.Errorf("teardown of %s: %v\n%s", s.Project, err, out)
	}
}

// env is the environment of every compose and make command of the stack.
func (s *Stack) env() []string {
	return append(os.Environ(),
		"COMPOSE_PROJECT_NAME="+s.Project,
		"COMPOSE_FILE="+s.files,
		"WEBAPP_PORT="+strconv.Itoa(s.Port),
		"APPSTACK_SECRETS="+s.Secrets,
	)
}

// run runs a command in the repository with the stack's environment and
// returns its combined output.
func (s *Stack) run(timeout time.Duration, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c := exec.CommandContext(ctx, name, args...)
	c.Dir = s.Root
	c.Env = s.env()
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	if err := c.Run(); err != nil {
		return out.String(), fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
	}
	return out.String(), nil
}

// Compose runs the stack's compose command with args and returns its
// combined output.
func (s *Stack) Compose(args ...string) (string, error) {
	return s.run(commandTimeout, s.opts.Compose[0], append(append([]string{}, s.opts.Compose[1:]...), args...)...)
}

// MustCompose is Compose that fails the test on error.
func (s *Stack) MustCompose(tb testing.TB, args ...string) string {
	tb.Helper()
	out, err := s.Compose(args...)
	if err != nil {
		tb.Fatalf("%v\n%s", err, out)
	}
	return out
}

// Container returns the ID of the service's container (one per service).
func (s *Stack) Container(tb testing.TB, service string) string {
	tb.Helper()
	s.mu.Lock()
	id := s.ids[service]
	s.mu.Unlock()
	if id != "" {
		return id
	}
	out := strings.TrimSpace(s.MustCompose(tb, "ps", "-q", service))
	if out == "" || strings.Contains(out, "\n") {
		tb.Fatalf("service %s: want one container, compose ps -q says %q", service, out)
	}
	s.mu.Lock()
	s.ids[service] = out
	s.mu.Unlock()
	return out
}

// Services lists the services of the stack's topology.
func (s *Stack) Services(tb testing.TB) []string {
	tb.Helper()
	return strings.Fields(s.MustCompose(tb, "config", "--services"))
}

// Docker runs the docker CLI and returns its combined output.
func Docker(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "docker", args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("docker %s: %s: %w", strings.Join(args, " "), bytes.TrimSpace(out), err)
	}
	return string(out), nil
}

// Exec runs a command inside the service's container (docker exec, not
// compose exec: it is much faster, which matters in polls) and returns its
// stdout and stderr.
func (s *Stack) Exec(tb testing.TB, service string, args ...string) (string, error) {
	tb.Helper()
	return Docker(append([]string{"exec", s.Container(tb, service)}, args...)...)
}

// RedisCLI runs redis-cli in a Redis or Sentinel container: the image's
// wrapper, authenticated as admin, on the container's own port. The output
// is trimmed. redis-cli exits 0 on error replies: look at the text.
func (s *Stack) RedisCLI(tb testing.TB, service string, args ...string) (string, error) {
	tb.Helper()
	out, err := s.Exec(tb, service, append([]string{"redis-cli"}, args...)...)
	return strings.TrimSpace(out), err
}

// MustRedisCLI is RedisCLI that fails the test on error.
func (s *Stack) MustRedisCLI(tb testing.TB, service string, args ...string) string {
	tb.Helper()
	out, err := s.RedisCLI(tb, service, args...)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// KeyWatch is a poll running inside a Redis container that waits for one
// key to appear there (see WatchKey).
type KeyWatch struct {
	service string
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	out     readyWriter
	exited  chan struct{}
}

// keyWatchScript says it is ready, reads a key from stdin, polls EXISTS
// every 10 ms for at most 5 s, and prints the server's TIME when the key is
// there.
const keyWatchScript = `echo ready
read -r key || exit 1
i=0
while [ $i -lt 500 ]; do
  if [ "$(redis-cli exists "$key")" = 1 ]; then redis-cli time | tr '\n' ' '; exit 0; fi
  sleep 0.01
  i=$((i + 1))
done
echo "$key did not appear within 5 s"
exit 1`

// readyWriter collects a command's output and closes ready when the
// output starts with "ready\n", which it drops.
type readyWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	ready chan struct{}
	seen  bool
}

func (w *readyWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if !w.seen && bytes.HasPrefix(w.buf.Bytes(), []byte("ready\n")) {
		w.buf.Next(len("ready\n"))
		w.seen = true
		close(w.ready)
	}
	return len(p), nil
}

func (w *readyWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// WatchKey starts a KeyWatch in the service's container and returns once
// it runs; do the write it waits for after that, name the key with Look
// as soon as it is known, then ask when it appeared with Seen. Times come from Redis's TIME, which is the host's clock: containers
// share the kernel's.
func (s *Stack) WatchKey(tb testing.TB, service string) *KeyWatch {
	tb.Helper()
	w := &KeyWatch{service: service, out: readyWriter{ready: make(chan struct{})}}
	w.cmd = exec.Command("docker", "exec", "-i", s.Container(tb, service), "sh", "-c", keyWatchScript)
	w.cmd.Stdout, w.cmd.Stderr = &w.out, &w.out
	var err error
	if w.stdin, err = w.cmd.StdinPipe(); err != nil {
		tb.Fatal(err)
	}
	if err := w.cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	exited := make(chan struct{})
	go func() {
		_ = w.cmd.Wait()
		close(exited)
	}()
	tb.Cleanup(func() {
		_ = w.stdin.Close()
		<-exited
	})
	select {
	case <-w.out.ready:
	case <-exited:
		tb.Fatalf("%s: key watch ended before it started: %s", service, w.out.String())
	case <-time.After(commandTimeout):
		tb.Fatalf("%s: key watch not started after %s", service, commandTimeout)
	}
	w.exited = exited
	return w
}

// Look gives the watch its key: it starts polling at once.
func (w *KeyWatch) Look(key string) {
	_, _ = io.WriteString(w.stdin, key+"\n")
	_ = w.stdin.Close()
}

// Seen waits for the watch to end and returns when the key appeared, by
// the server's clock; that is at most 10 ms after it did.
func (w *KeyWatch) Seen(key string) (time.Time, error) {
	<-w.exited
	out := w.out.String()
	f := strings.Fields(out)
	if w.cmd.ProcessState.ExitCode() != 0 || len(f) != 2 {
		return time.Time{}, fmt.Errorf("%s: watching %s: %s", w.service, key, strings.TrimSpace(out))
	}
	sec, err1 := strconv.ParseInt(f[0], 10, 64)
	usec, err2 := strconv.ParseInt(f[1], 10, 64)
	if err1 != nil || err2 != nil {
		return time.Time{}, fmt.Errorf("%s: TIME answered %q", w.service, out)
	}
	return time.Unix(sec, usec*1000), nil
}

// InfoField returns one field of INFO section from the service's Redis.
func (s *Stack) InfoField(tb testing.TB, service, section, field string) string {
	tb.Helper()
	return s.Info(tb, service, section)[field]
}

// Info returns the fields of INFO sections from the service's Redis, read
// at one instant; none if it does not answer.
func (s *Stack) Info(tb testing.TB, service string, sections ...string) map[string]string {
	tb.Helper()
	info := map[string]string{}
	out, err := s.RedisCLI(tb, service, append([]string{"info"}, sections...)...)
	if err != nil {
		return info
	}
	for _, line := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
			info[k] = v
		}
	}
	return info
}

// WaitHealthy waits until every service of the project has one healthy
// container, or fails after timeout with the states it last saw.
func (s *Stack) WaitHealthy(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last string
	for {
		ok, states := s.healthy()
		if ok {
			return nil
		}
		last = states
		if time.Now().After(deadline) {
			return fmt.Errorf("stack %s not healthy after %s:\n%s", s.Project, timeout, last)
		}
		time.Sleep(pollInterval)
	}
}

func (s *Stack) healthy() (bool, string) {
	services, err := s.Compose("config", "--services")
	if err != nil {
		return false, err.Error()
	}
	ids, err := Docker("ps", "-aq", "--filter", "label=com.docker.compose.project="+s.Project)
	if err != nil || strings.TrimSpace(ids) == "" {
		return false, "no containers"
	}
	out, err := Docker(append([]string{"inspect", "-f",
		`{{index .Config.Labels "com.docker.compose.service"}} {{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}`},
		strings.Fields(ids)...)...)
	if err != nil {
		return false, err.Error()
	}
	healthy := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if svc, ok := strings.CutSuffix(line, " healthy"); ok {
			healthy[svc] = true
		}
	}
	for _, svc := range strings.Fields(services) {
		if !healthy[svc] {
			return false, out
		}
	}
	return true, out
}

// WaitFor polls cond every 100 ms until it returns nil or timeout passes;
// then it returns cond's last error.
func WaitFor(timeout time.Duration, cond func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("after %s: %w", timeout, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// URL is the address of path on the stack's published webapp port.
func (s *Stack) URL(path string) string {
	return "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port)) + path
}

// httpClient never follows redirects and never keeps cookies: tests pass
// the cookie they mean. It keeps enough idle connections for a Load, and
// drops them well before webapp's keep-alive timeout (5 s), so that it
// never reuses a connection the server is closing.
var httpClient = &http.Client{
	Timeout:       10 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Transport: func() http.RoundTripper {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 64
		t.IdleConnTimeout = 2 * time.Second
		return t
	}(),
}

// Response is an answer of webapp, body read.
type Response struct {
	Status int
	Header http.Header
	Body   string
}

// SessionCookie is the connect.sid cookie the response sets, or "".
func (r Response) SessionCookie() string {
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == "connect.sid" {
			return c.Value
		}
	}
	return ""
}

// Get requests path from webapp through the published port, sending the
// connect.sid cookie if not empty.
func (s *Stack) Get(path, cookie string) (Response, error) {
	return GetURL(s.URL(path), cookie)
}

// GetURL requests a full URL from webapp, sending the connect.sid cookie
// if not empty.
func GetURL(target, cookie string) (Response, error) {
	req, err := http.NewRequest(http.MethodGet, target, nil)
	if err != nil {
		return Response{}, err
	}
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: "connect.sid", Value: cookie})
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return Response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return Response{}, fmt.Errorf("GET %s: read body: %w", target, err)
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}, nil
}

// SessionID is the session ID in a connect.sid cookie value:
// "s:" + id + "." + signature, URL-encoded.
func SessionID(tb testing.TB, cookie string) string {
	tb.Helper()
	v, err := url.QueryUnescape(cookie)
	if err != nil {
		tb.Fatalf("cookie %q: %v", cookie, err)
	}
	v, ok := strings.CutPrefix(v, "s:")
	i := strings.LastIndexByte(v, '.')
	if !ok || i < 0 {
		tb.Fatalf("cookie %q is not a signed connect.sid (s:ID.SIG)", cookie)
	}
	return v[:i]
}

// Secret returns the content of one of the stack's secrets.
func (s *Stack) Secret(tb testing.TB, name string) string {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(s.Secrets, name))
	if err != nil {
		tb.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// SentinelMaster is the primary's "host:port" according to one Sentinel.
func (s *Stack) SentinelMaster(tb testing.TB, sentinel string) (string, error) {
	tb.Helper()
	out, err := s.RedisCLI(tb, sentinel, "sentinel", "get-master-addr-by-name", MasterName)
	if err != nil {
		return "", err
	}
	f := strings.Fields(out)
	if len(f) != 2 {
		return "", fmt.Errorf("%s: get-master-addr-by-name answered %q", sentinel, out)
	}
	return f[0] + ":" + f[1], nil
}

// AgreedMaster is the primary's "host:port" when every Sentinel names the
// same one, else an error saying what each said.
func (s *Stack) AgreedMaster(tb testing.TB) (string, error) {
	tb.Helper()
	return s.AgreedMasterAmong(tb, SentinelServices...)
}

// AgreedMasterAmong is AgreedMaster asking only the given Sentinels: those
// a test has not taken down.
func (s *Stack) AgreedMasterAmong(tb testing.TB, sentinels ...string) (string, error) {
	tb.Helper()
	var first string
	var said []string
	agree := true
	for i, sn := range sentinels {
		m, err := s.SentinelMaster(tb, sn)
		if err != nil {
			return "", err
		}
		said = append(said, sn+"="+m)
		if i == 0 {
			first = m
		} else if m != first {
			agree = false
		}
	}
	if !agree {
		return "", fmt.Errorf("sentinels disagree: %s", strings.Join(said, " "))
	}
	return first, nil
}

// SentinelEvent is one event a Sentinel logged, from a line such as
// "1:X 25 Nov 2026 21:33:49.589 # +switch-master appstack redis_primary 6379 redis_replica2 6379".
type SentinelEvent struct {
	Sentinel string
	// Time is the Sentinel's own timestamp. Redis logs in the container's
	// time zone, UTC, by the clock containers share with the host.
	Time time.Time
	Name string // "+switch-master"
	Args string // "appstack redis_primary 6379 redis_replica2 6379"
}

func (e SentinelEvent) String() string {
	return e.Time.Format("15:04:05.000") + " " + e.Sentinel + " " + e.Name + " " + e.Args
}

// SentinelEvents returns the events (+name and -name lines) every Sentinel
// logged from since on, in time order. A stopped Sentinel's log is read too.
func (s *Stack) SentinelEvents(tb testing.TB, since time.Time) []SentinelEvent {
	tb.Helper()
	since = since.Truncate(time.Millisecond) // the log's precision
	var evs []SentinelEvent
	for _, sn := range SentinelServices {
		out, err := Docker("logs", "--since", since.Add(-time.Second).Format(time.RFC3339Nano), s.Container(tb, sn))
		if err != nil {
			tb.Fatal(err)
		}
		evs = append(evs, ParseSentinelLog(sn, out, since)...)
	}
	slices.SortStableFunc(evs, func(a, b SentinelEvent) int { return a.Time.Compare(b.Time) })
	return evs
}

// ParseSentinelLog returns the events (+name and -name lines) in a
// Sentinel's log from since on, naming the Sentinel sentinel.
func ParseSentinelLog(sentinel, log string, since time.Time) []SentinelEvent {
	since = since.Truncate(time.Millisecond) // the log's precision
	var evs []SentinelEvent
	for _, line := range strings.Split(log, "\n") {
		f := strings.Fields(line)
		if len(f) < 7 || !strings.HasSuffix(f[0], ":X") || (f[6][0] != '+' && f[6][0] != '-') {
			continue
		}
		t, err := time.Parse("2 Jan 2006 15:04:05.000", strings.Join(f[1:5], " "))
		if err != nil || t.Before(since) {
			continue
		}
		evs = append(evs, SentinelEvent{Sentinel: sentinel, Time: t, Name: f[6], Args: strings.Join(f[7:], " ")})
	}
	return evs
}

// Diagnostic is one line of the slog JSON that webapp and logship write on
// stderr.
type Diagnostic struct {
	Time  time.Time
	Level string
	Msg   string
	// Line is the whole JSON object.
	Line string
}

// Diagnostics returns the slog JSON lines the service wrote from since on;
// other lines (logship's events on stdout) are skipped.
func (s *Stack) Diagnostics(tb testing.TB, service string, since time.Time) []Diagnostic {
	tb.Helper()
	out, err := Docker("logs", "--since", since.Format(time.RFC3339Nano), s.Container(tb, service))
	if err != nil {
		tb.Fatal(err)
	}
	var ds []Diagnostic
	for _, line := range strings.Split(out, "\n") {
		var d struct {
			Time  time.Time `json:"time"`
			Level string    `json:"level"`
			Msg   string    `json:"msg"`
		}
		if !strings.HasPrefix(line, "{") || json.Unmarshal([]byte(line), &d) != nil || d.Time.Before(since) {
			continue
		}
		ds = append(ds, Diagnostic{Time: d.Time, Level: d.Level, Msg: d.Msg, Line: line})
	}
	return ds
}

// Kill sends SIGKILL to the service's container, as a crash would. Docker
// does not restart a killed container (the restart policy does not apply
// to docker kill); start it again with Compose("start", service). A test
// that times the kill calls Container first: its first call for a service
// runs compose, which takes a second or two.
func (s *Stack) Kill(tb testing.TB, service string) {
	tb.Helper()
	if _, err := Docker("kill", "-s", "KILL", s.Container(tb, service)); err != nil {
		tb.Fatal(err)
	}
}

// Disconnect cuts the service's container off every network it is on
// (docker network disconnect), as a network partition would: the process
// keeps running and docker exec still reaches it. It returns when the cut
// started, and heal, which connects the container again with the aliases
// it had, its service name among them, so the stack's DNS finds it again.
func (s *Stack) Disconnect(tb testing.TB, service string) (cut time.Time, heal func(testing.TB)) {
	tb.Helper()
	id := s.Container(tb, service)
	out, err := Docker("inspect", "-f", "{{json .NetworkSettings.Networks}}", id)
	if err != nil {
		tb.Fatal(err)
	}
	var networks map[string]struct{ Aliases []string }
	if err := json.Unmarshal([]byte(out), &networks); err != nil {
		tb.Fatalf("networks of %s: %v in %s", service, err, out)
	}
	if len(networks) == 0 {
		tb.Fatalf("%s is on no network", service)
	}
	cut = time.Now()
	for name := range networks {
		if _, err := Docker("network", "disconnect", name, id); err != nil {
			tb.Fatal(err)
		}
	}
	return cut, func(tb testing.TB) {
		tb.Helper()
		for name, n := range networks {
			args := []string{"network", "connect"}
			for _, a := range n.Aliases {
				if !strings.HasPrefix(id, a) { // Docker adds the short ID itself
					args = append(args, "--alias", a)
				}
			}
			if _, err := Docker(append(args, name, id)...); err != nil {
				tb.Fatal(err)
			}
		}
	}
}

// MissingKeys returns the keys that the service's Redis does not hold,
// asking EXISTS for each through one redis-cli reading its commands from
// stdin (keys must not contain white space).
func (s *Stack) MissingKeys(tb testing.TB, service string, keys []string) ([]string, error) {
	tb.Helper()
	return MissingKeysVia(service, []string{"exec", "-i", s.Container(tb, service), "redis-cli"}, keys)
}

// MissingKeysVia is MissingKeys through any docker command line that runs
// redis-cli reading stdin (another engine's container: -H HOST exec -i ID
// redis-cli); service names it in errors.
func MissingKeysVia(service string, dockerArgs, keys []string) ([]string, error) {
	var in strings.Builder
	for _, k := range keys {
		in.WriteString("EXISTS " + k + "\n")
	}
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	c := exec.CommandContext(ctx, "docker", dockerArgs...)
	c.Stdin = strings.NewReader(in.String())
	out, err := c.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("%s: redis-cli EXISTS of %d keys: %s: %w", service, len(keys), out, err)
	}
	replies := strings.Fields(string(out))
	if len(replies) != len(keys) {
		return nil, fmt.Errorf("%s: %d replies to %d EXISTS: %.200s", service, len(replies), len(keys), out)
	}
	var missing []string
	for i, r := range replies {
		switch r {
		case "1":
		case "0":
			missing = append(missing, keys[i])
		default:
			return nil, fmt.Errorf("%s: EXISTS %s answered %q", service, keys[i], r)
		}
	}
	return missing, nil
}

func randomHex(tb testing.TB, n int) string {
	tb.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	return hex.EncodeToString(b)
}
