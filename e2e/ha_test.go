//go:build e2e

package e2e

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestHAStack starts the default stack the way a user does (`make up`) and
// runs the checks in order; the destructive ones come last.
func TestHAStack(t *testing.T) {
	s := StartStack(t, Options{ViaMake: true})
	t.Logf("make up → all healthy: %s (images already built)", s.UpTime.Round(100*time.Millisecond))

	cookie := checkBasics(t, s)
	t.Run("both replicas report master_link_status up", func(t *testing.T) {
		checkReplicasLinked(t, s, "redis_primary")
	})
	t.Run("the Sentinels agree on redis_primary and have their quorum", func(t *testing.T) {
		m, err := s.AgreedMaster(t)
		if err != nil || m != "redis_primary:6379" {
			t.Fatalf("AgreedMaster = %q, %v; want redis_primary:6379", m, err)
		}
		for _, sn := range SentinelServices {
			if out := s.MustRedisCLI(t, sn, "sentinel", "ckquorum", MasterName); !strings.HasPrefix(out, "OK 3 usable Sentinels") {
				t.Errorf("%s: CKQUORUM = %q; want OK 3 usable Sentinels", sn, out)
			}
		}
	})
	t.Run("the stack is hardened", func(t *testing.T) {
		checkHardening(t, s)
	})
	t.Run("a replica stopped and started again causes no errors and resyncs", func(t *testing.T) {
		testReplicaRestart(t, s)
	})
	t.Run("logship restarted neither loses nor repeats events", func(t *testing.T) {
		testLogshipRestart(t, s)
	})
	t.Run("a restart of the whole stack keeps sessions valid", func(t *testing.T) {
		s.MustCompose(t, "restart")
		if err := s.WaitHealthy(healthTimeout); err != nil {
			t.Fatal(err)
		}
		if lost := s.LostSessions([]string{cookie}); len(lost) > 0 {
			t.Errorf("after restart: %v", lost)
		}
	})
	// Killing the primary is TestKillPrimaryUnderLoad's (fault_test.go).
}

func testReplicaRestart(t *testing.T, s *Stack) {
	before := appErrors(t, s)
	load := s.StartLoad(t, 40)
	time.Sleep(time.Second)
	s.MustCompose(t, "stop", "-t", "5", "redis_replica2")
	time.Sleep(3 * time.Second)
	s.MustCompose(t, "start", "redis_replica2")
	err := WaitFor(30*time.Second, func() error {
		if got := s.InfoField(t, "redis_replica2", "replication", "master_link_status"); got != "up" {
			return fmt.Errorf("redis_replica2: master_link_status:%s", got)
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
	time.Sleep(time.Second)
	results := load.Stop()
	if f := Failures(results); len(f) > 0 {
		t.Errorf("%d of %d requests failed while redis_replica2 restarted: %v", len(f), len(results), f)
	}
	if after := appErrors(t, s); after != before {
		t.Errorf("webapp's error metrics went from %v to %v", before, after)
	}
	// Every session acknowledged meanwhile, those written while it was
	// down included, is on the replica once it has resynced.
	acked := load.Acknowledged()
	keys := []string{"exists"}
	for _, c := range acked {
		keys = append(keys, "sess:"+SessionID(t, c))
	}
	err = WaitFor(5*time.Second, func() error {
		if got, err := s.RedisCLI(t, "redis_replica2", keys...); err != nil || got != strconv.Itoa(len(acked)) {
			return fmt.Errorf("redis_replica2 has %s of the %d sessions acknowledged meanwhile (%v)", got, len(acked), err)
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
	t.Logf("%d requests, %d sessions, 0 failed while a replica was stopped for 3 s", len(results), len(acked))
}

func testLogshipRestart(t *testing.T, s *Stack) {
	var paths []string
	send := func(n int) {
		for i := 0; i < n; i++ {
			p := "/hello/restart-" + randomHex(t, 6)
			if r, err := s.Get(p, ""); err != nil || r.Status != 200 {
				t.Fatalf("GET %s = %d, %v", p, r.Status, err)
			}
			paths = append(paths, p)
		}
	}
	count := func() map[string]int {
		got := map[string]int{}
		for _, e := range s.Events(t) {
			for _, p := range paths {
				if strings.Contains(e.Message(), `"GET `+p+` `) {
					got[p]++
				}
			}
		}
		return got
	}
	send(10)
	// Before the restart: wait until logship has printed them all.
	if err := WaitFor(10*time.Second, func() error {
		if got := count(); len(got) < len(paths) {
			return fmt.Errorf("%d of %d events before the restart", len(got), len(paths))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	s.MustCompose(t, "stop", "-t", "10", "logship")
	send(10) // written while logship is down
	s.MustCompose(t, "start", "logship")
	send(10)
	err := WaitFor(15*time.Second, func() error {
		got := count()
		for _, p := range paths {
			if got[p] != 1 {
				return fmt.Errorf("GET %s appears %d times in logship's output; want exactly once", p, got[p])
			}
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
}
