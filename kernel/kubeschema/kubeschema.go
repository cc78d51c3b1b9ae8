// Package kubeschema reads the Flink Kubernetes Operator's FlinkDeployment
// CRD (which make k8s-schemas installs) as a JSON schema that validates
// the way kubectl applies: a field the schema does not know is an error.
// Eddy's tests of the manifests it exports and ships use it.
package kubeschema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v4"
)

// CRDPath is where make k8s-schemas puts the CRD, from the repository's
// root.
const CRDPath = ".flink/kubernetes/flinkdeployments.flink.apache.org-v1.yml"

// FlinkVersion is the flinkVersion of Eddy's Flink in a FlinkDeployment.
const FlinkVersion = "v2_3"

// FlinkDeployment returns the openAPIV3Schema of the CRD's served
// v1beta1 version at path, as JSON values (numbers as json.Number), with
// unknown fields refused wherever it lists properties (StrictFields).
// The pinned CRD's flinkVersion enum predates Flink 2: added reports
// that FlinkVersion was added to it.
func FlinkDeployment(path string) (schema map[string]any, added bool, err error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, false, err
	}
	var crd struct {
		Spec struct {
			Group    string `yaml:"group"`
			Versions []struct {
				Name   string `yaml:"name"`
				Served bool   `yaml:"served"`
				Schema struct {
					OpenAPIV3Schema map[string]any `yaml:"openAPIV3Schema"`
				} `yaml:"schema"`
			} `yaml:"versions"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal(raw, &crd); err != nil {
		return nil, false, fmt.Errorf("%s: %w", path, err)
	}
	for _, v := range crd.Spec.Versions {
		if v.Name == "v1beta1" && v.Served {
			schema = v.Schema.OpenAPIV3Schema
		}
	}
	if crd.Spec.Group != "flink.apache.org" || schema == nil {
		return nil, false, fmt.Errorf("%s serves no flink.apache.org/v1beta1 schema: run 'make k8s-schemas' again", path)
	}
	StrictFields(schema)
	props, _ := schema["properties"].(map[string]any)
	spec, _ := props["spec"].(map[string]any)
	specProps, _ := spec["properties"].(map[string]any)
	fv, ok := specProps["flinkVersion"].(map[string]any)
	if !ok {
		return nil, false, fmt.Errorf("%s: the schema has no spec.flinkVersion", path)
	}
	if enum, _ := fv["enum"].([]any); !slices.Contains(enum, any(FlinkVersion)) {
		fv["enum"], added = append(enum, FlinkVersion), true
	}
	v, err := JSONValue(schema)
	if err != nil {
		return nil, false, err
	}
	return v.(map[string]any), added, nil
}

// StrictFields refuses unknown fields in every object of the schema that
// lists its properties and does not keep unknown ones.
func StrictFields(v any) {
	switch v := v.(type) {
	case map[string]any:
		_, open := v["additionalProperties"]
		if _, ok := v["properties"]; ok && !open && v["x-kubernetes-preserve-unknown-fields"] != true {
			v["additionalProperties"] = false
		}
		for _, sub := range v {
			StrictFields(sub)
		}
	case []any:
		for _, sub := range v {
			StrictFields(sub)
		}
	}
}

// JSONValue is v as a JSON schema validator takes it: decoded from its
// JSON, numbers as json.Number.
func JSONValue(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return jsonschema.UnmarshalJSON(bytes.NewReader(b))
}

// Get walks a decoded document (a number indexes a list); nil when the
// path is missing.
func Get(v any, path ...string) any {
	for _, p := range path {
		switch c := v.(type) {
		case map[string]any:
			v = c[p]
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(c) {
				return nil
			}
			v = c[i]
		default:
			return nil
		}
	}
	return v
}
