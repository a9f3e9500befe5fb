//go:build e2e

package e2e

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Result is one request of a Load.
type Result struct {
	Start, End time.Time
	// Cookie is the session the request sent ("" for a new session).
	Cookie string
	Status int
	// SetCookie is the connect.sid the response set, if any.
	SetCookie string
	Err       error
}

// Failed says whether the request failed as a user would see it: no
// answer, not a 200, a new session that got no cookie (webapp answers 200
// without one when Redis did not store it), or a returning session that was
// not found (the response starts a new one).
func (r Result) Failed() string {
	switch {
	case r.Err != nil:
		return r.Err.Error()
	case r.Status != 200:
		return fmt.Sprintf("status %d", r.Status)
	case r.Cookie == "" && r.SetCookie == "":
		return "new session got no cookie"
	case r.Cookie != "" && r.SetCookie != "" && r.SetCookie != r.Cookie:
		return "returning session was replaced"
	}
	return ""
}

// Load keeps requests for GET / going through the published port while a
// test breaks something, recording every answer: a steady rate of new and
// returning sessions (StartLoad), or clients sending new sessions as fast
// as webapp answers (StartFlood).
type Load struct {
	to   Getter
	stop chan struct{}
	wg   sync.WaitGroup

	mu      sync.Mutex
	results []Result
	cookies []string
}

// maxInFlight bounds the requests a steady Load has in flight: enough for
// 200 requests a second through a stall of 10 s, longer than webapp's
// retry budget; few enough for docker-proxy, which holds two descriptors
// per connection.
const maxInFlight = 2048

// Getter is where a Load sends its requests: a Stack's published port, or
// anything else that reaches webapp (the Swarm tests' balancer).
type Getter interface {
	Get(path, cookie string) (Response, error)
}

func newLoad(tb testing.TB, to Getter) *Load {
	l := &Load{to: to, stop: make(chan struct{})}
	tb.Cleanup(func() { l.Stop() })
	return l
}

// StartLoad starts rate requests per second until Stop. Every other request
// returns with a session an earlier request acknowledged, so reads and
// writes of existing sessions are exercised as well as new ones. Requests
// are sent on schedule, each in its own goroutine (at most maxInFlight),
// so a slow answer delays no other request.
func (s *Stack) StartLoad(tb testing.TB, rate int) *Load {
	tb.Helper()
	return StartLoadOn(tb, s, rate)
}

// StartLoadOn is StartLoad sending its requests to any Getter.
func StartLoadOn(tb testing.TB, to Getter, rate int) *Load {
	tb.Helper()
	l := newLoad(tb, to)
	l.wg.Add(1)
	go l.steady(time.Second / time.Duration(rate))
	return l
}

// StartFlood starts clients that each send requests for new sessions back
// to back, as fast as webapp answers, until Stop.
func (s *Stack) StartFlood(tb testing.TB, clients int) *Load {
	tb.Helper()
	l := newLoad(tb, s)
	for range clients {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for {
				select {
				case <-l.stop:
					return
				default:
					l.record(l.request(""))
				}
			}
		}()
	}
	return l
}

func (l *Load) steady(every time.Duration) {
	defer l.wg.Done()
	tick := time.NewTicker(every)
	defer tick.Stop()
	slots := make(chan struct{}, maxInFlight)
	for n := 0; ; n++ {
		select {
		case <-l.stop:
			return
		case <-tick.C:
		}
		cookie := ""
		if n%2 == 1 {
			l.mu.Lock()
			if len(l.cookies) > 0 {
				cookie = l.cookies[n%len(l.cookies)]
			}
			l.mu.Unlock()
		}
		select {
		case slots <- struct{}{}:
		default:
			l.record(Result{Start: time.Now(), End: time.Now(), Cookie: cookie, Err: fmt.Errorf("load: %d requests in flight", maxInFlight)})
			continue
		}
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			defer func() { <-slots }()
			l.record(l.request(cookie))
		}()
	}
}

// request sends one GET / with cookie ("" for a new session).
func (l *Load) request(cookie string) Result {
	r := Result{Start: time.Now(), Cookie: cookie}
	resp, err := l.to.Get("/", cookie)
	r.End, r.Err, r.Status = time.Now(), err, resp.Status
	if err == nil {
		r.SetCookie = resp.SessionCookie()
	}
	return r
}

func (l *Load) record(r Result) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.results = append(l.results, r)
	if r.Failed() == "" && r.Cookie == "" {
		l.cookies = append(l.cookies, r.SetCookie)
	}
}

// Stop stops sending, waits for the requests in flight and returns every
// result, in the order they ended. It is safe to call more than once.
func (l *Load) Stop() []Result {
	select {
	case <-l.stop:
	default:
		close(l.stop)
	}
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Result(nil), l.results...)
}

// Acknowledged returns the cookies of every new session webapp answered 200
// with: sessions that must never be lost.
func (l *Load) Acknowledged() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.cookies...)
}

// Failures returns the failed results, each described.
func Failures(results []Result) []string {
	var f []string
	for _, r := range results {
		if why := r.Failed(); why != "" {
			f = append(f, fmt.Sprintf("%s +%s: %s", r.Start.Format("15:04:05.000"), r.End.Sub(r.Start).Round(time.Millisecond), why))
		}
	}
	return f
}

// ErrorWindow is the time from since to the end of the first successful
// request after which no request failed; 0 if none failed after since.
func ErrorWindow(results []Result, since time.Time) time.Duration {
	lastFail := -1
	for i, r := range results {
		if r.Failed() != "" && !r.End.Before(since) {
			lastFail = i
		}
	}
	if lastFail < 0 {
		return 0
	}
	for _, r := range results[lastFail+1:] {
		if r.Failed() == "" {
			return r.End.Sub(since)
		}
	}
	return results[len(results)-1].End.Sub(since)
}

// LostSessions replays every cookie and returns those webapp no longer
// knows (it answers with a new session), with why, sorted. Eight replays
// run at a time.
func (s *Stack) LostSessions(cookies []string) []string { return LostSessionsOn(s, cookies) }

// LostSessionsOn is LostSessions replaying through any Getter.
func LostSessionsOn(to Getter, cookies []string) []string {
	var (
		mu   sync.Mutex
		lost []string
		wg   sync.WaitGroup
	)
	todo := make(chan string)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range todo {
				r := Result{Cookie: c}
				resp, err := to.Get("/", c)
				r.Err, r.Status = err, resp.Status
				if err == nil {
					r.SetCookie = resp.SessionCookie()
				}
				if why := r.Failed(); why != "" {
					mu.Lock()
					lost = append(lost, strings.TrimPrefix(c, "s%3A")+": "+why)
					mu.Unlock()
				}
			}
		}()
	}
	for _, c := range cookies {
		todo <- c
	}
	close(todo)
	wg.Wait()
	slices.Sort(lost)
	return lost
}

// Latency returns the q-quantile (0 to 1) of the durations of results.
func Latency(results []Result, q float64) time.Duration {
	if len(results) == 0 {
		return 0
	}
	d := make([]time.Duration, len(results))
	for i, r := range results {
		d[i] = r.End.Sub(r.Start)
	}
	slices.Sort(d)
	return d[min(len(d)-1, int(q*float64(len(d))))]
}
