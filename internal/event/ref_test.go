package event

import (
	"slices"
	"strings"
	"testing"
)

func TestParseRef(t *testing.T) {
	tests := []struct {
		in      string
		want    Ref
		wantErr bool
	}{
		{in: "message", want: Ref{"message"}},
		{in: "@timestamp", want: Ref{"@timestamp"}},
		{in: "[message]", want: Ref{"message"}},
		{in: "[http][status]", want: Ref{"http", "status"}},
		{in: "[@metadata][x]", want: Ref{"@metadata", "x"}},
		{in: "with space", want: Ref{"with space"}},
		{in: "", wantErr: true},
		{in: "[a", wantErr: true},
		{in: "[]", wantErr: true},
		{in: "[a]b", wantErr: true},
		{in: "a[b]", wantErr: true},
		{in: "[a[b]]", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseRef(tt.in)
		if (err != nil) != tt.wantErr || !slices.Equal(got, tt.want) {
			t.Errorf("ParseRef(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestPutLookupRemove(t *testing.T) {
	e := &Event{Fields: []Field{{"message", String("m")}, {"scalar", Int(1)}}}
	e.Put(MustRef("[http][status]"), Int(200))
	e.Put(MustRef("[http][verb]"), String("GET"))
	e.Put(MustRef("[scalar][x]"), String("replaced"))
	e.Put(MustRef("[@metadata][route]"), String("r"))

	lookups := []struct {
		ref  string
		want string
		ok   bool
	}{
		{"[http][status]", "200", true},
		{"[http][verb]", "GET", true},
		{"[scalar][x]", "replaced", true},
		{"[@metadata][route]", "r", true},
		{"message", "m", true},
		{"[http][missing]", "", false},
		{"[message][sub]", "", false},
		{"route", "", false},
	}
	for _, tt := range lookups {
		v, ok := e.Lookup(MustRef(tt.ref))
		if ok != tt.ok || v.Text() != tt.want {
			t.Errorf("Lookup(%s) = %q, %v; want %q, %v", tt.ref, v.Text(), ok, tt.want, tt.ok)
		}
	}
	if got := string(JSON{}.Append(nil, e)); strings.Contains(got, "@metadata") || !strings.Contains(got, `"status":200`) {
		t.Errorf("json = %s; want nested http.status and no @metadata", got)
	}

	if v, ok := e.Remove(MustRef("[http][status]")); !ok || v.Int() != 200 {
		t.Errorf("Remove([http][status]) = %v, %v; want 200, true", v, ok)
	}
	if _, ok := e.Lookup(MustRef("[http][status]")); ok {
		t.Errorf("[http][status] still there after Remove")
	}
	if _, ok := e.Remove(MustRef("nothing")); ok {
		t.Errorf("Remove(nothing) reported a removal")
	}
	if _, ok := e.Remove(MustRef("message")); !ok {
		t.Errorf("Remove(message) found nothing")
	}
	if _, ok := e.Get("message"); ok {
		t.Errorf("message still there after Remove")
	}
}

func TestPutDoesNotAlias(t *testing.T) {
	shared := Map(Field{"a", String("1")})
	e1 := &Event{Fields: []Field{{"m", shared}}}
	e2 := &Event{Fields: []Field{{"m", shared}}}
	e1.Put(MustRef("[m][a]"), String("changed"))
	if v, _ := e2.Lookup(MustRef("[m][a]")); v.Str() != "1" {
		t.Errorf("e2 [m][a] = %q after changing e1; want %q", v.Str(), "1")
	}
}

func TestTags(t *testing.T) {
	e := &Event{}
	e.AddTag("a")
	e.AddTag("b")
	e.AddTag("a")
	if got := e.Sprintf("%{tags}"); got != "a,b" {
		t.Errorf("tags = %q; want %q", got, "a,b")
	}
	if !e.HasTag("b") || e.HasTag("c") {
		t.Errorf("HasTag(b), HasTag(c) = %v, %v; want true, false", e.HasTag("b"), e.HasTag("c"))
	}
	e.RemoveTag("a")
	e.RemoveTag("b")
	if v, ok := e.Get(TagsKey); !ok || len(v.List()) != 0 {
		t.Errorf("tags after removing all = %v, %v; want an empty array", v, ok)
	}
}
