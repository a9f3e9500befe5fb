package translate

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/appstack/appstack/internal/event"
)

// yamlName is how Logstash 5 recognizes a YAML dictionary: /.y[a]?ml$/.
var yamlName = regexp.MustCompile(`.y[a]?ml$`)

// loadFile reads a dictionary file, its format chosen by its name as
// Logstash does: YAML (.yml, .yaml), JSON (.json) or CSV (.csv, two
// columns). skipped lists the YAML keys that are not strings, which
// Logstash 5 never matches, to warn about.
func loadFile(path string) (d *dictionary, skipped []string, err error) {
	var parse func([]byte) (*dictionary, []string, error)
	switch {
	case yamlName.MatchString(path):
		parse = parseYAML
	case strings.HasSuffix(path, ".json"):
		parse = parseJSON
	case strings.HasSuffix(path, ".csv"):
		parse = parseCSV
	default:
		return nil, nil, fmt.Errorf("dictionary %s has a non valid format: want a .yml, .yaml, .json or .csv file", path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	d, skipped, err = parse(b)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return d, skipped, nil
}

// parseYAML reads a mapping as Ruby's Psych (YAML 1.1) does: later
// duplicates replace earlier ones; yes/no/on/off are booleans.
func parseYAML(b []byte) (*dictionary, []string, error) { return parseYAMLWithin(b, maxYAMLValues) }

// parseYAMLWithin is parseYAML making at most budget values.
func parseYAMLWithin(b []byte, budget int) (*dictionary, []string, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, nil, err
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, nil, errors.New("want a mapping of keys to translations")
	}
	d := newDictionary()
	var skipped []string
	m := doc.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := resolve(m.Content[i])
		v, err := yamlValue(m.Content[i+1], &budget)
		if err != nil {
			return nil, nil, err
		}
		if key, ok := yamlString(k); ok {
			d.set(key, v)
		} else {
			skipped = append(skipped, fmt.Sprintf("%s (line %d)", k.Value, k.Line))
		}
	}
	return d, skipped, nil
}

func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// yaml11Bools are the plain scalars YAML 1.1 reads as booleans and YAML
// 1.2 (go-yaml) as strings.
var yaml11Bools = map[string]bool{
	"yes": true, "Yes": true, "YES": true, "on": true, "On": true, "ON": true,
	"no": false, "No": false, "NO": false, "off": false, "Off": false, "OFF": false,
}

// yamlString returns the string n is, if it is one to Psych.
func yamlString(n *yaml.Node) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		return "", false
	}
	if _, ok := yaml11Bools[n.Value]; ok && n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) == 0 {
		return "", false
	}
	return n.Value, true
}

// maxYAMLValues bounds the values a YAML dictionary may hold once its
// aliases are expanded: a few lines of nested aliases can otherwise
// expand to billions.
const maxYAMLValues = 10_000_000

// yamlValue converts a YAML node into an event value, counting the
// values it makes against budget.
func yamlValue(n *yaml.Node, budget *int) (event.Value, error) {
	n = resolve(n)
	if *budget--; *budget < 0 {
		return event.Value{}, errors.New("too many values once aliases are expanded")
	}
	switch n.Kind {
	case yaml.SequenceNode:
		items := make([]event.Value, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := yamlValue(c, budget)
			if err != nil {
				return event.Value{}, err
			}
			items = append(items, v)
		}
		return event.List(items...), nil
	case yaml.MappingNode:
		var fs []event.Field
		for i := 0; i+1 < len(n.Content); i += 2 {
			v, err := yamlValue(n.Content[i+1], budget)
			if err != nil {
				return event.Value{}, err
			}
			fs = setField(fs, resolve(n.Content[i]).Value, v)
		}
		return event.Map(fs...), nil
	}
	if s, ok := yamlString(n); ok {
		return event.String(s), nil
	}
	if b, ok := yaml11Bools[n.Value]; ok && n.ShortTag() == "!!str" {
		return event.Bool(b), nil
	}
	switch n.ShortTag() {
	case "!!null":
		return event.Value{}, nil
	case "!!bool":
		var b bool
		err := n.Decode(&b)
		return event.Bool(b), err
	case "!!int":
		var i int64
		if err := n.Decode(&i); err == nil {
			return event.Int(i), nil
		}
		var f float64 // beyond int64: Ruby has big integers, here a float
		err := n.Decode(&f)
		return event.Float(f), err
	case "!!float":
		var f float64
		err := n.Decode(&f)
		return event.Float(f), err
	}
	// Timestamps, binary and other tags: their text.
	return event.String(n.Value), nil
}

// setField sets key in fs, in place when it is there (a Ruby Hash keeps
// a key's first position).
func setField(fs []event.Field, key string, v event.Value) []event.Field {
	for i := range fs {
		if fs[i].Key == key {
			fs[i].Value = v
			return fs
		}
	}
	return append(fs, event.Field{Key: key, Value: v})
}

// parseJSON reads an object as Ruby's JSON.parse does, its keys in order.
func parseJSON(b []byte) (*dictionary, []string, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, nil, errors.New("want a JSON object of keys to translations")
	}
	d := newDictionary()
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, nil, err
		}
		v, err := jsonValue(dec)
		if err != nil {
			return nil, nil, err
		}
		d.set(t.(string), v)
	}
	if _, err := dec.Token(); err != nil {
		return nil, nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, nil, errors.New("unexpected data after the JSON object")
	}
	return d, nil, nil
}

func jsonValue(dec *json.Decoder) (event.Value, error) {
	t, err := dec.Token()
	if err != nil {
		return event.Value{}, err
	}
	switch t := t.(type) {
	case string:
		return event.String(t), nil
	case bool:
		return event.Bool(t), nil
	case nil:
		return event.Value{}, nil
	case json.Number:
		if !strings.ContainsAny(t.String(), ".eE") {
			if i, err := strconv.ParseInt(t.String(), 10, 64); err == nil {
				return event.Int(i), nil
			}
		}
		f, err := t.Float64()
		return event.Float(f), err
	case json.Delim:
		if t == '[' {
			var items []event.Value
			for dec.More() {
				v, err := jsonValue(dec)
				if err != nil {
					return event.Value{}, err
				}
				items = append(items, v)
			}
			_, err := dec.Token()
			return event.List(items...), err
		}
		var fs []event.Field
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return event.Value{}, err
			}
			v, err := jsonValue(dec)
			if err != nil {
				return event.Value{}, err
			}
			fs = setField(fs, k.(string), v)
		}
		_, err := dec.Token()
		return event.Map(fs...), err
	}
	return event.Value{}, fmt.Errorf("unexpected JSON token %v", t)
}

// parseCSV reads rows of key, translation as Ruby's CSV does (strict
// quoting); more columns are ignored, a row of one maps to null.
func parseCSV(b []byte) (*dictionary, []string, error) {
	r := csv.NewReader(bytes.NewReader(b))
	r.FieldsPerRecord = -1
	d := newDictionary()
	for {
		row, err := r.Read()
		if err == io.EOF {
			return d, nil, nil
		}
		if err != nil {
			return nil, nil, err
		}
		var v event.Value
		if len(row) > 1 {
			v = event.String(row[1])
		}
		d.set(row[0], v)
	}
}
