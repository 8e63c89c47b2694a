# Ventanilla: one entry point for installing, running and testing.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
KAFKA_LIB := deploy/kafka/lib/.complete

.PHONY: install proto kafka-jars schemas run up down test test-unit test-integration test-e2e lint bench bench-tools fuzz reliability clean

install: $(STAMP) proto

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip==26.3
	$(PY) -m pip install -q -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $@

proto: $(STAMP)
	$(PY) tools/gen_proto.py

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

test: install kafka-jars lint
	$(PY) -m pytest -q tests

test-unit: install
	$(PY) -m pytest -q tests/unit

test-integration: install kafka-jars
	$(PY) -m pytest -q tests/integration

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
	$(PY) tests/benchmarks/run_all.py

# wrk (Debian) drives the HTTP load of the edge benchmarks.
bench-tools:
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq --no-install-recommends wrk)

clean:
	rm -rf $(VENV) build var deploy/kafka/lib ventanilla/api/v1/*_pb2*.py*
