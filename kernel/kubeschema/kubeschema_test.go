package kubeschema

import (
	"encoding/json"
	"testing"
)

func TestStrictFields(t *testing.T) {
	var schema map[string]any
	if err := json.Unmarshal([]byte(`{"type":"object","properties":{
		"closed":{"type":"object","properties":{"a":{"type":"string"}}},
		"open":{"type":"object","properties":{"a":{}},"x-kubernetes-preserve-unknown-fields":true},
		"map":{"type":"object","additionalProperties":{"type":"string"}},
		"list":{"type":"array","items":{"type":"object","properties":{"b":{}}}}}}`), &schema); err != nil {
		t.Fatal(err)
	}
	StrictFields(schema)
	for path, want := range map[string]any{
		"":           false,
		"closed":     false,
		"open":       nil,
		"list.items": false,
		"map.-":      nil, // keeps its own additionalProperties
	} {
		var v any = schema
		switch path {
		case "closed", "open":
			v = Get(schema, "properties", path)
		case "list.items":
			v = Get(schema, "properties", "list", "items")
		case "map.-":
			if _, ok := Get(schema, "properties", "map", "additionalProperties").(map[string]any); !ok {
				t.Errorf("map: its additionalProperties schema was replaced")
			}
			continue
		}
		if got := v.(map[string]any)["additionalProperties"]; got != want {
			t.Errorf("%q: additionalProperties %v, want %v", path, got, want)
		}
	}
}

func TestGet(t *testing.T) {
	doc := map[string]any{"a": []any{map[string]any{"b": "x"}}}
	for _, tc := range []struct {
		path []string
		want any
	}{
		{[]string{"a", "0", "b"}, "x"},
		{[]string{"a", "1", "b"}, nil},
		{[]string{"a", "x"}, nil},
		{[]string{"c"}, nil},
	} {
		if got := Get(doc, tc.path...); got != tc.want {
			t.Errorf("Get(%v) = %v, want %v", tc.path, got, tc.want)
		}
	}
}
