# Eddy's build. `make run` and `make test` install whatever is missing first;
# every step is idempotent (a second run reinstalls nothing).
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build

# One pinned Flink for every part: jars from PyPI, the SQL Gateway and the SQL
# connectors from Maven Central.
FLINK_VERSION  := 2.3.0
GATEWAY_SHA256 := aad296a152dc367ddd70727f5a57dd61958cff3d8dceb1f947bf8d9705c8d724
FLINK_DIR      := .flink
VENV           := $(FLINK_DIR)/venv
FLINK_STAMP    := $(FLINK_DIR)/.installed-$(FLINK_VERSION)
GATEWAY_JAR    := $(FLINK_DIR)/jars/flink-sql-gateway-$(FLINK_VERSION).jar

# The Python environment (python-requirements.txt: PyFlink of the same Flink,
# pinned) in its own venv: the Python kernel's workers, and the interpreter the
# local cluster runs Python UDFs with (bin/eddy finds it there by default).
PYVENV       := $(FLINK_DIR)/pyvenv
PYTHON_STAMP := $(PYVENV)/.installed

# SQL connectors and formats that Flink's lib/ lacks (it has json, csv and raw),
# checked against deps/connectors.sha256.
KAFKA_CONNECTOR_VERSION := 5.0.0-2.2
CONNECTORS      := org.apache.flink:flink-sql-connector-kafka:$(KAFKA_CONNECTOR_VERSION) \
                   org.apache.flink:flink-sql-avro:$(FLINK_VERSION) \
                   org.apache.flink:flink-sql-parquet:$(FLINK_VERSION)
CONNECTOR_DIR   := $(FLINK_DIR)/connectors
CONNECTOR_STAMP := $(CONNECTOR_DIR)/.installed-$(FLINK_VERSION)-$(KAFKA_CONNECTOR_VERSION)

# A local Kafka broker: the runtime jars of deps/kafka/pom.xml, checked against
# deps/kafka/sha256sums.
KAFKA_VERSION       := 4.2.0
KAFKA_SCALA_VERSION := 2.13
KAFKA_DIR           := .kafka
KAFKA_STAMP         := $(KAFKA_DIR)/.installed-$(KAFKA_SCALA_VERSION)-$(KAFKA_VERSION)

MVN := mvn --batch-mode --quiet --strict-checksums

# The Flink Kubernetes Operator's FlinkDeployment CRD, which the Go tests check
# exported applications against: extracted from the operator's API jar (its
# fabric8-generated CRDs), checked against deps/kubernetes/operator-api.sha256.
# 1.10.0 is the newest release of that jar Maven Central serves here.
K8S_OPERATOR_VERSION := 1.10.0
K8S_DIR              := $(FLINK_DIR)/kubernetes
K8S_CRD              := $(K8S_DIR)/flinkdeployments.flink.apache.org-v1.yml

# Kubernetes' own resource schemas (Deployment, Service, PersistentVolumeClaim,
# …, per Kubernetes version), which the Go tests check the manifests of deploy/
# against: the JSON schemas bundled in the PyPI package kubernetes-validate,
# pinned with its hash in deps/kubernetes/schemas-requirements.txt and
# installed without its dependencies (only the schema files are used) into
# its own venv; $(K8S_JSON_SCHEMAS) links to the package's schema directory.
K8S_SCHEMA_VENV  := $(FLINK_DIR)/kubernetes-validate
K8S_JSON_SCHEMAS := $(FLINK_DIR)/kubernetes-json-schema

# Eddy's own Flink catalog (catalog/, a Maven project): built against the pinned
# Flink and put where the local cluster adds it to the classpath.
CATALOG_BUILD_JAR := catalog/target/eddy-catalog.jar
CATALOG_JAR       := $(FLINK_DIR)/catalog/eddy-catalog.jar
CATALOG_SOURCES   := catalog/pom.xml $(shell find catalog/src/main -type f 2>/dev/null)

# The Go version go.mod requires, for the message when Go is missing.
GO_VERSION := $(shell sed -n 's/^go //p' go.mod)

ADDR     ?= 127.0.0.1:8890
DATA_DIR ?= ./data
GO_TEST_FLAGS ?= -count=1 -timeout 25m

GO_SOURCES  := $(shell find . -name '*.go' -not -path './node_modules/*' -not -path './.flink/*' -not -path './.kafka/*') go.mod go.sum
# The web app's REST types are generated from server/openapi.json into
# web/src/gen/ before every build, so the document is a source and gen/ is not
# (nor web/node_modules/, where Vitest keeps its cache).
WEB_SOURCES := $(shell find web -type f -not -path 'web/dist/*' -not -path 'web/src/gen/*' -not -path 'web/node_modules/*' 2>/dev/null) server/openapi.json package.json package-lock.json $(wildcard vite.config.* tsconfig*.json)

.PHONY: run test build flink python kafka catalog web e2e bench bench-wsload bench-freshness clean tools test-go test-web test-catalog chromium clients k8s-schemas

## run: install what is missing, build, and start Eddy in local mode (prints the URL with its token)
run: build flink python
	bin/eddy serve --addr $(ADDR) --data-dir $(DATA_DIR)

## test: every test: Go unit and integration (real local Flink), web unit, end-to-end (real browser)
test: test-catalog test-go test-web e2e

## build: bin/eddy with the web app embedded
build: bin/eddy

bin/eddy: $(GO_SOURCES) web/dist/index.html | tools
	go build -o $@ ./cmd/eddy

## flink: provision Flink $(FLINK_VERSION) into .flink/ (PyPI jars + the SQL Gateway and connector jars from Maven Central), and Kafka
flink: $(FLINK_STAMP) $(GATEWAY_JAR) $(CONNECTOR_STAMP) $(KAFKA_STAMP) $(CATALOG_JAR)

$(FLINK_STAMP): flink-requirements.txt | tools
	rm -rf $(VENV) $(FLINK_DIR)/home
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r flink-requirements.txt
	ln -sfn "$$($(VENV)/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/pyflink" $(FLINK_DIR)/home
	test -f $(FLINK_DIR)/home/lib/flink-dist-$(FLINK_VERSION).jar
	touch $@

$(GATEWAY_JAR): | tools
	mkdir -p $(dir $@)
	$(MVN) dependency:copy \
	  -Dartifact=org.apache.flink:flink-sql-gateway:$(FLINK_VERSION):jar -DoutputDirectory=$(dir $@)
	echo "$(GATEWAY_SHA256)  $@" | sha256sum --check --quiet - || { rm -f $@; echo "checksum mismatch for $@" >&2; exit 1; }

# $(call check-jars,DIR,SUMS): DIR must hold exactly the jars that SUMS lists, with
# their SHA-256; if it does not, DIR is removed and the recipe fails.
check-jars = ( cd $1 && sha256sum --check --quiet --strict $(CURDIR)/$2 \
  && diff <(printf '%s\n' *.jar | LC_ALL=C sort) <(awk '{print $$2}' $(CURDIR)/$2 | LC_ALL=C sort) ) \
  || { rm -rf $1; echo "$1 does not match the checksums in $2 (removed it)" >&2; exit 1; }

# The whole directory is replaced, so no jar of an older version stays on the classpath.
$(CONNECTOR_STAMP): deps/connectors.sha256 | tools
	rm -rf $(CONNECTOR_DIR)
	for artifact in $(CONNECTORS); do \
	  $(MVN) dependency:copy -Dartifact=$$artifact:jar -DoutputDirectory=$(CONNECTOR_DIR); \
	done
	$(call check-jars,$(CONNECTOR_DIR),deps/connectors.sha256)
	touch $@

## python: install the pinned PyFlink environment into $(PYVENV) (Python UDFs, Python paragraphs)
python: $(PYTHON_STAMP)

# The stamp lives inside the venv, so a venv removed by hand is installed again.
$(PYTHON_STAMP): python-requirements.txt | tools
	rm -rf $(PYVENV)
	python3 -m venv $(PYVENV)
	$(PYVENV)/bin/pip install --quiet --disable-pip-version-check -r python-requirements.txt
	$(PYVENV)/bin/python -c 'import pyflink'
	touch $@

## kafka: provision the jars of a Kafka $(KAFKA_VERSION) broker into .kafka/lib (Maven Central)
kafka: $(KAFKA_STAMP)

$(KAFKA_STAMP): deps/kafka/pom.xml deps/kafka/sha256sums | tools
	rm -rf $(KAFKA_DIR)/lib $(KAFKA_DIR)/.installed-*
	$(MVN) -f deps/kafka/pom.xml dependency:copy-dependencies \
	  -Dkafka.version=$(KAFKA_VERSION) -Dscala.binary.version=$(KAFKA_SCALA_VERSION) \
	  -DincludeScope=runtime -DoutputDirectory=$(CURDIR)/$(KAFKA_DIR)/lib
	$(call check-jars,$(KAFKA_DIR)/lib,deps/kafka/sha256sums)
	touch $@

## catalog: build Eddy's Flink catalog (type 'eddy') into $(CATALOG_JAR)
catalog: $(CATALOG_JAR)

# Maven leaves an up-to-date jar alone, so touch it to stay newer than its sources.
$(CATALOG_BUILD_JAR): $(CATALOG_SOURCES) | tools
	$(MVN) -f catalog/pom.xml package -DskipTests
	touch $@

$(CATALOG_JAR): $(CATALOG_BUILD_JAR)
	mkdir -p $(dir $@)
	cp $< $@

# Zeppelin's Java client against Eddy (clients/zeppelin, a Maven project that a
# Go test in cmd/eddy runs offline): a dry run of its tests, which JUnit reports
# as skipped without running them, resolves its dependencies and test plugins.
ZEPPELIN_CLIENT_STAMP := clients/zeppelin/target/.resolved

## clients: resolve the dependencies of the test that drives Eddy with Zeppelin's Java client
clients: $(ZEPPELIN_CLIENT_STAMP)

$(ZEPPELIN_CLIENT_STAMP): clients/zeppelin/pom.xml | tools
	$(MVN) -f clients/zeppelin/pom.xml test -Djunit.platform.execution.dryRun.enabled=true
	touch $@

## k8s-schemas: extract the Flink Kubernetes Operator's FlinkDeployment CRD (operator $(K8S_OPERATOR_VERSION)) into $(K8S_DIR), and install Kubernetes' JSON schemas into $(K8S_JSON_SCHEMAS)
k8s-schemas: $(K8S_CRD) $(K8S_JSON_SCHEMAS)

# The link is the target: it dangles, and so is made again, when the venv is gone.
$(K8S_JSON_SCHEMAS): deps/kubernetes/schemas-requirements.txt | tools
	rm -rf $(K8S_SCHEMA_VENV) $@
	python3 -m venv $(K8S_SCHEMA_VENV)
	$(K8S_SCHEMA_VENV)/bin/pip install --quiet --disable-pip-version-check --no-deps --require-hashes \
	  -r deps/kubernetes/schemas-requirements.txt
	ln -sfn "$$($(K8S_SCHEMA_VENV)/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/kubernetes_validate/kubernetes-json-schema" $@
	test -f $@/v1.30.0-local-strict/_definitions.json && test -f $@/v1.37.0-local-strict/_definitions.json

# The jar is fetched into its own directory and checked before the CRD is
# taken from it; the CRD is written under a temporary name and renamed.
$(K8S_CRD): deps/kubernetes/operator-api.sha256 | tools
	rm -rf $(K8S_DIR)
	$(MVN) dependency:copy \
	  -Dartifact=org.apache.flink:flink-kubernetes-operator-api:$(K8S_OPERATOR_VERSION):jar -DoutputDirectory=$(K8S_DIR)/jar
	$(call check-jars,$(K8S_DIR)/jar,deps/kubernetes/operator-api.sha256)
	python3 -c 'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))' \
	  $(K8S_DIR)/jar/flink-kubernetes-operator-api-$(K8S_OPERATOR_VERSION).jar \
	  META-INF/fabric8/flinkdeployments.flink.apache.org-v1.yml >$@.tmp
	mv $@.tmp $@

## web: build the browser app into web/dist
web: web/dist/index.html

node_modules/.installed: package.json package-lock.json | tools
	npm ci --no-audit --no-fund
	touch $@

web/dist/index.html: $(WEB_SOURCES) node_modules/.installed
	npm run build

## e2e: end-to-end tests (Chromium driven by playwright-core against bin/eddy with its local Flink)
e2e: build flink python chromium node_modules/.installed
	npm run e2e

chromium:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "end-to-end tests need Debian's chromium: sudo apt-get install chromium" >&2; exit 1; fi; }

test-go: build flink python clients k8s-schemas
	go vet ./...
	scripts/with-flink go test $(GO_TEST_FLAGS) ./...

## test-catalog: the catalog's JUnit tests, including in-process Flink TableEnvironments
test-catalog: | tools
	$(MVN) -f catalog/pom.xml test

test-web: node_modules/.installed
	npm test

## bench: Go benchmarks (ratios against baselines in the same run)
bench: build flink python
	scripts/with-flink go test -run '^$$' -bench . -benchtime 2s ./...

## bench-wsload: the websocket fan-out goals (1,000 and 5,000 viewers), PASS/FAIL per goal
bench-wsload: build flink
	go run ./bench/wsload -eddy bin/eddy

## bench-freshness: event→screen latency of a live aggregation in Chromium, at 1,000 and 100,000 events/s
bench-freshness: build flink node_modules/.installed chromium
	node bench/freshness/run.mjs --bin bin/eddy

## tools: check that the toolchains are installed
tools:
	@command -v go >/dev/null || { echo "Go is missing: install Go $(GO_VERSION) or newer (https://go.dev/dl)" >&2; exit 1; }
	@command -v java >/dev/null && java -version 2>&1 | grep -qE 'version "(17|21)' || { echo "Java 17 is missing: install OpenJDK 17 (Debian: apt-get install openjdk-17-jdk-headless)" >&2; exit 1; }
	@command -v mvn >/dev/null || { echo "Maven is missing: install Maven (Debian: apt-get install maven)" >&2; exit 1; }
	@command -v python3 >/dev/null && python3 -c 'import venv, ensurepip' 2>/dev/null || { echo "Python 3 with venv is missing: install Python 3.9+ (Debian: apt-get install python3 python3-venv)" >&2; exit 1; }
	@command -v npm >/dev/null || { echo "Node.js and npm are missing: install Node.js 20 or newer" >&2; exit 1; }

## clean: remove build output (keeps the provisioned Flink, Python and Kafka; rm -rf .flink .kafka to drop them)
clean:
	rm -rf bin web/dist e2e/artifacts
