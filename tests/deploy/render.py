"""Rendering the overlays with the pinned kustomize and validating them offline (`make k8s-tools`)."""
from __future__ import annotations

import functools
import json
import subprocess
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / ".tools"
OVERLAYS = ROOT / "deploy" / "kubernetes" / "overlays"
KUBERNETES_VERSION = "1.34.0"  # the oldest Kubernetes the manifests target (kubernetes-validate's schemas)


def tool(name: str) -> Path:
    """A deployment tool under .tools/bin; fails the test with the command that installs it."""
    path = TOOLS / "bin" / name
    if not path.exists():
        pytest.fail(f"{path} is missing: run `make k8s-tools` (make test does)", pytrace=False)
    return path


@functools.cache
def rendered(overlay: str) -> str:
    """The YAML of `kustomize build` of one overlay."""
    return subprocess.run([str(tool("kustomize")), "build", str(OVERLAYS / overlay)], capture_output=True,
                          text=True, check=True, timeout=120).stdout


def documents(overlay: str) -> list[dict]:
    """The rendered objects of one overlay."""
    return [doc for doc in yaml.safe_load_all(rendered(overlay)) if doc]


def find(docs: list[dict], kind: str, name: str) -> dict:
    """The one object of that kind and name."""
    return next(d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name)


@functools.cache
def strimzi_schemas() -> dict[str, dict]:
    """Kind -> openAPIV3Schema of the served version, from the CRDs Strimzi's generator wrote."""
    schemas = {}
    for path in sorted((TOOLS / "crds" / "strimzi").glob("*.yaml")):
        crd = yaml.safe_load(path.read_text())
        served = next(v for v in crd["spec"]["versions"] if v["served"])
        schemas[(f"{crd['spec']['group']}/{served['name']}", crd["spec"]["names"]["kind"])] = \
            _json_schema(served["schema"]["openAPIV3Schema"])
    if not schemas:
        pytest.fail("no Strimzi CRDs under .tools/crds/strimzi: run `make k8s-tools`", pytrace=False)
    return schemas


def _json_schema(node):
    """An OpenAPI v3 structural schema as JSON Schema: unknown fields refused, int-or-string allowed."""
    if isinstance(node, list):
        return [_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _json_schema(v) for k, v in node.items() if not k.startswith("x-kubernetes-")}
    if node.get("x-kubernetes-int-or-string"):
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if node.get("nullable"):
        out.pop("nullable")
        if "type" in out:
            out["type"] = [out["type"], "null"]
    if out.get("type") == "object" and "properties" in out and "additionalProperties" not in out \
            and not node.get("x-kubernetes-preserve-unknown-fields"):
        out["additionalProperties"] = False
    return out


def schema_errors(overlay: str) -> list[str]:
    """Every schema error of the overlay: Kubernetes kinds, Strimzi kinds, CloudNativePG and Prometheus-operator kinds."""
    errors, cnpg = [], []
    for doc in documents(overlay):
        where = f"{doc['kind']}/{doc['metadata']['name']}"
        key = (doc["apiVersion"], doc["kind"])
        if doc["apiVersion"].startswith("kafka.strimzi.io/"):
            schema = strimzi_schemas().get(key)
            if schema is None:
                errors.append(f"{where}: {doc['apiVersion']} is not served by Strimzi's CRDs")
                continue
            body = {k: v for k, v in doc.items() if k not in ("apiVersion", "kind", "metadata")}
            errors += [f"{where}: {e.message} at {list(e.absolute_path)}"
                       for e in jsonschema.Draft7Validator({**schema, "properties": {
                           k: v for k, v in schema.get("properties", {}).items()
                           if k not in ("apiVersion", "kind", "metadata")}}).iter_errors(body)]
        elif doc["apiVersion"].startswith(("postgresql.cnpg.io/", "monitoring.coreos.com/")):
            cnpg.append(doc)  # both validated by kubernetes-models' generated validators
        else:
            try:
                kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
            except kubernetes_validate.ValidationError as error:
                errors.append(f"{where}: {error.message} at {list(error.path)}")
    return errors + cnpg_errors(cnpg)


def cnpg_errors(docs: list[dict]) -> list[str]:
    """Errors from CloudNativePG's and the Prometheus operator's API types (@kubernetes-models validators, node)."""
    script = TOOLS / "npm" / "validate.mjs"  # beside its node_modules (tools/k8s/cnpg/validate.mjs)
    if not (TOOLS / "npm" / ".complete").exists():
        pytest.fail("no CloudNativePG schemas under .tools/npm: run `make k8s-tools`", pytrace=False)
    done = subprocess.run(["node", str(script)], input=json.dumps(docs), capture_output=True, text=True,
                          cwd=TOOLS / "npm", timeout=60)
    if done.returncode not in (0, 1):
        pytest.fail(f"the CloudNativePG validator failed: {done.stderr}", pytrace=False)
    return [line for line in done.stdout.splitlines() if line]
