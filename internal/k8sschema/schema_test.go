package k8sschema_test

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/appstack/appstack/internal/k8sschema"
)

// A miniature of the Kubernetes OpenAPI document, in its shape: a kind with
// x-kubernetes-group-version-kind, nested definitions reached through $ref,
// a map, an open object, and the two string types that take numbers.
const swagger = `{
  "swagger": "2.0",
  "definitions": {
    "io.k8s.api.apps.v1.Deployment": {
      "description": "Deployment enables declarative updates.",
      "type": "object",
      "properties": {
        "apiVersion": {"type": "string", "description": "APIVersion"},
        "kind": {"type": "string"},
        "spec": {"$ref": "#/definitions/io.k8s.api.apps.v1.DeploymentSpec", "description": "spec"}
      },
      "x-kubernetes-group-version-kind": [{"group": "apps", "kind": "Deployment", "version": "v1"}]
    },
    "io.k8s.api.apps.v1.DeploymentSpec": {
      "type": "object",
      "required": ["selector"],
      "properties": {
        "replicas": {"type": "integer", "format": "int32"},
        "selector": {"type": "object", "additionalProperties": {"type": "string"}},
        "maxSurge": {"$ref": "#/definitions/io.k8s.apimachinery.pkg.util.intstr.IntOrString"},
        "memory": {"$ref": "#/definitions/io.k8s.apimachinery.pkg.api.resource.Quantity"},
        "raw": {"$ref": "#/definitions/io.k8s.apimachinery.pkg.runtime.RawExtension"},
        "ports": {"type": "array", "items": {"$ref": "#/definitions/io.k8s.api.core.v1.ContainerPort"},
                  "x-kubernetes-list-type": "map"}
      }
    },
    "io.k8s.api.core.v1.ContainerPort": {
      "type": "object",
      "properties": {"containerPort": {"type": "integer"}, "name": {"type": "string"}}
    },
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": {"type": "string", "format": "int-or-string"},
    "io.k8s.apimachinery.pkg.api.resource.Quantity": {"type": "string", "description": "Quantity"},
    "io.k8s.apimachinery.pkg.runtime.RawExtension": {"type": "object", "description": "anything"},
    "io.k8s.api.core.v1.Service": {
      "type": "object",
      "properties": {"kind": {"type": "string"}},
      "x-kubernetes-group-version-kind": [{"group": "", "kind": "Service", "version": "v1"}]
    },
    "io.k8s.api.core.v1.Unrelated": {"type": "object", "properties": {"x": {"type": "string"}}}
  }
}`

func TestGenerateWritesStrictStandaloneSchemas(t *testing.T) {
	files, err := k8sschema.Generate([]byte(swagger), []k8sschema.Kind{
		{APIVersion: "apps/v1", Kind: "Deployment"},
		{APIVersion: "v1", Kind: "Service"},
	})
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	if got, want := slices.Sorted(maps.Keys(files)), []string{"deployment-apps-v1.json", "service-v1.json"}; !cmp.Equal(got, want) {
		t.Fatalf("files = %v, want %v", got, want)
	}
	var got map[string]any
	if err := json.Unmarshal(files["deployment-apps-v1.json"], &got); err != nil {
		t.Fatalf("deployment-apps-v1.json is not JSON: %v", err)
	}
	want := map[string]any{
		"$schema":              "http://json-schema.org/draft-04/schema#",
		"type":                 "object",
		"additionalProperties": false,
		"properties": map[string]any{
			"apiVersion": map[string]any{"type": "string"},
			"kind":       map[string]any{"type": "string"},
			"spec":       map[string]any{"$ref": "#/definitions/io.k8s.api.apps.v1.DeploymentSpec"},
		},
		"definitions": map[string]any{
			"io.k8s.api.apps.v1.DeploymentSpec": map[string]any{
				"type":                 "object",
				"additionalProperties": false,
				"required":             []any{"selector"},
				"properties": map[string]any{
					"replicas": map[string]any{"type": "integer"},
					// A map keeps its value schema: its keys are free.
					"selector": map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string"}},
					"maxSurge": map[string]any{"$ref": "#/definitions/io.k8s.apimachinery.pkg.util.intstr.IntOrString"},
					"memory":   map[string]any{"$ref": "#/definitions/io.k8s.apimachinery.pkg.api.resource.Quantity"},
					"raw":      map[string]any{"$ref": "#/definitions/io.k8s.apimachinery.pkg.runtime.RawExtension"},
					"ports": map[string]any{"type": "array", "items": map[string]any{
						"$ref": "#/definitions/io.k8s.api.core.v1.ContainerPort"}},
				},
			},
			"io.k8s.api.core.v1.ContainerPort": map[string]any{
				"type":                 "object",
				"additionalProperties": false,
				"properties": map[string]any{
					"containerPort": map[string]any{"type": "integer"},
					"name":          map[string]any{"type": "string"},
				},
			},
			"io.k8s.apimachinery.pkg.util.intstr.IntOrString": map[string]any{"type": []any{"integer", "string"}},
			"io.k8s.apimachinery.pkg.api.resource.Quantity":   map[string]any{"type": []any{"number", "string"}},
			// No declared properties: an open object (runtime.RawExtension).
			"io.k8s.apimachinery.pkg.runtime.RawExtension": map[string]any{"type": "object"},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("deployment-apps-v1.json (-want +got):\n%s", diff)
	}
	if s := string(files["service-v1.json"]); strings.Contains(s, "definitions") {
		t.Errorf("service-v1.json = %s, want no definitions (Service refers to none)", s)
	}
}

func TestGenerateFails(t *testing.T) {
	tests := []struct {
		name, doc string
		kind      k8sschema.Kind
		want      string
	}{
		{"on a kind the document lacks", swagger, k8sschema.Kind{APIVersion: "apps/v1", Kind: "Deploy"}, "apps/v1 Deploy: not in the OpenAPI document"},
		{"on a kind of another group", swagger, k8sschema.Kind{APIVersion: "extensions/v1", Kind: "Deployment"}, "not in the OpenAPI document"},
		{"on a dangling $ref", `{"definitions": {"a.B": {"properties": {"c": {"$ref": "#/definitions/a.C"}},
			"x-kubernetes-group-version-kind": [{"group": "", "kind": "B", "version": "v1"}]}}}`,
			k8sschema.Kind{APIVersion: "v1", Kind: "B"}, "$ref to a.C: no such definition"},
		{"on a document that is not JSON", `{"definitions": `, k8sschema.Kind{APIVersion: "v1", Kind: "B"}, "read OpenAPI document"},
		{"on a document without definitions", `{"paths": {}}`, k8sschema.Kind{APIVersion: "v1", Kind: "B"}, "no definitions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files, err := k8sschema.Generate([]byte(tt.doc), []k8sschema.Kind{tt.kind})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Generate(%v) = %d files, %v; want an error containing %q", tt.kind, len(files), err, tt.want)
			}
		})
	}
}

func TestParseKindAndFileName(t *testing.T) {
	tests := []struct {
		in, file string
		want     k8sschema.Kind
	}{
		{"v1/Service", "service-v1.json", k8sschema.Kind{APIVersion: "v1", Kind: "Service"}},
		{"apps/v1/StatefulSet", "statefulset-apps-v1.json", k8sschema.Kind{APIVersion: "apps/v1", Kind: "StatefulSet"}},
		{"networking.k8s.io/v1/NetworkPolicy", "networkpolicy-networking-v1.json", k8sschema.Kind{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"}},
		{"policy/v1/PodDisruptionBudget", "poddisruptionbudget-policy-v1.json", k8sschema.Kind{APIVersion: "policy/v1", Kind: "PodDisruptionBudget"}},
	}
	for _, tt := range tests {
		got, err := k8sschema.ParseKind(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseKind(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			continue
		}
		if f := got.FileName(); f != tt.file {
			t.Errorf("%+v.FileName() = %q, want %q", got, f, tt.file)
		}
	}
	for _, bad := range []string{"Service", "/Service", "v1/", ""} {
		if got, err := k8sschema.ParseKind(bad); err == nil {
			t.Errorf("ParseKind(%q) = %+v, nil; want an error", bad, got)
		}
	}
}
