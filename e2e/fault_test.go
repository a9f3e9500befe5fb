//go:build e2e

package e2e

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The fault tests of issue 5: the HA stack under steady load (new and
// returning sessions) while its parts fail. Each starts its own stack. The
// targets are the and are never loosened: an error window of at most
// 5 s when the primary fails, no acknowledged session lost, no failed
// request when a replica or a Sentinel is lost. The timeouts below only
// bound how long a test waits for something that should have happened long
// before.
const (
	// loadRate is the steady load, requests per second.
	loadRate = 200
	// maxErrorWindow is the target for a failed primary.
	maxErrorWindow = 5 * time.Second
	// warmUp is how long the load runs before the fault, so that
	// returning sessions are part of it.
	warmUp = 3 * time.Second
	// settle is how long the load goes on after the Sentinels agree on a
	// new primary: long enough to see webapp serve again (the window ends
	// within maxErrorWindow of the fault), and to catch errors that come late.
	settle = maxErrorWindow + 2*time.Second
	// failoverTimeout bounds the wait for the Sentinels to agree on a new
	// primary; they take about 4 s (down-after-milliseconds 2 s, then the
	// election and the promotion).
	failoverTimeout = 30 * time.Second
	// rejoinTimeout bounds the wait for an old primary to be a linked
	// replica again. After a partition heals Sentinel waits at least 8 s (four
	// publish periods) before it reconfigures a node that claims to be a
	// primary.
	rejoinTimeout = 60 * time.Second
	// floodClients and floodFor make the load of TestNoFalseFailover.
	floodClients = 32
	floodFor     = 30 * time.Second
)

// TestKillPrimaryUnderLoad: docker kill -s KILL of the primary under
// 200 req/s. The Sentinels promote a replica, users see errors for at most
// 5 s, no acknowledged session is lost, and the old primary, started again,
// is a replica of the new one that webapp never writes to.
func TestKillPrimaryUnderLoad(t *testing.T) {
	s := StartStack(t, Options{})
	r := newReport(t, s, fmt.Sprintf("docker kill -s KILL of the primary under %d req/s", loadRate))
	old := agreedPrimary(t, s, SentinelServices)
	s.Container(t, old) // now, not after the kill's start time
	load := s.StartLoad(t, loadRate)
	time.Sleep(warmUp)

	killed := time.Now()
	s.Kill(t, old)
	r.start(killed, "docker kill -s KILL "+old)
	now, agreed := waitNewPrimary(t, s, old)
	r.mark(agreed, "the Sentinels agree on "+now+" (polled)")
	time.Sleep(settle)
	results, _, _ := r.stopLoad(load)
	if w := ErrorWindow(results, killed); w > maxErrorWindow {
		t.Errorf("error window %s after the kill; want at most %s. Failed requests: %s", w.Round(time.Millisecond), maxErrorWindow, firstFailures(results))
	}
	if lost := r.lostSessions(load.Acknowledged(), now); lost > 0 {
		t.Errorf("%d acknowledged sessions lost; want 0", lost)
	}

	// Started again, under load, the old primary joins as a replica of the
	// new one before it could take a write; webapp never connects to it.
	load = s.StartLoad(t, loadRate)
	started := time.Now()
	s.MustCompose(t, "start", old)
	roles, err := waitLinkedReplica(t, s, old, now, rejoinTimeout, nil)
	r.mark(time.Now(), fmt.Sprintf("%s is a replica of %s, link up (roles it answered while starting: %s)", old, now, strings.Join(roles, " ")))
	if err != nil {
		t.Fatal(err)
	}
	r.figure("old primary started again → linked replica of the new one", time.Since(started))
	if slices.Contains(roles, "master") {
		t.Errorf("%s answered role:master while it came back (%v); want a replica from its first answer", old, roles)
	}
	time.Sleep(2 * time.Second)
	results = load.Stop()
	if f := Failures(results); len(f) > 0 {
		t.Errorf("%d of %d requests failed while %s came back: %s", len(f), len(results), old, firstFailures(results))
	}
	r.figure("failed requests while it came back", fmt.Sprintf("%d of %d", len(Failures(results)), len(results)))
	// A new process: every connection and every refusal it counts is
	// since it came back.
	if c := webappConnections(t, s, old, 0); len(c) > 0 {
		t.Errorf("%s, a replica, has %d connections from webapp; want 0:\n%s", old, len(c), strings.Join(c, "\n"))
	}
	if n := errorCount(t, s, old, "READONLY"); n > 0 {
		t.Errorf("%s refused %d writes as a replica (READONLY); want none", old, n)
	}
	if missing, err := s.MissingKeys(t, old, sessionKeys(t, load.Acknowledged())); err != nil || len(missing) > 0 {
		t.Errorf("%s, resynced, misses %d sessions acknowledged since it came back (%v): %.300v", old, len(missing), err, missing)
	}
}

// TestLoseReplicaThenSentinel: under 200 req/s one replica is killed, then
// one Sentinel. No request fails, no failover happens, the two Sentinels
// left still have their quorum; both come back and resync.
func TestLoseReplicaThenSentinel(t *testing.T) {
	s := StartStack(t, Options{})
	r := newReport(t, s, fmt.Sprintf("one replica, then one Sentinel killed under %d req/s", loadRate))
	primary := agreedPrimary(t, s, SentinelServices)
	replica := otherThan(RedisServices, primary)[1]
	// The Sentinel webapp asks, and listens to for +switch-master: losing
	// it is the harder case.
	sentinel := webappSentinel(t, s)
	live := otherThan(SentinelServices, sentinel)
	s.Container(t, replica) // now, not after the kills' start times
	s.Container(t, sentinel)
	load := s.StartLoad(t, loadRate)
	time.Sleep(warmUp)

	// Each loss lasts well past down-after-milliseconds (2 s), so the
	// Sentinels notice it (+sdown) and would act on it if they were to.
	const hold = 6 * time.Second
	start := time.Now()
	s.Kill(t, replica)
	r.start(start, "docker kill -s KILL "+replica)
	time.Sleep(hold)
	s.Kill(t, sentinel)
	r.mark(time.Now(), "docker kill -s KILL "+sentinel)
	time.Sleep(hold)

	if m := agreedPrimary(t, s, live); m != primary {
		t.Errorf("the Sentinels left name %s; want %s, the primary before", m, primary)
	}
	if err := quorum(t, s, live, 2); err != nil {
		t.Error(err)
	}
	r.mark(time.Now(), fmt.Sprintf("%s still agree on %s, CKQUORUM OK with 2", strings.Join(live, " and "), primary))

	back := time.Now()
	s.MustCompose(t, "start", replica, sentinel)
	r.mark(back, "compose start "+replica+" "+sentinel)
	if _, err := waitLinkedReplica(t, s, replica, primary, rejoinTimeout, nil); err != nil {
		t.Error(err)
	}
	r.mark(time.Now(), replica+" resynced, link up")
	err := WaitFor(rejoinTimeout, func() error {
		if m, err := s.AgreedMaster(t); err != nil || m != primary+":6379" {
			return fmt.Errorf("AgreedMaster = %q, %v; want %s:6379", m, err, primary)
		}
		return quorum(t, s, SentinelServices, 3)
	})
	if err != nil {
		t.Error(err)
	}
	r.mark(time.Now(), sentinel+" is back: the three agree on "+primary+", CKQUORUM OK with 3")
	backTook := time.Since(back)
	time.Sleep(time.Second)
	results, evs, degraded := r.stopLoad(load)
	if f := Failures(results); len(f) > 0 {
		t.Errorf("%d of %d requests failed; want 0: %s", len(f), len(results), firstFailures(results))
	}
	if degraded > 0 {
		t.Errorf("webapp served %v requests without a working session (webapp_session_degraded_total); want 0", degraded)
	}
	checkNoFailover(t, s, primary, evs, false)
	// Every session acknowledged, those written while it was down
	// included, is on the replica that was down.
	acked := load.Acknowledged()
	missing, err := s.MissingKeys(t, replica, sessionKeys(t, acked))
	if err != nil || len(missing) > 0 {
		t.Errorf("%s misses %d of %d acknowledged sessions after its resync (%v): %.300v", replica, len(missing), len(acked), err, missing)
	}
	r.figure("replica and Sentinel started again → resynced, quorum of 3", backTook)
	r.figure("acknowledged sessions on the resynced "+replica, fmt.Sprintf("%d of %d", len(acked)-len(missing), len(acked)))
}

// webappSentinel is the Sentinel webapp is connected to (go-redis keeps
// one, for its queries and its +switch-master subscription).
func webappSentinel(t *testing.T, s *Stack) string {
	t.Helper()
	var found []string
	for _, sn := range SentinelServices {
		if strings.Contains(s.MustRedisCLI(t, sn, "client", "list"), " user=webapp ") {
			found = append(found, sn)
		}
	}
	if len(found) != 1 {
		t.Fatalf("webapp is connected to Sentinels %v; want exactly one", found)
	}
	return found[0]
}

// TestPartitionPrimary: under 200 req/s the primary is cut off the network
// (docker network disconnect). It stops taking writes (min-replicas-to-write)
// once its replicas' lag passes min-replicas-max-lag; the Sentinels promote
// a replica and webapp follows; healed, the old primary becomes a replica
// of the new one and no acknowledged session is lost.
func TestPartitionPrimary(t *testing.T) {
	s := StartStack(t, Options{})
	r := newReport(t, s, fmt.Sprintf("network partition of the primary (docker network disconnect) under %d req/s", loadRate))
	old := agreedPrimary(t, s, SentinelServices)
	maxLag := configSeconds(t, s, old, "min-replicas-max-lag")
	load := s.StartLoad(t, loadRate)
	time.Sleep(warmUp)

	cut, heal := s.Disconnect(t, old)
	cutDone := time.Now() // the cut happened between cut and cutDone
	r.start(cut, "docker network disconnect "+old)
	// Only webapp sends SETEX. The counts of the isolated primary tell
	// whether a write of webapp's reached it after the cut.
	setexAtCut := commandCalls(t, s.Info(t, old, "commandstats"), "setex")
	probes := startWriteProbe(s.Container(t, old))
	now, agreed := waitNewPrimary(t, s, old)
	r.mark(agreed, "the Sentinels agree on "+now+" (polled)")

	// Redis counts a replica's lag in whole seconds from its last ACK (one
	// a second) and refreshes the count once a second: it refuses writes
	// at most maxLag+2 s after the cut, and surely by refuseBy, which
	// leaves a second for a busy machine.
	refuseBy := cutDone.Add(maxLag + 3*time.Second)
	if err := WaitFor(time.Until(refuseBy.Add(failoverTimeout)), func() error {
		if !probes.answeredSince(refuseBy) {
			return fmt.Errorf("no probe write sent %s after the cut has been answered", refuseBy.Sub(cut).Round(time.Millisecond))
		}
		return nil
	}); err != nil {
		t.Error(err)
	}
	if wait := time.Until(agreed.Add(settle)); wait > 0 {
		time.Sleep(wait)
	}
	accepted, replies := probes.stop()

	// Healed, it is a primary without replicas until Sentinel converts it
	// (about 10 s later): the last counts it gives as a primary are the final
	// ones of that role. From then on it replicates SETEX.
	setexAsPrimary := commandCalls(t, s.Info(t, old, "commandstats"), "setex")
	lastBeforeHeal := lastClientID(t, s, old)
	healed := time.Now()
	heal(t)
	r.mark(healed, "docker network connect "+old)
	_, err := waitLinkedReplica(t, s, old, now, rejoinTimeout, func(info map[string]string) {
		if info["role"] == "master" {
			setexAsPrimary = commandCalls(t, info, "setex")
		}
	})
	if err != nil {
		t.Error(err)
	}
	rejoined := time.Now()
	r.mark(rejoined, fmt.Sprintf("%s is a replica of %s, link up", old, now))
	time.Sleep(2 * time.Second)
	results, _, _ := r.stopLoad(load)
	probeRefusals := 0
	for _, p := range replies {
		if strings.HasPrefix(p.reply, "NOREPLICAS") {
			probeRefusals++
		}
	}
	at, refused := probes.firstRefusal()
	if !refused {
		t.Errorf("%s, cut off, never refused a write: %v", old, replies)
	} else {
		r.mark(at, fmt.Sprintf("%s refuses a write: NOREPLICAS (min-replicas-max-lag %s)", old, maxLag))
		r.figure("cut → the isolated primary refuses writes (first NOREPLICAS)", at.Sub(cut))
		// Once it refused, and in any case from refuseBy on, every write
		// is refused: a probe sent then executes later still.
		for _, p := range replies {
			if (p.sent.After(at) || p.sent.After(refuseBy)) && !strings.HasPrefix(p.reply, "NOREPLICAS") {
				t.Errorf("%s: probe SET sent %s after the cut answered %q; want NOREPLICAS (refusing since %s, at the latest from min-replicas-max-lag + 3 s = %s)",
					old, p.sent.Sub(cut).Round(time.Millisecond), p.reply, at.Sub(cut).Round(time.Millisecond), refuseBy.Sub(cut).Round(time.Millisecond))
			}
		}
	}
	if last, ok := probes.lastAccepted(); ok {
		r.mark(last, fmt.Sprintf("last write the isolated %s accepted (a probe SET via docker exec)", old))
	}
	r.figure("probe writes the isolated primary accepted (SET via docker exec, every 200 ms)", fmt.Sprintf("%d of %d", len(accepted), len(replies)))
	webappWrites := setexAsPrimary - setexAtCut
	r.figure("SETEX from webapp the old primary executed after the cut", strconv.Itoa(webappWrites))
	if webappWrites != 0 {
		t.Errorf("%s executed %d SETEX after it was cut off; want 0", old, webappWrites)
	}
	// A write webapp sent just before the cut, and gave up on, is still in
	// its kernel's TCP send queue: retransmitted after the heal, it reaches
	// the old primary, which has no replica then and refuses it
	// (NOREPLICAS), or is a replica already (READONLY).
	r.figure("SETEX from before the cut the old primary refused after the heal (TCP retransmissions of writes webapp had retried on the new primary)",
		fmt.Sprintf("%d NOREPLICAS, %d READONLY", errorCount(t, s, old, "NOREPLICAS")-probeRefusals, errorCount(t, s, old, "READONLY")))
	if w := ErrorWindow(results, cut); w > maxErrorWindow {
		t.Errorf("error window %s after the cut; want at most %s. Failed requests: %s", w.Round(time.Millisecond), maxErrorWindow, firstFailures(results))
	}
	if lost := r.lostSessions(load.Acknowledged(), now, old); lost > 0 {
		t.Errorf("%d acknowledged sessions lost; want 0", lost)
	}
	// What the isolated primary accepted is not acknowledged by anyone
	// else: it is dropped when the node resyncs from the new primary.
	for _, svc := range []string{now, old} {
		missing, err := s.MissingKeys(t, svc, accepted)
		if err != nil {
			t.Fatal(err)
		}
		if kept := len(accepted) - len(missing); kept > 0 {
			t.Errorf("%s holds %d of the %d writes the isolated primary accepted; want them dropped by the resync", svc, kept, len(accepted))
		}
	}
	r.figure("what became of the writes the isolated primary accepted", "dropped: neither the new primary nor the resynced old one has them")
	r.figure("partition healed → old primary a linked replica of the new one", rejoined.Sub(healed))
	// Its connections from webapp made before the cut stay open on its
	// side until their FIN, retransmitted too, arrives; webapp must not
	// have made a new one.
	c := webappConnections(t, s, old, lastBeforeHeal)
	if len(c) > 0 {
		t.Errorf("%s: webapp connected to it after the heal; want no connection:\n%s", old, strings.Join(c, "\n"))
	}
	r.figure("new webapp connections to the old primary after the heal", strconv.Itoa(len(c)))
}

// TestNoFalseFailover drives webapp as hard as 32 clients can for 30 s
// (new sessions: a SETEX and a WAIT each) and checks that the Sentinels
// never suspect the primary: the load must not pass for a failure.
func TestNoFalseFailover(t *testing.T) {
	s := StartStack(t, Options{})
	r := newReport(t, s, fmt.Sprintf("%d clients as fast as they go for %s, new sessions", floodClients, floodFor))
	primary := agreedPrimary(t, s, SentinelServices)
	start := time.Now()
	r.start(start, "flood starts")
	flood := s.StartFlood(t, floodClients)
	time.Sleep(floodFor)
	took := time.Since(start)
	results, evs, _ := r.stopLoad(flood)
	r.figure("rate", fmt.Sprintf("%.0f req/s", float64(len(results))/took.Seconds()))
	r.figure("latency p50 / p99", fmt.Sprintf("%s / %s", Latency(results, 0.5).Round(100*time.Microsecond), Latency(results, 0.99).Round(100*time.Microsecond)))
	checkNoFailover(t, s, primary, evs, true)
	r.figure("Sentinel events (+sdown, +odown, +switch-master)", strconv.Itoa(len(failoverEvents(evs, true))))
}

// report collects what happened during a fault test and prints it at the
// end: a timeline from the fault on, then the figures as rows of a
// Markdown table, to paste into the README.
type report struct {
	t       *testing.T
	s       *Stack
	title   string
	zero    time.Time
	marks   []mark
	figures [][2]string
	// degraded is webapp_session_degraded_total when the test began.
	degraded float64
}

type mark struct {
	at   time.Time
	what string
}

func newReport(t *testing.T, s *Stack, title string) *report {
	t.Helper()
	r := &report{t: t, s: s, title: title, degraded: sessionDegraded(t, s)}
	t.Cleanup(r.print) // before the stack's teardown, registered earlier
	return r
}

// stopLoad stops load and reports what happened from the fault on: the
// Sentinels' events, webapp's diagnostics, the load's failures. It returns
// the load's results, the Sentinel events, and how many requests webapp
// served without a working session since the test began.
func (r *report) stopLoad(load *Load) ([]Result, []SentinelEvent, float64) {
	t := r.t
	t.Helper()
	results := load.Stop()
	degraded := sessionDegraded(t, r.s) - r.degraded
	evs := r.s.SentinelEvents(t, r.zero)
	r.sentinelEvents(evs)
	r.webappLog(r.s.Diagnostics(t, "webapp", r.zero))
	r.errors(results, degraded)
	return results, evs, degraded
}

// start marks the fault, time zero of the timeline.
func (r *report) start(at time.Time, what string) {
	r.zero = at
	r.mark(at, what)
}

func (r *report) mark(at time.Time, what string) {
	r.marks = append(r.marks, mark{at, what})
}

// figure adds a row; a duration value is rounded to milliseconds.
func (r *report) figure(name string, value any) {
	if d, ok := value.(time.Duration); ok {
		value = d.Round(time.Millisecond).String()
	}
	r.figures = append(r.figures, [2]string{name, fmt.Sprint(value)})
}

// sentinelEvents marks the first time each Sentinel event was logged (by
// any Sentinel), and the failover's figures.
func (r *report) sentinelEvents(evs []SentinelEvent) {
	seen := map[string]bool{}
	for _, e := range evs {
		if k := e.Name + " " + e.Args; !seen[k] {
			seen[k] = true
			r.mark(e.Time, e.Sentinel+": "+k)
		}
	}
	for _, name := range []string{"+sdown", "+odown", "+switch-master"} {
		for _, e := range evs {
			if e.Name == name && (name != "+sdown" || strings.HasPrefix(e.Args, "master ")) {
				r.figure("fault → first "+name+" (Sentinel logs)", e.Time.Sub(r.zero))
				break
			}
		}
	}
	// Each Sentinel logs +switch-master once it has switched; the last
	// one is when they all name the new primary.
	switched := map[string]time.Time{}
	for _, e := range evs {
		if _, ok := switched[e.Sentinel]; !ok && e.Name == "+switch-master" {
			switched[e.Sentinel] = e.Time
		}
	}
	if len(switched) == len(SentinelServices) {
		var last time.Time
		for _, at := range switched {
			if at.After(last) {
				last = at
			}
		}
		r.figure("fault → every Sentinel names the new primary (its +switch-master)", last.Sub(r.zero))
	}
}

// webappLog marks the first and the last time webapp logged each message
// (go-redis's dial failures, "sentinel: new master", degraded sessions),
// and when it followed the new primary.
func (r *report) webappLog(ds []Diagnostic) {
	first, last := map[string]Diagnostic{}, map[string]Diagnostic{}
	var order []string
	for _, d := range ds {
		k := d.Msg
		if len(k) > 120 {
			k = k[:120] + "…"
		}
		if _, ok := first[k]; !ok {
			first[k] = d
			order = append(order, k)
		}
		last[k] = d
	}
	for _, k := range order {
		r.mark(first[k].Time, "webapp: "+k)
		if last[k].Time != first[k].Time {
			r.mark(last[k].Time, "webapp, last time: "+k)
		}
		if strings.HasPrefix(k, "sentinel: new master") {
			r.figure("fault → webapp follows the new primary (go-redis: "+k+")", first[k].Time.Sub(r.zero))
		}
	}
}

// errors marks the load's failures and adds its figures.
func (r *report) errors(results []Result, degraded float64) {
	var failed []Result
	var longest Result
	for _, res := range results {
		if res.Failed() != "" {
			failed = append(failed, res)
		}
		if !res.Start.Before(r.zero) && res.End.Sub(res.Start) > longest.End.Sub(longest.Start) {
			longest = res
		}
	}
	if len(failed) > 0 {
		r.mark(failed[0].End, "first failed request: "+failed[0].Failed())
		r.mark(failed[len(failed)-1].End, "last failed request: "+failed[len(failed)-1].Failed())
	}
	w := ErrorWindow(results, r.zero)
	if w > 0 {
		r.mark(r.zero.Add(w), "error window ends: the first success after which nothing failed")
	}
	if !longest.Start.IsZero() {
		r.mark(longest.End, fmt.Sprintf("longest request ends (%s, sent at +%.3fs)", longest.End.Sub(longest.Start).Round(time.Millisecond), longest.Start.Sub(r.zero).Seconds()))
	}
	r.figure("requests", strconv.Itoa(len(results)))
	r.figure("failed requests", strconv.Itoa(len(failed)))
	r.figure("webapp_session_degraded_total (served without a working session)", strconv.FormatFloat(degraded, 'f', -1, 64))
	r.figure("error window (fault → first success after which nothing failed)", w)
	r.figure("longest request sent after the fault", longest.End.Sub(longest.Start))
}

// lostSessions replays every acknowledged session through webapp and
// looks for its key on each service, and returns how many are lost.
func (r *report) lostSessions(acked []string, services ...string) int {
	t, s := r.t, r.s
	t.Helper()
	lost := s.LostSessions(acked)
	if len(lost) > 0 {
		t.Errorf("replayed through webapp, %d of %d acknowledged sessions are gone: %.500v", len(lost), len(acked), lost)
	}
	n := len(lost)
	for _, svc := range services {
		missing, err := s.MissingKeys(t, svc, sessionKeys(t, acked))
		if err != nil {
			t.Fatal(err)
		}
		if len(missing) > 0 {
			t.Errorf("%s misses %d of %d acknowledged sessions: %.300v", svc, len(missing), len(acked), missing)
		}
		n = max(n, len(missing))
	}
	r.figure("acknowledged sessions lost (every cookie that got a 200 replayed; keys checked on "+strings.Join(services, ", ")+")",
		fmt.Sprintf("%d of %d", n, len(acked)))
	return n
}

func (r *report) print() {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\ntimeline:\n", r.title)
	slices.SortStableFunc(r.marks, func(a, b mark) int { return a.at.Compare(b.at) })
	for _, m := range r.marks {
		fmt.Fprintf(&b, "  %+8.3fs  %s\n", m.at.Sub(r.zero).Seconds(), m.what)
	}
	fmt.Fprintf(&b, "\n| %s | |\n| --- | --- |\n", r.title)
	for _, f := range r.figures {
		fmt.Fprintf(&b, "| %s | %s |\n", f[0], f[1])
	}
	r.t.Log(b.String())
}

// agreedPrimary is the service the sentinels agree is the primary.
func agreedPrimary(t *testing.T, s *Stack, sentinels []string) string {
	t.Helper()
	m, err := s.AgreedMasterAmong(t, sentinels...)
	if err != nil {
		t.Fatal(err)
	}
	return redisService(t, m)
}

// waitNewPrimary waits until the Sentinels agree on a primary other than
// old, and returns it with the time the poll saw them agree.
func waitNewPrimary(t *testing.T, s *Stack, old string) (string, time.Time) {
	t.Helper()
	var now string
	err := WaitFor(failoverTimeout, func() error {
		m, err := s.AgreedMaster(t)
		if err != nil {
			return err
		}
		if m == old+":6379" {
			return fmt.Errorf("the Sentinels still name %s", m)
		}
		now = m
		return nil
	})
	at := time.Now()
	if err != nil {
		t.Fatal(err)
	}
	return redisService(t, now), at
}

// redisService is the Redis service at addr, as the Sentinels name it.
func redisService(t *testing.T, addr string) string {
	t.Helper()
	svc, ok := strings.CutSuffix(addr, ":6379")
	if !ok || !slices.Contains(RedisServices, svc) {
		t.Fatalf("the Sentinels name %s; want one of %v on 6379", addr, RedisServices)
	}
	return svc
}

// quorum checks that each of sentinels answers CKQUORUM with OK and
// usable Sentinels.
func quorum(t *testing.T, s *Stack, sentinels []string, usable int) error {
	t.Helper()
	want := fmt.Sprintf("OK %d usable Sentinels", usable)
	for _, sn := range sentinels {
		if out, err := s.RedisCLI(t, sn, "sentinel", "ckquorum", MasterName); err != nil || !strings.HasPrefix(out, want) {
			return fmt.Errorf("%s: CKQUORUM = %q, %v; want %s", sn, out, err, want)
		}
	}
	return nil
}

// waitLinkedReplica waits until svc is a replica of primary with its link
// up. It returns the roles svc answered on the way, each once in order,
// "none" while it did not answer. If seen is not nil, it gets every INFO
// it polled: replication and commandstats, read at one instant.
func waitLinkedReplica(t *testing.T, s *Stack, svc, primary string, timeout time.Duration, seen func(info map[string]string)) ([]string, error) {
	t.Helper()
	var roles []string
	err := WaitFor(timeout, func() error {
		info := s.Info(t, svc, "replication", "commandstats")
		if seen != nil {
			seen(info)
		}
		role := info["role"]
		if role == "" {
			role = "none"
		}
		if len(roles) == 0 || roles[len(roles)-1] != role {
			roles = append(roles, role)
		}
		if role != "slave" || info["master_host"] != primary || info["master_link_status"] != "up" {
			return fmt.Errorf("%s: role:%s master_host:%s master_link_status:%s; want a linked replica of %s",
				svc, role, info["master_host"], info["master_link_status"], primary)
		}
		return nil
	})
	return roles, err
}

// webappConnections returns the connections of webapp's Redis user that
// svc accepted after the client with ID after (CLIENT LIST: IDs only grow).
func webappConnections(t *testing.T, s *Stack, svc string, after int) []string {
	t.Helper()
	var conns []string
	for _, line := range strings.Split(s.MustRedisCLI(t, svc, "client", "list"), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || !slices.Contains(f, "user=webapp") {
			continue
		}
		id, err := strconv.Atoi(strings.TrimPrefix(f[0], "id="))
		if err != nil {
			t.Fatalf("%s: CLIENT LIST line %q", svc, line)
		}
		if id > after {
			conns = append(conns, line)
		}
	}
	return conns
}

// lastClientID is the ID of the latest connection svc accepted: the
// asking redis-cli's own.
func lastClientID(t *testing.T, s *Stack, svc string) int {
	t.Helper()
	out := s.MustRedisCLI(t, svc, "client", "id")
	id, err := strconv.Atoi(out)
	if err != nil {
		t.Fatalf("%s: CLIENT ID = %q", svc, out)
	}
	return id
}

// errorCount is how many error replies svc sent with the prefix (INFO
// errorstats), since it started.
func errorCount(t *testing.T, s *Stack, svc, prefix string) int {
	t.Helper()
	return statCount(t, s.Info(t, svc, "errorstats"), "errorstat_"+prefix, "count")
}

// statCount reads the number NAME=N in an INFO field such as
// "cmdstat_setex:calls=3,usec=..." or "errorstat_READONLY:count=2"; 0 if
// the field is absent, as Redis omits what never happened.
func statCount(t *testing.T, info map[string]string, field, name string) int {
	t.Helper()
	stat := info[field]
	if stat == "" {
		return 0
	}
	for _, kv := range strings.Split(stat, ",") {
		if v, ok := strings.CutPrefix(kv, name+"="); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatalf("%s:%s: %v", field, stat, err)
			}
			return n
		}
	}
	t.Fatalf("%s:%s has no %s", field, stat, name)
	return 0
}

// sessionDegraded is webapp's count of requests it served without a
// working session because Redis failed or no replica confirmed a write.
// For a returning session the client cannot tell: it gets a 200 without a
// new cookie either way.
func sessionDegraded(t *testing.T, s *Stack) float64 {
	t.Helper()
	return metricSum(t, s, "webapp_session_degraded_total")
}

// checkNoFailover checks that primary is still the primary and that no
// Sentinel thought it failed (see failoverEvents).
func checkNoFailover(t *testing.T, s *Stack, primary string, evs []SentinelEvent, anyNode bool) {
	t.Helper()
	if bad := failoverEvents(evs, anyNode); len(bad) > 0 {
		t.Errorf("the Sentinels suspected a failure: %v", bad)
	}
	if m := agreedPrimary(t, s, SentinelServices); m != primary {
		t.Errorf("the primary is %s; want %s, unchanged", m, primary)
	}
}

// failoverEvents returns the Sentinel events that mean a Sentinel thought
// the primary failed (+sdown master, +odown, a failover); with anyNode,
// +sdown of any node too.
func failoverEvents(evs []SentinelEvent, anyNode bool) []SentinelEvent {
	var bad []SentinelEvent
	for _, e := range evs {
		switch {
		case e.Name == "+sdown" && (anyNode || strings.HasPrefix(e.Args, "master ")),
			e.Name == "+odown", e.Name == "+switch-master", e.Name == "+try-failover", e.Name == "+failover-end":
			bad = append(bad, e)
		}
	}
	return bad
}

// configSeconds is a CONFIG GET value of svc that counts seconds.
func configSeconds(t *testing.T, s *Stack, svc, name string) time.Duration {
	t.Helper()
	out := strings.Fields(s.MustRedisCLI(t, svc, "config", "get", name))
	if len(out) != 2 {
		t.Fatalf("%s: CONFIG GET %s = %q", svc, name, out)
	}
	n, err := strconv.Atoi(out[1])
	if err != nil {
		t.Fatalf("%s: CONFIG GET %s = %q: %v", svc, name, out, err)
	}
	return time.Duration(n) * time.Second
}

// commandCalls is how many times Redis ran cmd, from INFO commandstats
// fields.
func commandCalls(t *testing.T, info map[string]string, cmd string) int {
	t.Helper()
	return statCount(t, info, "cmdstat_"+cmd, "calls")
}

// writeProbe writes a new key into one Redis every 200 ms through docker
// exec (which needs no network), recording each reply.
type writeProbe struct {
	quit chan struct{}
	done chan struct{}

	mu      sync.Mutex
	replies []probeReply
}

// probeReply is one probe write: sent, then answered at.
type probeReply struct {
	sent, at   time.Time
	key, reply string
}

func startWriteProbe(container string) *writeProbe {
	p := &writeProbe{quit: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		for i := 0; ; i++ {
			key := "e2e:probe:" + strconv.Itoa(i)
			sent := time.Now()
			out, err := Docker("exec", container, "redis-cli", "set", key, "x")
			reply := strings.TrimSpace(out)
			if err != nil {
				reply = err.Error()
			}
			p.mu.Lock()
			p.replies = append(p.replies, probeReply{sent, time.Now(), key, reply})
			p.mu.Unlock()
			select {
			case <-p.quit:
				return
			case <-time.After(200 * time.Millisecond):
			}
		}
	}()
	return p
}

// firstRefusal is when the first NOREPLICAS came back.
func (p *writeProbe) firstRefusal() (time.Time, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, r := range p.replies {
		if strings.HasPrefix(r.reply, "NOREPLICAS") {
			return r.at, true
		}
	}
	return time.Time{}, false
}

// answeredSince says whether a probe sent after t has been answered.
func (p *writeProbe) answeredSince(t time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.replies) > 0 && p.replies[len(p.replies)-1].sent.After(t)
}

// lastAccepted is when the last OK came back.
func (p *writeProbe) lastAccepted() (time.Time, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := len(p.replies) - 1; i >= 0; i-- {
		if p.replies[i].reply == "OK" {
			return p.replies[i].at, true
		}
	}
	return time.Time{}, false
}

// stop ends the probe and returns the keys written (answered OK) and every
// reply.
func (p *writeProbe) stop() (accepted []string, replies []probeReply) {
	close(p.quit)
	<-p.done
	for _, r := range p.replies {
		if r.reply == "OK" {
			accepted = append(accepted, r.key)
		}
	}
	return accepted, p.replies
}

// sessionKeys are the Redis keys of the sessions of cookies.
func sessionKeys(t *testing.T, cookies []string) []string {
	t.Helper()
	keys := make([]string, len(cookies))
	for i, c := range cookies {
		keys[i] = "sess:" + SessionID(t, c)
	}
	return keys
}

// otherThan returns the services except not.
func otherThan(services []string, not string) []string {
	var rest []string
	for _, s := range services {
		if s != not {
			rest = append(rest, s)
		}
	}
	return rest
}

// firstFailures describes the first few failed results.
func firstFailures(results []Result) string {
	f := Failures(results)
	if len(f) > 10 {
		f = append(f[:10], fmt.Sprintf("… %d more", len(f)-10))
	}
	return strings.Join(f, "; ")
}
