"""deploy/monitoring: dashboards load and pass the schema, every queried metric is catalogued, rules pass promtool."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from ventanilla.observability.catalogue import series_names
from ventanilla.observability.spec import PROCESSES

from .promql import metric_names

ROOT = Path(__file__).resolve().parents[3]
MONITORING = ROOT / "deploy" / "monitoring"
DASHBOARDS = sorted((MONITORING / "dashboards").glob("*.json"))
RULES = yaml.safe_load((MONITORING / "rules.yaml").read_text())
SCHEMA = json.loads((Path(__file__).with_name("grafana_dashboard.schema.json")).read_text())
PROMETHEUS_OWN = {"up"}  # made by Prometheus for every target
PROMTOOL_VARIABLE = "VENTANILLA_TEST_PROMTOOL"  # make test sets it: then a missing promtool is a failure


def _recorded() -> set[str]:
    return {rule["record"] for group in RULES["groups"] for rule in group["rules"] if "record" in rule}


def _rule_expressions() -> list[tuple[str, str]]:
    return [(rule.get("record") or rule["alert"], rule["expr"]) for g in RULES["groups"] for rule in g["rules"]]


def _dashboard_expressions(path: Path) -> list[tuple[str, str]]:
    panels = json.loads(path.read_text())["panels"]
    return [(p["title"], t["expr"]) for p in panels for t in p.get("targets", [])]


def test_an_overview_and_one_dashboard_per_service():
    assert {p.stem for p in DASHBOARDS} == {"overview", *PROCESSES}


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_dashboard_loads_and_passes_the_schema(path):
    dashboard = json.loads(path.read_text())
    jsonschema.validate(dashboard, SCHEMA)
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24, panel["title"]
        refs = [t["refId"] for t in panel.get("targets", [])]
        assert len(refs) == len(set(refs))


def test_dashboard_uids_are_unique():
    uids = [json.loads(p.read_text())["uid"] for p in DASHBOARDS]
    assert len(uids) == len(set(uids))


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_every_metric_a_dashboard_queries_exists(path):
    known = series_names() | _recorded() | PROMETHEUS_OWN
    for title, expr in _dashboard_expressions(path):
        unknown = metric_names(expr) - known
        assert not unknown, f"{path.stem} / {title}: {sorted(unknown)} not in the catalogue"


def test_every_metric_a_rule_queries_exists():
    known = series_names() | _recorded() | PROMETHEUS_OWN
    for name, expr in _rule_expressions():
        assert metric_names(expr), name
        unknown = metric_names(expr) - known
        assert not unknown, f"{name}: {sorted(unknown)} not in the catalogue"


def test_the_slo_alerts_are_all_there():
    alerts = {rule["alert"] for group in RULES["groups"] for rule in group["rules"] if "alert" in rule}
    assert {"VentanillaErrorBudgetBurnFast", "VentanillaErrorBudgetBurnSlow", "VentanillaLatencyBudgetBurnFast",
            "VentanillaLatencyBudgetBurnSlow", "VentanillaProjectionLagging", "VentanillaProjectionStalled",
            "VentanillaConsumerStopped", "VentanillaCertificateExpiring", "VentanillaReceiptSealExpiring",
            "VentanillaVolumeAlmostFull", "VentanillaVolumeFillingUp"} <= alerts


def test_generated_files_are_up_to_date():
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "gen_monitoring.py"), "--check"], capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr


def _promtool() -> str:
    wanted = os.environ.get(PROMTOOL_VARIABLE)
    found = wanted or shutil.which("promtool") or str(ROOT / ".tools" / "bin" / "promtool")
    if not Path(found).is_file():
        if wanted:
            pytest.fail(f"{PROMTOOL_VARIABLE}={wanted} does not exist (make promtool)")
        pytest.skip("promtool is not installed (make promtool)")
    return found


def test_rules_pass_promtool_check_and_their_unit_tests():
    promtool = _promtool()
    checked = subprocess.run([promtool, "check", "rules", str(MONITORING / "rules.yaml")], capture_output=True,
                             text=True, timeout=120)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = subprocess.run([promtool, "test", "rules", "rules.test.yaml"], cwd=MONITORING, capture_output=True,
                            text=True, timeout=120)
    assert tested.returncode == 0, tested.stdout + tested.stderr
