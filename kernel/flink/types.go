package flink

import (
	"encoding/json"
	"fmt"
	"strings"
)

// logicalType is the JSON shape the gateway writes for a column's type.
type logicalType struct {
	Type        string          `json:"type"`
	Nullable    *bool           `json:"nullable"`
	Length      *int64          `json:"length"`
	Precision   *int            `json:"precision"`
	Scale       *int            `json:"scale"`
	ElementType json.RawMessage `json:"elementType"`
	KeyType     json.RawMessage `json:"keyType"`
	ValueType   json.RawMessage `json:"valueType"`
	Fields      []struct {
		Name      string          `json:"name"`
		FieldType json.RawMessage `json:"fieldType"`
	} `json:"fields"`
}

// maxLength is VARCHAR's and VARBINARY's largest length: STRING and BYTES.
const maxLength = 2147483647

// typeName renders a gateway logical type as Flink SQL spells it.
func typeName(raw json.RawMessage) string {
	var t logicalType
	if len(raw) == 0 || json.Unmarshal(raw, &t) != nil || t.Type == "" {
		return ""
	}
	name := t.Type
	switch t.Type {
	case "VARCHAR":
		if t.Length != nil && *t.Length == maxLength {
			name = "STRING"
		} else if t.Length != nil {
			name = fmt.Sprintf("VARCHAR(%d)", *t.Length)
		}
	case "VARBINARY":
		if t.Length != nil && *t.Length == maxLength {
			name = "BYTES"
		} else if t.Length != nil {
			name = fmt.Sprintf("VARBINARY(%d)", *t.Length)
		}
	case "CHAR", "BINARY":
		if t.Length != nil {
			name = fmt.Sprintf("%s(%d)", t.Type, *t.Length)
		}
	case "DECIMAL":
		if t.Precision != nil && t.Scale != nil {
			name = fmt.Sprintf("DECIMAL(%d, %d)", *t.Precision, *t.Scale)
		}
	case "TIMESTAMP_WITHOUT_TIME_ZONE", "TIMESTAMP_WITH_LOCAL_TIME_ZONE", "TIME_WITHOUT_TIME_ZONE", "TIMESTAMP_WITH_TIME_ZONE":
		base := map[string]string{
			"TIMESTAMP_WITHOUT_TIME_ZONE":    "TIMESTAMP",
			"TIMESTAMP_WITH_LOCAL_TIME_ZONE": "TIMESTAMP_LTZ",
			"TIME_WITHOUT_TIME_ZONE":         "TIME",
			"TIMESTAMP_WITH_TIME_ZONE":       "TIMESTAMP WITH TIME ZONE",
		}[t.Type]
		name = base
		if t.Precision != nil {
			name = fmt.Sprintf("%s(%d)", base, *t.Precision)
		}
	case "ARRAY", "MULTISET":
		name = fmt.Sprintf("%s<%s>", t.Type, typeName(t.ElementType))
	case "MAP":
		name = fmt.Sprintf("MAP<%s, %s>", typeName(t.KeyType), typeName(t.ValueType))
	case "ROW":
		parts := make([]string, len(t.Fields))
		for i, f := range t.Fields {
			parts[i] = "`" + f.Name + "` " + typeName(f.FieldType)
		}
		name = "ROW<" + strings.Join(parts, ", ") + ">"
	}
	if t.Nullable != nil && !*t.Nullable {
		name += " NOT NULL"
	}
	return name
}
