package plugin

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/appstack/appstack/internal/event"
)

func TestDecorate(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, block string
		fields      []event.Field
		want        string
	}{
		{"type, add_field and tags", `x { type => "t" add_field => { "f" => "%{message}!" "[n][m]" => "v" } tags => ["a", "b"] }`,
			[]event.Field{{Key: "message", Value: event.String("hi")}},
			`{"message":"hi","type":"t","f":"hi!","n":{"m":"v"},"tags":["a","b"]}`},
		{"a type already there stays", `x { type => "t" }`,
			[]event.Field{{Key: "type", Value: event.String("log")}}, `{"type":"log"}`},
		{"add_field to a field already there makes an array", `x { add_field => { "f" => "2" } }`,
			[]event.Field{{Key: "f", Value: event.String("1")}}, `{"f":["1","2"]}`},
		{"tags are appended, duplicates kept", `x { tags => ["multiline", "x"] }`,
			[]event.Field{{Key: "tags", Value: event.Strings("multiline")}}, `{"tags":["multiline","multiline","x"]}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := options(t, tt.block)
			c := ReadInputCommon(o)
			if err := o.Err(); err != nil {
				t.Fatal(err)
			}
			e := &event.Event{Fields: append([]event.Field(nil), tt.fields...)}
			c.Decorate(e)
			got := string(event.JSON{}.Append(nil, &event.Event{Fields: e.Fields}))
			if !sameJSON(got, tt.want) {
				t.Errorf("Decorate gave %s; want %s", got, tt.want)
			}
		})
	}
}

// sameJSON reports whether two JSON objects hold the same keys and
// values, whatever their key order.
func sameJSON(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}
