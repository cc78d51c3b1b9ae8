package applications

// This file is an application exported for the Flink Kubernetes Operator:
// a ConfigMap holding its script and a FlinkDeployment that runs the script
// through Flink's SqlDriver in application mode, as the standalone target
// does on this machine.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v4"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/kernel"
	"github.com/eddy-notebooks/eddy/kernel/localflink"
)

// KubernetesOptions shape an application's Kubernetes manifest. A zero
// field takes the default its comment names.
type KubernetesOptions struct {
	// Namespace of the ConfigMap and the FlinkDeployment (a DNS-1123
	// label); default "default".
	Namespace string
	// Image is the Flink image of the JobManager and the TaskManagers;
	// default DefaultKubernetesImage. It must hold what the script uses
	// beyond Flink itself: connector and format jars (Kafka, Avro,
	// Parquet) and Eddy's catalog jar, in /opt/flink/lib.
	Image string
	// CheckpointDir is execution.checkpointing.dir, a URI every
	// JobManager and TaskManager reaches (s3://..., or file:///flink-data/...
	// on the shared volume); default file:///flink-data/checkpoints/<name>.
	// The JobManager's high-availability data goes to <CheckpointDir>/ha.
	CheckpointDir string
	// SavepointDir is execution.checkpointing.savepoint-dir, where the
	// operator's upgrades and Eddy's copied snapshots are; default
	// file:///flink-data/savepoints/<name>.
	SavepointDir string
	// InitialSavepointPath is the savepoint the job first starts from.
	// Default: the application's latest snapshot, at
	// <SavepointDir>/<its directory name> (the snapshot is on Eddy's disk:
	// it must be copied there first), or where it is when its cluster wrote
	// it to a remote file system (s3://...) or to the flink-data volume
	// (/flink-data/...); no savepoint when the application has no snapshot. KubernetesNoSavepoint starts without
	// state.
	InitialSavepointPath string
	// ServiceAccount the Flink pods run as (a DNS-1123 subdomain); it
	// needs the rights the operator's Helm chart gives its "flink"
	// account. Default DefaultKubernetesServiceAccount.
	ServiceAccount string
}

// Defaults and values of KubernetesOptions.
const (
	DefaultKubernetesNamespace      = "default"
	DefaultKubernetesServiceAccount = "flink"
	// DefaultKubernetesImage is Flink's official image of the release Eddy
	// runs. It lacks the connectors and Eddy's catalog: build an image
	// from it with those jars in /opt/flink/lib.
	DefaultKubernetesImage = "flink:" + kubernetesFlinkRelease
	// KubernetesNoSavepoint as InitialSavepointPath starts the job
	// without state even when the application has snapshots.
	KubernetesNoSavepoint = "none"
)

const (
	kubernetesFlinkRelease = "2.3.0"
	// kubernetesFlinkVersion is the FlinkDeployment's flinkVersion, an enum
	// of the operator's CRD naming the Flink minor release: v2_3 for the
	// Flink Eddy runs, so the operator applies what it knows of 2.3
	// (config.yaml rather than flink-conf.yaml, the 2.x option names).
	// Operator 1.15 lists it; the CRD pinned for the tests
	// (deps/kubernetes) is the newest on Maven Central here, 1.10.0, whose
	// enum stops at v1_20: no value of it describes a Flink 2 cluster.
	kubernetesFlinkVersion = "v2_3"
	// kubernetesGatewayJar is the job's jar: the SQL Gateway's, which holds
	// the ScriptRunner that SqlDriver (in Flink's lib/) runs statements
	// with. Flink's binary distribution, and so the official image, ships
	// it in opt/.
	kubernetesGatewayJar = "local:///opt/flink/opt/flink-sql-gateway-" + kubernetesFlinkRelease + ".jar"
	// kubernetesScriptDir is where the pods mount the script's ConfigMap.
	kubernetesScriptDir  = "/opt/flink/eddy/script"
	kubernetesScriptFile = "script.sql"
	kubernetesPlanFile   = "plan.json"
	// kubernetesDataDir is the mount point of the flink-data volume (a
	// PersistentVolumeClaim of that name, ReadWriteMany) that the default
	// checkpoint and savepoint directories are on. It is mounted only
	// when a directory or the initial savepoint is under it.
	kubernetesDataDir    = "/flink-data"
	kubernetesDataVolume = "flink-data"
	// kubernetesCatalogStore is the file catalog store the job opens, as
	// Eddy's clusters do: on the flink-data volume, where the session
	// cluster of the notes keeps it (docs/kubernetes.md), so the job sees
	// the tables of every note. Where the volume is not mounted Flink
	// creates an empty store, and the script's own DDL creates its tables
	// in an in-memory catalog named eddy.
	kubernetesCatalogStore = "file://" + kubernetesDataDir + "/catalog-store"
	// maxKubernetesScript bounds the script: a ConfigMap holds at most
	// 1 MiB, metadata included. A longer script is refused.
	maxKubernetesScript = 1000 << 10
	// maxKubernetesName is the longest FlinkDeployment name the operator
	// accepts: it names the cluster's Services after it.
	maxKubernetesName = 45
	// kubernetesKPUMemory is the memory of one KPU (1 vCPU + 4 GB) as a
	// Flink memory size.
	kubernetesKPUMemory = "4096m"
)

// Label and annotation keys of the exported objects.
const (
	kubernetesKeyID          = "eddy/application-id"
	kubernetesKeyName        = "eddy/application"
	kubernetesKeyVersion     = "eddy/version"
	kubernetesKeyTags        = "eddy/tags"
	kubernetesKeySnapshot    = "eddy/snapshot"
	kubernetesKeySnapshotDir = "eddy/snapshot-source"
	kubernetesKeyImage       = "eddy/image-requires"
	kubernetesTagLabelPrefix = "tags.eddy/"
)

// KubernetesManifest returns the application's current version as YAML
// for the Flink Kubernetes Operator, to kubectl apply: a ConfigMap with
// the script (and the compiled plan it executes, when the version has one)
// and a FlinkDeployment (flink.apache.org/v1beta1) running it
// in application mode through SqlDriver, upgraded with savepoints, with
// the application's parallelism, checkpoint interval, id, name, version
// and tags. The cluster holds the KPUs Eddy meters for it: a JobManager of
// one KPU and TaskManagers of one KPU, each with ParallelismPerKPU slots.
// Bad options and a Python version are EINVALID, a script too long for a
// ConfigMap ETOOLARGE,
// an unknown application ENOTFOUND.
func (m *Manager) KubernetesManifest(ctx context.Context, id string, opt KubernetesOptions) ([]byte, error) {
	a, err := m.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	v, err := m.cfg.Store.FindVersion(ctx, a.ID, a.Version)
	if err != nil {
		return nil, err
	}
	if ScriptLanguage(v) == LanguagePython {
		return nil, eddy.Errorf(eddy.EINVALID, "application %s: version %d is a Python program, which Eddy exports only as SQL run by SqlDriver; run it on its own cluster here", a.Name, v.Number)
	}
	// SqlDriver starts in its default_catalog, and the pods' catalog
	// store is empty: the script creates the catalog its names resolve in
	// (in memory, as the rest of its DDL creates its tables) and enters it.
	script := useNamespace(v, inMemoryCatalog(v)) + v.Script
	data := map[string]string{kubernetesScriptFile: script}
	if len(v.CompiledPlan) > 0 {
		// The job runs the compiled plan, as here, so its operators keep
		// the ids its snapshots hold state for.
		stmts := kernel.SplitStatements(script)
		data[kubernetesScriptFile] = executePlanScript(script, stmts[len(stmts)-1].Offset, "file://"+path.Join(kubernetesScriptDir, kubernetesPlanFile))
		data[kubernetesPlanFile] = string(v.CompiledPlan)
	}
	if size := len(data[kubernetesScriptFile]) + len(data[kubernetesPlanFile]); size > maxKubernetesScript {
		return nil, eddy.Errorf(eddy.ETOOLARGE, "application %s: its script and plan have %d bytes, more than the %d a ConfigMap can hold", a.Name, size, maxKubernetesScript)
	}
	name := KubernetesName(a.Name, a.ID)
	opt, err = opt.withDefaults(name)
	if err != nil {
		return nil, err
	}
	savepoint, snapshotNote := kubernetesInitialSavepoint(a, opt)

	labels := kubernetesLabels(a, name)
	annotations := map[string]string{
		kubernetesKeyName:    a.Name,
		kubernetesKeyVersion: strconv.Itoa(a.Version),
		kubernetesKeyImage:   "connector and format jars the script uses, and eddy-catalog.jar, in /opt/flink/lib",
	}
	if len(a.Tags) > 0 {
		tags, err := json.Marshal(a.Tags) // keys sorted: the same tags give the same text
		if err != nil {
			return nil, eddy.Wrap(eddy.EINTERNAL, err, "application %s: encoding its tags", a.Name)
		}
		annotations[kubernetesKeyTags] = string(tags)
	}
	if snapshotNote != "" {
		annotations[kubernetesKeySnapshot] = a.LastSnapshot.ID
		annotations[kubernetesKeySnapshotDir] = a.LastSnapshot.Path
	}

	// A new version is a new ConfigMap: the FlinkDeployment's spec names
	// it, so the operator sees the change and upgrades the job (it does
	// not watch the ConfigMaps it mounts).
	scriptMap := fmt.Sprintf("%s-v%d-script", name, a.Version)
	cm := kubeConfigMap{APIVersion: "v1", Kind: "ConfigMap",
		Metadata: kubeMeta{Name: scriptMap, Namespace: opt.Namespace, Labels: labels, Annotations: annotations},
		Data:     data}

	slots := m.cfg.ParallelismPerKPU
	conf := map[string]string{
		"pipeline.name":                                             "eddy-app:" + a.Name,
		"execution.checkpointing.interval":                          fmt.Sprintf("%d ms", a.CheckpointIntervalMs),
		"execution.checkpointing.dir":                               opt.CheckpointDir,
		"execution.checkpointing.savepoint-dir":                     opt.SavepointDir,
		"execution.checkpointing.externalized-checkpoint-retention": "RETAIN_ON_CANCELLATION",
		// The key groups of its keyed state: the same as wherever its
		// snapshots were taken, or they cannot be restored.
		"pipeline.max-parallelism": strconv.Itoa(a.MaxParallelism),
		// A JobManager that dies is replaced and resumes the job from its
		// latest checkpoint, as Eddy restarts its own application clusters.
		"high-availability.type":       "kubernetes",
		"high-availability.storageDir": strings.TrimSuffix(opt.CheckpointDir, "/") + "/ha",
		// The scheduler of Eddy's standalone clusters: a job that lost
		// TaskManagers goes on with the slots left and scales back up.
		"jobmanager.scheduler":          "adaptive",
		"taskmanager.numberOfTaskSlots": strconv.Itoa(slots),
		"table.catalog-store.kind":      "file",
		"table.catalog-store.file.path": kubernetesCatalogStore,
		"table.builtin-catalog-name":    localflink.CatalogName,
	}
	fd := flinkDeployment{APIVersion: "flink.apache.org/v1beta1", Kind: "FlinkDeployment",
		Metadata: kubeMeta{Name: name, Namespace: opt.Namespace, Labels: labels, Annotations: annotations},
		Spec: flinkDeploymentSpec{
			Image: opt.Image, FlinkVersion: kubernetesFlinkVersion, ServiceAccount: opt.ServiceAccount,
			FlinkConfiguration: conf,
			PodTemplate:        kubernetesPodTemplate(scriptMap, opt, savepoint),
			JobManager:         flinkProcessSpec{Replicas: 1, Resource: flinkResource{CPU: 1, Memory: kubernetesKPUMemory}},
			TaskManager:        flinkProcessSpec{Resource: flinkResource{CPU: 1, Memory: kubernetesKPUMemory}},
			Job: flinkJobSpec{
				JarURI:               kubernetesGatewayJar,
				EntryClass:           localflink.SQLDriver,
				Args:                 []string{"--scriptUri", "file://" + path.Join(kubernetesScriptDir, kubernetesScriptFile)},
				Parallelism:          a.Parallelism,
				UpgradeMode:          "savepoint",
				State:                "running",
				InitialSavepointPath: savepoint,
			},
		}}

	var b bytes.Buffer
	fmt.Fprintf(&b, "# Eddy application %s (id %s), version %d, for the Flink Kubernetes Operator.\n", a.Name, a.ID, a.Version)
	b.WriteString("# kubectl apply -f this file. The operator must know flinkVersion " + kubernetesFlinkVersion + " (1.15 or newer).\n")
	b.WriteString("# The image must hold the connector and format jars the script uses and eddy-catalog.jar\n")
	b.WriteString("# in /opt/flink/lib; " + DefaultKubernetesImage + " alone has neither.\n")
	if snapshotNote != "" {
		b.WriteString(snapshotNote)
	}
	enc := yaml.NewEncoder(&b) // separates the documents with ---
	enc.SetIndent(2)
	for _, doc := range []any{cm, fd} {
		if err := enc.Encode(doc); err != nil {
			return nil, eddy.Wrap(eddy.EINTERNAL, err, "application %s: encoding its manifest", a.Name)
		}
	}
	if err := enc.Close(); err != nil {
		return nil, eddy.Wrap(eddy.EINTERNAL, err, "application %s: encoding its manifest", a.Name)
	}
	return b.Bytes(), nil
}

// withDefaults fills the zero options and checks them all.
func (o KubernetesOptions) withDefaults(name string) (KubernetesOptions, error) {
	if o.Namespace == "" {
		o.Namespace = DefaultKubernetesNamespace
	}
	if o.Image == "" {
		o.Image = DefaultKubernetesImage
	}
	if o.ServiceAccount == "" {
		o.ServiceAccount = DefaultKubernetesServiceAccount
	}
	if o.CheckpointDir == "" {
		o.CheckpointDir = "file://" + path.Join(kubernetesDataDir, "checkpoints", name)
	}
	if o.SavepointDir == "" {
		o.SavepointDir = "file://" + path.Join(kubernetesDataDir, "savepoints", name)
	}
	switch {
	case len(o.Namespace) > 63 || !dnsLabelRE.MatchString(o.Namespace):
		return o, eddy.Errorf(eddy.EINVALID, "namespace %q: use 1 to 63 lower-case letters, digits or '-', starting and ending with a letter or digit", o.Namespace)
	case len(o.ServiceAccount) > 253 || !dnsSubdomainRE.MatchString(o.ServiceAccount):
		return o, eddy.Errorf(eddy.EINVALID, "serviceAccount %q: use lower-case letters, digits, '-' and '.', starting and ending with a letter or digit", o.ServiceAccount)
	case len(o.Image) > 512 || !imageRE.MatchString(o.Image):
		return o, eddy.Errorf(eddy.EINVALID, "image %q: name an image as docker pull does (registry/repository:tag or @digest)", o.Image)
	}
	if err := checkStorageURI("checkpointDir", o.CheckpointDir); err != nil {
		return o, err
	}
	if err := checkStorageURI("savepointDir", o.SavepointDir); err != nil {
		return o, err
	}
	if o.InitialSavepointPath != "" && o.InitialSavepointPath != KubernetesNoSavepoint {
		if err := checkStorageURI("initialSavepoint", o.InitialSavepointPath); err != nil {
			return o, err
		}
	}
	return o, nil
}

var (
	dnsLabelRE     = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	dnsSubdomainRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	imageRE        = regexp.MustCompile(`^([a-z0-9][a-z0-9.-]*(:[0-9]+)?/)?[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@[a-z0-9]+:[a-f0-9]{32,})?$`)
	schemeRE       = regexp.MustCompile(`^[a-z][a-z0-9+.-]*$`)
)

// checkStorageURI checks a directory or savepoint that Flink's pods open:
// a URI with a scheme, absolute, without query or fragment.
func checkStorageURI(option, v string) error {
	u, err := url.Parse(v)
	bad := err != nil || !schemeRE.MatchString(u.Scheme) || u.RawQuery != "" || u.Fragment != "" ||
		strings.ContainsAny(v, " \t\r\n") || u.Opaque != ""
	switch {
	case bad:
		return eddy.Errorf(eddy.EINVALID, "%s %q: use a URI the Flink pods can reach, such as s3://bucket/path or file:///flink-data/path", option, v)
	case u.Scheme == "file" && (u.Host != "" || !strings.HasPrefix(u.Path, "/") || u.Path == "/"):
		return eddy.Errorf(eddy.EINVALID, "%s %q: a file URI names an absolute directory inside the pods, as file:///flink-data/path", option, v)
	case u.Scheme != "file" && u.Host == "":
		return eddy.Errorf(eddy.EINVALID, "%s %q: name the bucket or host, as %s://bucket/path", option, v, u.Scheme)
	}
	return nil
}

// kubernetesInitialSavepoint returns the job's initialSavepointPath and,
// when it is the latest snapshot, a comment saying where to copy it from.
func kubernetesInitialSavepoint(a *Application, opt KubernetesOptions) (string, string) {
	switch {
	case opt.InitialSavepointPath == KubernetesNoSavepoint:
		return "", ""
	case opt.InitialSavepointPath != "":
		return opt.InitialSavepointPath, ""
	case a.LastSnapshot == nil:
		return "", ""
	}
	src := a.LastSnapshot.Path
	if u, err := url.Parse(src); err == nil && u.Scheme != "" && u.Scheme != "file" {
		// Written by a remote cluster to a file system the pods may reach.
		return src, ""
	}
	if p := strings.TrimPrefix(src, "file://"); strings.HasPrefix(p, kubernetesDataDir+"/") {
		// Written by a cluster that has the flink-data volume too (a
		// session cluster in Kubernetes, Eddy in remote mode): it is there.
		return "file://" + p, ""
	}
	// Savepoints are self-contained: the directory can move as a whole.
	dst := strings.TrimSuffix(opt.SavepointDir, "/") + "/" + path.Base(strings.TrimSuffix(src, "/"))
	// Quoted: a path is not Eddy's to trust to hold no line break.
	note := fmt.Sprintf("# The job starts from snapshot %s: copy its directory %q on Eddy's host to %q first.\n",
		a.LastSnapshot.ID, src, dst)
	return dst, note
}

// kubernetesPodTemplate mounts the script and, when a directory the job
// uses is on it, the flink-data volume.
func kubernetesPodTemplate(scriptMap string, opt KubernetesOptions, savepoint string) *kubePod {
	mounts := []kubeVolumeMount{{Name: "eddy-script", MountPath: kubernetesScriptDir, ReadOnly: true}}
	volumes := []kubeVolume{{Name: "eddy-script", ConfigMap: &kubeConfigMapVolume{Name: scriptMap}}}
	onData := func(uri string) bool { return strings.HasPrefix(uri, "file://"+kubernetesDataDir+"/") }
	if onData(opt.CheckpointDir) || onData(opt.SavepointDir) || onData(savepoint) {
		mounts = append(mounts, kubeVolumeMount{Name: kubernetesDataVolume, MountPath: kubernetesDataDir})
		volumes = append(volumes, kubeVolume{Name: kubernetesDataVolume,
			PersistentVolumeClaim: &kubeClaimVolume{ClaimName: kubernetesDataVolume}})
	}
	return &kubePod{APIVersion: "v1", Kind: "Pod", Spec: kubePodSpec{
		// The operator merges its own container into the one of this name.
		Containers: []kubeContainer{{Name: "flink-main-container", VolumeMounts: mounts}},
		Volumes:    volumes,
	}}
}

// kubernetesLabels are the objects' labels: the application's id, name,
// version and tags as valid label values (the annotations keep the exact
// name and tags).
func kubernetesLabels(a *Application, name string) map[string]string {
	l := map[string]string{
		"app.kubernetes.io/name":    name,
		"app.kubernetes.io/part-of": "eddy",
		kubernetesKeyID:             KubernetesLabelValue(a.ID),
		kubernetesKeyName:           KubernetesLabelValue(a.Name),
		kubernetesKeyVersion:        strconv.Itoa(a.Version),
	}
	keys := make([]string, 0, len(a.Tags))
	for k := range a.Tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		lk := KubernetesLabelValue(k)
		if lk == "" {
			continue // nothing of the key is left: the annotation has it
		}
		if _, taken := l[kubernetesTagLabelPrefix+lk]; !taken {
			l[kubernetesTagLabelPrefix+lk] = KubernetesLabelValue(a.Tags[k])
		}
	}
	return l
}

var (
	notNameChars  = regexp.MustCompile(`[^a-z0-9]+`)
	notLabelChars = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)
)

// KubernetesName is the name of an application's objects: its name in
// lower case with every run of other characters than letters and digits
// made one '-', starting with a letter ("eddy-" is put before a leading
// digit) and at most 45 characters long. A name that had to change gets
// "-" and the first 6 characters of the application's id after it, so
// two applications never share one.
func KubernetesName(appName, id string) string {
	s := strings.Trim(notNameChars.ReplaceAllString(strings.ToLower(appName), "-"), "-")
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		s = strings.TrimSuffix("eddy-"+s, "-")
	}
	if s == appName && len(s) <= maxKubernetesName {
		return s
	}
	suffix := "-" + strings.ToLower(id[:min(6, len(id))])
	return strings.TrimRight(s[:min(len(s), maxKubernetesName-len(suffix))], "-") + suffix
}

// KubernetesLabelValue makes s a valid label value: every run of
// characters other than letters, digits, '-', '_' and '.' becomes one '-',
// it starts and ends with a letter or digit, and it has at most 63
// characters. Nothing may be left ("").
func KubernetesLabelValue(s string) string {
	s = notLabelChars.ReplaceAllString(s, "-")
	trim := func(s string) string { return strings.Trim(s, "-_.") }
	s = trim(s)
	return trim(s[:min(len(s), 63)])
}

// The objects of the manifest, with the fields Eddy sets, in the order
// kubectl shows them.
type (
	kubeMeta struct {
		Name        string            `yaml:"name"`
		Namespace   string            `yaml:"namespace"`
		Labels      map[string]string `yaml:"labels,omitempty"`
		Annotations map[string]string `yaml:"annotations,omitempty"`
	}
	kubeConfigMap struct {
		APIVersion string            `yaml:"apiVersion"`
		Kind       string            `yaml:"kind"`
		Metadata   kubeMeta          `yaml:"metadata"`
		Data       map[string]string `yaml:"data"`
	}
	kubePod struct {
		APIVersion string      `yaml:"apiVersion"`
		Kind       string      `yaml:"kind"`
		Spec       kubePodSpec `yaml:"spec"`
	}
	kubePodSpec struct {
		Containers []kubeContainer `yaml:"containers"`
		Volumes    []kubeVolume    `yaml:"volumes"`
	}
	kubeContainer struct {
		Name         string            `yaml:"name"`
		VolumeMounts []kubeVolumeMount `yaml:"volumeMounts"`
	}
	kubeVolumeMount struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
		ReadOnly  bool   `yaml:"readOnly,omitempty"`
	}
	kubeVolume struct {
		Name                  string               `yaml:"name"`
		ConfigMap             *kubeConfigMapVolume `yaml:"configMap,omitempty"`
		PersistentVolumeClaim *kubeClaimVolume     `yaml:"persistentVolumeClaim,omitempty"`
	}
	kubeConfigMapVolume struct {
		Name string `yaml:"name"`
	}
	kubeClaimVolume struct {
		ClaimName string `yaml:"claimName"`
	}

	flinkDeployment struct {
		APIVersion string              `yaml:"apiVersion"`
		Kind       string              `yaml:"kind"`
		Metadata   kubeMeta            `yaml:"metadata"`
		Spec       flinkDeploymentSpec `yaml:"spec"`
	}
	flinkDeploymentSpec struct {
		Image              string            `yaml:"image"`
		FlinkVersion       string            `yaml:"flinkVersion"`
		ServiceAccount     string            `yaml:"serviceAccount"`
		FlinkConfiguration map[string]string `yaml:"flinkConfiguration"`
		PodTemplate        *kubePod          `yaml:"podTemplate"`
		JobManager         flinkProcessSpec  `yaml:"jobManager"`
		TaskManager        flinkProcessSpec  `yaml:"taskManager"`
		Job                flinkJobSpec      `yaml:"job"`
	}
	flinkProcessSpec struct {
		// Replicas of TaskManagers is left to the operator: parallelism
		// divided by the slots per TaskManager.
		Replicas int           `yaml:"replicas,omitempty"`
		Resource flinkResource `yaml:"resource"`
	}
	flinkResource struct {
		CPU    float64 `yaml:"cpu"`
		Memory string  `yaml:"memory"`
	}
	flinkJobSpec struct {
		JarURI               string   `yaml:"jarURI"`
		EntryClass           string   `yaml:"entryClass"`
		Args                 []string `yaml:"args"`
		Parallelism          int      `yaml:"parallelism"`
		UpgradeMode          string   `yaml:"upgradeMode"`
		State                string   `yaml:"state"`
		InitialSavepointPath string   `yaml:"initialSavepointPath,omitempty"`
	}
)
