// Package k8sschema turns the Kubernetes OpenAPI v2 document (swagger.json,
// shipped in the k8s.io/kubernetes module under api/openapi-spec) into the
// standalone, strict JSON schemas kubeconform reads: one file per kind, named
// as kubeconform's {{ .ResourceKind }}{{ .KindSuffix }}.json template names
// it, holding the kind's schema and every definition it reaches.
//
// Strict means what the API server's strict field validation means: an
// object with declared properties accepts no other field. Only validating
// keywords are kept (type, properties, items, required,
// additionalProperties, $ref, enum); descriptions, formats and x-kubernetes-*
// annotations are dropped, which keeps the files small and the validator
// away from formats it does not know (int-or-string, int32, byte).
package k8sschema

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Kind names one API type as a manifest does: apiVersion and kind.
type Kind struct {
	APIVersion string // "v1", "apps/v1", "networking.k8s.io/v1"
	Kind       string // "Deployment"
}

// ParseKind reads "APIVERSION/KIND": "v1/Service", "apps/v1/Deployment".
func ParseKind(s string) (Kind, error) {
	i := strings.LastIndex(s, "/")
	if i <= 0 || i == len(s)-1 {
		return Kind{}, fmt.Errorf("kind %q: want APIVERSION/KIND, e.g. apps/v1/Deployment", s)
	}
	return Kind{APIVersion: s[:i], Kind: s[i+1:]}, nil
}

// group and version split the apiVersion; the core group is "".
func (k Kind) group() string {
	g, _, ok := strings.Cut(k.APIVersion, "/")
	if !ok {
		return ""
	}
	return g
}

func (k Kind) version() string {
	_, v, ok := strings.Cut(k.APIVersion, "/")
	if !ok {
		return k.APIVersion
	}
	return v
}

// FileName is the name kubeconform looks for with the schema location
// template DIR/{{ .ResourceKind }}{{ .KindSuffix }}.json: the lowercase kind,
// the group's first label and the version ("deployment-apps-v1.json",
// "networkpolicy-networking-v1.json", "service-v1.json").
func (k Kind) FileName() string {
	name := strings.ToLower(k.Kind)
	if g := k.group(); g != "" {
		name += "-" + strings.ToLower(strings.Split(g, ".")[0])
	}
	return name + "-" + strings.ToLower(k.version()) + ".json"
}

// kept are the keywords that validate; everything else is documentation or
// a hint for clients.
var kept = map[string]bool{
	"type": true, "properties": true, "items": true, "required": true,
	"additionalProperties": true, "$ref": true, "enum": true,
}

// Types that the OpenAPI document declares as strings but that manifests
// write as numbers too (the API server accepts both).
var numberOrString = map[string][]string{
	"io.k8s.apimachinery.pkg.util.intstr.IntOrString": {"integer", "string"},
	"io.k8s.apimachinery.pkg.api.resource.Quantity":   {"number", "string"},
}

const refPrefix = "#/definitions/"

// Generate returns, for each kind, its file name and the schema's JSON.
func Generate(swagger []byte, kinds []Kind) (map[string][]byte, error) {
	var doc struct {
		Definitions map[string]map[string]any `json:"definitions"`
	}
	if err := json.Unmarshal(swagger, &doc); err != nil {
		return nil, fmt.Errorf("read OpenAPI document: %w", err)
	}
	if len(doc.Definitions) == 0 {
		return nil, fmt.Errorf("read OpenAPI document: no definitions")
	}
	byKind := map[Kind]string{}
	for name, def := range doc.Definitions {
		for _, gvk := range gvks(def) {
			byKind[gvk] = name
		}
	}
	out := map[string][]byte{}
	for _, k := range kinds {
		name, ok := byKind[k]
		if !ok {
			return nil, fmt.Errorf("%s %s: not in the OpenAPI document", k.APIVersion, k.Kind)
		}
		schema, err := standalone(doc.Definitions, name)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", k.APIVersion, k.Kind, err)
		}
		b, err := json.MarshalIndent(schema, "", " ")
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", k.APIVersion, k.Kind, err)
		}
		out[k.FileName()] = append(b, '\n')
	}
	return out, nil
}

// gvks reads a definition's x-kubernetes-group-version-kind list.
func gvks(def map[string]any) []Kind {
	list, _ := def["x-kubernetes-group-version-kind"].([]any)
	var kinds []Kind
	for _, item := range list {
		m, _ := item.(map[string]any)
		g, _ := m["group"].(string)
		v, _ := m["version"].(string)
		kind, _ := m["kind"].(string)
		if v == "" || kind == "" {
			continue
		}
		apiVersion := v
		if g != "" {
			apiVersion = g + "/" + v
		}
		kinds = append(kinds, Kind{APIVersion: apiVersion, Kind: kind})
	}
	return kinds
}

// standalone is the root definition, made strict, with every definition it
// reaches under "definitions", where its $refs already point.
func standalone(defs map[string]map[string]any, root string) (map[string]any, error) {
	reached := map[string]bool{}
	var visit func(name string) error
	visit = func(name string) error {
		if reached[name] {
			return nil
		}
		def, ok := defs[name]
		if !ok {
			return fmt.Errorf("$ref to %s: no such definition", name)
		}
		reached[name] = true
		for _, ref := range refs(def) {
			if err := visit(ref); err != nil {
				return err
			}
		}
		return nil
	}
	if err := visit(root); err != nil {
		return nil, err
	}
	schema := strict(defs[root], root).(map[string]any)
	schema["$schema"] = "http://json-schema.org/draft-04/schema#"
	definitions := map[string]any{}
	for name := range reached {
		if name != root {
			definitions[name] = strict(defs[name], name)
		}
	}
	if len(definitions) > 0 {
		schema["definitions"] = definitions
	}
	return schema, nil
}

// refs lists the definitions a schema refers to.
func refs(v any) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		for key, child := range v {
			if s, ok := child.(string); ok && key == "$ref" {
				out = append(out, strings.TrimPrefix(s, refPrefix))
				continue
			}
			out = append(out, refs(child)...)
		}
	case []any:
		for _, child := range v {
			out = append(out, refs(child)...)
		}
	}
	return out
}

// strict copies a schema keeping only validating keywords, closing every
// object that declares its properties. name is the definition's name, for
// the types that take numbers as well as strings; "" below the top.
func strict(v any, name string) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	if types, ok := numberOrString[name]; ok {
		return map[string]any{"type": types}
	}
	out := map[string]any{}
	for key, child := range m {
		if !kept[key] {
			continue
		}
		switch key {
		case "properties":
			props := map[string]any{}
			in, _ := child.(map[string]any)
			for p, s := range in {
				props[p] = strict(s, "")
			}
			out[key] = props
		case "items", "additionalProperties":
			out[key] = strict(child, "")
		default:
			out[key] = child
		}
	}
	if _, open := out["additionalProperties"]; !open {
		if _, declared := out["properties"]; declared {
			out["additionalProperties"] = false
		}
	}
	return out
}
