package redis

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/appstack/appstack/internal/redisconn"
	"github.com/appstack/appstack/internal/redistest"
)

const masterName = "mymaster"

// haSet is a primary, its replicas and three Sentinels on loopback, with
// the timings the stack uses.
type haSet struct {
	primary   *redistest.Server
	replicas  []*redistest.Server
	sentinels []*redistest.Server
}

func startHA(t *testing.T, replicas int, sentinelLines ...string) *haSet {
	t.Helper()
	h := &haSet{primary: redistest.Start(t)}
	for range replicas {
		h.replicas = append(h.replicas, h.primary.ReplicaOf())
	}
	if replicas > 0 {
		h.primary.WaitAcked()
	}
	lines := append([]string{
		"sentinel down-after-milliseconds " + masterName + " 2000",
		"sentinel failover-timeout " + masterName + " 10000",
		"sentinel parallel-syncs " + masterName + " " + strconv.Itoa(replicas),
	}, sentinelLines...)
	for range 3 {
		h.sentinels = append(h.sentinels, redistest.StartSentinel(t, masterName, h.primary, 2, lines...))
	}
	// Sentinels find each other and the replicas through hello messages.
	h.waitFor(t, 15*time.Second, "Sentinels to see each other and the replicas", func() bool {
		for _, s := range h.sentinels {
			others, _ := s.Do("SENTINEL", "SENTINELS", masterName).([]any)
			reps, _ := s.Do("SENTINEL", "REPLICAS", masterName).([]any)
			if len(others) != 2 || len(reps) != replicas {
				return false
			}
		}
		return true
	})
	return h
}

func (h *haSet) addrs() []string {
	var a []string
	for _, s := range h.sentinels {
		a = append(a, s.Addr)
	}
	return a
}

// master is the address the first Sentinel reports for the master.
func (h *haSet) master() string {
	v, _ := h.sentinels[0].Do("SENTINEL", "GET-MASTER-ADDR-BY-NAME", masterName).([]any)
	if len(v) != 2 {
		return ""
	}
	return fmt.Sprintf("%v:%v", v[0], v[1])
}

func (h *haSet) server(addr string) *redistest.Server {
	for _, s := range append([]*redistest.Server{h.primary}, h.replicas...) {
		if s.Addr == addr {
			return s
		}
	}
	return nil
}

func (h *haSet) waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// failoverStore is the store webapp builds in Sentinel mode, with
// timeouts of a second where webapp's are 250 ms, so that a loaded
// machine's stalls are not taken for a failover.
func failoverStore(t *testing.T, h *haSet, budget time.Duration, user, pass string) *Store {
	t.Helper()
	client := redisconn.New(redisconn.Config{
		Sentinels: h.addrs(), MasterName: masterName, SentinelUsername: user, SentinelPassword: pass,
		Timeout: time.Second, WaitTimeout: time.Second,
	})
	t.Cleanup(func() { client.Close() })
	s := New(client, Options{
		WaitReplicas: 1, WaitTimeout: time.Second, AttemptTimeout: time.Second,
		RetryBudget: budget, Registerer: prometheus.NewRegistry(),
	})
	t.Cleanup(s.Close)
	return s
}

// TestFailoverLosesNoAcknowledgedWrite kills the primary under a steady
// stream of session writes. Every write acknowledged (SETEX + WAIT 1
// answered ≥ 1) must be on the new primary afterwards, and the retry
// budget must carry writes across the failover so that none fails.
func TestFailoverLosesNoAcknowledgedWrite(t *testing.T) {
	t.Parallel()
	h := startHA(t, 2)
	s := failoverStore(t, h, 10*time.Second, "", "")
	ctx := context.Background()

	var (
		mu       sync.Mutex
		acked    []string
		failed   []error
		slowest  time.Duration
		n        atomic.Int64
		stop     = make(chan struct{})
		writers  sync.WaitGroup
		killedAt time.Time
	)
	for w := range 4 {
		writers.Add(1)
		go func() {
			defer writers.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("w%d-%d", w, i)
				start := time.Now()
				err := s.Set(ctx, id, []byte(`{"cookie":{}}`), time.Hour)
				d := time.Since(start)
				n.Add(1)
				mu.Lock()
				if err != nil {
					failed = append(failed, fmt.Errorf("%s at %v after the kill: %w", id, start.Sub(killedAt), err))
				} else {
					acked = append(acked, id)
				}
				slowest = max(slowest, d)
				mu.Unlock()
				time.Sleep(5 * time.Millisecond)
			}
		}()
	}
	time.Sleep(time.Second)
	old := h.primary.Addr
	mu.Lock()
	killedAt = time.Now()
	mu.Unlock()
	h.primary.Kill()
	h.waitFor(t, 20*time.Second, "a new master", func() bool { m := h.master(); return m != "" && m != old })
	promoted := time.Since(killedAt)
	before := n.Load()
	time.Sleep(3 * time.Second) // writes continue on the new primary
	close(stop)
	writers.Wait()

	newPrimary := h.server(h.master())
	t.Logf("failover took %v; %d writes, %d after the switch, %d acknowledged, slowest %v", promoted, n.Load(), n.Load()-before, len(acked), slowest)
	if len(failed) > 0 {
		t.Errorf("%d writes failed across the failover; want none (the budget outlasts it): %v", len(failed), failed[:min(5, len(failed))])
	}
	if n.Load()-before < 10 {
		t.Errorf("only %d writes after the switch; want writing to go on", n.Load()-before)
	}
	var lost []string
	for _, id := range acked {
		if newPrimary.Do("EXISTS", "sess:"+id).(int64) != 1 {
			lost = append(lost, id)
		}
	}
	if len(lost) > 0 {
		t.Errorf("%d acknowledged writes lost in the failover: %v", len(lost), lost[:min(10, len(lost))])
	}

	// The old primary comes back as a replica of the new one, and webapp
	// keeps writing to the new one.
	h.primary.Restart()
	h.waitFor(t, 20*time.Second, "the old primary to rejoin as a replica", func() bool {
		info, _ := h.primary.Do("INFO", "replication").(string)
		return slices.Contains(splitLines(info), "role:slave") && slices.Contains(splitLines(info), "master_link_status:up")
	})
	if err := s.Set(ctx, "after-rejoin", []byte(`{"cookie":{}}`), time.Hour); err != nil {
		t.Fatalf("Set after the old primary rejoined: %v", err)
	}
	if newPrimary.Do("EXISTS", "sess:after-rejoin").(int64) != 1 {
		t.Error("a write after the rejoin did not land on the new primary")
	}
}

// TestClientFollowsAFailoverItCannotHear runs a graceful failover while
// the client cannot hear +switch-master (its Sentinel user may not
// SUBSCRIBE). Sentinel leaves the old primary a master, with its client
// connections open, for several seconds after the switch, so the client
// keeps writing there; WAIT counts no replica there, so none of those
// writes is acknowledged. When Sentinel demotes it, it kills its client
// connections, and go-redis asks Sentinel for the master's address on its
// next dial. (A client that hears +switch-master closes its connections to
// the old primary at once: TestFailoverLosesNoAcknowledgedWrite.)
func TestClientFollowsAFailoverItCannotHear(t *testing.T) {
	t.Parallel()
	h := startHA(t, 1, "user deaf on >pw resetchannels -@all +hello +auth +ping +sentinel|get-master-addr-by-name +sentinel|sentinels +sentinel|replicas")
	s := failoverStore(t, h, 5*time.Second, "deaf", "pw")
	warm(t, s)
	old := h.primary.Addr
	h.sentinels[0].Do("SENTINEL", "FAILOVER", masterName)
	h.waitFor(t, 20*time.Second, "the switch", func() bool { m := h.master(); return m != "" && m != old })
	switched := time.Now()
	var acked []string
	unacked := 0
	for i := 0; time.Since(switched) < 30*time.Second; i++ {
		id := "during" + strconv.Itoa(i)
		if err := s.Set(context.Background(), id, []byte("{}"), time.Hour); err != nil {
			unacked++
			continue
		}
		acked = append(acked, id)
		if len(acked) == 20 {
			break
		}
	}
	t.Logf("%d writes unacknowledged, then the client followed %v after the switch", unacked, time.Since(switched))
	if len(acked) < 20 {
		t.Fatalf("only %d writes acknowledged in the 30 s after the switch", len(acked))
	}
	newPrimary := h.server(h.master())
	for _, id := range acked {
		if newPrimary.Do("EXISTS", "sess:"+id).(int64) != 1 {
			t.Errorf("acknowledged sess:%s is not on the new primary", id)
		}
	}
}

// TestReadOnlyMakesTheClientReResolve swaps the roles behind the client's
// back, as an operator would: the replica becomes the primary, the
// primary its replica, and the Sentinels are re-pointed (SENTINEL REMOVE,
// MONITOR), which publishes no +switch-master and kills no connection.
// The client's pooled connections still lead to the demoted primary,
// which answers READONLY; go-redis closes each such connection and the
// retry dials the address Sentinel gives now, so no write stays on, or
// keeps going to, the demoted node.
func TestReadOnlyMakesTheClientReResolve(t *testing.T) {
	t.Parallel()
	h := startHA(t, 1)
	s := failoverStore(t, h, 10*time.Second, "", "")
	warm(t, s)
	p, r := h.primary, h.replicas[0]
	r.Do("REPLICAOF", "NO", "ONE")
	p.Do("REPLICAOF", "127.0.0.1", strconv.Itoa(r.Port))
	for _, sen := range h.sentinels {
		sen.Do("SENTINEL", "REMOVE", masterName)
		sen.Do("SENTINEL", "MONITOR", masterName, "127.0.0.1", strconv.Itoa(r.Port), "2")
	}
	h.waitFor(t, 10*time.Second, "the demoted primary to replicate", func() bool {
		info, _ := p.Do("INFO", "replication").(string)
		return slices.Contains(splitLines(info), "master_link_status:up")
	})
	writeAndCheck(t, h, s, "after")
	// The demoted primary did refuse writes (go-redis's own retry may have
	// hidden them from the store's metrics).
	if stats, _ := p.Do("INFO", "errorstats").(string); !strings.Contains(stats, "errorstat_READONLY:count=") {
		t.Errorf("the demoted primary answered no READONLY, so this test proved nothing: %s", stats)
	}
}

// warm fills the client's pool with connections to the current primary.
func warm(t *testing.T, s *Store) {
	t.Helper()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Set(context.Background(), "warm"+strconv.Itoa(i), []byte("{}"), time.Hour); err != nil {
				t.Errorf("Set before the switch: %v", err)
			}
		}()
	}
	wg.Wait()
}

// writeAndCheck writes 20 sessions, which must all succeed and be on the
// master Sentinel names.
func writeAndCheck(t *testing.T, h *haSet, s *Store, prefix string) {
	t.Helper()
	for i := range 20 {
		if err := s.Set(context.Background(), prefix+strconv.Itoa(i), []byte("{}"), time.Hour); err != nil {
			t.Fatalf("Set %d after the switch: %v", i, err)
		}
	}
	newPrimary := h.server(h.master())
	for i := range 20 {
		if newPrimary.Do("EXISTS", "sess:"+prefix+strconv.Itoa(i)).(int64) != 1 {
			t.Errorf("sess:%s%d is not on the new primary %s", prefix, i, newPrimary.Addr)
		}
	}
}

func splitLines(s string) []string {
	var out []string
	for _, l := range slices.Collect(func(yield func(string) bool) {
		start := 0
		for i := 0; i < len(s); i++ {
			if s[i] == '\n' {
				if !yield(s[start:i]) {
					return
				}
				start = i + 1
			}
		}
		yield(s[start:])
	}) {
		out = append(out, trimCR(l))
	}
	return out
}

func trimCR(s string) string {
	if len(s) > 0 && s[len(s)-1] == '\r' {
		return s[:len(s)-1]
	}
	return s
}
