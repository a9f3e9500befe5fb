package main

import (
	"bytes"
	"fmt"
	"math/rand"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	lumber "github.com/elastic/go-lumber/client/v2"

	"github.com/appstack/appstack/internal/freeport"
)

// TestBeatsKillLosesNothingAcked sends windows of events with a real
// Lumberjack v2 client, as Filebeat does (a window not acknowledged is
// sent again), while the real binary is killed with SIGKILL at random
// moments, mid-window, and restarted. Each window the client sees
// acknowledged must already be in the output file; at the end every
// event is there.
func TestBeatsKillLosesNothingAcked(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(dir, "out.json")
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(freeport.Get(t)))
	_, port, _ := net.SplitHostPort(addr)
	cfg := fmt.Sprintf(`input { beats { host => "127.0.0.1" port => %s } } output { file { path => %q } }`, port, out)

	start := func() *exec.Cmd {
		c := exec.Command(binary, "-e", cfg, "--path.data", filepath.Join(dir, "data"))
		c.Stderr = &bytes.Buffer{}
		if err := c.Start(); err != nil {
			t.Error(err)
		}
		return c
	}
	cmd := start()

	const windows, perWindow = 200, 50
	done, killed := make(chan struct{}), make(chan struct{})
	kills := 0
	go func() { // the killer, sole owner of cmd until killed is closed
		defer close(killed)
		rng := rand.New(rand.NewSource(1))
		for {
			select {
			case <-done:
				return
			case <-time.After(time.Duration(100+rng.Intn(300)) * time.Millisecond):
			}
			_ = cmd.Process.Kill() // SIGKILL
			_ = cmd.Wait()
			kills++
			cmd = start()
		}
	}()

	var client *lumber.Client
	connect := func() {
		deadline := time.Now().Add(30 * time.Second)
		for {
			c, err := lumber.Dial(addr, lumber.Timeout(10*time.Second))
			if err == nil {
				client = c
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("cannot reach logship: %v", err)
			}
			time.Sleep(20 * time.Millisecond) // logship is restarting
		}
	}
	interrupted := 0
	for w := 0; w < windows; {
		if client == nil {
			connect()
		}
		var evs []any
		for i := range perWindow {
			evs = append(evs, map[string]any{"message": fmt.Sprintf("w%04d e%02d", w, i), "beat": map[string]any{"hostname": "h"}})
		}
		err := client.Send(evs)
		if err == nil {
			_, err = client.AwaitACK(perWindow)
		}
		if err != nil { // killed mid-window: send it again, as Filebeat does
			interrupted++
			client.Close()
			client = nil
			continue
		}
		// Acknowledged: every event of the window is in the output now.
		seen, _ := counts(t, out)
		for i := range perWindow {
			if m := fmt.Sprintf("w%04d e%02d", w, i); seen[m] == 0 {
				t.Fatalf("window %d was acknowledged, but %q is not in the output", w, m)
			}
		}
		w++
	}
	close(done)
	<-killed
	client.Close()
	// The killer may have just restarted logship: SIGTERM before it
	// handles signals would kill it outright. It listens only once it does.
	connect()
	client.Close()

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("logship after SIGTERM: %v\n%s", err, cmd.Stderr)
	}
	seen, lines := counts(t, out)
	if len(seen) != windows*perWindow {
		t.Errorf("output holds %d distinct events; want %d", len(seen), windows*perWindow)
	}
	t.Logf("%d kills, %d windows interrupted and sent again, %d lines for %d events", kills, interrupted, lines, windows*perWindow)
	if kills < 3 || interrupted < 1 {
		t.Errorf("%d kills, %d windows interrupted: the test did not exercise crashes mid-window", kills, interrupted)
	}
	_ = os.Remove(out)
}
