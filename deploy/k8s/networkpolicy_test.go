package k8s_test

import (
	"fmt"
	"testing"
)

// The NetworkPolicies, evaluated as the NetworkPolicy API defines them: a
// connection is allowed when the destination's ingress and the source's
// egress both allow it; a pod no policy of a direction selects is open in
// that direction, and the rules of the policies that select it add up.

type peer struct {
	PodSelector       *selector `yaml:"podSelector"`
	NamespaceSelector *selector `yaml:"namespaceSelector"`
	IPBlock           any       `yaml:"ipBlock"`
}

type port struct {
	Protocol string `yaml:"protocol"`
	Port     any    `yaml:"port"`
}

type rule struct {
	From  []peer `yaml:"from"`
	To    []peer `yaml:"to"`
	Ports []port `yaml:"ports"`
}

type networkPolicy struct {
	Spec struct {
		PodSelector selector `yaml:"podSelector"`
		PolicyTypes []string `yaml:"policyTypes"`
		Ingress     []rule   `yaml:"ingress"`
		Egress      []rule   `yaml:"egress"`
	} `yaml:"spec"`
}

// endpoint is one side of a connection: a pod of the stack (its template's
// labels), or something outside the namespace (nil labels).
type endpoint struct {
	name   string
	labels map[string]string
}

func (e endpoint) selectedBy(s selector) bool {
	return e.labels != nil && matches(s.MatchLabels, e.labels)
}

// allows reports whether rules let peer connect on protocol/port; rules is
// nil when no policy of that direction selects the pod.
func allows(rules []rule, selected bool, other endpoint, peers func(rule) []peer, protocol string, p int) bool {
	if !selected {
		return true
	}
	for _, r := range rules {
		portOK := len(r.Ports) == 0
		for _, rp := range r.Ports {
			proto := rp.Protocol
			if proto == "" {
				proto = "TCP"
			}
			if proto == protocol && (rp.Port == nil || rp.Port == p) {
				portOK = true
			}
		}
		peerOK := len(peers(r)) == 0
		for _, pe := range peers(r) {
			if pe.PodSelector != nil && pe.NamespaceSelector == nil && other.selectedBy(*pe.PodSelector) {
				peerOK = true
			}
		}
		if portOK && peerOK {
			return true
		}
	}
	return false
}

func TestNetworkPolicies(t *testing.T) {
	objs := objects(t)
	var policies []networkPolicy
	for _, o := range objs {
		if o.Kind != "NetworkPolicy" {
			continue
		}
		var np networkPolicy
		o.decode(t, &np)
		// What this evaluator does not model must not slip in unchecked.
		if len(np.Spec.PodSelector.MatchExpressions) > 0 {
			t.Fatalf("%s: matchExpressions: extend this test's evaluator", o)
		}
		for _, r := range append(np.Spec.Ingress, np.Spec.Egress...) {
			for _, pe := range append(r.From, r.To...) {
				if pe.NamespaceSelector != nil || pe.IPBlock != nil || (pe.PodSelector != nil && len(pe.PodSelector.MatchExpressions) > 0) {
					t.Fatalf("%s: a peer other than a podSelector with matchLabels: extend this test's evaluator", o)
				}
			}
		}
		policies = append(policies, np)
	}
	ws := workloads(t, objs)
	web := endpoint{"webapp", ws["Deployment/webapp"].Spec.Template.Metadata.Labels}
	redis := endpoint{"redis", ws["StatefulSet/redis"].Spec.Template.Metadata.Labels}
	outside := endpoint{name: "outside"}

	allowed := func(src, dst endpoint, protocol string, p int) bool {
		var in, out []rule
		inSel, outSel := false, false
		for _, np := range policies {
			for _, typ := range np.Spec.PolicyTypes {
				if typ == "Ingress" && dst.selectedBy(np.Spec.PodSelector) {
					inSel = true
					in = append(in, np.Spec.Ingress...)
				}
				if typ == "Egress" && src.selectedBy(np.Spec.PodSelector) {
					outSel = true
					out = append(out, np.Spec.Egress...)
				}
			}
		}
		// Outside the namespace no policy of ours applies.
		return allows(in, inSel && dst.labels != nil, src, func(r rule) []peer { return r.From }, protocol, p) &&
			allows(out, outSel && src.labels != nil, dst, func(r rule) []peer { return r.To }, protocol, p)
	}

	tests := []struct {
		src, dst endpoint
		protocol string
		port     int
		want     bool
	}{
		{outside, web, "TCP", 3000, true},
		{outside, web, "TCP", 9600, false}, // logship's API stays in its pod
		{outside, redis, "TCP", 6379, false},
		{outside, redis, "TCP", 26379, false},
		{web, redis, "TCP", 6379, true},
		{web, redis, "TCP", 26379, true},
		{web, redis, "TCP", 6380, false},
		{redis, redis, "TCP", 6379, true},
		{redis, redis, "TCP", 26379, true},
		{redis, web, "TCP", 3000, false},
		{web, web, "TCP", 3000, false},
		{web, outside, "TCP", 443, false},
		{redis, outside, "TCP", 443, false},
		{web, outside, "UDP", 53, true}, // DNS
		{redis, outside, "UDP", 53, true},
		{redis, outside, "TCP", 53, true},
	}
	for _, tt := range tests {
		name := fmt.Sprintf("%s to %s %s/%d", tt.src.name, tt.dst.name, tt.protocol, tt.port)
		if got := allowed(tt.src, tt.dst, tt.protocol, tt.port); got != tt.want {
			t.Errorf("%s: allowed = %v, want %v", name, got, tt.want)
		}
	}
}
