"""kube-score and checkov find nothing critical in production (each kept finding is justified where it is
annotated), hadolint passes the Dockerfile, and the image's lock file pins what pyproject.toml pins."""
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deploy.render import ROOT, TOOLS, rendered, tool

DOCKERFILE = ROOT / "deploy" / "docker" / "Dockerfile"


@pytest.fixture(scope="module")
def prod_yaml(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("prod") / "prod.yaml"
    path.write_text(rendered("prod"))
    return path


def test_kube_score_finds_nothing_on_prod(prod_yaml):
    done = subprocess.run([str(tool("kube-score")), "score", "--output-format", "ci",
                           "--enable-optional-test", "container-seccomp-profile", str(prod_yaml)],
                          capture_output=True, text=True, timeout=120)
    findings = [line for line in done.stdout.splitlines() if line.startswith(("[CRITICAL]", "[WARNING]"))]
    assert findings == [] and done.returncode == 0, "\n".join(findings) or done.stderr
    assert done.stdout.count("[OK]") > 100  # it did look


def test_checkov_fails_no_check_on_prod_and_skips_only_justified_ones(prod_yaml):
    checkov = TOOLS / "py" / "bin" / "checkov"
    if not checkov.exists():
        pytest.fail("checkov is missing: run `make k8s-tools`", pytrace=False)
    done = subprocess.run([str(checkov), "--framework", "kubernetes", "-f", str(prod_yaml), "--skip-download",
                           "--output", "json", "--compact"], capture_output=True, text=True, timeout=300,
                          cwd=prod_yaml.parent)
    report = json.loads(done.stdout)
    failed = [(c["check_id"], c["resource"]) for c in report["results"]["failed_checks"]]
    assert failed == []
    assert report["summary"]["passed"] > 100
    assert {c["check_id"] for c in report["results"]["skipped_checks"]} <= {"CKV_K8S_35"}  # justified-findings.yaml


def test_hadolint_passes_the_dockerfile_and_it_has_a_healthcheck():
    hadolint = Path(sys.executable).parent / "hadolint"
    done = subprocess.run([str(hadolint), str(DOCKERFILE)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    text = DOCKERFILE.read_text()
    assert "HEALTHCHECK" in text and "--require-hashes" in text and "USER 10001" in text


def test_the_lock_file_pins_what_pyproject_pins():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    lock = (ROOT / "deploy" / "docker" / "requirements.lock").read_text()
    locked = dict(re.findall(r"^([a-z0-9._-]+)==(\S+) \\", lock, re.M))
    for requirement in project:
        name, version = re.match(r"([A-Za-z0-9._-]+)(?:\[[^]]*])?==(\S+)", requirement).groups()
        assert locked.get(name.lower()) == version, f"{name}: run `make lock`"
    assert all("--hash=sha256:" in block for block in lock.split("\n\n") if "==" in block)
