package deploy

import (
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestManifests_Valid checks every document of every manifest against its
// schema for each Kubernetes version: Kubernetes' own for its kinds, the
// operator's CRD for the FlinkDeployment (whose pod template is also a Pod).
func TestManifests_Valid(t *testing.T) {
	docs := readManifests(t)
	var kinds []string
	for _, d := range docs {
		kinds = append(kinds, d.kind())
	}
	slices.Sort(kinds)
	want := []string{"Deployment", "Deployment", "FlinkDeployment", "PersistentVolumeClaim", "PersistentVolumeClaim", "Service", "Service"}
	if !slices.Equal(kinds, want) {
		t.Fatalf("the manifests hold %v, want %v", kinds, want)
	}
	for _, version := range kubernetesVersions {
		v := newValidator(t, version)
		for _, d := range docs {
			t.Run(version+"/"+d.file+"/"+d.kind()+"/"+d.name(), func(t *testing.T) {
				if err := v.validate(d.value); err != nil {
					t.Fatalf("%v does not match its schema for Kubernetes %s: %v", d, version, err)
				}
			})
		}
	}
}

// TestManifests_ValidatorIsNotVacuous breaks one manifest at a time and
// expects the validator to refuse it where it was broken: an unknown field
// or a wrong type, as kubectl apply would.
func TestManifests_ValidatorIsNotVacuous(t *testing.T) {
	docs := readManifests(t)
	find := func(kind, name string) map[string]any {
		for _, d := range docs {
			if d.kind() == kind && d.name() == name {
				return jsonValue(t, d.value).(map[string]any) // a copy to break
			}
		}
		t.Fatalf("no %s %s in the manifests", kind, name)
		return nil
	}
	set := func(doc map[string]any, value any, path ...string) {
		parent, ok := get(doc, path[:len(path)-1]...).(map[string]any)
		if !ok {
			t.Fatalf("no object at %v", path[:len(path)-1])
		}
		parent[path[len(path)-1]] = value
	}
	var validators []*validator
	for _, version := range kubernetesVersions {
		validators = append(validators, newValidator(t, version))
	}
	eddyContainer := []string{"spec", "template", "spec", "containers", "0"}
	for _, c := range []struct {
		name, kind, object string
		at                 string // where the validator must find the fault
		edit               func(doc map[string]any)
	}{
		{"ReplicasString", "Deployment", "eddy", "/spec/replicas", func(d map[string]any) { set(d, "one", "spec", "replicas") }},
		{"UnknownContainerField", "Deployment", "eddy", "/spec/template/spec/containers/0", func(d map[string]any) {
			set(d, "IfNotPresent", append(eddyContainer, "imagePullPolicyy")...)
		}},
		{"ProbePortBool", "Deployment", "eddy", "/spec/template/spec/containers/0/readinessProbe/httpGet/port", func(d map[string]any) {
			set(d, true, append(eddyContainer, "readinessProbe", "httpGet", "port")...)
		}},
		{"ArgsNotList", "Deployment", "flink-sql-gateway", "/spec/template/spec/containers/0/command", func(d map[string]any) {
			set(d, "/opt/flink/bin/sql-gateway.sh start-foreground", "spec", "template", "spec", "containers", "0", "command")
		}},
		{"UnknownMetadataField", "Service", "eddy", "/metadata", func(d map[string]any) { set(d, map[string]any{"a": "b"}, "metadata", "label") }},
		{"ServicePortString", "Service", "flink-sql-gateway", "/spec/ports/0/port", func(d map[string]any) { set(d, "8083", "spec", "ports", "0", "port") }},
		{"AccessModesNotList", "PersistentVolumeClaim", "eddy-data", "/spec/accessModes", func(d map[string]any) { set(d, "ReadWriteOnce", "spec", "accessModes") }},
		{"FlinkVersion", "FlinkDeployment", "flink-session", "/spec/flinkVersion", func(d map[string]any) { set(d, "v9_9", "spec", "flinkVersion") }},
		{"UnknownFlinkDeploymentField", "FlinkDeployment", "flink-session", "/spec", func(d map[string]any) { set(d, map[string]any{}, "spec", "taskManagers") }},
		{"FlinkConfigurationNotString", "FlinkDeployment", "flink-session", "/spec/flinkConfiguration/taskmanager.numberOfTaskSlots", func(d map[string]any) {
			set(d, 4, "spec", "flinkConfiguration", "taskmanager.numberOfTaskSlots")
		}},
		{"PodTemplateUnknownField", "FlinkDeployment", "flink-session", "/spec/podTemplate/spec/containers/0", func(d map[string]any) {
			set(d, "/x", "spec", "podTemplate", "spec", "containers", "0", "mountPath")
		}},
		{"FlinkDeploymentUnknownMetadataField", "FlinkDeployment", "flink-session", "/metadata", func(d map[string]any) {
			set(d, "x", "metadata", "nam")
		}},
		{"ResourceCPUString", "FlinkDeployment", "flink-session", "/spec/jobManager/resource/cpu", func(d map[string]any) {
			set(d, "one", "spec", "jobManager", "resource", "cpu")
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, v := range validators {
				version := v.version
				doc := find(c.kind, c.object)
				c.edit(doc)
				err := v.validate(doc)
				if err == nil {
					t.Fatalf("Kubernetes %s: the broken %s %s was accepted", version, c.kind, c.object)
				}
				if !errorAt(err, c.at) {
					t.Errorf("Kubernetes %s: refused, but not at %s: %v", version, c.at, err)
				}
			}
		})
	}
	t.Run("UnknownKind", func(t *testing.T) {
		v := validators[0]
		doc := find("Service", "eddy")
		doc["apiVersion"] = "v2"
		if err := v.validate(doc); err == nil || !strings.Contains(err.Error(), "no schema") {
			t.Fatalf("a v2 Service was not refused for want of a schema: %v", err)
		}
	})
}

// TestManifests_Wiring checks what no schema can: that the manifests name
// each other (services, ports, volumes) and Eddy's real flags and routes.
func TestManifests_Wiring(t *testing.T) {
	docs := readManifests(t)
	byKind := map[string]map[string]map[string]any{}
	for _, d := range docs {
		if byKind[d.kind()] == nil {
			byKind[d.kind()] = map[string]map[string]any{}
		}
		if _, dup := byKind[d.kind()][d.name()]; dup {
			t.Fatalf("two %s named %q", d.kind(), d.name())
		}
		byKind[d.kind()][d.name()] = d.value
	}
	deployments, services, claims := byKind["Deployment"], byKind["Service"], byKind["PersistentVolumeClaim"]
	session := byKind["FlinkDeployment"]["flink-session"]
	eddy, gateway := deployments["eddy"], deployments["flink-sql-gateway"]
	if session == nil || eddy == nil || gateway == nil {
		t.Fatalf("want FlinkDeployment flink-session and Deployments eddy and flink-sql-gateway, have %v", byKind)
	}

	t.Run("SelectorsMatchTheirPods", func(t *testing.T) {
		for name, d := range deployments {
			labels := stringMap(get(d, "spec", "template", "metadata", "labels"))
			sel := stringMap(get(d, "spec", "selector", "matchLabels"))
			if len(sel) == 0 || !subset(sel, labels) {
				t.Errorf("Deployment %s: selector %v does not select its pods %v", name, sel, labels)
			}
		}
		for name, s := range services {
			if _, err := serviceTarget(s, deployments); err != nil {
				t.Errorf("Service %s: %v", name, err)
			}
		}
	})

	t.Run("VolumesAreClaimed", func(t *testing.T) {
		pods := map[string]any{"FlinkDeployment flink-session": get(session, "spec", "podTemplate", "spec")}
		for name, d := range deployments {
			pods["Deployment "+name] = get(d, "spec", "template", "spec")
		}
		for who, pod := range pods {
			volumes := map[string]bool{}
			for _, v := range list(get(pod, "volumes")) {
				volumes[get(v, "name").(string)] = true
				if claim, ok := get(v, "persistentVolumeClaim", "claimName").(string); ok && claims[claim] == nil {
					t.Errorf("%s: volume %v claims %q, which no manifest here creates", who, get(v, "name"), claim)
				}
			}
			for _, c := range append(list(get(pod, "initContainers")), list(get(pod, "containers"))...) {
				for _, m := range list(get(c, "volumeMounts")) {
					if !volumes[get(m, "name").(string)] {
						t.Errorf("%s: container %v mounts %v, which is not a volume of the pod", who, get(c, "name"), get(m, "name"))
					}
				}
			}
		}
		if modes := list(get(claims["flink-data"], "spec", "accessModes")); !slices.Contains(modes, any("ReadWriteMany")) {
			t.Errorf("flink-data is shared by every Flink pod and the gateway, but its access modes are %v", modes)
		}
	})

	t.Run("OneFlinkImage", func(t *testing.T) {
		image := get(session, "spec", "image")
		for _, c := range append(list(get(gateway, "spec", "template", "spec", "initContainers")), list(get(gateway, "spec", "template", "spec", "containers"))...) {
			if get(c, "image") != image {
				t.Errorf("gateway container %v runs %v, the session cluster %v", get(c, "name"), get(c, "image"), image)
			}
		}
		if get(session, "spec", "flinkVersion") != wantFlinkVersion || get(session, "spec", "job") != nil {
			t.Errorf("want a session cluster (no job) of Flink %s: %v, job %v", wantFlinkVersion, get(session, "spec", "flinkVersion"), get(session, "spec", "job"))
		}
		// The gateway submits to the session cluster's REST service.
		cmd := strings.Join(stringList(get(gateway, "spec", "template", "spec", "containers", "0", "command")), " ")
		for _, want := range []string{"-Drest.address=" + session["metadata"].(map[string]any)["name"].(string) + "-rest", "-Drest.port=8081", "-Dexecution.target=remote", "-Dsql-gateway.endpoint.rest.port=8083"} {
			if !strings.Contains(cmd, want) {
				t.Errorf("the gateway's command lacks %s: %s", want, cmd)
			}
		}
	})

	t.Run("Eddy", func(t *testing.T) {
		if get(eddy, "spec", "replicas") != jsonNumber(1) || get(eddy, "spec", "strategy", "type") != "Recreate" {
			t.Errorf("Eddy's SQLite file allows one pod at a time: replicas %v, strategy %v", get(eddy, "spec", "replicas"), get(eddy, "spec", "strategy"))
		}
		if get(eddy, "spec", "template", "spec", "securityContext", "runAsNonRoot") != true {
			t.Error("Eddy's pod does not refuse to run as root")
		}
		c := get(eddy, "spec", "template", "spec", "containers", "0")
		args := flagArgs(t, stringList(get(c, "args")))
		known := serveFlags(t)
		for name := range args {
			if !known[name] {
				t.Errorf("eddy serve has no flag --%s (cmd/eddy/eddy.go)", name)
			}
		}

		// --flink-rest is the operator's service <name>-rest:8081, and
		// --flink-gateway a Service in front of the gateway's port 8083.
		rest := mustURL(t, args["flink-rest"])
		if want := session["metadata"].(map[string]any)["name"].(string) + "-rest:8081"; rest.Host != want {
			t.Errorf("--flink-rest %s, want http://%s", args["flink-rest"], want)
		}
		gw := mustURL(t, args["flink-gateway"])
		svc := services[gw.Hostname()]
		if svc == nil {
			t.Fatalf("--flink-gateway %s names no Service here", args["flink-gateway"])
		}
		if target, _ := serviceTarget(svc, deployments); target != "flink-sql-gateway" {
			t.Errorf("--flink-gateway's Service %s selects %q, not the gateway", gw.Hostname(), target)
		}
		if p := servicePort(svc, gw.Port()); p == nil || containerPort(gateway, get(p, "targetPort")) != 8083 {
			t.Errorf("--flink-gateway %s does not reach the gateway's port 8083", args["flink-gateway"])
		}

		// --addr and --metrics-listen listen on the container's ports,
		// beyond loopback, and the Service exposes them.
		for flag, port := range map[string]string{"addr": "http", "metrics-listen": "metrics"} {
			host, p, err := net.SplitHostPort(args[flag])
			if err != nil || host != "0.0.0.0" || p != strconv.Itoa(containerPort(eddy, port)) {
				t.Errorf("--%s %q: want 0.0.0.0 and the container's port %s", flag, args[flag], port)
			}
		}
		if target, _ := serviceTarget(services["eddy"], deployments); target != "eddy" {
			t.Errorf("Service eddy selects %q", target)
		}

		// Probes ask GET /healthz on the HTTP port: server.go serves it
		// before the API's authentication.
		src, err := os.ReadFile("../server/server.go")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(src), `s.echo.GET("/healthz"`) {
			t.Error("server/server.go no longer serves GET /healthz outside /api: fix the probes")
		}
		for _, probe := range []string{"readinessProbe", "livenessProbe"} {
			if get(c, probe, "httpGet", "path") != "/healthz" || get(c, probe, "httpGet", "port") != "http" {
				t.Errorf("%s %v, want GET /healthz on port http", probe, get(c, probe))
			}
		}

		// The data directory is on the claim, below its root, and the
		// token comes from a mounted Secret.
		mounts := map[string]string{}
		for _, m := range list(get(c, "volumeMounts")) {
			mounts[get(m, "name").(string)] = get(m, "mountPath").(string)
		}
		volumes := map[string]any{}
		for _, v := range list(get(eddy, "spec", "template", "spec", "volumes")) {
			volumes[get(v, "name").(string)] = v
		}
		dataVolume := ""
		for name, path := range mounts {
			if strings.HasPrefix(args["data-dir"], path+"/") {
				dataVolume = name
			}
		}
		if get(volumes[dataVolume], "persistentVolumeClaim", "claimName") != "eddy-data" {
			t.Errorf("--data-dir %s is not in a directory of claim eddy-data (mounts %v)", args["data-dir"], mounts)
		}
		if modes := list(get(claims["eddy-data"], "spec", "accessModes")); !slices.Equal(modes, []any{"ReadWriteOnce"}) {
			t.Errorf("eddy-data's access modes %v, want ReadWriteOnce", modes)
		}
		tokenDir := filepath.Dir(args["token-file"])
		tokenVolume := ""
		for name, path := range mounts {
			if path == tokenDir {
				tokenVolume = name
			}
		}
		if get(volumes[tokenVolume], "secret", "secretName") == nil || args["token"] != "" {
			t.Errorf("--token-file %s is not on a mounted Secret (mounts %v), or --token is given", args["token-file"], mounts)
		}
	})
}

// TestDockerfiles checks that what the Dockerfiles copy from the repository
// root exists once make has run, and that the Flink image is the Flink of
// the FlinkDeployment.
func TestDockerfiles(t *testing.T) {
	files, err := filepath.Glob("*.Dockerfile")
	if err != nil || len(files) != 2 {
		t.Fatalf("want flink.Dockerfile and eddy.Dockerfile, have %v (%v)", files, err)
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(raw), "\n") {
			fields := strings.Fields(line)
			if len(fields) < 3 || fields[0] != "COPY" || strings.HasPrefix(fields[1], "--from") {
				continue
			}
			for _, src := range fields[1 : len(fields)-1] {
				if m, _ := filepath.Glob(filepath.Join("..", src)); len(m) == 0 {
					t.Errorf("%s copies %s, which is not in the repository (run make flink and make web first)", f, src)
				}
			}
		}
	}
	raw, err := os.ReadFile("flink.Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	from := regexp.MustCompile(`(?m)^FROM flink:(\d+)\.(\d+)\.\d+$`).FindStringSubmatch(string(raw))
	if from == nil || "v"+from[1]+"_"+from[2] != wantFlinkVersion {
		t.Errorf("flink.Dockerfile is not FROM the Flink of flinkVersion %s: %v", wantFlinkVersion, from)
	}
}

// serveFlags are the flags that cmd/eddy registers for eddy serve.
func serveFlags(t *testing.T) map[string]bool {
	t.Helper()
	src, err := os.ReadFile("../cmd/eddy/eddy.go")
	if err != nil {
		t.Fatal(err)
	}
	flags := map[string]bool{}
	for _, m := range regexp.MustCompile(`fs\.\w+Var\([^,]+, "([a-z0-9-]+)"`).FindAllStringSubmatch(string(src), -1) {
		flags[m[1]] = true
	}
	if !flags["flink-gateway"] || !flags["data-dir"] {
		t.Fatalf("cannot read eddy serve's flags from cmd/eddy/eddy.go (found %v)", flags)
	}
	return flags
}

// flagArgs reads "serve --name=value ..." into a map by name.
func flagArgs(t *testing.T, args []string) map[string]string {
	t.Helper()
	if len(args) == 0 || args[0] != "serve" {
		t.Fatalf("Eddy's args %v do not start with serve", args)
	}
	out := map[string]string{}
	for _, a := range args[1:] {
		name, value, ok := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		if !ok || !strings.HasPrefix(a, "--") {
			t.Fatalf("write Eddy's flags as --name=value: %q", a)
		}
		out[name] = value
	}
	return out
}

// serviceTarget is the one Deployment whose pods a Service selects; every
// port of the Service must reach a port of those pods.
func serviceTarget(svc map[string]any, deployments map[string]map[string]any) (string, error) {
	sel := stringMap(get(svc, "spec", "selector"))
	var names []string
	for name, d := range deployments {
		if len(sel) > 0 && subset(sel, stringMap(get(d, "spec", "template", "metadata", "labels"))) {
			names = append(names, name)
		}
	}
	if len(names) != 1 {
		return "", fmt.Errorf("selector %v selects the pods of %v, want exactly one Deployment", sel, names)
	}
	for _, p := range list(get(svc, "spec", "ports")) {
		if containerPort(deployments[names[0]], get(p, "targetPort")) == 0 {
			return "", fmt.Errorf("port %v targets %v, which Deployment %s does not expose", get(p, "name"), get(p, "targetPort"), names[0])
		}
	}
	return names[0], nil
}

// servicePort is the Service's port numbered port, or nil.
func servicePort(svc map[string]any, port string) any {
	for _, p := range list(get(svc, "spec", "ports")) {
		if fmt.Sprint(get(p, "port")) == port {
			return p
		}
	}
	return nil
}

// containerPort resolves a port (a name or a number) among the containers
// of a Deployment's pods; 0 when none has it.
func containerPort(d map[string]any, port any) int {
	for _, c := range list(get(d, "spec", "template", "spec", "containers")) {
		for _, p := range list(get(c, "ports")) {
			n, _ := strconv.Atoi(fmt.Sprint(get(p, "containerPort")))
			if get(p, "name") == port || fmt.Sprint(port) == strconv.Itoa(n) {
				return n
			}
		}
	}
	return 0
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "http" || u.Port() == "" {
		t.Fatalf("want an http://host:port URL, have %q (%v)", s, err)
	}
	return u
}

func list(v any) []any { l, _ := v.([]any); return l }

func stringList(v any) []string {
	var out []string
	for _, s := range list(v) {
		out = append(out, fmt.Sprint(s))
	}
	return out
}

func stringMap(v any) map[string]string {
	m, _ := v.(map[string]any)
	out := map[string]string{}
	for k, s := range m {
		out[k] = fmt.Sprint(s)
	}
	return out
}

func subset(sub, of map[string]string) bool {
	for k, v := range sub {
		if of[k] != v {
			return false
		}
	}
	return true
}

// jsonNumber is n as the decoded documents hold numbers.
func jsonNumber(n int) any { return json.Number(strconv.Itoa(n)) }
