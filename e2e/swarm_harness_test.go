//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/appstack/appstack/internal/swarmtest"
)

// TestSwarmHarnessCleansUpAfterAKilledRun: a test process that runs a
// Swarm (two nodes, a service running) is killed with SIGKILL, so none of
// its cleanups run. What it left (daemons, containers, namespaces, veths,
// mounts, data) is gone after the next Start, which cleans first; and the
// next cluster's own teardown leaves nothing either.
func TestSwarmHarnessCleansUpAfterAKilledRun(t *testing.T) {
	if os.Getenv("APPSTACK_SWARMTEST_VICTIM") != "" {
		swarmHarnessVictim(t)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	victim := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestSwarmHarnessCleansUpAfterAKilledRun$", "-test.v")
	victim.Env = append(os.Environ(), "APPSTACK_SWARMTEST_VICTIM=1")
	out, err := victim.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	victim.Stderr = victim.Stdout
	if err := victim.Start(); err != nil {
		t.Fatal(err)
	}
	var said []string
	sc := bufio.NewScanner(out)
	for sc.Scan() && !strings.Contains(sc.Text(), "VICTIM READY") {
		said = append(said, sc.Text())
	}
	if err := victim.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = victim.Wait()
	left := swarmtest.Leftovers()
	if !slices.ContainsFunc(left, func(s string) bool { return strings.HasPrefix(s, "container process ") }) {
		t.Fatalf("the killed run left %v; want its daemons and a running container at least. It said:\n%s", left, strings.Join(said, "\n"))
	}
	t.Logf("the killed run left: %s", strings.Join(left, "; "))

	// Registered first, so it runs after the cluster's own teardown.
	t.Cleanup(func() {
		if left := swarmtest.Leftovers(); len(left) > 0 {
			t.Errorf("after teardown: %v; want nothing left", left)
		}
	})
	c := swarmtest.Start(t, swarmtest.Options{Nodes: 1})
	if out, err := c.Nodes[0].Docker("ps", "-aq"); err != nil || strings.TrimSpace(out) != "" {
		t.Errorf("new node's containers = %q, %v; want none: a fresh data root", out, err)
	}
	if state, err := c.Nodes[0].Docker("info", "-f", "{{.Swarm.LocalNodeState}}"); err != nil || strings.TrimSpace(state) != "inactive" {
		t.Errorf("new node's Swarm = %q, %v; want inactive: a fresh engine", state, err)
	}
}

// swarmHarnessVictim starts a two-node Swarm with a running service, says
// so, and waits to be killed.
func swarmHarnessVictim(t *testing.T) {
	c := swarmtest.Start(t, swarmtest.Options{Nodes: 2, Images: []string{"appstack/redis:latest"}})
	c.Form(t, c.Nodes...)
	if _, err := c.Nodes[0].Docker("service", "create", "-d", "--name", "victim", "--replicas", "2",
		"--no-resolve-image", "--entrypoint", "sleep", "appstack/redis:latest", "3600"); err != nil {
		t.Fatal(err)
	}
	err := WaitFor(2*time.Minute, func() error {
		out, err := c.Nodes[0].Docker("service", "ls", "--format", "{{.Replicas}}")
		if err != nil || strings.TrimSpace(out) != "2/2" {
			return fmt.Errorf("victim service: %q, %v", out, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("VICTIM READY")
	time.Sleep(10 * time.Minute)
}
