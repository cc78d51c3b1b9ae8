package applications_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v4"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/applications"
	appsqlite "github.com/eddy-notebooks/eddy/applications/sqlite"
	"github.com/eddy-notebooks/eddy/kernel/flinktest"
	"github.com/eddy-notebooks/eddy/kernel/kubeschema"
	"github.com/eddy-notebooks/eddy/notebooks"
	nbsqlite "github.com/eddy-notebooks/eddy/notebooks/sqlite"
	"github.com/eddy-notebooks/eddy/sessions"
)

// wantFlinkVersion is the flinkVersion the manifest names: Flink 2.3. The
// pinned CRD (operator 1.10.0, the newest on Maven Central here) predates
// Flink 2, so its enum gets this one value added; every other value is
// still refused (see ValidatorIsNotVacuous).
const wantFlinkVersion = kubeschema.FlinkVersion

// TestManager_KubernetesManifest exports a real application record (a
// note built into version 1 and stored in SQLite, with a snapshot) and
// checks the FlinkDeployment against the operator's published CRD.
func TestManager_KubernetesManifest(t *testing.T) {
	schema := mustFlinkDeploymentSchema(t)
	f := newKubernetesFixture(t)
	ctx := context.Background()
	a, err := f.m.Get(ctx, f.appID)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("OK", func(t *testing.T) {
		out, err := f.m.KubernetesManifest(ctx, f.appID, applications.KubernetesOptions{})
		if err != nil {
			t.Fatal(err)
		}
		cm, fd := splitManifest(t, out)
		if err := schema.Validate(fd); err != nil {
			t.Fatalf("the FlinkDeployment does not match the CRD: %v\n%s", err, out)
		}
		name := "orders-pipeline-" + f.appID[:6] // "Orders_Pipeline" had to change
		if get(fd, "metadata", "name") != name || get(fd, "metadata", "namespace") != "default" {
			t.Fatalf("metadata %v", get(fd, "metadata"))
		}

		// The ConfigMap holds the script verbatim, where --scriptUri points.
		script, _ := get(cm, "data", "script.sql").(string)
		if script != a.Script || !strings.Contains(script, "EXECUTE STATEMENT SET") {
			t.Fatalf("the ConfigMap's script differs from the application's:\n%q\n%q", script, a.Script)
		}
		args := get(fd, "spec", "job", "args").([]any)
		if len(args) != 2 || args[0] != "--scriptUri" {
			t.Fatalf("args %v", args)
		}
		mountPath, volume := scriptMount(t, fd, get(cm, "metadata", "name").(string))
		if args[1] != "file://"+mountPath+"/script.sql" {
			t.Fatalf("--scriptUri %v, but the ConfigMap's volume %s is mounted at %s", args[1], volume, mountPath)
		}

		for _, c := range []struct {
			path []string
			want any
		}{
			{[]string{"apiVersion"}, "flink.apache.org/v1beta1"},
			{[]string{"spec", "flinkVersion"}, wantFlinkVersion},
			{[]string{"spec", "image"}, "flink:2.3.0"},
			{[]string{"spec", "serviceAccount"}, "flink"},
			{[]string{"spec", "job", "entryClass"}, "org.apache.flink.table.runtime.application.SqlDriver"},
			{[]string{"spec", "job", "jarURI"}, "local:///opt/flink/opt/flink-sql-gateway-2.3.0.jar"},
			{[]string{"spec", "job", "upgradeMode"}, "savepoint"},
			{[]string{"spec", "job", "parallelism"}, json.Number("3")},
			// The snapshot is on Eddy's disk: the job starts from its copy
			// in the savepoint directory, and the annotations say from where.
			{[]string{"spec", "job", "initialSavepointPath"}, "file:///flink-data/savepoints/" + name + "/savepoint-4a7c2e-9f00b1d2c3e4"},
			{[]string{"metadata", "annotations", "eddy/snapshot"}, "snap-1"},
			{[]string{"metadata", "annotations", "eddy/snapshot-source"}, f.snapshotPath},
			{[]string{"spec", "flinkConfiguration", "execution.checkpointing.interval"}, "15000 ms"},
			{[]string{"spec", "flinkConfiguration", "execution.checkpointing.dir"}, "file:///flink-data/checkpoints/" + name},
			{[]string{"spec", "flinkConfiguration", "execution.checkpointing.savepoint-dir"}, "file:///flink-data/savepoints/" + name},
			{[]string{"spec", "flinkConfiguration", "taskmanager.numberOfTaskSlots"}, "2"},
			{[]string{"spec", "flinkConfiguration", "table.catalog-store.file.path"}, "file:///flink-data/catalog-store"},
			{[]string{"spec", "flinkConfiguration", "table.builtin-catalog-name"}, "eddy"},
			{[]string{"spec", "podTemplate", "spec", "volumes", "0", "configMap", "name"}, name + "-v1-script"},
			{[]string{"spec", "flinkConfiguration", "pipeline.name"}, "eddy-app:Orders_Pipeline"},
			{[]string{"spec", "flinkConfiguration", "pipeline.max-parallelism"}, "128"},
			{[]string{"spec", "jobManager", "resource", "memory"}, "4096m"},
			{[]string{"spec", "taskManager", "resource", "cpu"}, json.Number("1")},
			{[]string{"metadata", "labels", "eddy/application-id"}, f.appID},
			{[]string{"metadata", "labels", "eddy/application"}, "Orders_Pipeline"},
			{[]string{"metadata", "labels", "eddy/version"}, "1"},
			{[]string{"metadata", "labels", "tags.eddy/team"}, "data-platform"},
			{[]string{"metadata", "labels", "tags.eddy/cost-center"}, "Finance-Q3-2026"},
			{[]string{"metadata", "annotations", "eddy/application"}, "Orders_Pipeline"},
			{[]string{"metadata", "annotations", "eddy/tags"}, `{"cost center":"Finance / Q3 2026","team":"data-platform"}`},
		} {
			if got := get(fd, c.path...); got != c.want {
				t.Errorf("%s = %#v, want %#v", strings.Join(c.path, "."), got, c.want)
			}
		}
		for _, doc := range []map[string]any{cm, fd} {
			checkLabels(t, doc)
		}
		if !slices.Contains(volumeNames(fd), "flink-data") {
			t.Errorf("the default directories are on the flink-data volume, which is not mounted: %v", volumeNames(fd))
		}
		again, err := f.m.KubernetesManifest(ctx, f.appID, applications.KubernetesOptions{})
		if err != nil || !bytes.Equal(again, out) {
			t.Errorf("a second export differs (%v)", err)
		}
	})

	t.Run("ValidatorIsNotVacuous", func(t *testing.T) {
		out, err := f.m.KubernetesManifest(ctx, f.appID, applications.KubernetesOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name string
			at   string // where the validator must find the fault
			edit func(spec map[string]any)
		}{
			{"UpgradeMode", "/spec/job/upgradeMode", func(s map[string]any) { s["job"].(map[string]any)["upgradeMode"] = "sometimes" }},
			{"ParallelismString", "/spec/job/parallelism", func(s map[string]any) { s["job"].(map[string]any)["parallelism"] = "two" }},
			{"UnknownJobField", "/spec/job", func(s map[string]any) { s["job"].(map[string]any)["upgradeMod"] = "savepoint" }},
			{"FlinkVersion", "/spec/flinkVersion", func(s map[string]any) { s["flinkVersion"] = "v9_9" }},
			{"ConfigurationNotString", "/spec/flinkConfiguration/parallelism.default", func(s map[string]any) {
				s["flinkConfiguration"].(map[string]any)["parallelism.default"] = json.Number("2")
			}},
			{"ArgsNotList", "/spec/job/args", func(s map[string]any) { s["job"].(map[string]any)["args"] = "--scriptUri x" }},
			{"PodTemplateUnknownField", "/spec/podTemplate/spec/volumes/0", func(s map[string]any) {
				get(s, "podTemplate", "spec", "volumes").([]any)[0].(map[string]any)["configmap"] = map[string]any{"name": "x"}
			}},
		} {
			t.Run(c.name, func(t *testing.T) {
				_, fd := splitManifest(t, out)
				c.edit(fd["spec"].(map[string]any))
				err := schema.Validate(fd)
				if err == nil || !strings.Contains(err.Error(), "'"+c.at+"'") {
					t.Fatalf("a FlinkDeployment broken at %s: validation says %v", c.at, err)
				}
			})
		}
	})

	t.Run("Options", func(t *testing.T) {
		opt := applications.KubernetesOptions{Namespace: "streaming", Image: "registry.example:5000/eddy/flink:2.3.0-kafka",
			CheckpointDir: "s3://state/eddy/checkpoints", SavepointDir: "s3://state/eddy/savepoints",
			InitialSavepointPath: applications.KubernetesNoSavepoint, ServiceAccount: "flink-apps"}
		out, err := f.m.KubernetesManifest(ctx, f.appID, opt)
		if err != nil {
			t.Fatal(err)
		}
		cm, fd := splitManifest(t, out)
		if err := schema.Validate(fd); err != nil {
			t.Fatalf("the FlinkDeployment does not match the CRD: %v\n%s", err, out)
		}
		if get(fd, "spec", "job", "initialSavepointPath") != nil || get(fd, "metadata", "annotations", "eddy/snapshot") != nil {
			t.Errorf("initialSavepoint none still restores: %v", get(fd, "spec", "job"))
		}
		if slices.Contains(volumeNames(fd), "flink-data") {
			t.Errorf("flink-data is mounted though no directory is on it")
		}
		for _, c := range []struct {
			path []string
			want any
		}{
			{[]string{"metadata", "namespace"}, "streaming"},
			{[]string{"spec", "image"}, opt.Image},
			{[]string{"spec", "serviceAccount"}, "flink-apps"},
			{[]string{"spec", "flinkConfiguration", "execution.checkpointing.dir"}, opt.CheckpointDir},
			{[]string{"spec", "flinkConfiguration", "execution.checkpointing.savepoint-dir"}, opt.SavepointDir},
			{[]string{"spec", "flinkConfiguration", "high-availability.storageDir"}, opt.CheckpointDir + "/ha"},
		} {
			if got := get(fd, c.path...); got != c.want {
				t.Errorf("%s = %#v, want %#v", strings.Join(c.path, "."), got, c.want)
			}
		}
		if get(cm, "metadata", "namespace") != "streaming" {
			t.Errorf("the ConfigMap is in %v", get(cm, "metadata", "namespace"))
		}

		opt = applications.KubernetesOptions{InitialSavepointPath: "s3://state/eddy/savepoints/savepoint-1"}
		out, err = f.m.KubernetesManifest(ctx, f.appID, opt)
		if err != nil {
			t.Fatal(err)
		}
		if _, fd := splitManifest(t, out); get(fd, "spec", "job", "initialSavepointPath") != opt.InitialSavepointPath {
			t.Errorf("initialSavepointPath %v, want the option's", get(fd, "spec", "job", "initialSavepointPath"))
		}
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		for _, c := range []struct {
			name string
			opt  applications.KubernetesOptions
			text string
		}{
			{"NamespaceUpper", applications.KubernetesOptions{Namespace: "Streaming"}, "namespace"},
			{"NamespaceLong", applications.KubernetesOptions{Namespace: strings.Repeat("a", 64)}, "namespace"},
			{"ServiceAccount", applications.KubernetesOptions{ServiceAccount: "flink_apps"}, "serviceAccount"},
			{"ImageSpace", applications.KubernetesOptions{Image: "flink 2.3.0"}, "image"},
			{"ImageURL", applications.KubernetesOptions{Image: "https://registry/flink"}, "image"},
			{"CheckpointDirRelative", applications.KubernetesOptions{CheckpointDir: "checkpoints"}, "checkpointDir"},
			{"CheckpointDirNoScheme", applications.KubernetesOptions{CheckpointDir: "/flink-data/checkpoints"}, "checkpointDir"},
			{"SavepointDirFileHost", applications.KubernetesOptions{SavepointDir: "file://flink-data/savepoints"}, "savepointDir"},
			{"SavepointDirNoBucket", applications.KubernetesOptions{SavepointDir: "s3:///savepoints"}, "savepointDir"},
			{"InitialSavepointQuery", applications.KubernetesOptions{InitialSavepointPath: "s3://b/sp?x=1"}, "initialSavepoint"},
			{"InitialSavepointRoot", applications.KubernetesOptions{InitialSavepointPath: "file:///"}, "initialSavepoint"},
		} {
			t.Run(c.name, func(t *testing.T) {
				_, err := f.m.KubernetesManifest(ctx, f.appID, c.opt)
				if code(err) != eddy.EINVALID || !strings.Contains(eddy.ErrorMessage(err), c.text) {
					t.Fatalf("err = %v (%s), want %s naming %s", err, code(err), eddy.EINVALID, c.text)
				}
			})
		}
	})

	// Last: it adds a newer snapshot. A remote session cluster that has the
	// flink-data volume wrote it there, and there the job finds it.
	t.Run("SnapshotOnSharedVolume", func(t *testing.T) {
		if err := f.store.AddSnapshot(ctx, f.appID, &applications.Snapshot{ID: "snap-2", Path: "/flink-data/savepoints/savepoint-77aa01-0123456789ab",
			Version: 1, JobID: a.JobID, Trigger: "manual", CreatedAt: time.Now().UTC().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		out, err := f.m.KubernetesManifest(ctx, f.appID, applications.KubernetesOptions{
			CheckpointDir: "s3://state/checkpoints", SavepointDir: "s3://state/savepoints"})
		if err != nil {
			t.Fatal(err)
		}
		_, fd := splitManifest(t, out)
		if got := get(fd, "spec", "job", "initialSavepointPath"); got != "file:///flink-data/savepoints/savepoint-77aa01-0123456789ab" {
			t.Fatalf("initialSavepointPath %v", got)
		}
		if !slices.Contains(volumeNames(fd), "flink-data") || bytes.Contains(out, []byte("copy its directory")) {
			t.Fatalf("the savepoint's volume is not mounted, or a copy is asked for:\n%s", out)
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := f.m.KubernetesManifest(ctx, "0123456789abcdef", applications.KubernetesOptions{})
		_, getErr := f.m.Get(ctx, "0123456789abcdef")
		if code(err) != eddy.ENOTFOUND || eddy.ErrorMessage(err) != eddy.ErrorMessage(getErr) {
			t.Fatalf("err = %v, want the not-found error Get gives (%v)", err, getErr)
		}
	})
}

// TestKubernetesName: names become DNS-1035 labels of at most 45
// characters; a name that changed gets part of the id, so two
// applications never share one.
func TestKubernetesName(t *testing.T) {
	const id = "0af3c2d1e0b9a877"
	for _, c := range []struct{ app, want string }{
		{"orders", "orders"},
		{"orders-v2", "orders-v2"},
		{"Orders", "orders-0af3c2"},
		{"orders_v2", "orders-v2-0af3c2"},
		{"orders.eu..v2", "orders-eu-v2-0af3c2"},
		{"2024-orders", "eddy-2024-orders-0af3c2"},
		{"_x_", "x-0af3c2"},
		{"9", "eddy-9-0af3c2"},
		{"___", "eddy-0af3c2"},
		{strings.Repeat("a", 45), strings.Repeat("a", 45)},
		{strings.Repeat("a", 46), strings.Repeat("a", 38) + "-0af3c2"},
		{strings.Repeat("ab-", 20), "ab-ab-ab-ab-ab-ab-ab-ab-ab-ab-ab-ab-ab-0af3c2"},
	} {
		t.Run(c.app, func(t *testing.T) {
			got := applications.KubernetesName(c.app, id)
			if got != c.want {
				t.Fatalf("KubernetesName(%q) = %q, want %q", c.app, got, c.want)
			}
			if len(got) > 45 || !dns1035RE.MatchString(got) {
				t.Fatalf("%q is no valid FlinkDeployment name", got)
			}
		})
	}
}

// TestKubernetesLabelValue: any text becomes a valid label value.
func TestKubernetesLabelValue(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"data-platform", "data-platform"},
		{"Orders_Pipeline.v2", "Orders_Pipeline.v2"},
		{"Finance / Q3 2026", "Finance-Q3-2026"},
		{"  padded  ", "padded"},
		{"-_.edge._-", "edge"},
		{"é", ""},
		{"", ""},
		{strings.Repeat("x", 70), strings.Repeat("x", 63)},
		{strings.Repeat("x", 62) + ".y", strings.Repeat("x", 62)},
	} {
		t.Run(c.in, func(t *testing.T) {
			got := applications.KubernetesLabelValue(c.in)
			if got != c.want || !labelValueRE.MatchString(got) {
				t.Fatalf("KubernetesLabelValue(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

var (
	dns1035RE    = regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`)
	labelValueRE = regexp.MustCompile(`^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$`)
	labelNameRE  = regexp.MustCompile(`^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$`)
)

// kubernetesFixture is a manager on a real SQLite file holding one
// application built from a real note, with one snapshot.
type kubernetesFixture struct {
	m            *applications.Manager
	store        *appsqlite.Store
	appID        string
	snapshotPath string
}

// newKubernetesFixture stores the application as Create would, less the
// validation in a Flink session: the note is built with BuildNote and the
// record and version go to the store; the manager then loads them.
func newKubernetesFixture(t *testing.T) *kubernetesFixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	notes, err := nbsqlite.Open(ctx, filepath.Join(dir, nbsqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { notes.Close() })
	n, err := notes.CreateNote(ctx, notebooks.NoteCreate{Path: "orders pipeline", Paragraphs: []notebooks.ParagraphCreate{
		{Text: "%md\n# Orders"},
		{Text: "%flink.ssql\nSET 'table.exec.state.ttl' = '1 h';\n" +
			"CREATE TABLE orders (id BIGINT, region STRING) WITH ('connector' = 'datagen', 'rows-per-second' = '5');\n" +
			"CREATE TEMPORARY TABLE by_region (region STRING, n BIGINT) WITH ('connector' = 'blackhole')"},
		{Text: "%flink.ssql\nINSERT INTO by_region SELECT region, COUNT(*) FROM orders GROUP BY region"},
		{Text: "%flink.ssql\nSELECT * FROM orders"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	paras, err := notes.ListParagraphs(ctx, n.ID)
	if err != nil {
		t.Fatal(err)
	}
	b, err := applications.BuildNote(n, paras)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	const id = "5e1d0c9b8a7f6e5d"
	rec := &applications.Record{ID: id, Name: "Orders_Pipeline", NoteID: n.ID, NoteName: n.Name, Version: 1,
		Status: applications.StatusReady, Parallelism: 3, MaxParallelism: 128, Target: applications.TargetSession,
		Tags: map[string]string{"team": "data-platform", "cost center": "Finance / Q3 2026"}, CheckpointIntervalMs: 15000,
		JobID: strings.Repeat("0", 16) + id, Desired: applications.DesiredStopped, CreatedAt: now, UpdatedAt: now}
	v := &applications.Version{Number: 1, Script: b.Script, Settings: b.Settings, Included: b.Included, Excluded: b.Excluded,
		Forms: b.Forms, CreatedAt: now}
	store := appsqlite.NewStore(notes)
	if err := store.CreateApplication(ctx, rec, v); err != nil {
		t.Fatal(err)
	}
	f := &kubernetesFixture{store: store, appID: id, snapshotPath: filepath.Join(dir, "applications", id, "snapshots", "savepoint-4a7c2e-9f00b1d2c3e4")}
	if err := store.AddSnapshot(ctx, id, &applications.Snapshot{ID: "snap-0", Path: filepath.Join(dir, "older"), Version: 1,
		JobID: rec.JobID, Trigger: "manual", CreatedAt: now.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := store.AddSnapshot(ctx, id, &applications.Snapshot{ID: "snap-1", Path: f.snapshotPath, Version: 1,
		JobID: rec.JobID, Trigger: "stop", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	f.m = applications.NewManager(applications.Config{
		Store: store, Notes: notes, Capacity: sessions.NewLedger(8),
		Runners:       map[string]applications.Runner{applications.TargetSession: &applications.SessionRunner{}},
		DefaultTarget: applications.TargetSession, Dir: filepath.Join(dir, "applications"), ParallelismPerKPU: 2,
	})
	if err := f.m.Open(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := f.m.Close(context.Background()); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return f
}

// mustFlinkDeploymentSchema compiles the openAPIV3Schema of the CRD's
// served v1beta1 version, as the API server applies it with kubectl's
// strict field validation: a field the schema does not know is an error
// (the API server would otherwise drop it without a word). apiVersion,
// kind and metadata, which the API server checks itself, are let through.
func mustFlinkDeploymentSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	root, err := flinktest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	schema, added, err := kubeschema.FlinkDeployment(filepath.Join(root, kubeschema.CRDPath))
	if errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the FlinkDeployment CRD is not installed at %s: run 'make k8s-schemas'", kubeschema.CRDPath)
	} else if err != nil {
		t.Fatal(err)
	}
	if added {
		t.Logf("the pinned CRD's flinkVersion enum predates Flink 2: %s added", kubeschema.FlinkVersion)
	}
	props := schema["properties"].(map[string]any)
	props["apiVersion"] = map[string]any{"type": "string"}
	props["kind"] = map[string]any{"type": "string"}
	props["metadata"] = map[string]any{"type": "object"}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("flinkdeployment.json", schema); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("flinkdeployment.json")
	if err != nil {
		t.Fatalf("compiling the CRD's schema: %v", err)
	}
	return s
}

// splitManifest returns the manifest's ConfigMap and FlinkDeployment as
// JSON values, which the validator takes.
func splitManifest(t *testing.T, out []byte) (cm, fd map[string]any) {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(out))
	for {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("the manifest is not YAML: %v\n%s", err, out)
		}
		m := jsonValue(t, doc).(map[string]any)
		switch m["kind"] {
		case "ConfigMap":
			cm = m
		case "FlinkDeployment":
			fd = m
		default:
			t.Fatalf("unexpected document of kind %v", m["kind"])
		}
	}
	if cm == nil || fd == nil {
		t.Fatalf("the manifest lacks a ConfigMap or a FlinkDeployment:\n%s", out)
	}
	return cm, fd
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

// scriptMount returns where the pod template mounts the ConfigMap.
func scriptMount(t *testing.T, fd map[string]any, configMap string) (string, string) {
	t.Helper()
	pod := get(fd, "spec", "podTemplate", "spec")
	var volume string
	for _, v := range get(pod, "volumes").([]any) {
		if get(v, "configMap", "name") == configMap {
			volume = get(v, "name").(string)
		}
	}
	for _, c := range get(pod, "containers").([]any) {
		if get(c, "name") != "flink-main-container" {
			continue
		}
		for _, m := range get(c, "volumeMounts").([]any) {
			if volume != "" && get(m, "name") == volume {
				return get(m, "mountPath").(string), volume
			}
		}
	}
	t.Fatalf("the pod template does not mount ConfigMap %s into flink-main-container: %v", configMap, pod)
	return "", ""
}

func volumeNames(fd map[string]any) []string {
	var names []string
	for _, v := range get(fd, "spec", "podTemplate", "spec", "volumes").([]any) {
		names = append(names, get(v, "name").(string))
	}
	return names
}

// checkLabels checks every label of a document as the API server would.
func checkLabels(t *testing.T, doc map[string]any) {
	t.Helper()
	for k, v := range get(doc, "metadata", "labels").(map[string]any) {
		s, _ := v.(string)
		if !labelNameRE.MatchString(k) || !labelValueRE.MatchString(s) {
			t.Errorf("%s: label %q = %q is not valid", doc["kind"], k, s)
		}
	}
}
