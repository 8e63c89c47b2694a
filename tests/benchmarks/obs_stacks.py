"""Whole stacks that differ only in their observability setting, on one broker: for each setting a status service,
a registry and an edge of its own (own state, topics, consumer groups and ports; the dev PKI and the broker shared),
so that what an operator would see, the stack's throughput and the CPU of every process it runs, can be compared
setting against setting in the same rounds. Used by bench_observability.py.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from tests.benchmarks import requests_
from tests.benchmarks.benchstack import ROOT, BenchStack, extra_server
from tests.support.stack_env import free_ports
from ventanilla.adapters.topics import TOPICS, ensure_topics
from ventanilla.cli_stack import seal_env
from ventanilla.config import Settings
from ventanilla.observability.exposition import MULTIPROC_VARIABLE
from ventanilla.stack import REGISTRY_HEALTH, STATUS_HEALTH

STACK_SERVICES = ("soap-edge", "status", "registry")  # what --before runs from another commit's tree
BACKENDS = (("status", "status_service", STATUS_HEALTH), ("registry", "registry_service", REGISTRY_HEALTH))


@dataclass
class SettingStack:
    """One setting's edge URL and the pids of its processes (edge master, status, registry; children included)."""

    name: str
    url: str = ""
    pids: dict[str, int] = field(default_factory=dict)
    estado: tuple[str, bytes] = ("", b"")
    status_metrics: str = ""  # the status service's /metrics URL (metrics on)
    status_address: str = ""
    invoice_id: int = 0  # the invoice of the estado


def status_calls(one: SettingStack, method: str = "GetStateBatch") -> float | None:
    """How many calls of method the setting's status service has handled (its /metrics); None: metrics off."""
    if not one.status_metrics:
        return None
    from urllib.request import urlopen

    from prometheus_client.parser import text_string_to_metric_families

    with urlopen(one.status_metrics, timeout=10) as answer:
        text = answer.read().decode()
    return sum(sample.value for family in text_string_to_metric_families(text) for sample in family.samples
               if sample.name == "grpc_server_handled_total" and sample.labels.get("grpc_method") == method)


def broker_pid(stack: BenchStack) -> int:
    """The pid of the stack's own Kafka broker (the java process whose command line names its state directory)."""
    marker = str(stack.settings.path("kafka")).encode()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if b"java" in command.split(b"\0")[0] and marker in command:
                return int(entry.name)
    raise RuntimeError("the stack's Kafka broker was not found in /proc")


def setting_env(stack: BenchStack, scratch: Path, name: str, observability: dict[str, str]) -> dict[str, str]:
    """stack.env with this setting's state dir (the dev PKI linked in), topics, groups, ports and observability."""
    state = scratch / name
    state.mkdir(parents=True)
    for shared in ("pki", "dev-pki"):
        if stack.settings.path(shared).exists():
            (state / shared).symlink_to(stack.settings.path(shared))
    suffix = uuid.uuid4().hex[:8]
    registry, status, backoffice = free_ports(3)
    env = {**stack.env, **seal_env(stack.settings), "VENTANILLA_STATE_DIR": str(state),
           "VENTANILLA_REGISTRY_ADDRESS": f"127.0.0.1:{registry}", "VENTANILLA_STATUS_ADDRESS": f"127.0.0.1:{status}",
           "VENTANILLA_BACKOFFICE_ADDRESS": f"127.0.0.1:{backoffice}",
           "VENTANILLA_BACKOFFICE_GROUP": f"bench-obs-{suffix}", "VENTANILLA_NOTICES_GROUP": f"bench-obs-n-{suffix}",
           **{spec.name_variable: f"{spec.name(stack.settings)}.{name}-{suffix}" for spec in TOPICS}}
    env.update(observability)
    return env


@contextmanager
def _backend(env: dict[str, str], module: str, ready, code: Path | None) -> Iterator[subprocess.Popen]:
    """`python -m module` with env (code: another commit's tree first on its path) until SERVING; stopped after."""
    if code is not None:
        env = {**env, "PYTHONPATH": f"{code}:{code / 'services' / module.split('_')[0]}"}
    log = Path(env["VENTANILLA_STATE_DIR"]) / f"{module}.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", module], env=env, cwd=code or ROOT, stdout=out, stderr=out)
    try:
        settings, started = Settings.from_env(env), time.monotonic()
        while not ready(settings, timeout_s=5):
            if process.poll() is not None or time.monotonic() - started > 240:
                raise RuntimeError(f"{module} did not get ready:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.2)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=60)


def _metered(env: dict[str, str], observability: dict[str, str]) -> dict[str, str]:
    """Each process's own /metrics port where metrics are on (the setting says "on" with any address); the edge's
    gunicorn multiprocess directory is set apart, as `ventanilla run` does."""
    out = dict(observability)
    for prefix in ("SOAP", "STATUS", "REGISTRY"):
        variable = f"VENTANILLA_{prefix}_METRICS_ADDRESS"
        if out.get(variable) != "off":
            out[variable] = f"127.0.0.1:{free_ports(1)[0]}"
    return out


@contextmanager
def setting_stacks(stack: BenchStack, scratch: Path, settings: dict[str, dict[str, str]],
                   code: dict[str, Path | None]) -> Iterator[dict[str, SettingStack]]:
    """A status, a registry and an edge (ingress mode) per setting, on the stack's broker; each with one invoice
    registered and visible through its own edge (the consultarEstadoFactura of the rounds)."""
    headers = stack.client.ingress_headers
    with ExitStack() as running:
        found = {}
        for name, observability in settings.items():
            env = setting_env(stack, scratch, re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-"), {})
            env.update(_metered(env, observability))
            ensure_topics(Settings.from_env(env))
            one = found[name] = SettingStack(name)
            if env.get("VENTANILLA_STATUS_METRICS_ADDRESS", "off") != "off":
                one.status_metrics = f"http://{env['VENTANILLA_STATUS_METRICS_ADDRESS']}/metrics"
            for service, module, ready in BACKENDS:
                one.pids[service] = running.enter_context(_backend(env, module, ready, code.get(name))).pid
            started: list = []
            edge_env = {k: v for k, v in env.items() if k != "VENTANILLA_SOAP_PORT"}
            edge_env[MULTIPROC_VARIABLE] = str(Path(env["VENTANILLA_STATE_DIR"]) / "soap-edge-metrics")  # as `run`
            Path(edge_env[MULTIPROC_VARIABLE]).mkdir()
            tree = code.get(name)
            if tree is not None:
                edge_env["PYTHONPATH"] = str(tree / "services" / "soap-edge")
            one.url = running.enter_context(extra_server(stack, "soap_edge", env=edge_env, started=started,
                                                         cwd=tree or ROOT))
            one.pids["edge"] = started[-1].pid
            one.invoice_id = _registered(one.url, headers)
            one.estado, one.status_address = requests_.estado(one.invoice_id), env["VENTANILLA_STATUS_ADDRESS"]
        yield found


def _registered(url: str, headers: dict[str, str]) -> int:
    """Register a fresh invoice through this edge and wait until its state can be read there; its id."""
    from lxml import etree

    from tests.e2e import soap
    from tests.support.invoices import fresh_invoice

    answer = requests_.post(url, *soap.enviar_inline(fresh_invoice().document), headers=headers)
    invoice_id = int(etree.fromstring(answer).findtext(f".//{{{soap.NS}}}enviarFacturaResponse/return/id"))
    deadline = time.monotonic() + 60
    while True:
        try:
            requests_.post(url, *requests_.estado(invoice_id), headers=headers)
            return invoice_id
        except RuntimeError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def loadavg() -> float:
    """The 1-minute load average now."""
    return os.getloadavg()[0]
