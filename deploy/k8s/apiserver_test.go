//go:build k8s

// The rendered manifests on a real control plane (`make test-k8s`): etcd
// from Debian's etcd-server, and kube-apiserver, kube-scheduler and
// kube-controller-manager built from k8s.io/kubernetes (deploy/k8s/tools),
// with kwok standing in for the kubelets of three fake nodes. The API server
// admits the objects (schema, defaulting, validation, Pod Security
// admission enforcing the restricted profile on every pod the controllers
// create); the controllers and the scheduler reconcile them. No container
// runs: kwok reports the pods Running and Ready.

package k8s_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
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

	"github.com/appstack/appstack/internal/freeport"
	"github.com/appstack/appstack/internal/k8sschema"
)

// TestSchemasAreGenerated: the committed schemas are what cmd/k8s-schemas
// makes from the OpenAPI document of the Kubernetes version tools/go.mod
// names, for exactly the kinds the manifests use.
func TestSchemasAreGenerated(t *testing.T) {
	var kinds []k8sschema.Kind
	seen := map[k8sschema.Kind]bool{}
	for _, o := range objects(t) {
		k := k8sschema.Kind{APIVersion: o.APIVersion, Kind: o.Kind}
		if !seen[k] {
			seen[k] = true
			kinds = append(kinds, k)
		}
	}
	dir := moduleDir(t, "k8s.io/kubernetes")
	doc, err := os.ReadFile(filepath.Join(dir, "api", "openapi-spec", "swagger.json"))
	if err != nil {
		t.Fatal(err)
	}
	files, err := k8sschema.Generate(doc, kinds)
	if err != nil {
		t.Fatal(err)
	}
	committed, err := filepath.Glob(filepath.Join("schemas", kubernetesVersion(t), "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range committed {
		names = append(names, filepath.Base(f))
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if want, ok := files[filepath.Base(f)]; ok && !bytes.Equal(b, want) {
			t.Errorf("%s differs from what make k8s-schemas generates", f)
		}
	}
	var want []string
	for name := range files {
		want = append(want, name)
	}
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Errorf("committed schemas %v, want exactly %v (make k8s-schemas)", names, want)
	}
}

// moduleDir downloads (or finds in the module cache) a module that
// tools/go.mod requires and returns its folder.
func moduleDir(t testing.TB, path string) string {
	t.Helper()
	cmd := exec.Command("go", "mod", "download", "-json", path)
	cmd.Dir = "tools"
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go mod download %s: %v", path, err)
	}
	var m struct{ Dir string }
	if err := json.Unmarshal(out, &m); err != nil || m.Dir == "" {
		t.Fatalf("go mod download %s: %v %s", path, err, out)
	}
	return m.Dir
}

func TestOnAPIServer(t *testing.T) {
	bins := os.Getenv("K8S_BIN")
	kwok := os.Getenv("KWOK")
	stages := os.Getenv("KWOK_STAGES")
	if bins == "" || kwok == "" || stages == "" {
		t.Fatal("K8S_BIN, KWOK and KWOK_STAGES are not set: run `make test-k8s`")
	}
	etcd, err := exec.LookPath("etcd")
	if err != nil {
		t.Fatal("etcd is missing: apt-get install etcd-server")
	}
	dir := t.TempDir()
	start := time.Now()
	p := newPKI(t, dir)

	// etcd, then the API server on it.
	etcdPort, peerPort := freeport.Get(t), freeport.Get(t)
	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", etcdPort)
	startProcess(t, dir, "etcd", etcd, "--data-dir", filepath.Join(dir, "etcd"),
		"--listen-client-urls", etcdURL, "--advertise-client-urls", etcdURL,
		"--listen-peer-urls", fmt.Sprintf("http://127.0.0.1:%d", peerPort),
		"--initial-advertise-peer-urls", fmt.Sprintf("http://127.0.0.1:%d", peerPort),
		"--initial-cluster", fmt.Sprintf("default=http://127.0.0.1:%d", peerPort))
	apiPort := freeport.Get(t)
	startProcess(t, dir, "kube-apiserver", filepath.Join(bins, "kube-apiserver"),
		"--etcd-servers", etcdURL,
		"--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1", "--secure-port", strconv.Itoa(apiPort),
		"--tls-cert-file", p.serverCert, "--tls-private-key-file", p.serverKey, "--client-ca-file", p.caCert,
		"--service-account-issuer", "https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file", p.saPub, "--service-account-signing-key-file", p.saKey,
		"--service-cluster-ip-range", "10.96.0.0/16",
		"--authorization-mode", "RBAC", "--cert-dir", filepath.Join(dir, "certs"),
		// No endpoints for the kubernetes Service: its address would be
		// loopback, which Endpoints refuse, and no pod talks to the API.
		"--endpoint-reconciler-type", "none")
	server := fmt.Sprintf("https://127.0.0.1:%d", apiPort)
	kubeconfig := p.kubeconfig(t, dir, server)
	waitFor(t, 2*time.Minute, "the API server's /readyz", func() (bool, string) {
		return get(p.client(t), server+"/readyz")
	})
	t.Logf("API server ready %.1fs after start", time.Since(start).Seconds())
	k := kubectl{t: t, kubeconfig: kubeconfig}

	// The README's way: the namespace, the Secret from images/secrets.sh's
	// files, then a server-side apply of the kustomization.
	secrets := filepath.Join(dir, "secrets")
	if out, err := exec.Command("../../images/secrets.sh", secrets).CombinedOutput(); err != nil {
		t.Fatalf("images/secrets.sh: %v\n%s", err, out)
	}
	k.run("create", "namespace", "appstack")
	k.run("-n", "appstack", "create", "secret", "generic", "appstack", "--from-file="+secrets)
	out, stderr := k.runErr("apply", "--server-side", "--field-manager=appstack", "-k", ".")
	t.Logf("kubectl apply --server-side -k deploy/k8s:\n%s", out)
	if strings.Contains(stderr, "Warning") {
		t.Errorf("the API server warned on apply (Pod Security?):\n%s", stderr)
	}
	for _, o := range objects(t) {
		resource := strings.ToLower(o.Kind)
		if group, _, ok := strings.Cut(o.APIVersion, "/"); ok {
			resource += "." + group
		}
		if line := resource + "/" + o.Metadata.Name + " serverside-applied"; !strings.Contains(out, line+"\n") {
			t.Errorf("apply printed no line %q", line)
		}
	}

	// Controllers, scheduler and kwok, then three fake nodes and a volume
	// for each Redis claim.
	started := time.Now()
	startProcess(t, dir, "kube-controller-manager", filepath.Join(bins, "kube-controller-manager"),
		"--kubeconfig", kubeconfig, "--leader-elect=false", "--secure-port=0", "--use-service-account-credentials=false",
		"--service-account-private-key-file", p.saKey, "--root-ca-file", p.caCert)
	startProcess(t, dir, "kube-scheduler", filepath.Join(bins, "kube-scheduler"),
		"--kubeconfig", kubeconfig, "--leader-elect=false", "--secure-port=0")
	kwokArgs := []string{"--kubeconfig", kubeconfig,
		"--manage-nodes-with-annotation-selector", "kwok.x-k8s.io/node=fake",
		"--server-address", fmt.Sprintf("127.0.0.1:%d", freeport.Get(t)),
		"--node-lease-duration-seconds", "40"}
	for _, s := range []string{"node/fast/node-initialize.yaml", "node/heartbeat-with-lease/node-heartbeat-with-lease.yaml",
		"pod/fast/pod-ready.yaml", "pod/fast/pod-complete.yaml", "pod/fast/pod-delete.yaml"} {
		kwokArgs = append(kwokArgs, "--config", filepath.Join(stages, s))
	}
	startProcess(t, dir, "kwok", kwok, kwokArgs...)
	var fixtures strings.Builder
	for i := range 3 {
		fmt.Fprintf(&fixtures, `{"apiVersion":"v1","kind":"Node","metadata":{"name":"kwok-node-%d",
  "annotations":{"kwok.x-k8s.io/node":"fake","node.alpha.kubernetes.io/ttl":"0"},
  "labels":{"kubernetes.io/hostname":"kwok-node-%d","kubernetes.io/os":"linux","kubernetes.io/arch":"amd64","type":"kwok"}},
 "status":{"allocatable":{"cpu":"4","memory":"8Gi","pods":"110"},"capacity":{"cpu":"4","memory":"8Gi","pods":"110"}}}
{"apiVersion":"v1","kind":"PersistentVolume","metadata":{"name":"appstack-pv-%d"},
 "spec":{"capacity":{"storage":"1Gi"},"accessModes":["ReadWriteOnce"],"storageClassName":"",
  "persistentVolumeReclaimPolicy":"Retain","hostPath":{"path":"/var/lib/appstack-pv-%d"}}}
`, i, i, i, i)
	}
	k.runStdin(fixtures.String(), "create", "-f", "-")

	// Pod Security admission enforces the restricted profile in the
	// namespace: a pod with webapp's template is admitted, a bare one is not
	// (once the controller manager made the namespace's service account).
	waitFor(t, time.Minute, "the service account appstack/default", func() (bool, string) {
		out, err := k.tryStdin("", "-n", "appstack", "get", "serviceaccount", "default")
		return err == nil, out
	})
	for _, o := range objects(t) {
		if o.Kind != "Deployment" {
			continue
		}
		var d struct {
			Spec struct {
				Template struct {
					Spec map[string]any `yaml:"spec"`
				} `yaml:"template"`
			} `yaml:"spec"`
		}
		o.decode(t, &d)
		pod, err := json.Marshal(map[string]any{"apiVersion": "v1", "kind": "Pod",
			"metadata": map[string]any{"name": "psa-check", "namespace": "appstack"}, "spec": d.Spec.Template.Spec})
		if err != nil {
			t.Fatal(err)
		}
		if out, err := k.tryStdin(string(pod), "create", "--dry-run=server", "-f", "-"); err != nil {
			t.Errorf("a pod with %s's template was refused: %v\n%s", o, err, out)
		}
	}
	bare := `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"psa-check","namespace":"appstack"},
		"spec":{"containers":[{"name":"c","image":"appstack/webapp"}]}}`
	if out, err := k.tryStdin(bare, "create", "--dry-run=server", "-f", "-"); err == nil || !strings.Contains(out, `violates PodSecurity "restricted`) {
		t.Errorf("a pod without the hardening: %v\n%s\nwant it refused by PodSecurity restricted", err, out)
	} else {
		t.Logf("a bare pod is refused: %s", strings.TrimSpace(out))
	}

	// Everything reconciles: every pod scheduled on a node and reported
	// Running and Ready, every claim bound.
	waitFor(t, 3*time.Minute, "redis 3/3 ready and webapp 3/3 available", func() (bool, string) {
		var sts, dep status
		k.getJSON(&sts, "-n", "appstack", "get", "statefulset", "redis")
		k.getJSON(&dep, "-n", "appstack", "get", "deployment", "webapp")
		s := fmt.Sprintf("redis ready %d, webapp available %d", sts.Status.ReadyReplicas, dep.Status.AvailableReplicas)
		return sts.Status.ReadyReplicas == 3 && dep.Status.AvailableReplicas == 3, s
	})
	t.Logf("all 6 pods Running and Ready %.1fs after the controllers started", time.Since(started).Seconds())
	pods := k.pods()
	t.Logf("pods:\n%s", k.run("-n", "appstack", "get", "pods", "-o", "wide"))
	redisNodes := map[string]bool{}
	for _, pod := range pods {
		if pod.Status.Phase != "Running" || !strings.HasPrefix(pod.Spec.NodeName, "kwok-node-") {
			t.Errorf("pod %s: phase %s on node %q, want Running on a kwok node", pod.Metadata.Name, pod.Status.Phase, pod.Spec.NodeName)
		}
		if strings.HasPrefix(pod.Metadata.Name, "redis-") {
			redisNodes[pod.Spec.NodeName] = true
		}
	}
	if len(pods) != 6 || len(redisNodes) != 3 {
		t.Errorf("%d pods, the redis pods on %d nodes; want 6 pods, the 3 redis pods on 3 different nodes", len(pods), len(redisNodes))
	}
	var pvcs struct {
		Items []struct {
			Status struct{ Phase string } `json:"status"`
		} `json:"items"`
	}
	k.getJSON(&pvcs, "-n", "appstack", "get", "pvc")
	if len(pvcs.Items) != 3 {
		t.Errorf("%d claims, want 3 (one per Redis pod)", len(pvcs.Items))
	}
	for _, c := range pvcs.Items {
		if c.Status.Phase != "Bound" {
			t.Errorf("a Redis claim is %s, want Bound", c.Status.Phase)
		}
	}

	// The PodDisruptionBudgets hold: one Redis pod may be evicted, not two.
	waitFor(t, time.Minute, "both PDBs allowing 1 disruption", func() (bool, string) {
		var list struct {
			Items []struct {
				Metadata struct{ Name string } `json:"metadata"`
				Status   struct {
					DisruptionsAllowed int `json:"disruptionsAllowed"`
				} `json:"status"`
			} `json:"items"`
		}
		k.getJSON(&list, "-n", "appstack", "get", "pdb")
		ok := len(list.Items) == 2
		var s []string
		for _, p := range list.Items {
			ok = ok && p.Status.DisruptionsAllowed == 1
			s = append(s, fmt.Sprintf("%s allows %d", p.Metadata.Name, p.Status.DisruptionsAllowed))
		}
		return ok, strings.Join(s, ", ")
	})
	evict := func(pod string) (string, error) {
		body := fmt.Sprintf(`{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":%q,"namespace":"appstack"}}`, pod)
		return k.tryStdin(body, "create", "--raw", "/api/v1/namespaces/appstack/pods/"+pod+"/eviction", "-f", "-")
	}
	if out, err := evict("redis-0"); err != nil {
		t.Fatalf("evict redis-0: %v\n%s", err, out)
	}
	if out, err := evict("redis-1"); err == nil || !strings.Contains(out, "disruption budget") {
		t.Errorf("evict redis-1 right after redis-0: %v\n%s\nwant a refusal citing the disruption budget", err, out)
	} else {
		t.Logf("second eviction refused: %s", strings.TrimSpace(out))
	}
	waitFor(t, 2*time.Minute, "redis-0 recreated, 3/3 ready", func() (bool, string) {
		var sts status
		k.getJSON(&sts, "-n", "appstack", "get", "statefulset", "redis")
		return sts.Status.ReadyReplicas == 3, fmt.Sprintf("redis ready %d", sts.Status.ReadyReplicas)
	})

	// A rolling update of webapp never lowers the available replicas: every
	// status the controller writes during the rollout is watched.
	var before status
	k.getJSON(&before, "-n", "appstack", "get", "deployment", "webapp")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	watch := exec.CommandContext(ctx, "kubectl", "--kubeconfig", kubeconfig, "-n", "appstack",
		"get", "deployment", "webapp", "--watch", "-o", "json")
	watchOut, err := watch.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := watch.Start(); err != nil {
		t.Fatal(err)
	}
	var (
		mu        sync.Mutex
		minAvail  = 3
		updates   int
		completed = make(chan struct{})
	)
	go func() {
		dec := json.NewDecoder(bufio.NewReader(watchOut))
		done := false
		for {
			var d status
			if err := dec.Decode(&d); err != nil {
				return
			}
			mu.Lock()
			updates++
			minAvail = min(minAvail, d.Status.AvailableReplicas)
			if !done && d.Metadata.Generation > before.Metadata.Generation && d.Status.ObservedGeneration == d.Metadata.Generation &&
				d.Status.UpdatedReplicas == 3 && d.Status.AvailableReplicas == 3 && d.Status.Replicas == 3 {
				done = true
				close(completed)
			}
			mu.Unlock()
		}
	}()
	rolled := time.Now()
	k.run("-n", "appstack", "set", "image", "deployment/webapp", "webapp=appstack/webapp:rollout")
	select {
	case <-completed:
	case <-time.After(3 * time.Minute):
		t.Fatalf("the rollout did not complete in 3 min:\n%s", k.run("-n", "appstack", "get", "deploy,rs,pods", "-o", "wide"))
	}
	cancel()
	_ = watch.Wait()
	mu.Lock()
	t.Logf("rolling update of webapp: done in %.1fs, %d status updates watched, available replicas never below %d",
		time.Since(rolled).Seconds(), updates, minAvail)
	if minAvail < 3 {
		t.Errorf("available replicas fell to %d during the rollout, want never below 3 (maxUnavailable 0)", minAvail)
	}
	mu.Unlock()
	waitFor(t, time.Minute, "the old webapp pods gone", func() (bool, string) {
		for _, pod := range k.pods() {
			if strings.HasPrefix(pod.Metadata.Name, "webapp-") && pod.Spec.Containers[0].Image != "appstack/webapp:rollout" {
				return false, pod.Metadata.Name + " runs " + pod.Spec.Containers[0].Image
			}
		}
		return true, ""
	})
	t.Logf("test-k8s took %.1fs", time.Since(start).Seconds())
}

type status struct {
	Metadata struct {
		Generation int64 `json:"generation"`
	} `json:"metadata"`
	Status struct {
		ObservedGeneration int64 `json:"observedGeneration"`
		Replicas           int   `json:"replicas"`
		ReadyReplicas      int   `json:"readyReplicas"`
		UpdatedReplicas    int   `json:"updatedReplicas"`
		AvailableReplicas  int   `json:"availableReplicas"`
	} `json:"status"`
}

type pod struct {
	Metadata struct{ Name string } `json:"metadata"`
	Spec     struct {
		NodeName   string `json:"nodeName"`
		Containers []struct {
			Image string `json:"image"`
		} `json:"containers"`
	} `json:"spec"`
	Status struct{ Phase string } `json:"status"`
}

// kubectl runs the installed kubectl against the test's API server.
type kubectl struct {
	t          testing.TB
	kubeconfig string
}

func (k kubectl) command(stdin string, args ...string) *exec.Cmd {
	cmd := exec.Command("kubectl", append([]string{"--kubeconfig", k.kubeconfig}, args...)...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	return cmd
}

func (k kubectl) runErr(args ...string) (stdout, stderr string) {
	k.t.Helper()
	var o, e bytes.Buffer
	cmd := k.command("", args...)
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Run(); err != nil {
		k.t.Fatalf("kubectl %s: %v\n%s%s", strings.Join(args, " "), err, o.String(), e.String())
	}
	return o.String(), e.String()
}

func (k kubectl) run(args ...string) string {
	k.t.Helper()
	out, _ := k.runErr(args...)
	return out
}

func (k kubectl) tryStdin(stdin string, args ...string) (string, error) {
	out, err := k.command(stdin, args...).CombinedOutput()
	return string(out), err
}

func (k kubectl) runStdin(stdin string, args ...string) {
	k.t.Helper()
	if out, err := k.tryStdin(stdin, args...); err != nil {
		k.t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func (k kubectl) getJSON(v any, args ...string) {
	k.t.Helper()
	if err := json.Unmarshal([]byte(k.run(append(args, "-o", "json")...)), v); err != nil {
		k.t.Fatalf("kubectl %s: %v", strings.Join(args, " "), err)
	}
}

func (k kubectl) pods() []pod {
	k.t.Helper()
	var list struct{ Items []pod }
	k.getJSON(&list, "-n", "appstack", "get", "pods")
	return list.Items
}

// startProcess starts a server with its output in DIR/NAME.log, and stops it
// (by its PID) when the test ends; the log's tail is printed if it failed.
func startProcess(t *testing.T, dir, name, bin string, args ...string) {
	t.Helper()
	log, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		log.Close()
		if t.Failed() {
			b, _ := os.ReadFile(log.Name())
			t.Logf("last lines of %s:\n%s", name, tail(string(b)))
		}
	})
}

// pki is a CA, the API server's certificate, an admin client certificate
// (group system:masters) and the service-account signing key, as files.
type pki struct {
	caCert, serverCert, serverKey, adminCert, adminKey, saKey, saPub string
}

func newPKI(t *testing.T, dir string) *pki {
	t.Helper()
	p := &pki{}
	write := func(name string, blocks ...*pem.Block) string {
		var b bytes.Buffer
		for _, bl := range blocks {
			_ = pem.Encode(&b, bl)
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	key := func() (*ecdsa.PrivateKey, *pem.Block) {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		der, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return k, &pem.Block{Type: "EC PRIVATE KEY", Bytes: der}
	}
	caKey, _ := key()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "appstack-test-ca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	p.caCert = write("ca.crt", &pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	caParsed, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	issue := func(name string, serial int64, subject pkix.Name, usage x509.ExtKeyUsage, ips []net.IP, dns []string) (string, string) {
		k, kPEM := key()
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: subject,
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage}, IPAddresses: ips, DNSNames: dns}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caParsed, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return write(name+".crt", &pem.Block{Type: "CERTIFICATE", Bytes: der}), write(name+".key", kPEM)
	}
	p.serverCert, p.serverKey = issue("apiserver", 2, pkix.Name{CommonName: "kube-apiserver"}, x509.ExtKeyUsageServerAuth,
		[]net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("10.96.0.1")}, []string{"localhost", "kubernetes", "kubernetes.default.svc"})
	p.adminCert, p.adminKey = issue("admin", 3, pkix.Name{CommonName: "appstack-admin", Organization: []string{"system:masters"}},
		x509.ExtKeyUsageClientAuth, nil, nil)
	saKey, saPEM := key()
	p.saKey = write("sa.key", saPEM)
	pub, err := x509.MarshalPKIXPublicKey(&saKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	p.saPub = write("sa.pub", &pem.Block{Type: "PUBLIC KEY", Bytes: pub})
	return p
}

func (p *pki) client(t *testing.T) *http.Client {
	t.Helper()
	cert, err := tls.LoadX509KeyPair(p.adminCert, p.adminKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := os.ReadFile(p.caCert)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}}}}
}

func (p *pki) kubeconfig(t *testing.T, dir, server string) string {
	t.Helper()
	cfg := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: test
  cluster: {server: %q, certificate-authority: %q}
users:
- name: admin
  user: {client-certificate: %q, client-key: %q}
contexts:
- name: test
  context: {cluster: test, user: admin}
current-context: test
`, server, p.caCert, p.adminCert, p.adminKey)
	path := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
