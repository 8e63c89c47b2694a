"""A whole stack for benchmarks: `ventanilla up` on free loopback ports with its own Kafka, state in a temp dir,
and a dev client certificate of the sample's seller so its clients are let in (HTTPS, mandatory client certs)."""
from __future__ import annotations

import os
import shutil
import ssl
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Iterable, Iterator
from urllib.parse import quote

from tests.support.stack_env import free_ports, private_env
from ventanilla.config import Settings
from ventanilla.runtime import grpc_env

ROOT = Path(__file__).resolve().parents[2]
SELLER = "B23103039"  # the seller of the public samples the benchmarks send: it may submit and see them


@dataclass(frozen=True)
class ClientCert:
    """A dev client certificate (PEM files) and the CA that issued the edge's server certificate."""

    cert: Path
    key: Path
    ca: Path

    @cached_property
    def ssl_context(self) -> ssl.SSLContext:
        """A client context presenting this certificate and trusting the dev CA."""
        context = ssl.create_default_context(cafile=str(self.ca))
        context.load_cert_chain(str(self.cert), str(self.key))
        return context

    @property
    def requests_cert(self) -> tuple[str, str]:
        """(certificate, key) for requests' cert=."""
        return str(self.cert), str(self.key)

    @property
    def ingress_headers(self) -> dict[str, str]:
        """What a TLS-terminating nginx ingress forwards after verifying this certificate (docs/security.md)."""
        return {"ssl-client-cert": quote(self.cert.read_text(), safe=""), "ssl-client-verify": "SUCCESS"}


def issue_client(env: dict[str, str], nif: str = SELLER, out: Path | None = None) -> ClientCert:
    """`ventanilla dev-pki client --nif NIF` against the stack's state dir (after `up` made the dev PKI)."""
    out = out or Path(env["VENTANILLA_STATE_DIR"]) / "clients" / nif
    done = _ventanilla(env, "dev-pki", "client", "--nif", nif, "--out", str(out))
    if done.returncode != 0:
        raise RuntimeError(f"`ventanilla dev-pki client` failed:\n{done.stdout}\n{done.stderr}")
    return ClientCert(out / "client.pem", out / "client.key.pem", out / "ca.pem")


@dataclass(frozen=True)
class BenchStack:
    """A running stack: its settings, environment and a client certificate its edge accepts."""

    settings: Settings
    env: dict[str, str]
    client: ClientCert

    @property
    def soap_url(self) -> str:
        return self.settings.edge.url


def _ventanilla(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ventanilla.cli", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def env_settings(assignments: Iterable[str]) -> dict[str, str]:
    """A benchmark's `VAR=VALUE` command-line settings (e.g. its --stack-env) as an environment; SystemExit with the
    bad one named when one has no `=`."""
    settings = {}
    for assignment in assignments:
        name, equals, value = assignment.partition("=")
        if not name or not equals:
            raise SystemExit(f"expected VAR=VALUE, got {assignment!r}")
        settings[name] = value
    return settings


def bench_env(state_dir: Path, **overrides: str) -> dict[str, str]:
    """VENTANILLA_* variables for a private stack on free loopback ports (Kafka supervised by `run`), and grpc's
    settings as `ventanilla run` gives them to its children (`runtime.grpc_env`), so that a process a benchmark
    starts itself runs as the product's do; the only private-stack environment of the benchmarks."""
    kafka, controller, *services = free_ports(7)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VENTANILLA_", "KAFKA_"))}
    env.update(grpc_env(os.environ))
    env.update(private_env(None, state_dir, services, "bench"))
    env.update({
        "VENTANILLA_KAFKA_PORT": str(kafka),
        "VENTANILLA_KAFKA_CONTROLLER_PORT": str(controller),
        "VENTANILLA_REQUIRE_SIGNATURE": "0",  # unsigned public sample; bench_registry.py measures signed intake
        **overrides,
    })
    return env


@contextmanager
def running_stack(**overrides: str) -> Iterator[BenchStack]:
    """`ventanilla up` a private stack (quiet logs); `ventanilla down` it afterwards, whatever happens."""
    with tempfile.TemporaryDirectory(prefix="ventanilla-bench-") as state:
        # no access log line per request during load
        env = bench_env(Path(state) / "state", **{"VENTANILLA_LOG_LEVEL": "WARNING", **overrides})
        up = _ventanilla(env, "up", "--timeout", "240")
        try:
            if up.returncode != 0:
                raise RuntimeError(f"`ventanilla up` failed:\n{up.stdout}\n{up.stderr}")
            yield BenchStack(Settings.from_env(env), env, issue_client(env))
        finally:
            _ventanilla(env, "down")


INGRESS = {"VENTANILLA_SOAP_PLAIN_HTTP": "1", "VENTANILLA_TRUSTED_PROXIES": "127.0.0.1/32"}


@contextmanager
def extra_server(stack: BenchStack, *module_args: str, ingress: bool = True,
                 env: dict[str, str] | None = None, started: list | None = None,
                 cwd: Path = ROOT) -> Iterator[str]:
    """`python -m <module_args>` (an edge, a variant, the trivial Flask app) on a free port with the stack's settings
    and backends; ingress: plain HTTP behind a trusted TLS-terminating proxy at 127.0.0.1 (docs/security.md),
    else the stack's own TLS with mandatory client certificates; env: more variables (PYTHONPATH for another
    version of the edge; cwd: where it starts, first on its path: another commit's tree); started: a list the
    process is appended to. Its SOAP URL once it answers `version`."""
    import time

    from . import requests_

    (port,) = free_ports(1)
    env = {**stack.env, "VENTANILLA_SOAP_PORT": str(port), **(INGRESS if ingress else {}), **(env or {})}
    settings = Settings.from_env(env)
    process = subprocess.Popen([sys.executable, "-m", *module_args], env=env, cwd=cwd,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if started is not None:
        started.append(process)
    headers = stack.client.ingress_headers if ingress else None
    try:
        for attempt in range(150):
            try:
                requests_.post(settings.edge.url, *requests_.version(), tls=stack.client.ssl_context, headers=headers)
                break
            except (OSError, RuntimeError):
                if attempt == 149 or process.poll() is not None:
                    raise
                time.sleep(0.2)
        yield settings.edge.url
    finally:
        stop(process)


def stop(process: subprocess.Popen, grace_s: float = 30) -> None:
    """SIGTERM, and SIGKILL if it is still running after grace_s (on a loaded host a server's graceful stop can take
    longer; a benchmark's figures are published after its servers stop). A gunicorn master's workers follow it."""
    process.terminate()
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and all its descendants alive now."""
    ticks, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
            pending += [int(c) for t in Path(f"/proc/{current}/task").iterdir()
                        for c in (t / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return ticks / os.sysconf("SC_CLK_TCK")


def export_tree(rev: str, into: Path, paths: tuple[str, ...] = ("ventanilla", "services/soap-edge")) -> Path:
    """rev's ventanilla and soap_edge packages (or other paths) under into (created), with this checkout's generated
    protobuf modules."""
    into.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "archive", rev, *paths], cwd=ROOT,
                             capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    for generated in (ROOT / "ventanilla" / "api" / "v1").glob("*_pb2*.py"):
        shutil.copy(generated, into / "ventanilla" / "api" / "v1" / generated.name)
    return into
