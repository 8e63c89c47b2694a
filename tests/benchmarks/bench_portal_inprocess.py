"""Issue 11, where a portal page's time goes: `python tests/benchmarks/bench_portal_inprocess.py [--integrators N]
[--requests R] [--rounds K] [--profile PAGE]`. The benchmark's data applied to a new SQLite projection (events/s),
then each page through the Flask test client (no TLS, no gunicorn), CPU time per request, next to the trivial Flask
page, a logged-in page with an empty layout and the session-only `/healthz`, every page once per round; medians of
the rounds. Prints JSON and writes var/bench/portal_inprocess.json. `--profile PAGE` adds cProfile's top functions on stderr (`BENCH_SORT`, `BENCH_TOP`: its
order and length); or run it under `py-spy record`."""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str]) -> int:
    """Load, then measure every page in turn; print the JSON."""
    sys.path.insert(0, str(ROOT))
    from cryptography.hazmat.primitives import serialization
    from flask import render_template

    from portal_service.__main__ import build
    from portal_service.web import logged_in
    from tests.benchmarks import portal_data, portal_trivial
    from tests.benchmarks.bench_portal import SECRET, cookies
    from tests.benchmarks.bench_soap_edge import publish
    from tests.support.portal import build_portal_pki, fake_overrides, portal_settings
    from ventanilla import pki
    from ventanilla.adapters.portal_projection import PortalProjection

    parser = argparse.ArgumentParser()
    parser.add_argument("--integrators", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", metavar="PAGE", help="print cProfile's top functions for this page too")
    args = parser.parse_args(argv)
    results = {"load_avg_1min": {"start": os.getloadavg()[0]}}
    with tempfile.TemporaryDirectory(prefix="bench-portal-inprocess-") as scratch:
        scratch = Path(scratch)
        store = PortalProjection(scratch / "projection.sqlite3")
        ca = pki.issue_ca(pki.name("Portal Bench CA"))
        der = pki.issue_leaf(ca, pki.name("SISTEMA"), pki.Usage.CLIENT).certificate.public_bytes(
            serialization.Encoding.DER)
        offset, started = 0, time.perf_counter()
        for first in range(0, args.integrators, 100):
            records = []
            for n in range(first, min(args.integrators, first + 100)):
                for event in portal_data.integrator_events(n, der):
                    records.append((event, "bench", 0, offset))
                    offset += 1
            store.apply_many(records)
        results["apply_events_per_s"] = round(offset / (time.perf_counter() - started))
        overrides = fake_overrides(build_portal_pki(scratch / "pki"), read_model=store, secure_cookies=True)
        app = build(portal_settings(scratch, VENTANILLA_PORTAL_SECRET_KEY=SECRET), overrides=overrides).app
        layout = app.jinja_env.from_string('{% extends "base.html" %}')
        app.add_url_rule("/_layout", "layout", logged_in(lambda: render_template(layout)))
        portal, bare = app.test_client(), portal_trivial.build(None).app.test_client()
        sessions = [c.split("=", 1)[1] for c in cookies(8)]
        pages = {"bare_flask_page": (bare, lambda n: "/inicio"), "healthz": (portal, lambda n: "/healthz"),
                 "layout_only": (portal, lambda n: "/_layout"), "home": (portal, lambda n: "/inicio"),
                 "certificates": (portal, lambda n: "/certificados"),
                 "platform_detail": (portal, lambda n: f"/plataformas/{portal_data.platform_id(n, 0)}")}
        def getter(name, client, path):
            def get(n):
                client.set_cookie("__Host-portal", sessions[n % 8], domain="localhost", secure=True)
                assert client.get(path(n % 8), base_url="https://localhost").status_code == 200, name
            return get
        gets = {name: getter(name, *page) for name, page in pages.items()}
        for get in gets.values():
            for n in range(8):
                get(n)
        rounds = []  # every page once per round, so that a drift of the machine's load touches them all alike
        for _ in range(args.rounds):
            cpu_ms = {}
            for name, get in gets.items():
                cpu = time.process_time()
                for n in range(args.requests):
                    get(n)
                cpu_ms[name] = (time.process_time() - cpu) / args.requests * 1000
            rounds.append(cpu_ms)
        if args.profile:
            _profile(gets[args.profile], args.requests)
    for name in pages:
        results[f"{name}_cpu_ms"] = round(statistics.median(r[name] for r in rounds), 3)
    for name in list(pages)[1:]:  # each round's ratio to the bare page of the same round, the median of the rounds
        results[f"{name}_vs_bare"] = round(statistics.median(r[name] / r["bare_flask_page"] for r in rounds), 2)
    results["goal_pages_at_most_3_3x_bare"] = all(results[f"{name}_vs_bare"] <= 3.3
                                                  for name in ("home", "certificates", "platform_detail"))
    results["load_avg_1min"]["end"] = os.getloadavg()[0]
    results["portal_service"] = sys.modules["portal_service"].__file__
    publish(results, ROOT / "var" / "bench" / "portal_inprocess.json")
    return 0


def _profile(get, requests: int) -> None:
    """cProfile of `requests` more requests of one page, top 40 by own time, on stderr."""
    import cProfile
    import pstats
    profiler = cProfile.Profile()
    profiler.runcall(lambda: [get(n) for n in range(requests)])
    order, top = os.environ.get("BENCH_SORT", "tottime"), int(os.environ.get("BENCH_TOP", "40"))
    pstats.Stats(profiler, stream=sys.stderr).sort_stats(order).print_stats(top)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
