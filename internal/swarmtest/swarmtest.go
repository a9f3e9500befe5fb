// Package swarmtest runs a real multi-node Docker Swarm on one machine, for
// tests: each node is its own dockerd in its own network namespace, all on
// one private /24 through a bridge in a "switch" namespace, so that a test
// can cut a whole node off (its switch port down) as a machine loss would.
//
// The host's Docker engine takes no part: it is never put in a Swarm, and
// its images are copied to the nodes with docker save | docker load (there
// is no registry). Each node's dockerd runs with an empty --config-file (the
// host's daemon.json names a data root and a storage driver), the vfs
// storage driver, its own data and exec roots under Root, and is started
// with `nsenter --net` (`ip netns exec` remounts /sys, and dockerd then
// fails with "Devices cgroup isn't mounted").
//
// Everything lives under Root and under names starting with Prefix: daemons
// (found by PID, checked against their command line), their containers
// (in the cgroups /Prefix-nN), network namespaces and their veths, mounts
// and data roots. Teardown removes all of it, and so does Start before it
// begins, so that a run that crashed or was killed leaves nothing behind
// for long. Only one cluster exists at a time: Start takes a lock.
//
// It needs root, ip (iproute2), nsenter (util-linux) and dockerd.
package swarmtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Root holds every cluster's files; Prefix starts every name it creates in
// the kernel (network namespaces, links, cgroups).
const (
	Root   = "/var/tmp/appstack-swarmtest"
	Prefix = "apsw"
)

// Bounds of the waits; each is far above what it takes here.
const (
	daemonTimeout  = 90 * time.Second
	stopTimeout    = 30 * time.Second
	commandTimeout = 3 * time.Minute
)

// Options say which cluster Start builds.
type Options struct {
	// Nodes is how many nodes (dockerd) to start; 0 means 3.
	Nodes int
	// Images are copied from the host's engine to every node.
	Images []string
}

// Cluster is a set of nodes started by Start. Form makes them a Swarm.
type Cluster struct {
	Nodes []*Node
	// HostAddr is the host's address on the nodes' network: requests from
	// the test process to a node's published ports come from it.
	HostAddr string
}

// Node is one dockerd in its own network namespace.
type Node struct {
	// Name is n1, n2...; the node's hostname in the Swarm is Prefix-Name.
	Name string
	// Addr is the node's address, where its published ports answer.
	Addr string
	// Host is the node's Docker endpoint (DOCKER_HOST).
	Host string

	dir   string
	netns string
	port  string // its veth's end in the switch namespace
}

// Start builds a cluster of separate engines (not yet a Swarm: see Form)
// and registers its teardown. It fails the test if the machine cannot run
// one (not root, a tool missing), saying what is missing.
func Start(tb testing.TB, opts Options) *Cluster {
	tb.Helper()
	if opts.Nodes == 0 {
		opts.Nodes = 3
	}
	if os.Geteuid() != 0 {
		tb.Fatal("swarmtest: needs root (network namespaces, dockerd)")
	}
	for _, tool := range []string{"ip", "nsenter", "unshare", "dockerd", "docker"} {
		if _, err := exec.LookPath(tool); err != nil {
			tb.Fatalf("swarmtest: %s not found (apt-get install iproute2 util-linux docker.io)", tool)
		}
	}
	unlock, err := lock()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(unlock)
	if err := Cleanup(); err != nil {
		tb.Fatalf("swarmtest: clean up a previous run: %v", err)
	}
	c := &Cluster{}
	tb.Cleanup(func() {
		if tb.Failed() {
			c.logDaemons(tb)
		}
		if err := Cleanup(); err != nil {
			tb.Errorf("swarmtest: teardown: %v", err)
		}
	})
	if err := c.build(tb, opts.Nodes); err != nil {
		tb.Fatal(err)
	}
	if len(opts.Images) > 0 {
		if err := c.loadImages(opts.Images); err != nil {
			tb.Fatal(err)
		}
	}
	return c
}

// build makes the network, its resolver, and starts one dockerd per node.
func (c *Cluster) build(tb testing.TB, nodes int) error {
	subnet, err := freeSubnet()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(Root, 0o700); err != nil {
		return err
	}
	empty := filepath.Join(Root, "daemon.json")
	if err := os.WriteFile(empty, []byte("{}\n"), 0o600); err != nil {
		return err
	}
	sw := Prefix + "-sw"
	c.HostAddr = subnet + "254"
	steps := [][]string{
		{"netns", "add", sw},
		{"-n", sw, "link", "set", "lo", "up"},
		{"-n", sw, "link", "add", "br0", "type", "bridge"},
		{"-n", sw, "link", "set", "br0", "up"},
		{"link", "add", Prefix + "-host", "type", "veth", "peer", "name", "host", "netns", sw},
		{"-n", sw, "link", "set", "host", "master", "br0", "up"},
		{"addr", "add", c.HostAddr + "/24", "dev", Prefix + "-host"},
		{"link", "set", Prefix + "-host", "up"},
	}
	for i := 1; i <= nodes; i++ {
		n := &Node{Name: "n" + strconv.Itoa(i), Addr: subnet + strconv.Itoa(i)}
		n.dir = filepath.Join(Root, n.Name)
		n.netns = Prefix + "-" + n.Name
		n.port = n.Name
		n.Host = "unix://" + filepath.Join(n.dir, "docker.sock")
		c.Nodes = append(c.Nodes, n)
		steps = append(steps,
			[]string{"netns", "add", n.netns},
			[]string{"-n", n.netns, "link", "set", "lo", "up"},
			[]string{"-n", n.netns, "link", "add", "eth0", "type", "veth", "peer", "name", n.port, "netns", sw},
			[]string{"-n", sw, "link", "set", n.port, "master", "br0", "up"},
			[]string{"-n", n.netns, "addr", "add", n.Addr + "/24", "dev", "eth0"},
			[]string{"-n", n.netns, "link", "set", "eth0", "up"},
		)
	}
	for _, s := range steps {
		if _, err := run("ip", s...); err != nil {
			return err
		}
	}
	stop, err := serveNXDomain(c.HostAddr)
	if err != nil {
		return fmt.Errorf("swarmtest: the nodes' resolver: %w", err)
	}
	tb.Cleanup(stop)
	for _, n := range c.Nodes {
		if err := n.start(empty, c.HostAddr); err != nil {
			return err
		}
	}
	return parallel(c.Nodes, func(n *Node) error { return n.waitDaemon() })
}

// start starts the node's dockerd; its PID is kept in the node's folder
// for Cleanup. Its containers go into the cgroup /Prefix-nN, and use dns
// as their upstream resolver (see serveNXDomain).
func (n *Node) start(config, dns string) error {
	if err := os.MkdirAll(n.dir, 0o700); err != nil {
		return err
	}
	logf, err := os.Create(filepath.Join(n.dir, "dockerd.log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	// Its own UTS namespace too, for a hostname of its own (Swarm shows
	// nodes by hostname).
	cmd := exec.Command("nsenter", "--net=/run/netns/"+n.netns, "unshare", "--uts", "sh", "-c",
		`hostname "$0" && exec dockerd "$@"`, n.netns,
		"--config-file", config,
		"--data-root", filepath.Join(n.dir, "data"),
		"--exec-root", filepath.Join(n.dir, "exec"),
		"--pidfile", filepath.Join(n.dir, "dockerd.pid"),
		"-H", n.Host,
		"--storage-driver", "vfs",
		"--cgroup-parent", "/"+n.netns,
		"--dns", dns,
		"--shutdown-timeout", "5",
		"--log-level", "warn",
	)
	cmd.Stdout, cmd.Stderr = logf, logf
	// Its own process group: a ^C to the test does not reach it; Cleanup
	// stops it in order.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start dockerd of %s: %w", n.Name, err)
	}
	pid := cmd.Process.Pid
	go cmd.Wait() //nolint:errcheck // reaped here; Cleanup finds it by PID
	return os.WriteFile(filepath.Join(n.dir, "pid"), []byte(strconv.Itoa(pid)+"\n"), 0o600)
}

func (n *Node) waitDaemon() error {
	deadline := time.Now().Add(daemonTimeout)
	for {
		_, err := n.Docker("version", "--format", "{{.Server.Version}}")
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(n.dir, "dockerd.log"))
			return fmt.Errorf("dockerd of %s not up after %s: %w\n%s", n.Name, daemonTimeout, err, tail(string(log), 20))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// loadImages copies images from the host's engine to every node.
func (c *Cluster) loadImages(images []string) error {
	archive := filepath.Join(Root, "images.tar")
	if _, err := run("docker", append([]string{"save", "-o", archive}, images...)...); err != nil {
		return err
	}
	defer os.Remove(archive)
	return parallel(c.Nodes, func(n *Node) error {
		_, err := n.Docker("load", "-q", "-i", archive)
		return err
	})
}

// Form makes nodes one Swarm in which every node is a manager, so that
// losing any one of three keeps the Raft quorum. The first initializes it.
// Overlay networks take their subnets from 10.99.0.0/16, away from the
// nodes' own network.
func (c *Cluster) Form(tb testing.TB, nodes ...*Node) {
	tb.Helper()
	first := nodes[0]
	if _, err := first.Docker("swarm", "init", "--advertise-addr", first.Addr, "--listen-addr", first.Addr+":2377",
		"--default-addr-pool", "10.99.0.0/16"); err != nil {
		tb.Fatal(err)
	}
	token, err := first.Docker("swarm", "join-token", "-q", "manager")
	if err != nil {
		tb.Fatal(err)
	}
	for _, n := range nodes[1:] {
		if _, err := n.Docker("swarm", "join", "--token", strings.TrimSpace(token),
			"--advertise-addr", n.Addr, "--listen-addr", n.Addr+":2377", first.Addr+":2377"); err != nil {
			tb.Fatal(err)
		}
	}
	err = WaitFor(daemonTimeout, func() error {
		out, err := first.Docker("node", "ls", "--format", "{{.Hostname}} {{.Status}} {{.ManagerStatus}}")
		if err != nil {
			return err
		}
		if ready := strings.Count(out, " Ready "); ready != len(nodes) {
			return fmt.Errorf("%d of %d nodes ready:\n%s", ready, len(nodes), out)
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// Docker runs the docker CLI against the node and returns its stdout; the
// error carries stderr.
func (n *Node) Docker(args ...string) (string, error) {
	return run("docker", append([]string{"-H", n.Host}, args...)...)
}

// Env is the environment of a command that should talk to the node's
// engine (make swarm-up, docker stack deploy).
func (n *Node) Env() []string {
	return append(os.Environ(), "DOCKER_HOST="+n.Host)
}

// Cut takes the node's link to every other node and to the host down, as
// a machine that lost its network: its processes keep running.
func (n *Node) Cut() error {
	_, err := run("ip", "-n", Prefix+"-sw", "link", "set", n.port, "down")
	return err
}

// Heal brings the node's link up again.
func (n *Node) Heal() error {
	_, err := run("ip", "-n", Prefix+"-sw", "link", "set", n.port, "up")
	return err
}

// WaitFor polls cond every 250 ms until it returns nil or timeout passes;
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
		time.Sleep(250 * time.Millisecond)
	}
}

func (c *Cluster) logDaemons(tb testing.TB) {
	for _, n := range c.Nodes {
		b, _ := os.ReadFile(filepath.Join(n.dir, "dockerd.log"))
		tb.Logf("dockerd of %s, last lines:\n%s", n.Name, tail(string(b), 30))
	}
}

// Cleanup removes everything a cluster left: it stops the daemons (by the
// PIDs recorded at start, each checked against its command line), kills
// what is left in their containers' cgroups and any process run from Root,
// unmounts what is mounted under Root, deletes the namespaces (which
// deletes their veths) and Root. It is idempotent, and safe when nothing
// exists.
func Cleanup() error {
	var errs []error
	pids := daemonPIDs()
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGTERM)
	}
	deadline := time.Now().Add(stopTimeout)
	for _, pid := range pids {
		for alive(pid) && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
		}
	}
	// What a daemon that did not stop in time, or died first, left behind:
	// containerd, shims, docker-proxy (run from Root), and containers.
	for range 3 {
		stray := slices.Concat(processesUnder(Root), cgroupProcesses())
		if len(stray) == 0 {
			break
		}
		for _, pid := range stray {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		for _, pid := range stray {
			for alive(pid) && time.Now().Before(deadline.Add(10*time.Second)) {
				time.Sleep(50 * time.Millisecond)
			}
		}
	}
	removeCgroups()
	errs = append(errs, unmountUnder(Root))
	if out, err := run("ip", "netns", "list"); err == nil {
		for _, line := range strings.Split(out, "\n") {
			name, _, _ := strings.Cut(line, " ")
			if strings.HasPrefix(name, Prefix+"-") {
				if _, err := run("ip", "netns", "delete", name); err != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	// The host end of the switch's veth goes with the switch's namespace,
	// asynchronously: it may vanish between the lookup and the delete.
	if _, err := net.InterfaceByName(Prefix + "-host"); err == nil {
		if _, err := run("ip", "link", "delete", Prefix+"-host"); err != nil {
			if _, still := net.InterfaceByName(Prefix + "-host"); still == nil {
				errs = append(errs, err)
			}
		}
	}
	if err := os.RemoveAll(Root); err != nil {
		errs = append(errs, err)
	}
	if left := Leftovers(); len(left) > 0 {
		errs = append(errs, fmt.Errorf("left behind: %s", strings.Join(left, "; ")))
	}
	return errors.Join(errs...)
}

// Leftovers lists what a cluster left on the machine: none after Cleanup.
func Leftovers() []string {
	var left []string
	for _, pid := range processesUnder(Root) {
		left = append(left, "process "+strconv.Itoa(pid))
	}
	for _, pid := range cgroupProcesses() {
		left = append(left, "container process "+strconv.Itoa(pid))
	}
	if cg, _ := filepath.Glob("/sys/fs/cgroup/*/" + Prefix + "-*"); len(cg) > 0 {
		left = append(left, "cgroups "+strings.Join(cg, " "))
	}
	if out, err := run("ip", "netns", "list"); err == nil {
		for _, line := range strings.Split(out, "\n") {
			if name, _, _ := strings.Cut(line, " "); strings.HasPrefix(name, Prefix+"-") {
				left = append(left, "network namespace "+name)
			}
		}
	}
	if _, err := net.InterfaceByName(Prefix + "-host"); err == nil {
		left = append(left, "link "+Prefix+"-host")
	}
	if b, err := os.ReadFile("/proc/self/mountinfo"); err == nil && strings.Contains(string(b), " "+Root) {
		left = append(left, "mounts under "+Root)
	}
	if _, err := os.Stat(Root); err == nil {
		left = append(left, Root)
	}
	return left
}

// daemonPIDs returns the recorded dockerd PIDs that still run a dockerd of
// ours (a PID may have been reused since).
func daemonPIDs() []int {
	var pids []int
	files, _ := filepath.Glob(filepath.Join(Root, "n*", "pid"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil {
			continue
		}
		if cmd, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline"); err == nil &&
			bytes.Contains(cmd, []byte("dockerd")) && bytes.Contains(cmd, []byte(filepath.Dir(f))) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// processesUnder returns the processes whose command line names a path
// under dir.
func processesUnder(dir string) []int {
	var pids []int
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, f := range procs {
		cmd, err := os.ReadFile(f)
		if err != nil || !bytes.Contains(cmd, []byte(dir+"/")) {
			continue
		}
		if pid, err := strconv.Atoi(filepath.Base(filepath.Dir(f))); err == nil && pid != os.Getpid() {
			pids = append(pids, pid)
		}
	}
	return pids
}

// cgroupDirs are the cgroups (v1 pids hierarchy) the nodes' containers run
// in: /Prefix-nN/<container>.
func cgroupDirs() []string {
	dirs, _ := filepath.Glob("/sys/fs/cgroup/pids/" + Prefix + "-*/*")
	var out []string
	for _, d := range dirs {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			out = append(out, d)
		}
	}
	return out
}

func cgroupProcesses() []int {
	var pids []int
	for _, d := range cgroupDirs() {
		b, _ := os.ReadFile(filepath.Join(d, "cgroup.procs"))
		for _, f := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(f); err == nil {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}

// removeCgroups removes the nodes' empty cgroups, deepest first, in every
// hierarchy (v1 controllers and the unified one).
func removeCgroups() {
	tops, _ := filepath.Glob("/sys/fs/cgroup/*/" + Prefix + "-*")
	for _, top := range tops {
		var dirs []string
		_ = filepath.WalkDir(top, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
		for _, d := range slices.Backward(dirs) {
			_ = syscall.Rmdir(d)
		}
	}
}

// unmountUnder detaches every mount point under dir, deepest first.
func unmountUnder(dir string) error {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return err
	}
	var points []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		p := unescapeMount(f[4])
		if p == dir || strings.HasPrefix(p, dir+"/") {
			points = append(points, p)
		}
	}
	slices.SortFunc(points, func(a, b string) int { return len(b) - len(a) })
	var errs []error
	for _, p := range slices.Compact(points) {
		if err := syscall.Unmount(p, syscall.MNT_DETACH); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOENT) {
			errs = append(errs, fmt.Errorf("unmount %s: %w", p, err))
		}
	}
	return errors.Join(errs...)
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// freeSubnet returns the first of a few private /24s (as "a.b.c.") that no
// route of the host covers or falls inside.
func freeSubnet() (string, error) {
	out, err := run("ip", "-4", "route", "show", "table", "all")
	if err != nil {
		return "", err
	}
	var routes []*net.IPNet
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		dst := f[0]
		if slices.Contains([]string{"broadcast", "local", "unicast", "multicast"}, dst) && len(f) > 1 {
			dst = f[1]
		}
		if dst == "default" {
			continue
		}
		if !strings.Contains(dst, "/") {
			dst += "/32"
		}
		if _, n, err := net.ParseCIDR(dst); err == nil {
			routes = append(routes, n)
		}
	}
	return pickSubnet(routes)
}

func pickSubnet(routes []*net.IPNet) (string, error) {
	for third := 70; third < 80; third++ {
		prefix := "10.213." + strconv.Itoa(third) + "."
		_, cand, _ := net.ParseCIDR(prefix + "0/24")
		overlaps := slices.ContainsFunc(routes, func(r *net.IPNet) bool {
			return r.Contains(cand.IP) || cand.Contains(r.IP)
		})
		if !overlaps {
			return prefix, nil
		}
	}
	return "", errors.New("swarmtest: 10.213.70.0/24 to 10.213.79.0/24 are all routed on this host")
}

// lock serializes clusters: they share Root and the names.
func lock() (func(), error) {
	f, err := os.OpenFile(Root+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("swarmtest: lock %s: %w", f.Name(), err)
	}
	return func() { f.Close() }, nil
}

func alive(pid int) bool {
	// A zombie is gone for our purposes: its parent reaps it.
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	return len(f) > 0 && f[0] != "Z"
}

func parallel(nodes []*Node, fn func(*Node) error) error {
	errs := make([]error, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Go(func() { errs[i] = fn(n) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// run runs a command and returns its stdout; the error carries stderr.
func run(name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%s %s: %s: %w", name, strings.Join(args, " "), strings.TrimSpace(stderr.String()), err)
	}
	return stdout.String(), nil
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
