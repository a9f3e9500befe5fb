//go:build e2e

// The rendered pod templates run on Docker with the project's images, as a
// kubelet would run them (make test-e2e; the images must be built): no
// kubelet runs here, and kwok (make test-k8s) runs no container, so this is
// what shows that the manifests' environment, volumes, secrets and security
// contexts make a working stack, and that the Redis entrypoints' Kubernetes
// inputs (REDIS_ANNOUNCE_HOSTNAME, REDIS_INITIAL_PRIMARY) elect, fail over
// and rejoin.
//
// Each pod is a holder container that owns the pod's network namespace
// (Kubernetes' pause container) under the pod's stable DNS name, and its
// containers join it. emptyDirs, the claim's subPaths and the secret's
// items are folders of the test; uid, gid, fsGroup, read-only root,
// capabilities and no-new-privileges come from the securityContexts.

package k8s_test

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/appstack/appstack/internal/freeport"
)

func TestPodsOnDocker(t *testing.T) {
	objs := objects(t)
	ws := workloads(t, objs)
	configMaps := map[string]map[string]string{}
	var discovery map[string]string
	for _, o := range objs {
		if o.Kind == "ConfigMap" {
			var cm struct {
				Data map[string]string `yaml:"data"`
			}
			o.decode(t, &cm)
			configMaps[o.Metadata.Name] = cm.Data
			if strings.HasPrefix(o.Metadata.Name, "redis-discovery-") {
				discovery = cm.Data
			}
		}
	}
	if discovery == nil {
		t.Fatal("no redis-discovery ConfigMap rendered")
	}
	secrets := filepath.Join(t.TempDir(), "secrets")
	if out, err := exec.Command("../../images/secrets.sh", secrets).CombinedOutput(); err != nil {
		t.Fatalf("images/secrets.sh: %v\n%s", err, out)
	}
	id := make([]byte, 4)
	_, _ = rand.Read(id)
	c := &cluster{t: t, prefix: "k8sd" + hex.EncodeToString(id), dir: t.TempDir(),
		configMaps: configMaps, secrets: secrets}
	c.docker("network", "create", c.prefix)
	t.Cleanup(func() { c.dockerErr("network", "rm", c.prefix) })

	redis := ws["StatefulSet/redis"]
	for i := range redis.Spec.Replicas {
		name := fmt.Sprintf("redis-%d", i)
		c.runPod(name, name+"."+redis.Spec.ServiceName, redis, 0)
	}
	port := freeport.Get(t)
	c.runPod("webapp-0", "webapp-0", ws["Deployment/webapp"], port)

	// Every exec readiness probe of the templates passes: replicas linked,
	// the primary has its replica, every Sentinel sees the quorum.
	primary := discovery["REDIS_INITIAL_PRIMARY"]
	waitFor(t, 2*time.Minute, "every Redis pod's readiness probes", func() (bool, string) {
		for i := range redis.Spec.Replicas {
			pod := fmt.Sprintf("redis-%d", i)
			for _, ctr := range redis.Spec.Template.Spec.Containers {
				if p := ctr.ReadinessProbe; p != nil && p.Exec != nil {
					if out, err := c.dockerErr(append([]string{"exec", c.name(pod, ctr.Name)}, p.Exec.Command...)...); err != nil {
						return false, fmt.Sprintf("%s %s: %v %s", pod, ctr.Name, err, out)
					}
				}
			}
		}
		return true, ""
	})
	if got := c.master("redis-1"); got != primary {
		t.Errorf("the Sentinels name %q the primary, want %q (REDIS_INITIAL_PRIMARY)", got, primary)
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	waitFor(t, time.Minute, "webapp's /readyz", func() (bool, string) { return get(http.DefaultClient, base+"/readyz") })

	// A new session, acknowledged by a replica, is on every node.
	resp, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "{\n  \"status\": \"ok\"\n}" || len(resp.Cookies()) != 1 {
		t.Fatalf("GET / = %d %q with %d cookies; want the seed's body and a session cookie", resp.StatusCode, body, len(resp.Cookies()))
	}
	cookie := resp.Cookies()[0]
	sid := regexp.MustCompile(`^s%3A([^.]+)\.`).FindStringSubmatch(cookie.Value)
	if sid == nil {
		t.Fatalf("cookie %q is not a signed connect.sid", cookie.Value)
	}
	waitFor(t, 10*time.Second, "the session on all three nodes", func() (bool, string) {
		for i := range redis.Spec.Replicas {
			pod := fmt.Sprintf("redis-%d", i)
			if out, _ := c.dockerErr("exec", c.name(pod, "redis"), "redis-cli", "exists", "sess:"+sid[1]); strings.TrimSpace(out) != "1" {
				return false, pod + " lacks it"
			}
		}
		return true, ""
	})

	// Each logship sidecar ships its neighbour's log.
	waitFor(t, 30*time.Second, "the access-log line and a Redis log line as events", func() (bool, string) {
		web, _ := c.dockerErr("logs", c.name("webapp-0", "logship"))
		red, _ := c.dockerErr("logs", c.name("redis-0", "logship"))
		return strings.Contains(web, `GET / HTTP/1.1\" 200 20`) && strings.Contains(red, "/var/log/redis/redis-server.log"),
			"webapp's logship:\n" + tail(web) + "\nredis-0's logship:\n" + tail(red)
	})

	// The primary's container dies; the Sentinels promote a replica; the
	// container restarts as a kubelet would restart it and rejoins as a
	// replica of the new primary; the session survived.
	failed := time.Now()
	c.docker("kill", c.name("redis-0", "redis"))
	var next string
	// 90 s: under load the three Sentinels can split their first vote, and
	// the next try waits 2 × failover-timeout (20 s).
	waitFor(t, 90*time.Second, "a failover away from "+primary, func() (bool, string) {
		next = c.master("redis-1")
		return next != "" && next != primary, "master " + next
	})
	t.Logf("the Sentinels promoted %s %.1fs after redis-0's Redis was killed", next, time.Since(failed).Seconds())
	c.docker("start", c.name("redis-0", "redis"))
	waitFor(t, time.Minute, "redis-0 a replica of "+next, func() (bool, string) {
		out, _ := c.dockerErr("exec", c.name("redis-0", "redis"), "redis-cli", "info", "replication")
		return strings.Contains(out, "role:slave") && strings.Contains(out, "master_host:"+next) &&
			strings.Contains(out, "master_link_status:up"), out
	})
	logs, _ := c.dockerErr("logs", c.name("redis-0", "redis"))
	if !strings.Contains(logs, "redis-entrypoint: replicaof "+next+" 6379") {
		t.Errorf("redis-0's entrypoint did not start it as a replica of %s before it could take a write:\n%s", next, tail(logs))
	}
	req, _ := http.NewRequest("GET", base+"/", nil)
	req.AddCookie(cookie)
	waitFor(t, 30*time.Second, "the old session answered without a new cookie", func() (bool, string) {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode == 200 && len(resp.Cookies()) == 0, fmt.Sprintf("%d, %d cookies", resp.StatusCode, len(resp.Cookies()))
	})
}

// cluster runs pods as Docker containers on one network of its own.
type cluster struct {
	t          *testing.T
	prefix     string
	dir        string
	secrets    string
	configMaps map[string]map[string]string
}

func (c *cluster) name(pod, container string) string { return c.prefix + "-" + pod + "-" + container }

func (c *cluster) dockerErr(args ...string) (string, error) {
	out, err := exec.Command("docker", args...).CombinedOutput()
	return string(out), err
}

func (c *cluster) docker(args ...string) string {
	c.t.Helper()
	out, err := c.dockerErr(args...)
	if err != nil {
		c.t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// master is the primary that the Sentinel in pod names, or "".
func (c *cluster) master(pod string) string {
	out, err := c.dockerErr("exec", c.name(pod, "sentinel"), "redis-cli", "sentinel", "get-master-addr-by-name", "appstack")
	if err != nil {
		return ""
	}
	return strings.SplitN(strings.TrimSpace(out), "\n", 2)[0]
}

// runPod starts the holder of the pod's network namespace, reachable as
// dnsName, then the pod's sidecars and containers in it.
func (c *cluster) runPod(pod, dnsName string, w workload, hostPort int) {
	c.t.Helper()
	spec := w.Spec.Template.Spec
	holder := c.name(pod, "pod")
	args := []string{"run", "-d", "--name", holder, "--hostname", pod, "--network", c.prefix,
		"--network-alias", dnsName, "--read-only", "--cap-drop", "ALL", "--user", "65534:65534"}
	if hostPort != 0 {
		args = append(args, "-p", fmt.Sprintf("127.0.0.1:%d:3000", hostPort))
	}
	c.start(holder, append(args, "--entrypoint", "sleep", "appstack/redis:latest", "2147483647")...)

	psc := spec.SecurityContext
	fsGroup := ""
	if psc.FSGroup != nil {
		fsGroup = strconv.FormatInt(*psc.FSGroup, 10)
	}
	volumes := map[string]string{}
	for _, v := range spec.Volumes {
		name, _ := v["name"].(string)
		dir := filepath.Join(c.dir, pod, name)
		s, isSecret := v["secret"].(map[string]any)
		if !isSecret {
			// An emptyDir: open to every container of the pod, as the
			// kubelet makes it.
			mkdir(c.t, dir, 0o777, "")
		} else {
			// A secret volume: its items, root-owned, readable by fsGroup.
			mkdir(c.t, dir, 0o755, "")
			items, _ := s["items"].([]any)
			for _, it := range items {
				m := it.(map[string]any)
				b, err := os.ReadFile(filepath.Join(c.secrets, m["key"].(string)))
				if err != nil {
					c.t.Fatal(err)
				}
				f := filepath.Join(dir, m["path"].(string))
				if err := os.WriteFile(f, b, 0o440); err != nil {
					c.t.Fatal(err)
				}
				chgrp(c.t, f, fsGroup)
			}
		}
		volumes[name] = dir
	}
	// The StatefulSet's claims: a folder per pod, group fsGroup and setgid
	// as the kubelet leaves a volume with an fsGroup.
	claims := map[string]string{}
	for _, vc := range w.Spec.VolumeClaimTemplates {
		claims[vc.Metadata.Name] = filepath.Join(c.dir, pod, "claim-"+vc.Metadata.Name)
		mkdir(c.t, claims[vc.Metadata.Name], 0o2775, fsGroup)
	}

	// The environment as the kubelet builds it: envFrom first, then env,
	// whose $(VAR) refer to the variables before them.
	env := func(ctr container) []string {
		vals := map[string]string{}
		var out []string
		set := func(k, v string) {
			vals[k] = v
			out = append(out, "-e", k+"="+v)
		}
		set("HOSTNAME", pod)
		for _, from := range ctr.EnvFrom {
			data, ok := c.configMaps[from.ConfigMapRef.Name]
			if !ok {
				c.t.Fatalf("pod %s container %s: envFrom ConfigMap %q is not rendered", pod, ctr.Name, from.ConfigMapRef.Name)
			}
			for k, v := range data {
				set(k, v)
			}
		}
		for _, e := range ctr.Env {
			if e.ValueFrom != nil {
				if e.ValueFrom.FieldRef.FieldPath != "metadata.name" {
					c.t.Fatalf("pod %s container %s: %s from %+v: only metadata.name is emulated", pod, ctr.Name, e.Name, e.ValueFrom)
				}
				set(e.Name, pod)
				continue
			}
			set(e.Name, regexp.MustCompile(`\$\((\w+)\)`).ReplaceAllStringFunc(e.Value, func(m string) string {
				return vals[m[2:len(m)-1]]
			}))
		}
		return out
	}

	for _, ctr := range append(append([]container{}, spec.InitContainers...), spec.Containers...) {
		sc := ctr.SecurityContext
		uid, gid := psc.RunAsUser, psc.RunAsGroup
		if sc.RunAsUser != nil {
			uid = sc.RunAsUser
		}
		if sc.RunAsGroup != nil {
			gid = sc.RunAsGroup
		}
		args := []string{"run", "-d", "--name", c.name(pod, ctr.Name), "--network", "container:" + holder,
			"--user", fmt.Sprintf("%d:%d", *uid, *gid), "--cap-drop", "ALL"}
		if fsGroup != "" {
			args = append(args, "--group-add", fsGroup)
		}
		if isTrue(sc.ReadOnlyRootFilesystem) {
			args = append(args, "--read-only")
		}
		if sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation {
			args = append(args, "--security-opt", "no-new-privileges:true")
		}
		args = append(args, env(ctr)...)
		for _, m := range ctr.VolumeMounts {
			src := volumes[m.Name]
			if claim, ok := claims[m.Name]; ok {
				src = filepath.Join(claim, m.SubPath)
				mkdir(c.t, src, 0o2775, fsGroup)
			} else if m.SubPath != "" {
				c.t.Fatalf("pod %s container %s: subPath on %s is not emulated", pod, ctr.Name, m.Name)
			}
			if src == "" {
				c.t.Fatalf("pod %s container %s mounts %s, which is not a volume", pod, ctr.Name, m.Name)
			}
			opt := src + ":" + m.MountPath
			if m.ReadOnly {
				opt += ":ro"
			}
			args = append(args, "-v", opt)
		}
		c.start(c.name(pod, ctr.Name), append(args, ctr.Image)...)
	}
}

// start runs `docker run -d ...` and removes the container when the test
// ends, printing its log's tail if the test failed.
func (c *cluster) start(name string, args ...string) {
	c.t.Helper()
	c.docker(args...)
	c.t.Cleanup(func() {
		if c.t.Failed() {
			out, _ := c.dockerErr("logs", name)
			c.t.Logf("%s:\n%s", name, tail(out))
		}
		c.dockerErr("rm", "-f", "-v", name)
	})
}

func mkdir(t *testing.T, dir string, mode os.FileMode, group string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, mode); err != nil {
		t.Fatal(err)
	}
	chgrp(t, dir, group)
}

func chgrp(t *testing.T, path, group string) {
	t.Helper()
	if group == "" {
		return
	}
	g, err := strconv.Atoi(group)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, 0, g); err != nil {
		t.Fatal(err)
	}
}
