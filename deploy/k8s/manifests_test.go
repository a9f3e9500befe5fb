package k8s_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The manifests as `kubectl kustomize deploy/k8s` renders them, parsed: what
// a user applies is what is checked.

type meta struct {
	Name      string            `yaml:"name"`
	Namespace string            `yaml:"namespace"`
	Labels    map[string]string `yaml:"labels"`
}

type object struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   meta   `yaml:"metadata"`
	raw        *yaml.Node
}

type selector struct {
	MatchLabels      map[string]string `yaml:"matchLabels"`
	MatchExpressions []any             `yaml:"matchExpressions"`
}

// workload is a Deployment or a StatefulSet.
type workload struct {
	Spec struct {
		Replicas             int      `yaml:"replicas"`
		Selector             selector `yaml:"selector"`
		ServiceName          string   `yaml:"serviceName"`
		Template             template `yaml:"template"`
		VolumeClaimTemplates []struct {
			Metadata meta `yaml:"metadata"`
		} `yaml:"volumeClaimTemplates"`
		Strategy struct {
			RollingUpdate map[string]any `yaml:"rollingUpdate"`
		} `yaml:"strategy"`
	} `yaml:"spec"`
}

type template struct {
	Metadata meta    `yaml:"metadata"`
	Spec     podSpec `yaml:"spec"`
}

type podSpec struct {
	AutomountServiceAccountToken *bool            `yaml:"automountServiceAccountToken"`
	EnableServiceLinks           *bool            `yaml:"enableServiceLinks"`
	HostNetwork                  bool             `yaml:"hostNetwork"`
	HostPID                      bool             `yaml:"hostPID"`
	HostIPC                      bool             `yaml:"hostIPC"`
	SecurityContext              securityContext  `yaml:"securityContext"`
	InitContainers               []container      `yaml:"initContainers"`
	Containers                   []container      `yaml:"containers"`
	Volumes                      []map[string]any `yaml:"volumes"`
}

type securityContext struct {
	RunAsNonRoot             *bool  `yaml:"runAsNonRoot"`
	RunAsUser                *int64 `yaml:"runAsUser"`
	RunAsGroup               *int64 `yaml:"runAsGroup"`
	FSGroup                  *int64 `yaml:"fsGroup"`
	AllowPrivilegeEscalation *bool  `yaml:"allowPrivilegeEscalation"`
	ReadOnlyRootFilesystem   *bool  `yaml:"readOnlyRootFilesystem"`
	Privileged               *bool  `yaml:"privileged"`
	Capabilities             struct {
		Add  []string `yaml:"add"`
		Drop []string `yaml:"drop"`
	} `yaml:"capabilities"`
	SeccompProfile struct {
		Type string `yaml:"type"`
	} `yaml:"seccompProfile"`
}

type container struct {
	Name            string          `yaml:"name"`
	Image           string          `yaml:"image"`
	ImagePullPolicy string          `yaml:"imagePullPolicy"`
	RestartPolicy   string          `yaml:"restartPolicy"`
	SecurityContext securityContext `yaml:"securityContext"`
	Resources       struct {
		Requests map[string]string `yaml:"requests"`
		Limits   map[string]string `yaml:"limits"`
	} `yaml:"resources"`
	Env []struct {
		Name      string `yaml:"name"`
		Value     string `yaml:"value"`
		ValueFrom *struct {
			FieldRef struct {
				FieldPath string `yaml:"fieldPath"`
			} `yaml:"fieldRef"`
		} `yaml:"valueFrom"`
	} `yaml:"env"`
	EnvFrom []struct {
		ConfigMapRef struct {
			Name string `yaml:"name"`
		} `yaml:"configMapRef"`
	} `yaml:"envFrom"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
		HostPort      int    `yaml:"hostPort"`
	} `yaml:"ports"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
		ReadOnly  bool   `yaml:"readOnly"`
		SubPath   string `yaml:"subPath"`
	} `yaml:"volumeMounts"`
	LivenessProbe  *probe `yaml:"livenessProbe"`
	ReadinessProbe *probe `yaml:"readinessProbe"`
}

type probe struct {
	HTTPGet *struct {
		Path string `yaml:"path"`
		Port any    `yaml:"port"`
	} `yaml:"httpGet"`
	Exec *struct {
		Command []string `yaml:"command"`
	} `yaml:"exec"`
	TCPSocket *struct {
		Port any `yaml:"port"`
	} `yaml:"tcpSocket"`
}

var (
	renderOnce sync.Once
	rendered   []byte
	renderErr  error
)

// render runs `kubectl kustomize` on this folder, once per test binary.
func render(t testing.TB) []byte {
	t.Helper()
	renderOnce.Do(func() {
		kubectl, err := exec.LookPath("kubectl")
		if err != nil {
			renderErr = fmt.Errorf("kubectl (with its built-in kustomize) is needed to render deploy/k8s: %w", err)
			return
		}
		var stderr bytes.Buffer
		cmd := exec.Command(kubectl, "kustomize", ".")
		cmd.Stderr = &stderr
		rendered, err = cmd.Output()
		if err != nil {
			renderErr = fmt.Errorf("kubectl kustomize deploy/k8s: %w: %s", err, stderr.Bytes())
		}
	})
	if renderErr != nil {
		t.Fatal(renderErr)
	}
	return rendered
}

// objects parses the rendered documents.
func objects(t testing.TB) []object {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(render(t)))
	var out []object
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("rendered manifests: %v", err)
		}
		var o object
		if err := n.Decode(&o); err != nil {
			t.Fatalf("rendered manifests: %v", err)
		}
		o.raw = &n
		out = append(out, o)
	}
	if len(out) == 0 {
		t.Fatal("kubectl kustomize rendered no object")
	}
	return out
}

func (o object) decode(t testing.TB, v any) {
	t.Helper()
	if err := o.raw.Decode(v); err != nil {
		t.Fatalf("%s %s: %v", o.Kind, o.Metadata.Name, err)
	}
}

func (o object) String() string { return o.Kind + "/" + o.Metadata.Name }

func find(t testing.TB, objs []object, kind, name string) object {
	t.Helper()
	for _, o := range objs {
		if o.Kind == kind && o.Metadata.Name == name {
			return o
		}
	}
	t.Fatalf("the rendered manifests have no %s %s", kind, name)
	return object{}
}

func workloads(t testing.TB, objs []object) map[string]workload {
	t.Helper()
	out := map[string]workload{}
	for _, o := range objs {
		if o.Kind == "Deployment" || o.Kind == "StatefulSet" {
			var w workload
			o.decode(t, &w)
			out[o.String()] = w
		}
	}
	if len(out) != 2 {
		t.Fatalf("workloads = %v, want the webapp Deployment and the redis StatefulSet", slices.Sorted(maps.Keys(out)))
	}
	return out
}

// kubeconform validates manifests with -strict against the schemas kept in
// schemas/<the Kubernetes version deploy/k8s/tools builds>.
func kubeconform(t testing.TB, manifests []byte) (string, error) {
	t.Helper()
	bin := os.Getenv("KUBECONFORM")
	if bin == "" {
		t.Fatal("KUBECONFORM is not set: run `make test-unit` (it builds kubeconform into .build/ and sets it)")
	}
	f := filepath.Join(t.TempDir(), "manifests.yaml")
	if err := os.WriteFile(f, manifests, 0o644); err != nil {
		t.Fatal(err)
	}
	schemas, err := filepath.Abs(filepath.Join("schemas", kubernetesVersion(t)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(schemas, "deployment-apps-v1.json")); err != nil {
		t.Fatalf("no schemas for this Kubernetes version (make k8s-schemas writes them): %v", err)
	}
	cmd := exec.Command(bin, "-strict", "-summary", "-verbose",
		"-schema-location", schemas+"/{{ .ResourceKind }}{{ .KindSuffix }}.json", f)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// kubernetesVersion is the k8s.io/kubernetes version tools/go.mod requires:
// the schemas and the API server of `make test-k8s` come from it.
func kubernetesVersion(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("tools", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^(?:require)?\s+k8s\.io/kubernetes (v\S+)`).FindSubmatch(b)
	if m == nil {
		t.Fatal("tools/go.mod requires no k8s.io/kubernetes version")
	}
	return string(m[1])
}

func TestManifestsAreValid(t *testing.T) {
	objs := objects(t)
	out, err := kubeconform(t, render(t))
	if err != nil {
		t.Fatalf("kubeconform -strict: %v\n%s", err, out)
	}
	want := fmt.Sprintf("%d resources found in 1 file - Valid: %d, Invalid: 0, Errors: 0, Skipped: 0", len(objs), len(objs))
	if !strings.Contains(out, want) {
		t.Fatalf("kubeconform -strict printed\n%s\nwant a summary %q", out, want)
	}
}

// TestValidationRejects proves the validation can fail: each edit of the
// rendered manifests must make kubeconform -strict reject them.
func TestValidationRejects(t *testing.T) {
	tests := []struct {
		name, old, new, want string
	}{
		{"a number written as a string", "\n  replicas: 3\n", "\n  replicas: \"3\"\n", "at '/spec/replicas': got string, want integer"},
		{"a port name where a number belongs", "- containerPort: 3000\n", "- containerPort: http\n", "got string, want integer"},
		{"a list where a number or string belongs", "      maxSurge: 1\n", "      maxSurge: [1]\n", "/spec/strategy/rollingUpdate/maxSurge"},
		{"an unknown field in a container", "        imagePullPolicy: IfNotPresent\n", "        imagePullPolcy: IfNotPresent\n", "additional properties 'imagePullPolcy' not allowed"},
		{"an unknown field in a spec", "  serviceName: redis\n", "  serviceNam: redis\n", "additional properties 'serviceNam' not allowed"},
		{"an unknown field in the security context", "          readOnlyRootFilesystem: true\n", "          readOnlyRootFileSystem: true\n", "additional properties 'readOnlyRootFileSystem' not allowed"},
		{"an unknown top-level field", "kind: PodDisruptionBudget\n", "kind: PodDisruptionBudget\nstatus2: {}\n", "additional properties 'status2' not allowed"},
		{"a missing required field", "        name: webapp\n        ports:\n", "        ports:\n", "missing property 'name'"},
		{"a duplicated key", "\n  replicas: 3\n", "\n  replicas: 3\n  replicas: 4\n", "already"},
		{"a kind that does not exist", "kind: NetworkPolicy\n", "kind: NetworkPolicie\n", "could not find schema for NetworkPolicie"},
	}
	base := string(render(t))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(base, tt.old) {
				t.Fatalf("the rendered manifests no longer contain %q: update this case", tt.old)
			}
			bad := strings.Replace(base, tt.old, tt.new, 1)
			out, err := kubeconform(t, []byte(bad))
			if err == nil {
				t.Fatalf("kubeconform -strict accepted the manifests with %q → %q:\n%s", tt.old, tt.new, out)
			}
			if !strings.Contains(out, tt.want) {
				t.Fatalf("kubeconform -strict rejected them, but printed\n%s\nwant %q in it", out, tt.want)
			}
		})
	}
}

// TestRestrictedPodSecurity checks every container of every pod template
// against what the restricted Pod Security profile and our hardening promise.
func TestRestrictedPodSecurity(t *testing.T) {
	objs := objects(t)
	ns := find(t, objs, "Namespace", "appstack")
	for _, mode := range []string{"enforce", "warn", "audit"} {
		if got := ns.Metadata.Labels["pod-security.kubernetes.io/"+mode]; got != "restricted" {
			t.Errorf("Namespace appstack: pod-security.kubernetes.io/%s = %q, want restricted", mode, got)
		}
	}
	allowedVolumes := []string{"emptyDir", "secret", "configMap", "persistentVolumeClaim", "projected", "downwardAPI", "ephemeral", "csi"}
	for name, w := range workloads(t, objs) {
		pod := w.Spec.Template.Spec
		psc := pod.SecurityContext
		if psc.SeccompProfile.Type != "RuntimeDefault" {
			t.Errorf("%s: pod seccompProfile = %q, want RuntimeDefault", name, psc.SeccompProfile.Type)
		}
		if pod.HostNetwork || pod.HostPID || pod.HostIPC {
			t.Errorf("%s: uses the host's network, PID or IPC namespace", name)
		}
		if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
			t.Errorf("%s: automountServiceAccountToken is not false: no container talks to the API server", name)
		}
		if pod.EnableServiceLinks == nil || *pod.EnableServiceLinks {
			t.Errorf("%s: enableServiceLinks is not false (a Service named redis would set REDIS_PORT=tcp://...)", name)
		}
		for _, v := range pod.Volumes {
			for key := range v {
				if key != "name" && !slices.Contains(allowedVolumes, key) {
					t.Errorf("%s: volume %v is of type %s, which the restricted profile forbids", name, v["name"], key)
				}
			}
		}
		for _, c := range slices.Concat(pod.InitContainers, pod.Containers) {
			where := name + " container " + c.Name
			sc := c.SecurityContext
			if !isTrue(sc.RunAsNonRoot) && !isTrue(psc.RunAsNonRoot) {
				t.Errorf("%s: runAsNonRoot is not true", where)
			}
			uid := psc.RunAsUser
			if sc.RunAsUser != nil {
				uid = sc.RunAsUser
			}
			if uid == nil || *uid == 0 {
				t.Errorf("%s: runs as uid %v, want a numeric non-root uid (the images' users)", where, uid)
			}
			if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
				t.Errorf("%s: allowPrivilegeEscalation is not false", where)
			}
			if !isTrue(sc.ReadOnlyRootFilesystem) {
				t.Errorf("%s: readOnlyRootFilesystem is not true", where)
			}
			if isTrue(sc.Privileged) {
				t.Errorf("%s: privileged", where)
			}
			if !slices.Equal(sc.Capabilities.Drop, []string{"ALL"}) || len(sc.Capabilities.Add) > 0 {
				t.Errorf("%s: capabilities drop %v add %v, want drop [ALL] and nothing added", where, sc.Capabilities.Drop, sc.Capabilities.Add)
			}
			if sc.SeccompProfile.Type != "" && sc.SeccompProfile.Type != "RuntimeDefault" {
				t.Errorf("%s: seccompProfile %q overrides the pod's RuntimeDefault", where, sc.SeccompProfile.Type)
			}
			for _, r := range []string{"cpu", "memory"} {
				if c.Resources.Requests[r] == "" || c.Resources.Limits[r] == "" {
					t.Errorf("%s: %s request %q, limit %q; want both", where, r, c.Resources.Requests[r], c.Resources.Limits[r])
				}
			}
			for _, p := range c.Ports {
				if p.HostPort != 0 {
					t.Errorf("%s: hostPort %d", where, p.HostPort)
				}
			}
			if !regexp.MustCompile(`^appstack/(redis-primary|redis-sentinel|webapp|logship):`).MatchString(c.Image) {
				t.Errorf("%s: image %q, want one of the project's (appstack/...:tag, renamed by kustomize images:)", where, c.Image)
			}
			if c.ImagePullPolicy != "IfNotPresent" {
				t.Errorf("%s: imagePullPolicy %q, want IfNotPresent", where, c.ImagePullPolicy)
			}
			if c.LivenessProbe == nil {
				t.Errorf("%s: no liveness probe", where)
			}
		}
	}
}

func isTrue(b *bool) bool { return b != nil && *b }

// TestRecommendedLabels: every object carries the app.kubernetes.io labels
// that say what it belongs to; workloads, their pods, Services, PDBs and
// claims also say what they are.
func TestRecommendedLabels(t *testing.T) {
	objs := objects(t)
	common := map[string]string{
		"app.kubernetes.io/instance":   "appstack",
		"app.kubernetes.io/part-of":    "appstack",
		"app.kubernetes.io/managed-by": "kustomize",
	}
	check := func(where string, labels map[string]string, full bool) {
		t.Helper()
		for k, v := range common {
			if labels[k] != v {
				t.Errorf("%s: label %s = %q, want %q", where, k, labels[k], v)
			}
		}
		if full {
			for _, k := range []string{"app.kubernetes.io/name", "app.kubernetes.io/component"} {
				if labels[k] == "" {
					t.Errorf("%s: no label %s", where, k)
				}
			}
		}
	}
	for _, o := range objs {
		switch o.Kind {
		case "Deployment", "StatefulSet", "Service", "PodDisruptionBudget":
			check(o.String(), o.Metadata.Labels, true)
		default:
			check(o.String(), o.Metadata.Labels, false)
		}
	}
	for name, w := range workloads(t, objs) {
		check(name+" pod template", w.Spec.Template.Metadata.Labels, true)
		for k, v := range w.Spec.Selector.MatchLabels {
			if w.Spec.Template.Metadata.Labels[k] != v {
				t.Errorf("%s: selector %s=%s does not match its pod template", name, k, v)
			}
		}
		for _, c := range w.Spec.VolumeClaimTemplates {
			check(name+" claim "+c.Metadata.Name, c.Metadata.Labels, true)
		}
	}
}

// TestWorkloadShape checks what the issue asks of each workload.
func TestWorkloadShape(t *testing.T) {
	objs := objects(t)
	ws := workloads(t, objs)

	web := ws["Deployment/webapp"]
	if web.Spec.Replicas != 3 {
		t.Errorf("webapp replicas = %d, want 3", web.Spec.Replicas)
	}
	if got := web.Spec.Strategy.RollingUpdate["maxUnavailable"]; got != 0 {
		t.Errorf("webapp rollingUpdate.maxUnavailable = %v, want 0 (a rollout never lowers capacity)", got)
	}
	wc := container1(t, web.Spec.Template.Spec, "webapp")
	if p := wc.LivenessProbe; p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/healthz" {
		t.Errorf("webapp liveness probe = %+v, want GET /healthz", p)
	}
	if p := wc.ReadinessProbe; p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/readyz" {
		t.Errorf("webapp readiness probe = %+v, want GET /readyz", p)
	}

	redis := ws["StatefulSet/redis"]
	if redis.Spec.Replicas != 3 {
		t.Errorf("redis replicas = %d, want 3 (a primary, two replicas, three Sentinels)", redis.Spec.Replicas)
	}
	svc := find(t, objs, "Service", redis.Spec.ServiceName)
	var headless struct {
		Spec struct {
			ClusterIP                string            `yaml:"clusterIP"`
			PublishNotReadyAddresses bool              `yaml:"publishNotReadyAddresses"`
			Selector                 map[string]string `yaml:"selector"`
		} `yaml:"spec"`
	}
	svc.decode(t, &headless)
	if headless.Spec.ClusterIP != "None" || !headless.Spec.PublishNotReadyAddresses {
		t.Errorf("Service %s: clusterIP %q, publishNotReadyAddresses %v; want a headless Service that names pods before they are ready",
			redis.Spec.ServiceName, headless.Spec.ClusterIP, headless.Spec.PublishNotReadyAddresses)
	}
	rc := container1(t, redis.Spec.Template.Spec, "redis")
	sc := container1(t, redis.Spec.Template.Spec, "sentinel")
	for _, c := range []container{rc, sc} {
		announce := env(c, "REDIS_ANNOUNCE_HOSTNAME")
		if announce != "$(POD_NAME)."+redis.Spec.ServiceName {
			t.Errorf("redis container %s announces %q, want $(POD_NAME).%s (its stable name)", c.Name, announce, redis.Spec.ServiceName)
		}
	}

	// Every workload's pods are covered by a PodDisruptionBudget that lets
	// at most one go at a time.
	for name, w := range ws {
		covered := false
		for _, o := range objs {
			if o.Kind != "PodDisruptionBudget" {
				continue
			}
			var pdb struct {
				Spec struct {
					MaxUnavailable any      `yaml:"maxUnavailable"`
					Selector       selector `yaml:"selector"`
				} `yaml:"spec"`
			}
			o.decode(t, &pdb)
			if matches(pdb.Spec.Selector.MatchLabels, w.Spec.Template.Metadata.Labels) {
				covered = true
				if pdb.Spec.MaxUnavailable != 1 {
					t.Errorf("%s: maxUnavailable = %v, want 1", o, pdb.Spec.MaxUnavailable)
				}
			}
		}
		if !covered {
			t.Errorf("%s: no PodDisruptionBudget selects its pods", name)
		}
	}

	// logship is a native sidecar (an init container that keeps running)
	// reading, read-only, the emptyDir its neighbour writes its log to.
	for name, w := range ws {
		pod := w.Spec.Template.Spec
		ls := initContainer(t, pod, "logship")
		if ls.RestartPolicy != "Always" {
			t.Errorf("%s: logship restartPolicy = %q, want Always (a native sidecar)", name, ls.RestartPolicy)
		}
		shared := false
		for _, m := range ls.VolumeMounts {
			if !emptyDir(pod, m.Name) || !strings.HasPrefix(m.MountPath, "/var/log/") {
				continue
			}
			if !m.ReadOnly {
				t.Errorf("%s: logship mounts %s read-write, want read-only", name, m.MountPath)
			}
			for _, c := range pod.Containers {
				for _, cm := range c.VolumeMounts {
					if cm.Name == m.Name && cm.MountPath == m.MountPath && !cm.ReadOnly {
						shared = true
					}
				}
			}
		}
		if !shared {
			t.Errorf("%s: logship shares no emptyDir log folder with a container that writes it", name)
		}
	}
}

func container1(t testing.TB, pod podSpec, name string) container {
	t.Helper()
	for _, c := range pod.Containers {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no container %s", name)
	return container{}
}

func initContainer(t testing.TB, pod podSpec, name string) container {
	t.Helper()
	for _, c := range pod.InitContainers {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no init container %s", name)
	return container{}
}

func env(c container, name string) string {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}

func emptyDir(pod podSpec, volume string) bool {
	for _, v := range pod.Volumes {
		if v["name"] == volume {
			_, ok := v["emptyDir"]
			return ok
		}
	}
	return false
}

// matches reports whether a matchLabels selector selects labels.
func matches(sel, labels map[string]string) bool {
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// TestSecretsStayOutOfTheRepository: no Secret is rendered, no secret value
// is written in an environment variable, and every key the pods mount is one
// that images/secrets.sh makes, so the documented
// `kubectl create secret generic appstack --from-file=DIR` provides them all.
func TestSecretsStayOutOfTheRepository(t *testing.T) {
	objs := objects(t)
	dir := t.TempDir()
	out, err := exec.Command("../../images/secrets.sh", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("images/secrets.sh: %v\n%s", err, out)
	}
	made, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range made {
		names = append(names, f.Name())
	}
	secretish := regexp.MustCompile(`(?i)password|secret|token|key`)
	used := 0
	for _, o := range objs {
		if o.Kind == "Secret" {
			t.Errorf("%s is rendered: secret values must not be in the repository", o)
		}
	}
	for name, w := range workloads(t, objs) {
		pod := w.Spec.Template.Spec
		for _, c := range slices.Concat(pod.InitContainers, pod.Containers) {
			for _, e := range c.Env {
				if secretish.MatchString(e.Name) && !strings.HasSuffix(e.Name, "_FILE") && !strings.HasSuffix(e.Name, "_USERNAME") {
					t.Errorf("%s container %s: variable %s carries a value; secrets reach containers as files", name, c.Name, e.Name)
				}
			}
		}
		for _, v := range pod.Volumes {
			s, ok := v["secret"].(map[string]any)
			if !ok {
				continue
			}
			if s["secretName"] != "appstack" {
				t.Errorf("%s volume %v: secret %v, want appstack (the one the README creates)", name, v["name"], s["secretName"])
			}
			items, _ := s["items"].([]any)
			if len(items) == 0 {
				t.Errorf("%s volume %v: mounts every key; list the ones its container uses", name, v["name"])
			}
			for _, it := range items {
				key, _ := it.(map[string]any)["key"].(string)
				used++
				if !slices.Contains(names, key) {
					t.Errorf("%s volume %v: key %q, which images/secrets.sh does not make (it makes %v)", name, v["name"], key, names)
				}
			}
		}
	}
	if used == 0 {
		t.Fatal("no pod mounts a secret: webapp and Redis need their passwords")
	}
}
