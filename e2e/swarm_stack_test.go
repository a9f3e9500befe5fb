//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/appstack/appstack/internal/swarmtest"
)

// SwarmImages are the images deploy/swarm/appstack.yaml runs, plus the
// Redis base they are built FROM (make images checks it is up to date).
var SwarmImages = []string{
	"appstack/redis:latest", "appstack/redis-primary:latest", "appstack/redis-replica:latest",
	"appstack/redis-sentinel:latest", "appstack/webapp:latest", "appstack/logship:latest",
	"appstack/logstore:latest",
}

// SwarmStack is the stack deployed by `make swarm-up` on the Swarm of
// Nodes; its CLI commands go to Manager, a manager node that is up.
type SwarmStack struct {
	Name    string
	Nodes   []*swarmtest.Node
	Manager *swarmtest.Node
	// Port is webapp's port, published in host mode on every node that
	// runs a webapp task.
	Port    int
	Secrets string
	Root    string

	mu      sync.Mutex
	nodeIDs map[string]*swarmtest.Node // Swarm node ID -> node
}

// Make runs make in the repository against node's engine (DOCKER_HOST)
// with the stack's settings, and returns its combined output.
func (s *SwarmStack) Make(tb testing.TB, node *swarmtest.Node, target string) (string, error) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*upTimeout)
	defer cancel()
	c := exec.CommandContext(ctx, "make", "--no-print-directory", target,
		"SWARM_STACK="+s.Name, "SECRETS_DIR="+s.Secrets, "WEBAPP_PORT="+strconv.Itoa(s.Port))
	c.Dir = s.Root
	c.Env = node.Env()
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	err := c.Run()
	if err != nil {
		err = fmt.Errorf("make %s on %s: %w", target, node.Name, err)
	}
	return out.String(), err
}

// Docker runs the docker CLI against the manager.
func (s *SwarmStack) Docker(args ...string) (string, error) {
	return s.Manager.Docker(args...)
}

// Node returns the node with a Swarm node ID.
func (s *SwarmStack) Node(id string) (*swarmtest.Node, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := s.nodeIDs[id]; n != nil {
		return n, nil
	}
	for _, n := range s.Nodes {
		out, err := n.Docker("info", "-f", "{{.Swarm.NodeID}}")
		if err == nil && strings.TrimSpace(out) == id {
			if s.nodeIDs == nil {
				s.nodeIDs = map[string]*swarmtest.Node{}
			}
			s.nodeIDs[id] = n
			return n, nil
		}
	}
	return nil, fmt.Errorf("no node of the Swarm has ID %s", id)
}

// SwarmTask is one task of a service, as the manager knows it.
type SwarmTask struct {
	ID, NodeID, State, Container, Err string
}

// Tasks returns the tasks of the stack's service (short name, e.g.
// "webapp") that Swarm wants running. It fails while the Swarm has no
// leader (a manager was just lost).
func (s *SwarmStack) Tasks(service string) ([]SwarmTask, error) {
	ids, err := s.Docker("service", "ps", "-q", "--no-trunc", "--filter", "desired-state=running", s.Name+"_"+service)
	if err != nil || strings.TrimSpace(ids) == "" {
		return nil, err
	}
	out, err := s.Docker(append([]string{"inspect", "-f",
		"{{.ID}}|{{.NodeID}}|{{.Status.State}}|{{if .Status.ContainerStatus}}{{.Status.ContainerStatus.ContainerID}}{{end}}|{{.Status.Err}}"},
		strings.Fields(ids)...)...)
	if err != nil {
		return nil, err
	}
	var tasks []SwarmTask
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.SplitN(line, "|", 5)
		if len(f) == 5 {
			tasks = append(tasks, SwarmTask{ID: f[0], NodeID: f[1], State: f[2], Container: f[3], Err: f[4]})
		}
	}
	return tasks, nil
}

// SwarmContainer is the container of a running task, on its node: commands
// run in it through that node's engine, whatever the Swarm's state.
type SwarmContainer struct {
	Service string
	Node    *swarmtest.Node
	ID      string
}

// Container returns the container of the service's one running task, or
// an error saying what its tasks are doing.
func (s *SwarmStack) Container(service string) (SwarmContainer, error) {
	tasks, err := s.Tasks(service)
	if err != nil {
		return SwarmContainer{}, err
	}
	for _, t := range tasks {
		if t.State == "running" && t.Container != "" {
			n, err := s.Node(t.NodeID)
			return SwarmContainer{Service: service, Node: n, ID: t.Container}, err
		}
	}
	return SwarmContainer{}, fmt.Errorf("%s: no running task: %+v", service, tasks)
}

// MustContainer is Container that fails the test on error.
func (s *SwarmStack) MustContainer(tb testing.TB, service string) SwarmContainer {
	tb.Helper()
	c, err := s.Container(service)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// Exec runs a command in the container.
func (c SwarmContainer) Exec(args ...string) (string, error) {
	return c.Node.Docker(append([]string{"exec", c.ID}, args...)...)
}

// RedisCLI runs the image's redis-cli (admin, the container's own port) in
// a Redis or Sentinel container; the output is trimmed.
func (c SwarmContainer) RedisCLI(args ...string) (string, error) {
	out, err := c.Exec(append([]string{"redis-cli"}, args...)...)
	return strings.TrimSpace(out), err
}

// MissingKeys returns the keys that the Redis container does not hold.
func (c SwarmContainer) MissingKeys(keys []string) ([]string, error) {
	return MissingKeysVia(c.Service, []string{"-H", c.Node.Host, "exec", "-i", c.ID, "redis-cli"}, keys)
}

// Replication returns the fields of INFO replication of a Redis container;
// none if it does not answer.
func (c SwarmContainer) Replication() map[string]string {
	info := map[string]string{}
	out, err := c.RedisCLI("info", "replication")
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

// AgreedPrimary is the Redis service that the Sentinel containers all name
// as the primary, or an error saying what each said.
func AgreedPrimary(sentinels ...SwarmContainer) (string, error) {
	var said []string
	for _, sn := range sentinels {
		out, err := sn.RedisCLI("sentinel", "get-master-addr-by-name", MasterName)
		if err != nil {
			return "", err
		}
		host, _, _ := strings.Cut(out, "\n") // "redis_primary\n6379"
		said = append(said, strings.TrimSpace(host))
	}
	if len(said) == 0 || said[0] == "" || slices.ContainsFunc(said, func(x string) bool { return x != said[0] }) {
		return "", fmt.Errorf("the Sentinels name %v", said)
	}
	return said[0], nil
}

// URLs are webapp's addresses on the given nodes.
func (s *SwarmStack) URLs(nodes ...*swarmtest.Node) []string {
	var urls []string
	for _, n := range nodes {
		urls = append(urls, "http://"+n.Addr+":"+strconv.Itoa(s.Port))
	}
	return urls
}

// WaitConverged waits until every service of the stack runs all the tasks
// it wants (Swarm counts a task with a healthcheck once it is healthy).
func (s *SwarmStack) WaitConverged(timeout time.Duration) error {
	return WaitFor(timeout, func() error {
		out, err := s.Docker("stack", "services", s.Name, "--format", "{{.Name}} {{.Replicas}}")
		if err != nil {
			return err
		}
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			f := strings.Fields(line)
			if len(f) < 2 {
				return fmt.Errorf("stack services: %q", line)
			}
			have, want, _ := strings.Cut(f[1], "/")
			if have != want {
				return fmt.Errorf("not converged:\n%s", out)
			}
		}
		return nil
	})
}
