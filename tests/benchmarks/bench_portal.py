"""Issue 11 figures for the portal: `python tests/benchmarks/bench_portal.py [--integrators N] [--seconds S]`
(also run by `make bench`). 1,000 integrators, 5,000 certificates, 2,000 platforms on a private broker; the
projection rebuilt from offset 0; pages under 8 users (wrk, own session each) against a trivial Flask page
served by the same gunicorn/TLS configuration (measured before and after each page); certificate upload step 2.
Prints JSON, writes var/bench/portal.json."""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "var" / "bench" / "portal.json"
SECRET = "bench-portal-secret"
USERS = 8


@contextmanager
def served(module: str, env: dict, ready_path: str, ca: Path):
    """Run `python -m module` (a PortalServer) until the block ends; its base URL once it answers."""
    import requests

    url = f"https://127.0.0.1:{env['VENTANILLA_PORTAL_PORT']}"
    process = subprocess.Popen([sys.executable, "-m", module], cwd=ROOT, env={**os.environ, **env},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if requests.get(url + ready_path, verify=str(ca), timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{module} did not start")
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def cookies(count: int) -> list[str]:
    """Session cookies of the first `count` integrators, as a browser holds them after its first page (the login's
    fields and the session's CSRF token: without it, every page would mint one and re-sign the cookie)."""
    from flask import Flask

    app = Flask("mint")
    app.secret_key = SECRET
    signer = app.session_interface.get_signing_serializer(app)
    from tests.benchmarks.portal_data import nif

    return [f"__Host-portal={signer.dumps({'nif': nif(n), 'name': nif(n), 'method': 'certificate', 'acting': nif(n), 'chosen': True, '_permanent': True, 'csrf_token': f'{n:040x}'})}"  # noqa: E501
            for n in range(count)]


def wrk_get(url: str, users: list[tuple[str, str]], seconds: int) -> dict:
    """GET with wrk, one thread and connection per user (cookie, path); rps and latency percentiles in ms."""
    with tempfile.NamedTemporaryFile("w", suffix=".users") as listing:
        listing.write("".join(f"{c}\t{p}\n" for c, p in users))
        listing.flush()
        done = subprocess.run(["wrk", f"-t{len(users)}", f"-c{len(users)}", f"-d{seconds}s", "--timeout", "10s",
                               "-s", str(Path(__file__).with_name("wrk_get.lua")), url],
                              env={"WRK_USERS_FILE": listing.name, "PATH": "/usr/bin:/bin"}, capture_output=True,
                              text=True, timeout=seconds + 60, check=True)
    summary = json.loads(next(line for line in done.stdout.splitlines() if line.startswith("{")))
    seconds_ = summary["duration_us"] / 1e6
    return {"requests": summary["requests"], "errors": summary["errors"] + summary["non2xx"],
            "rps": round(summary["requests"] / seconds_, 1), "p50_ms": summary["p50_us"] / 1000,
            "p95_ms": summary["p95_us"] / 1000, "p99_ms": summary["p99_us"] / 1000}


def percentile(values: list[float], percent: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * percent / 100))] * 1000, 1)


def upload_step2(url: str, trivial: str, cookie: str, ca: Path, times: int) -> dict:
    """Certificate upload step 2 (the file posted, its summary rendered), one user in sequence, vs a trivial GET."""
    import requests

    from ventanilla import pki
    from cryptography.hazmat.primitives import serialization

    issuer = pki.issue_ca(pki.name("Bench upload CA"))
    pem = pki.issue_leaf(issuer, pki.name("SISTEMA NUEVO"), pki.Usage.CLIENT).certificate.public_bytes(
        serialization.Encoding.PEM)
    session, verify = requests.Session(), str(ca)  # per request: REQUESTS_CA_BUNDLE would beat session.verify
    name, value = cookie.split("=", 1)
    session.cookies.set(name, value, domain="127.0.0.1", path="/")  # the one the portal's Set-Cookie replaces
    form = session.get(f"{url}/certificados/nuevo", verify=verify).text
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', form).group(1)
    upload, plain = [], []
    for _ in range(times):
        started = time.perf_counter()
        answer = session.post(f"{url}/certificados/nuevo", headers={"Referer": f"{url}/certificados/nuevo"},
                              data={"csrf_token": token, "alias": "nuevo"}, files={"file": ("nuevo.pem", pem)},
                              verify=verify)
        upload.append(time.perf_counter() - started)
        assert answer.status_code == 200 and "Resumen" in answer.text, re.sub(r"\s+", " ", answer.text)[-1500:]
        started = time.perf_counter()
        assert session.get(f"{trivial}/inicio", verify=verify).status_code == 200
        plain.append(time.perf_counter() - started)
    return {"requests": times, "step2_p50_ms": percentile(upload, 50), "step2_p95_ms": percentile(upload, 95),
            "trivial_p50_ms": percentile(plain, 50), "trivial_p95_ms": percentile(plain, 95)}


def _product() -> str:
    """Where the served portal's code comes from (`PYTHONPATH=<an export of another commit>/services/portal` measures
    that commit's portal with this script: how docs/benchmarks.md compares before and after)."""
    return subprocess.run([sys.executable, "-c", "import portal_service; print(portal_service.__file__)"], cwd=ROOT,
                          capture_output=True, text=True).stdout.strip()


def main(argv: list[str]) -> int:
    """Load, rebuild, serve, measure; print and write the JSON."""
    sys.path.insert(0, str(ROOT))
    from ventanilla.adapters.kafka_broker import LocalKafkaBroker
    from ventanilla.adapters.topics import ensure_topics
    from ventanilla.config import Settings
    from tests.benchmarks import portal_data
    from tests.benchmarks.bench_soap_edge import machine, publish
    from tests.support.https import loopback_tls
    from tests.support.stack_env import free_ports

    parser = argparse.ArgumentParser()
    parser.add_argument("--integrators", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=10)
    args, _ = parser.parse_known_args(argv)
    results = {"machine": machine(), "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                        text=True).stdout.strip(), "portal_service": _product(),
               "load_avg_1min": {"start": os.getloadavg()[0]}}
    with tempfile.TemporaryDirectory(prefix="bench-portal-") as scratch, ExitStack() as stack:
        scratch = Path(scratch)
        tls = loopback_tls(scratch / "tls")
        (scratch / "trust").mkdir()
        (scratch / "trust" / "ca.pem").write_bytes(tls.ca.read_bytes())
        broker = LocalKafkaBroker(scratch / "kafka", *free_ports(2))
        broker.start()
        stack.callback(broker.stop)
        env = {"VENTANILLA_STATE_DIR": str(scratch / "state"), "VENTANILLA_KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
               "VENTANILLA_KAFKA_EXTERNAL": "1", "VENTANILLA_PORTAL_TLS_CERT": str(tls.files.certificate),
               "VENTANILLA_PORTAL_TLS_KEY": str(tls.files.key), "VENTANILLA_PORTAL_CLIENT_CA": str(tls.ca),
               "VENTANILLA_PORTAL_SECRET_KEY": SECRET, "VENTANILLA_TRUST_STORE": str(scratch / "trust"),
               "VENTANILLA_PORTAL_PROJECTION": str(scratch / "projection.sqlite3"), "VENTANILLA_LOG_LEVEL": "WARNING",
               "VENTANILLA_PORTAL_RECEIPTS_PER_MINUTE": "1000000"}
        settings = Settings.from_env(env)
        ensure_topics(settings)
        topic = settings.topics.integrator_events
        events = portal_data.load_topic(broker.bootstrap_servers, topic, args.integrators)
        print(f"-- {events} events on {topic}; rebuilding", file=sys.stderr, flush=True)
        results["data"] = {"integrators": args.integrators, "certificates": args.integrators * portal_data.CERTIFICATES,
                           "platforms": args.integrators * portal_data.PLATFORMS, "events": events}
        results["rebuild"] = portal_data.rebuild(broker.bootstrap_servers, topic, scratch / "projection.sqlite3")
        results["read_only"] = portal_data.read_only(broker.bootstrap_servers, topic, events)
        results["rebuild"]["vs_read_only"] = round(results["rebuild"]["events_per_s"]
                                                   / results["read_only"]["events_per_s"], 2)
        portal_port, trivial_port = free_ports(2)
        portal = stack.enter_context(served("portal_service", {**env, "VENTANILLA_PORTAL_PORT": str(portal_port)},
                                            "/acceso", tls.ca))
        trivial = stack.enter_context(served("tests.benchmarks.portal_trivial",
                                             {**env, "VENTANILLA_PORTAL_PORT": str(trivial_port)}, "/", tls.ca))
        sessions = cookies(USERS)
        pages = {"home": lambda n: "/inicio", "certificates": lambda n: "/certificados",
                 "platform_detail": lambda n: f"/plataformas/{portal_data.platform_id(n, 0)}"}
        for path in [*pages.values(), None]:  # warm-up, not measured: templates compiled, caches and SQLite pages warm
            wrk_get(portal if path else trivial, [(c, path(n) if path else "/inicio") for n, c in enumerate(sessions)],
                    max(1, args.seconds // 3))
        # the trivial page right before and right after each page (the machine's load drifts): the page's ratio is
        # to the mean of its two neighbours
        trivials = [wrk_get(trivial, [(c, "/inicio") for c in sessions], args.seconds)]
        for name, path in pages.items():
            print(f"-- {name}", file=sys.stderr, flush=True)
            figures = wrk_get(portal, [(c, path(n)) for n, c in enumerate(sessions)], args.seconds)
            trivials.append(wrk_get(trivial, [(c, "/inicio") for c in sessions], args.seconds))
            figures["vs_trivial_rps"] = round(figures["rps"] / ((trivials[-2]["rps"] + trivials[-1]["rps"]) / 2), 3)
            results[name] = figures
        results["trivial"] = trivials
        results["upload_step2"] = upload_step2(portal, trivial, sessions[0], tls.ca, 100)
        results["goal"] = {name: results[name]["p95_ms"] <= 50 and results[name]["vs_trivial_rps"] >= 0.3
                           for name in pages}
    results["load_avg_1min"]["end"] = os.getloadavg()[0]
    publish(results, OUT)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
