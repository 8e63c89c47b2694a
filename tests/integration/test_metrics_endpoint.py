"""/metrics over real HTTP (and mutual TLS), process metrics of a process tree, gunicorn-style multiprocess values."""
from __future__ import annotations

import json
import ssl
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.process_collector import ProcessCollector

from ventanilla import pki
from ventanilla.observability.catalogue import series_names
from ventanilla.observability.certificates import observe_expiry
from ventanilla.observability.collectors import ProcessTreeCollector
from ventanilla.observability.exposition import MetricsServer, MetricsTls, with_process_metrics
from ventanilla.observability.metrics import Metrics

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def _families(text: str) -> dict:
    return {f.name: f for f in text_string_to_metric_families(text)}


def _value(families: dict, family: str, **labels) -> float:
    return next(s.value for s in families[family].samples if all(s.labels.get(k) == v for k, v in labels.items()))


def test_metrics_endpoint_serves_the_catalogue_and_process_metrics(tmp_path):
    metrics = Metrics("status")
    with_process_metrics(metrics.registry, {"blobs": tmp_path})
    metrics.backoffice_messages.labels(kind="state_update", outcome="refused",
                                       reason="factura.error.estado.actualizacion").inc()
    server = MetricsServer("127.0.0.1:0", metrics.registry)
    port = server.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:
            text = answer.read().decode()
    finally:
        server.stop()
    families = _families(text)
    shown = {s.name for f in families.values() for s in f.samples}
    assert {"process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds",
            "ventanilla_volume_free_bytes", "ventanilla_build_info"} <= shown
    assert shown - {n for n in shown if n.endswith("_created")} <= series_names()  # nothing uncatalogued
    assert _value(families, "ventanilla_backoffice_messages", outcome="refused") == 1
    assert _value(families, "ventanilla_volume_size_bytes", volume="blobs") > 0
    assert _value(families, "process_open_fds") > 0


def test_mutual_tls_lets_in_only_a_client_with_a_certificate_of_the_scrapers_ca(tmp_path):
    ca = pki.issue_ca(pki.name("Scrape CA"))
    server_cert, server_key = pki.issue_leaf(ca, pki.name("status"), pki.Usage.SERVER,
                                             ip_addresses=("127.0.0.1",)).write(tmp_path, "server")
    client_cert, client_key = pki.issue_leaf(ca, pki.name("prometheus"), pki.Usage.CLIENT).write(tmp_path, "client")
    (tmp_path / "ca.pem").write_bytes(pki.pem(ca.certificate))
    metrics = Metrics("registry")
    observe_expiry(metrics.certificate_expiry, "receipt_seal", server_cert)
    server = MetricsServer("127.0.0.1:0", metrics.registry, MetricsTls(server_cert, server_key, tmp_path / "ca.pem"))
    port = server.start()
    url = f"https://127.0.0.1:{port}/metrics"
    try:
        anonymous = ssl.create_default_context(cafile=str(tmp_path / "ca.pem"))
        with pytest.raises(OSError):
            urllib.request.urlopen(url, timeout=10, context=anonymous).read()
        scraper = ssl.create_default_context(cafile=str(tmp_path / "ca.pem"))
        scraper.load_cert_chain(str(client_cert), str(client_key))
        with urllib.request.urlopen(url, timeout=10, context=scraper) as answer:
            families = _families(answer.read().decode())
    finally:
        server.stop()
    expiry = _value(families, "ventanilla_certificate_expiry_timestamp_seconds", certificate="receipt_seal")
    assert expiry == pki.x509.load_pem_x509_certificate(server_cert.read_bytes()).not_valid_after_utc.timestamp()


def _rss(collector) -> float:
    families = {f.name: f for f in collector.collect()}
    return families["process_resident_memory_bytes"].samples[0].value


def test_a_process_tree_adds_up_its_childrens_memory():
    child = subprocess.Popen([sys.executable, "-c", "import sys; b = bytearray(64 * 1024 * 1024); sys.stdin.read()"],
                             stdin=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        child_rss = _rss(ProcessTreeCollector(pid=lambda: child.pid))  # the child has no children
        while child_rss < 60 * 1024 * 1024 and time.monotonic() < deadline:
            time.sleep(0.1)
            child_rss = _rss(ProcessTreeCollector(pid=lambda: child.pid))
        own_rss = _rss(ProcessCollector(registry=None))
        tree_rss = _rss(ProcessTreeCollector())  # this process and its children, the child among them
        assert child_rss >= 60 * 1024 * 1024
        assert tree_rss >= own_rss + child_rss * 0.9  # the child may have shrunk a little in between
    finally:
        child.stdin.close()
        child.wait(timeout=30)


WORKERS = textwrap.dedent("""
    import os, sys
    from pathlib import Path
    from ventanilla.observability import exposition
    exposition.prepare_multiprocess_dir(Path(os.environ[exposition.MULTIPROC_VARIABLE]))  # gunicorn's on_starting
    import prometheus_client
    from ventanilla.observability.metrics import Metrics
    pids = []
    for worker in range(2):
        pid = os.fork()
        if pid == 0:
            metrics = Metrics("soap-edge")
            for _ in range(worker + 1):
                metrics.soap_requests.labels(operation="consultarFactura", outcome="ok", fault_key="none").inc()
            metrics.soap_in_flight.inc()
            sys.exit(0)  # a clean exit, as a gunicorn worker's: its gathered values are written at exit
        pids.append(pid)
    for pid in pids:
        os.waitpid(pid, 0)
    exposition.worker_exited(pids[0])
    registry = exposition.multiprocess_registry()
    print(prometheus_client.generate_latest(registry).decode())
""")


def test_gunicorn_style_workers_add_up_in_one_scrape(tmp_path):
    # The variable is in the environment before Python starts, as a deployment sets it for the edge
    # (prometheus-client chooses its value store when first imported).
    env = {"PATH": "/usr/bin:/bin", "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "multiproc")}
    done = subprocess.run([sys.executable, "-c", WORKERS], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env=env)
    assert done.returncode == 0, done.stderr
    families = _families(done.stdout)
    assert _value(families, "ventanilla_soap_requests", operation="consultarFactura") == 3
    assert _value(families, "ventanilla_soap_requests_in_flight") == 1  # the dead worker's live gauge is gone
    assert _value(families, "process_cpu_seconds") > 0


FORKED_AFTER_METRICS = textwrap.dedent("""
    import json, os, sys
    from pathlib import Path
    from ventanilla.observability import exposition
    exposition.prepare_multiprocess_dir(Path(os.environ[exposition.MULTIPROC_VARIABLE]))
    import prometheus_client
    from ventanilla.observability.metrics import Metrics
    metrics = Metrics("soap-edge")  # made before the fork (a preloaded app): the pid is read once, here
    requests = metrics.soap_requests.labels(operation="consultarFactura", outcome="ok", fault_key="none")
    requests.inc()
    pid = os.fork()
    if pid == 0:
        requests.inc(2)
        sys.exit(0)
    os.waitpid(pid, 0)
    print(json.dumps([os.getpid(), pid]))
    print(prometheus_client.generate_latest(exposition.multiprocess_registry()).decode())
""")


def test_values_read_the_pid_once_yet_a_forked_child_writes_its_own_file(tmp_path):
    directory = tmp_path / "multiproc"
    env = {"PATH": "/usr/bin:/bin", "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    done = subprocess.run([sys.executable, "-c", FORKED_AFTER_METRICS], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    pids, exposition_text = done.stdout.split("\n", 1)
    parent, child = json.loads(pids)
    assert {f"counter_{parent}.db", f"counter_{child}.db"} <= {path.name for path in directory.iterdir()}
    assert _value(_families(exposition_text), "ventanilla_soap_requests", operation="consultarFactura") == 3


def test_multiprocess_registry_refuses_when_prometheus_client_was_imported_without_the_variable():
    from ventanilla.observability.exposition import multiprocess_registry

    with pytest.raises(RuntimeError, match="PROMETHEUS_MULTIPROC_DIR"):
        multiprocess_registry()
