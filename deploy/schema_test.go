package deploy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/eddy-notebooks/eddy/kernel/kubeschema"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v4"
)

// Where 'make k8s-schemas' puts the schemas, relative to this package.
const (
	// flinkDeploymentCRD is the operator's CRD (operator 1.10.0).
	flinkDeploymentCRD = "../" + kubeschema.CRDPath
	// kubernetesSchemas links to the schema directory of the PyPI package
	// kubernetes-validate: one directory per Kubernetes version.
	kubernetesSchemas = "../.flink/kubernetes-json-schema"
)

// kubernetesVersions are the Kubernetes releases every manifest must be
// valid for: an older one that managed clusters still run, and the newest
// that the pinned kubernetes-validate bundles.
var kubernetesVersions = []string{"v1.30.0", "v1.37.0"}

// wantFlinkVersion is the FlinkDeployment's flinkVersion: Flink 2.3. The
// pinned CRD predates Flink 2, so its enum gets exactly this value added.
const wantFlinkVersion = kubeschema.FlinkVersion

// definitionsURL is the $id of Kubernetes' shared definitions, which every
// kind's schema refers to.
const definitionsURL = "https://kubernetes.io/api/_definitions.json"

// document is one YAML document of a manifest file, as JSON would decode it.
type document struct {
	file  string // base name, e.g. eddy.yaml
	index int    // position in the file, from 0
	value map[string]any
}

func (d document) kind() string       { s, _ := d.value["kind"].(string); return s }
func (d document) apiVersion() string { s, _ := d.value["apiVersion"].(string); return s }
func (d document) name() string       { s, _ := get(d.value, "metadata", "name").(string); return s }

func (d document) String() string {
	return fmt.Sprintf("%s#%d (%s %s)", d.file, d.index, d.kind(), d.name())
}

// readManifests decodes every document of every *.yaml file in this
// package, refusing duplicate keys as kubectl does.
func readManifests(t *testing.T) []document {
	t.Helper()
	files, err := filepath.Glob("*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests here (%v)", err)
	}
	var docs []document
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		for i := 0; ; i++ {
			var v map[string]any
			err := dec.Decode(&v)
			if errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: document %d is not YAML: %v", f, i, err)
			}
			if v == nil {
				t.Fatalf("%s: document %d is empty", f, i)
			}
			docs = append(docs, document{file: f, index: i, value: jsonValue(t, v).(map[string]any)})
		}
	}
	return docs
}

// validator checks documents against the schemas of one Kubernetes version
// and the operator's CRD.
type validator struct {
	version string
	dir     string // the version's strict schemas
	c       *jsonschema.Compiler

	mu      sync.Mutex                    // guards schemas and c
	schemas map[string]*jsonschema.Schema // compiled, by URL
}

// newValidator loads Kubernetes' definitions of version and the CRD; the
// test fails, naming 'make k8s-schemas', when either is missing.
func newValidator(t *testing.T, version string) *validator {
	t.Helper()
	dir := filepath.Join(kubernetesSchemas, version+"-local-strict")
	defs, err := readJSON(filepath.Join(dir, "_definitions.json"))
	if errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Kubernetes %s schemas are not installed under %s: run 'make k8s-schemas'", version, kubernetesSchemas)
	} else if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(definitionsURL, defs); err != nil {
		t.Fatal(err)
	}
	if err := c.AddResource(flinkDeploymentURL, flinkDeploymentSchema(t)); err != nil {
		t.Fatal(err)
	}
	return &validator{version: version, dir: dir, c: c, schemas: map[string]*jsonschema.Schema{}}
}

// flinkDeploymentURL names the CRD's schema inside a compiler.
const flinkDeploymentURL = "https://flink.apache.org/crd/flinkdeployment-v1beta1.json"

// schemaFile is the file kubernetes-validate keeps a kind's schema in:
// deployment-apps-v1.json for apps/v1 Deployment, service-v1.json for v1
// Service (a group's domain is dropped: rbac.authorization.k8s.io → rbac).
func schemaFile(apiVersion, kind string) string {
	group, version, ok := strings.Cut(apiVersion, "/")
	if !ok {
		return strings.ToLower(kind) + "-" + apiVersion + ".json"
	}
	group, _, _ = strings.Cut(group, ".")
	return strings.ToLower(kind) + "-" + group + "-" + version + ".json"
}

// schema compiles (once) the schema of a kind.
func (v *validator) schema(apiVersion, kind string) (*jsonschema.Schema, error) {
	if apiVersion == "flink.apache.org/v1beta1" && kind == "FlinkDeployment" {
		return v.compile(flinkDeploymentURL)
	}
	path, err := filepath.Abs(filepath.Join(v.dir, schemaFile(apiVersion, kind)))
	if err != nil {
		return nil, err
	}
	doc, err := readJSON(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("Kubernetes %s has no schema for %s %s (no %s)", v.version, apiVersion, kind, filepath.Base(path))
	} else if err != nil {
		return nil, err
	}
	u := (&url.URL{Scheme: "file", Path: filepath.ToSlash(path)}).String()
	v.mu.Lock()
	s, ok := v.schemas[u]
	v.mu.Unlock()
	if ok {
		return s, nil
	}
	if err := v.c.AddResource(u, doc); err != nil {
		return nil, err
	}
	return v.compile(u)
}

// compile compiles a resource added to the compiler, once.
func (v *validator) compile(u string) (*jsonschema.Schema, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if s, ok := v.schemas[u]; ok {
		return s, nil
	}
	s, err := v.c.Compile(u)
	if err != nil {
		return nil, fmt.Errorf("compiling %s: %w", u, err)
	}
	v.schemas[u] = s
	return s, nil
}

// validate checks one document against its kind's schema. A
// FlinkDeployment's pod templates are also checked as Kubernetes Pods: the
// operator merges them into the pods it creates.
func (v *validator) validate(doc map[string]any) error {
	apiVersion, _ := doc["apiVersion"].(string)
	kind, _ := doc["kind"].(string)
	s, err := v.schema(apiVersion, kind)
	if err != nil {
		return err
	}
	if err := s.Validate(doc); err != nil {
		return err
	}
	if kind != "FlinkDeployment" {
		return nil
	}
	pod, err := v.schema("v1", "Pod")
	if err != nil {
		return err
	}
	for _, at := range [][]string{{"spec", "podTemplate"}, {"spec", "jobManager", "podTemplate"}, {"spec", "taskManager", "podTemplate"}} {
		if tmpl := get(doc, at...); tmpl != nil {
			if err := pod.Validate(tmpl); err != nil {
				return fmt.Errorf("%s as a Pod: %w", strings.Join(at, "."), err)
			}
		}
	}
	return nil
}

var (
	crdOnce   sync.Once
	crdSchema map[string]any
	crdErr    error
)

// flinkDeploymentSchema is the CRD's v1beta1 openAPIV3Schema made strict as
// kubectl applies it: unknown fields refused, apiVersion and kind fixed,
// metadata checked as Kubernetes' ObjectMeta. It returns a fresh copy, as a
// compiler may keep what it is given.
func flinkDeploymentSchema(t *testing.T) any {
	t.Helper()
	crdOnce.Do(func() { crdSchema, crdErr = loadCRD() })
	if errors.Is(crdErr, os.ErrNotExist) {
		t.Fatalf("the FlinkDeployment CRD is not installed at %s: run 'make k8s-schemas'", flinkDeploymentCRD)
	} else if crdErr != nil {
		t.Fatal(crdErr)
	}
	return jsonValue(t, crdSchema)
}

// loadCRD is the CRD's schema with apiVersion and kind fixed and metadata
// checked as Kubernetes' ObjectMeta.
func loadCRD() (map[string]any, error) {
	schema, _, err := kubeschema.FlinkDeployment(flinkDeploymentCRD)
	if err != nil {
		return nil, err
	}
	schema["additionalProperties"] = false
	props := schema["properties"].(map[string]any)
	props["apiVersion"] = map[string]any{"enum": []any{"flink.apache.org/v1beta1"}}
	props["kind"] = map[string]any{"enum": []any{"FlinkDeployment"}}
	props["metadata"] = map[string]any{"$ref": definitionsURL + "#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}
	return schema, nil
}

func readJSON(path string) (any, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	v, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}

// jsonValue is v as a validator takes it (kubeschema.JSONValue).
func jsonValue(t *testing.T, v any) any {
	t.Helper()
	out, err := kubeschema.JSONValue(v)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// get walks a decoded document (kubeschema.Get).
func get(v any, path ...string) any { return kubeschema.Get(v, path...) }

// errorAt reports whether a validation error names the instance location at
// (a JSON pointer such as /spec/replicas).
func errorAt(err error, at string) bool {
	return regexp.MustCompile(`at '` + regexp.QuoteMeta(at) + `'`).MatchString(err.Error())
}
