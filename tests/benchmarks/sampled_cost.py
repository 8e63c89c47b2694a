"""What one sampled consultarEstadoFactura costs the edge, in one process: traced edges sampling every request and
none built side by side against one private stack, slices of each in turn; the difference is a sampled request's
own CPU (its spans, their attributes, the batch processor and the OTLP/HTTP exporter's encoding and sending).

`.venv/bin/python -m tests.benchmarks.sampled_cost [slices [pairs]] [OTHER_CHECKOUT] [--profile] [--unsampled] [--short]`: with
OTHER_CHECKOUT (an absolute path: another checkout of the project, its generated protobuf modules in place), the
same measurement run from its product code and this checkout's alternately, `pairs` times, against one stack. The OTLP
receiver (tests/support/otlp_receiver.py) runs in its own process, so its decoding is not counted, as a collector's
is not in production (edge_overhead.py keeps its receiver in the measured process). Each sampled slice ends with
the provider's force_flush, so its spans are encoded and sent within it, in batches of the slice's spans (100
requests: 300 spans, near the batch processor's 512). Besides the edge, the spans one sampled request makes are
captured and timed through the OTLP encoder alone (`encode_spans(...).SerializeToString()`, per request).
--profile: cProfile of the sampled edge's slices (the force_flush, thus the export, runs in the profiled thread).
--unsampled: the same between the metrics-on edge without tracing and the one traced at ratio 0 instead (what
tracing costs a request it does not sample: the decision, the context, the `traceparent` sent).
JSON out (and var/bench/sampled_cost.json).
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PER_SLICE = 100


_RECEIVER = ("import time; from tests.support.otlp_receiver import OtlpReceiver; "
             "print(OtlpReceiver().start().endpoint, flush=True); time.sleep(86400)")


def _sink() -> tuple[subprocess.Popen, str]:
    """The OTLP/HTTP receiver of the tests in a process of its own (its decoding is not the edge's CPU)."""
    process = subprocess.Popen([sys.executable, "-c", _RECEIVER], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    return process, process.stdout.readline().strip()


def _edges(settings, endpoint: str, unsampled: bool = False) -> dict:
    """The metrics-on edge traced at ratio 0 and ratio 1 (OTLP/HTTP to endpoint), and their providers; unsampled:
    the metrics-on edge without tracing ("0") and the one traced at ratio 0 ("1": the unsampled path alone)."""
    import soap_edge.__main__ as edge_main
    from ventanilla.observability.metrics import Metrics
    from ventanilla.observability.process import Observability
    from ventanilla.observability.tracing import Tracing

    from tests.benchmarks.edge_overhead import SAMPLED

    found = {}
    if unsampled:
        found["0"] = (edge_main.build(settings, observability=Observability(Metrics("soap-edge"), Tracing.off())),
                      Tracing.off())
    for ratio in (("0",) if unsampled else ("0", "1")):
        os.environ.update({**SAMPLED, "OTEL_TRACES_SAMPLER_ARG": ratio, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": endpoint})
        tracing = Tracing.from_env("soap-edge")
        found["1" if unsampled else ratio] = (
            edge_main.build(settings, observability=Observability(Metrics("soap-edge"), tracing)), tracing)
    return found


def _encoding(settings, call) -> dict:
    """The spans of one sampled request (in-memory exporter) and their OTLP encoding's CPU µs per request."""
    import soap_edge.__main__ as edge_main
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from ventanilla.observability.metrics import Metrics
    from ventanilla.observability.process import Observability
    from ventanilla.observability.tracing import Tracing

    memory = InMemorySpanExporter()
    app = edge_main.build(settings, observability=Observability(Metrics("soap-edge"), Tracing.to("soap-edge", memory)))
    for _ in range(PER_SLICE):
        call(app)
    spans = memory.get_finished_spans()
    per_request = len(spans) / PER_SLICE
    timed = []
    for _ in range(7):
        started = time.process_time()
        for _ in range(5):
            body = encode_spans(spans).SerializeToString()
        timed.append((time.process_time() - started) / 5 / PER_SLICE * 1e6)
    return {"spans_per_request": per_request, "bytes_per_request": round(len(body) / PER_SLICE),
            "encode_us_per_request": round(min(timed), 1),
            "spans": sorted({f"{s.kind.name} {s.name}: {len(s.attributes)} attributes, {len(s.links)} links"
                             for s in spans})}


def _difference(profilers: dict, requests: int, top: int = 60) -> str:
    """Per function, the sampled edge's own and cumulative CPU µs per request less the unsampled edge's."""
    import pstats

    found = {ratio: pstats.Stats(profiler).stats for ratio, profiler in profilers.items()}
    rows = []
    for key, (_calls, primitive, own, cumulative, _callers) in found["1"].items():
        base = found["0"].get(key, (0, 0, 0.0, 0.0, {}))
        rows.append(((own - base[2]) * 1e6 / requests, (cumulative - base[3]) * 1e6 / requests,
                     (primitive - base[1]) / requests, f"{key[0].split('site-packages/')[-1]}:{key[1]}({key[2]})"))
    lines = ["own us/req  cumulative us/req  calls/req  function (sampled less unsampled)"]
    for order in (0, 1):
        rows.sort(key=lambda row: -row[order])
        lines += [f"{o:9.1f} {c:11.1f} {n:9.2f}  {name}" for o, c, n, name in rows[:top]] + [""]
    return "\n".join(lines)


def _flush(tracing) -> None:
    """The provider's buffered spans exported (a tracing-off provider has none)."""
    if tracing.enabled:
        tracing.provider.force_flush()


def measure(given: dict) -> dict:
    """Per turn, a slice of each edge (the order alternated); a sampled request's CPU is the median of the per-turn
    differences divided by nothing: every request of the ratio-1 slice is sampled, none of the ratio-0 one."""
    from tests.benchmarks import edge_overhead  # noqa: F401 - prometheus-client's multiprocess directory first
    from ventanilla.config import Settings
    from tests.benchmarks import requests_
    from tests.benchmarks.benchstack import INGRESS, ClientCert
    from tests.benchmarks.edge_profile import _environ

    client = ClientCert(*(Path(given[k]) for k in ("cert", "key", "ca")))
    settings = Settings.from_env({**given["env"], **INGRESS, "VENTANILLA_EDGE_ACCESS_MODE": "open"})
    invoice_id = requests_.register_one(Settings.from_env(given["env"]).edge.url, client.ssl_context)
    content_type, body = requests_.estado(invoice_id)
    headers = client.ingress_headers  # a property that URL-quotes the certificate each time

    def call(app) -> None:
        statuses = []
        b"".join(app(_environ(settings.edge.path, content_type, body, headers),
                     lambda status, _headers, *_: statuses.append(status)))
        assert statuses[0].startswith("200"), statuses

    edges = _edges(settings, given["endpoint"], given.get("unsampled", False))
    for app, tracing in edges.values():
        for _ in range(100):
            call(app)
        _flush(tracing)
    profilers = {}
    if given.get("profile"):  # the calling thread's CPU (the export runs in it: force_flush), per function
        import cProfile
        profilers = {ratio: cProfile.Profile(time.thread_time) for ratio in edges}
    cpu: dict[str, list[float]] = {ratio: [] for ratio in edges}
    for turn in range(given["slices"]):
        for ratio in (("0", "1") if turn % 2 == 0 else ("1", "0")):
            app, tracing = edges[ratio]
            if profilers:
                profilers[ratio].enable()
            started = time.process_time()
            for _ in range(PER_SLICE):
                call(app)
            _flush(tracing)  # this slice's spans encoded and sent within it
            cpu[ratio].append((time.process_time() - started) * 1e6 / PER_SLICE)
            if profilers:
                profilers[ratio].disable()
    for _app, tracing in edges.values():
        tracing.shutdown(60.0)
    import soap_edge
    result = {"code": str(Path(soap_edge.__file__).parents[3]), "slices": given["slices"], "per_slice": PER_SLICE,
              "unsampled_us_per_request": round(statistics.median(cpu["0"]), 1),
              "sampled_us_per_request": round(statistics.median(cpu["1"]), 1),
              "sampled_request_adds_us": round(statistics.median(s - u for s, u in zip(cpu["1"], cpu["0"])), 1),
              "slices_added_us": [round(s - u) for s, u in zip(cpu["1"], cpu["0"])],
              "encoding_alone": _encoding(settings, call)}
    if profilers:
        result["profile"] = _difference(profilers, given["slices"] * PER_SLICE)
    return result


def _child(tree: Path, given: dict) -> dict:
    """measure() run from tree's product code (this file's code, tree's ventanilla and soap_edge)."""
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--measure", str(tree)],
                          input=json.dumps(given), cwd=tree, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-4000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(slices: int, profile: bool, other: Path | None = None, pairs: int = 1, unsampled: bool = False) -> dict:
    """measure() against one private stack; with other (another checkout), from both trees alternately."""
    from tests.benchmarks.benchstack import running_stack

    trees = {"this checkout": ROOT, **({str(other): other} if other else {})}
    runs: dict[str, list[dict]] = {name: [] for name in trees}
    load = [os.getloadavg()[0]]
    sink, endpoint = _sink()
    try:
        with running_stack() as stack:
            given = {"env": stack.env, "cert": str(stack.client.cert), "key": str(stack.client.key),
                     "ca": str(stack.client.ca), "slices": slices, "endpoint": endpoint, "profile": profile,
                     "unsampled": unsampled}
            for pair in range(pairs if other else 1):
                for name in (list(trees) if pair % 2 == 0 else list(reversed(trees))):
                    runs[name].append(_child(trees[name], given))
                    load.append(os.getloadavg()[0])
    finally:
        sink.terminate()
        sink.wait()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    found = {"commit": commit.stdout.strip(), "loadavg_1min": load, **runs["this checkout"][-1]}
    if other:
        found["trees"] = {name: {"sampled_request_adds_us": [r["sampled_request_adds_us"] for r in found_runs],
                                 "median_us": statistics.median(r["sampled_request_adds_us"] for r in found_runs),
                                 "unsampled_us_per_request": [r["unsampled_us_per_request"] for r in found_runs],
                                 "encoding_alone": found_runs[-1]["encoding_alone"]}
                          for name, found_runs in runs.items()}
    return found


if __name__ == "__main__":
    if "--measure" in sys.argv:
        tree = Path(sys.argv[sys.argv.index("--measure") + 1])
        sys.path[:0] = [str(tree), str(tree / "services" / "soap-edge")]
        print(json.dumps(measure(json.load(sys.stdin))))
        sys.exit(0)
    sys.path[:0] = [str(ROOT), str(ROOT / "services" / "soap-edge")]
    numbers = [int(a) for a in sys.argv[1:] if a.isdigit()]
    other_tree = next((Path(a) for a in sys.argv[1:] if a.startswith("/")), None)
    found = main(numbers[0] if numbers else (6 if "--short" in sys.argv else 20), "--profile" in sys.argv,
                 other_tree, numbers[1] if len(numbers) > 1 else 3, "--unsampled" in sys.argv)
    profile_text = found.pop("profile", None)
    out = ROOT / "var" / "bench" / ("unsampled_cost.json" if "--unsampled" in sys.argv else "sampled_cost.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(found, indent=1))
    if profile_text:
        out.with_suffix(".profile.txt").write_text(profile_text)
    print(json.dumps(found))  # one line: bench_observability.py reads the last
