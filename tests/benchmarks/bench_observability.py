"""The overhead of metrics and tracing on consultarEstadoFactura and enviarFactura throughput, same run.

`python tests/benchmarks/bench_observability.py [rounds] [--before REV] [--short] [--http-only] [--in-process-only]
[--ratios 0,1]`. One private stack gives the Kafka broker and the dev PKI; on it, one whole stack per setting
(tests/benchmarks/obs_stacks.py: an edge in ingress mode so that wrk can load it, a status service and a registry,
with their own topics and state), every process of a stack with the same observability: metrics off
(VENTANILLA_<PROCESS>_METRICS_ADDRESS=off), metrics on, and metrics on + tracing sampled at 10 %
(parentbased_traceidratio, OTLP/HTTP to a receiver on loopback in this process). Many short rounds, the settings'
order rotated each round (consultarEstadoFactura on each, then enviarFactura on each); every figure is a per-round
ratio to the metrics-off stack of the same round, reported as median and interquartile range: the stack's
throughput (what an operator sees) and its CPU per request (edge + status + registry + broker, from /proc), which a
neighbour's load disturbs less, and each process's own CPU per request against the same process of the off stack.
Each round also loads every stack at one steady rate (wrk with --steady-delay ms between an answer and the next
request on each connection; 0 leaves it out): a stack answering as fast as it can spends less CPU per request the
faster it goes (state queries coalesce into fewer status calls, fewer idle wake-ups), so that a round's own speed
moves both of its ratios; at one rate that feedback is gone and the CPU ratio is what each setting costs. --before REV adds the metrics and traced settings run from REV's tree (its
`ventanilla`, soap_edge, status_service and registry_service; this checkout's generated protobuf modules copied in).
30 rounds by default (about 20 minutes in all); --short (6 rounds of 2 s and 12 invoices, about 4 minutes) is
`make bench BENCH="observability --short"`. The 1-minute load average before each round.
Over the rounds, the share of the status service's GetStateBatch calls that were traced, per traced setting (its
spans received ÷ its calls handled; the --before stack's spans told apart by a resource attribute).
After the rounds, the status processes of the metrics and traced settings alone (tests/benchmarks/status_traced_cost.py:
GetStateBatch calls of 2 queries straight to each, interleaved, their CPU per call from /proc). Then (unless --http-only) the edge alone per consultarEstadoFactura in one process (tests/benchmarks/edge_overhead.py:
WSGI apps side by side, no HTTP server, slices interleaved), and each part of the metrics alone, as this checkout
and --before REV (or main) have it (tests/benchmarks/metering_cost.py), and a gRPC server's CPU per unsampled call
(tests/benchmarks/server_spans_cost.py; callers sampled at 10 %, spans encoded: server_traced_cost.py) and a caller's
(tests/benchmarks/client_calls_cost.py). Prints JSON (with the goal rows: each
setting against metrics off, same rounds) and writes var/bench/observability.json.
"""
from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.benchmarks import requests_  # noqa: E402
from tests.benchmarks.bench_soap_edge import machine, publish  # noqa: E402
from tests.benchmarks.benchstack import cpu_seconds, export_tree, running_stack  # noqa: E402
from tests.benchmarks.obs_stacks import STACK_SERVICES, broker_pid, loadavg, setting_stacks, status_calls  # noqa: E402
from tests.benchmarks.loadgen import python_load, wrk  # noqa: E402
from tests.benchmarks.status_traced_cost import rounds as status_rounds  # noqa: E402
from tests.support.otlp_receiver import OtlpReceiver  # noqa: E402

_PARSER = argparse.ArgumentParser()
_PARSER.add_argument("rounds", nargs="*", help="rounds (30); other words are run_all.py's script names")
_PARSER.add_argument("--before", help="also the metrics and traced edges of this commit")
_PARSER.add_argument("--short", action="store_true", help="6 rounds of 2 s and 12 invoices (make bench --short)")
_PARSER.add_argument("--steady-delay", type=int, default=20,
                     help="ms each wrk connection waits after an answer in the steady segments (0: no steady segment)")
_PARSER.add_argument("--ratios", default="", help="in one process, traced edges at these sampling ratios too (0,1)")
_PARSER.add_argument("--in-process-only", action="store_true", help="skip the HTTP rounds (edge_overhead.py only)")
_PARSER.add_argument("--http-only", action="store_true", help="the stacks' HTTP rounds only")
_ARGS, _ = _PARSER.parse_known_args()  # run_all.py's own arguments (script names) are not ours
ROUNDS_DEFAULT = 30
ROUNDS = 6 if _ARGS.short else next((int(w) for w in _ARGS.rounds if w.isdigit()), ROUNDS_DEFAULT)
STEADY_DELAY_MS = _ARGS.steady_delay
BEFORE = _ARGS.before
SECONDS, CONNECTIONS = (2 if _ARGS.short else 3), 8
ENVIAR = (100 * 1024, 12 if _ARGS.short else 30, 4)  # Facturae size, requests per round (each a new invoice), connections
OUT = ROOT / "var" / "bench" / "observability.json"


OFF, METRICS, TRACED = "metrics off, tracing off", "metrics on, tracing off", "metrics on, tracing sampled 10 %"
STEADY = "consultarEstadoFactura at a steady rate"  # wrk with a pause after each answer: every stack at one rate
GOALS = {METRICS: 1.03, TRACED: 1.10}  # issue 14: overhead at most 3 % (tracing off), 10 % (sampled at 10 %)
SETTING, TRACED_BEFORE = "ventanilla.bench.setting", "traced-before"  # resource attribute: the --before stack's spans
EXPORTED_S = 6  # the batch span processor's delay (5 s) and a margin: what was made by then has been received


def variants(receiver: OtlpReceiver) -> dict[str, dict[str, str]]:
    """Each setting's observability environment, given to every process of its stack (edge, status, registry);
    with --before, the metrics and traced settings again, run from that commit's tree."""
    metered = {f"VENTANILLA_{p}_METRICS_ADDRESS": "on" for p in ("SOAP", "STATUS", "REGISTRY")}
    traced = {**metered, "OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": receiver.endpoint,
              "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
              "OTEL_TRACES_SAMPLER_ARG": "0.1"}
    found = {OFF: {f"VENTANILLA_{p}_METRICS_ADDRESS": "off" for p in ("SOAP", "STATUS", "REGISTRY")},
             METRICS: metered, TRACED: traced}
    if BEFORE is not None:
        found[f"{METRICS} ({BEFORE})"] = metered
        found[f"{TRACED} ({BEFORE})"] = {**traced, "OTEL_RESOURCE_ATTRIBUTES": f"{SETTING}={TRACED_BEFORE}"}
    return found


def traced_calls(receiver: OtlpReceiver, stacks: dict) -> dict[str, tuple[int, float]]:
    """Per traced setting: (the status service's GetStateBatch spans received, its GetStateBatch calls handled)."""
    spans = {name: 0 for name in stacks if name.startswith(TRACED)}
    for span in list(receiver.spans):
        if span.service == "status" and span.kind == "server" and span.name.endswith("/GetStateBatch"):
            before = (SETTING, TRACED_BEFORE) in span.resource
            name = next((n for n in spans if n.endswith(f"({BEFORE})") == before), None)
            if name is not None:
                spans[name] += 1
    return {name: (count, status_calls(stacks[name]) or 0.0) for name, count in spans.items()}


def traced_share(start: dict, end: dict) -> dict[str, dict]:
    """Per traced setting, between two traced_calls(): the share of status calls traced (the sampler's ratio when
    a call follows its leader's decision; 1 - 0.9^k of calls of k queries when any sampled member traced it)."""
    return {name: {"status_spans": end[name][0] - start[name][0], "status_calls": end[name][1] - start[name][1],
                   "traced_share": round((end[name][0] - start[name][0]) / max(1.0, end[name][1] - start[name][1]), 4)}
            for name in end}


def in_process(stack) -> dict:
    """tests/benchmarks/edge_overhead.py in its own process against this stack (its prometheus-client in
    multiprocess mode from the start)."""
    given = {"env": stack.env, "cert": str(stack.client.cert), "key": str(stack.client.key), "ca": str(stack.client.ca),
             "slices": 12 if _ARGS.short else 40, "per_slice": 60, "before": BEFORE,
             "ratios": [r for r in _ARGS.ratios.split(",") if r]}
    done = subprocess.run([sys.executable, "-m", "tests.benchmarks.edge_overhead"], input=json.dumps(given), cwd=ROOT,
                          capture_output=True, text=True, check=True, timeout=1800)
    return json.loads(done.stdout.strip().splitlines()[-1])


def parts(rev: str) -> dict:
    """tests/benchmarks/metering_cost.py in its own process: each part of the metrics alone, this checkout and rev."""
    done = subprocess.run([sys.executable, "-m", "tests.benchmarks.metering_cost", rev], cwd=ROOT,
                          capture_output=True, text=True, check=True, timeout=1800)
    return json.loads(done.stdout.strip().splitlines()[-1])


def verdict(spread_: dict, limit: float, higher_is_better: bool) -> str:
    """met / NOT met when the 95 % confidence interval of the per-round ratios' median lies on one side of the
    goal's limit (the IQR says how far rounds spread; the interval, which narrows with more rounds, how well the
    median is known); otherwise the median's side, said to be undecided by this run."""
    low, high = spread_.get("ci95", (spread_["q1"], spread_["q3"]))
    inside = (lambda x: x >= limit) if higher_is_better else (lambda x: x <= limit)
    if inside(low) and inside(high):
        return "met"
    if not inside(low) and not inside(high):
        return "NOT met"
    return f"{'met' if inside(spread_['median']) else 'NOT met'} by the median (undecided: its 95 % CI spans the goal)"


def cost_of(module: str, *more: str) -> dict:
    """tests/benchmarks/<module>.py in its own process (server_spans_cost: a gRPC server's CPU per unsampled call;
    client_calls_cost: a caller's CPU per call, the edge's client work with and without grpc.intercept_channel)."""
    before = [BEFORE] if BEFORE is not None and module in ("server_spans_cost", "server_traced_cost") else []
    done = subprocess.run([sys.executable, "-m", f"tests.benchmarks.{module}", "6" if _ARGS.short else "15", *before,
                           *more],
                          cwd=ROOT, capture_output=True, text=True, check=True, timeout=1800)
    return json.loads(done.stdout.strip().splitlines()[-1])


def goal_rows(summary: dict) -> list[str]:
    """Each setting's overhead against metrics off in the same rounds (medians of per-round ratios), next to the goal."""
    rows = []
    for operation in ("consultarEstadoFactura", STEADY, "enviarFactura"):
        for name, median in summary.get(operation, {}).items():
            goal = next((g for variant, g in GOALS.items() if name.startswith(variant)), None)
            if goal is None:
                continue
            rps, cpu = median["throughput_vs_off"], median["stack_cpu_per_request_vs_off"]
            busy = median["stack_busy_cpu_per_request_vs_off"]
            each = ", ".join(f"{p} {_iqr(median['cpu_per_request_vs_off'][p])}" for p in PROCESSES)
            per_call = median.get("queries_per_status_call", {}).get("median")
            each += f"; queries per status call {per_call:.2f}" if per_call else ""
            rows.append(f"{operation} | {name} | stack throughput {_iqr(rps)} off | stack CPU/request {_iqr(cpu)} off "
                        f"(less idle CPU {busy['median']:.3f}x; edge + status "
                        f"{_iqr(median['edge_status_cpu_per_request_vs_off'])}; per process: {each}) | goal: overhead "
                        f"<= {round((goal - 1) * 100)} % -> "
                        + (f"throughput {verdict(rps, 2 - goal, True)}; " if operation != STEADY else "")
                        + f"CPU {verdict(cpu, goal, False)}")
    alone = summary.get("status_alone")
    for name, ratio in (alone or {}).get("vs_baseline", {}).items():
        if name.startswith(TRACED):
            rows.append(f"GetStateBatch of {alone['queries_per_call']} queries, the status process alone | {name} | "
                        f"status CPU/call {_iqr(ratio)} {alone['baseline']} | goal: overhead <= 10 % -> CPU "
                        f"{verdict(ratio, GOALS[TRACED], False)}")
    for name, variant in summary.get("in_process", {}).get("variants", {}).items():
        goal = next((g for prefix, g in GOALS.items() if name.startswith(prefix)), None)
        if goal is not None:
            rows.append(f"consultarEstadoFactura, the edge alone in one process | {name} | edge CPU/request "
                        f"{variant['vs_off']:.3f}x off (+{variant['added_us']} us) | goal: overhead <= "
                        f"{round((goal - 1) * 100)} % -> {'met' if variant['vs_off'] <= goal else 'NOT met'}")
    return rows


def _iqr(spread_: dict) -> str:
    """A per-round ratio's median, its 95 % confidence interval and interquartile range, as a goal row shows it."""
    if spread_["median"] is None:
        return "n/a (too little CPU to compare)"
    low, high = spread_["ci95"]
    return f"{spread_['median']:.3f}x (CI {low:.3f}-{high:.3f}, IQR {spread_['q1']:.3f}-{spread_['q3']:.3f})"


def median_ci95(values: list[float]) -> tuple[float, float]:
    """A distribution-free 95 % confidence interval of the median: the order statistics k and n - k + 1 with k
    from the binomial(n, 1/2) (normal approximation; fewer than 6 values: the whole range)."""
    ordered, n = sorted(values), len(values)
    k = max(1, math.floor((n - 1.96 * math.sqrt(n)) / 2))
    return (ordered[0], ordered[-1]) if n < 6 else (ordered[k - 1], ordered[n - k])


def spread(values: list[float]) -> dict:
    """Median, interquartile range and the median's 95 % confidence interval of per-round values."""
    if not values:
        return {"median": None, "q1": None, "q3": None, "ci95": None, "rounds": []}
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive") if len(values) > 1 else values * 3
    return {"median": round(median, 3), "q1": round(q1, 3), "q3": round(q3, 3),
            "ci95": [round(x, 3) for x in median_ci95(values)], "rounds": [round(v, 3) for v in values]}


PROCESSES = ("edge", "status", "registry", "broker")
SHARE = 0.05  # a process is left out of a round where it used less than this share of the off stack's CPU (10 ms ticks)
IDLE_LIMIT = 0.2  # CPU seconds per second: a service above it with no load is busy with something else


def idle_rates(stacks: dict, broker: int, seconds: float = 4.0) -> dict[str, dict[str, float]]:
    """Each setting's processes' CPU seconds per second with no load at all (consumers' polls, timers, the broker's
    own work): what a round's CPU would include even if it answered nothing."""
    pids = {(name, process): pid for name, one in stacks.items()
            for process, pid in {**one.pids, "broker": broker}.items()}
    before, started = {key: cpu_seconds(pid) for key, pid in pids.items()}, time.monotonic()
    time.sleep(seconds)
    elapsed, rates = time.monotonic() - started, {}
    for (name, process), pid in pids.items():
        rates.setdefault(name, {})[process] = (cpu_seconds(pid) - before[name, process]) / elapsed
    return rates


def measured(stacks: dict, broker: int, name: str, load, idle: dict[str, float]) -> dict:
    """Run load against one setting's stack: its throughput, each of its processes' CPU ms per request, and the
    same less what the process spends idle (idle: CPU seconds per second) over the round's duration."""
    pids = {**stacks[name].pids, "broker": broker}
    calls_before = status_calls(stacks[name])  # read outside the CPU window: a scrape is not the round's work
    before, started = {process: cpu_seconds(pid) for process, pid in pids.items()}, time.monotonic()
    result = load()
    elapsed, done = time.monotonic() - started, max(1, result.requests - result.errors)
    used = {process: cpu_seconds(pid) - before[process] for process, pid in pids.items()}
    calls = None if calls_before is None else status_calls(stacks[name]) - calls_before
    cpu = {process: seconds * 1000 / done for process, seconds in used.items()}
    busy = sum(max(0.0, seconds - idle[process] * elapsed) for process, seconds in used.items()) * 1000 / done
    return {"rps": result.rps, "errors": result.errors, "p50_ms": result.p50_ms, "p99_ms": result.p99_ms,
            "cpu_ms": cpu, "stack_cpu_ms": sum(cpu.values()), "stack_busy_cpu_ms": busy,
            "status_calls": calls, "answered": done}  # GetStateBatch calls (metrics on): how many queries each carried


def summarize(rounds: list[dict[str, dict]]) -> dict:
    """Per setting: medians of its rounds, and the median and IQR of its per-round ratios to metrics off."""
    out = {}
    for name in rounds[0]:
        mine = [r[name] for r in rounds]
        out[name] = {"rps": spread([m["rps"] for m in mine]), "stack_cpu_ms_per_request":
                     spread([m["stack_cpu_ms"] for m in mine]),
                     "cpu_ms_per_request": {p: round(statistics.median(m["cpu_ms"][p] for m in mine), 3)
                                            for p in PROCESSES},
                     "p50_ms": round(statistics.median(m["p50_ms"] for m in mine), 2),
                     "p99_ms": round(statistics.median(m["p99_ms"] for m in mine), 2),
                     "errors": sum(m["errors"] for m in mine),
                     "throughput_vs_off": spread([r[name]["rps"] / r[OFF]["rps"] for r in rounds]),
                     "stack_cpu_per_request_vs_off": spread([r[name]["stack_cpu_ms"] / r[OFF]["stack_cpu_ms"]
                                                             for r in rounds]),
                     "stack_busy_cpu_ms_per_request": spread([m["stack_busy_cpu_ms"] for m in mine]),
                     "stack_busy_cpu_per_request_vs_off": spread([r[name]["stack_busy_cpu_ms"]
                                                                  / r[OFF]["stack_busy_cpu_ms"] for r in rounds]),
                     # each process's own CPU per request against the same process of the off stack, per round
                     "cpu_per_request_vs_off": {p: spread([r[name]["cpu_ms"][p] / r[OFF]["cpu_ms"][p] for r in rounds
                                                           if r[OFF]["cpu_ms"][p] >= SHARE * r[OFF]["stack_cpu_ms"]])
                                                for p in PROCESSES},
                     "edge_status_cpu_per_request_vs_off": spread([_path(r[name]) / _path(r[OFF]) for r in rounds]),
                     # state queries per GetStateBatch call (estado rounds, metrics on): does a setting coalesce less?
                     "queries_per_status_call": spread([_per_call(m) for m in mine
                                                        if m.get("status_calls")])}
    return out


def _per_call(measured_: dict) -> float:
    """The round's answered requests per GetStateBatch call."""
    return measured_["answered"] / measured_["status_calls"]


def _path(measured_: dict) -> float:
    """CPU ms per request of the processes a state query crosses (edge and status service)."""
    return measured_["cpu_ms"]["edge"] + measured_["cpu_ms"]["status"]


def run(stack) -> dict:
    """Rounds over the settings' stacks, the order rotated each round: consultarEstadoFactura on each, then
    enviarFactura on each; per-round ratios to metrics off."""
    headers = stack.client.ingress_headers
    receiver = OtlpReceiver().start()
    broker = broker_pid(stack)
    settings = variants(receiver)
    size, count, concurrency = ENVIAR
    consultar: list[dict] = []
    steady: list[dict] = []
    enviar: list[dict] = []
    loads: list[float] = []
    with tempfile.TemporaryDirectory() as scratch:
        before_tree = export_tree(BEFORE, Path(scratch) / "before",
                                  ("ventanilla", *(f"services/{name}" for name in STACK_SERVICES))) if BEFORE else None
        code = {name: before_tree for name in settings if BEFORE and name.endswith(f"({BEFORE})")}
        with setting_stacks(stack, Path(scratch), settings, code) as stacks:
            for one in stacks.values():  # warm-up: channels, spyne, the first invoices
                wrk(one.url, *one.estado, seconds=2, connections=CONNECTIONS, headers=headers)
                python_load(one.url, [requests_.enviar_mtom(size) for _ in range(4)], concurrency=1, headers=headers)
            idle = idle_rates(stacks, broker)
            names = list(stacks)
            time.sleep(EXPORTED_S)  # the warm-up's spans in
            counted = traced_calls(receiver, stacks)
            for turn in range(ROUNDS):
                order = names[turn % len(names):] + names[:turn % len(names)]
                loads.append(loadavg())
                consultar.append({name: measured(stacks, broker, name, lambda: wrk(
                    stacks[name].url, *stacks[name].estado, SECONDS, CONNECTIONS, headers=headers), idle[name])
                    for name in order})
                if STEADY_DELAY_MS:  # the same rate for every stack: CPU per request at one operating point
                    steady.append({name: measured(stacks, broker, name, lambda: wrk(
                        stacks[name].url, *stacks[name].estado, SECONDS, CONNECTIONS, headers=headers,
                        delay_ms=STEADY_DELAY_MS), idle[name]) for name in order})
                bodies = {name: [requests_.enviar_mtom(size) for _ in range(count)] for name in order}
                enviar.append({name: measured(stacks, broker, name, lambda: python_load(
                    stacks[name].url, bodies[name], concurrency=concurrency, headers=headers), idle[name])
                    for name in order})
            loads.append(loadavg())
            time.sleep(EXPORTED_S)
            traced = traced_share(counted, traced_calls(receiver, stacks))
            status_alone = status_rounds(stacks, [n for n in names if n.startswith((METRICS, TRACED))],
                                         6 if _ARGS.short else 12, calls=600 if _ARGS.short else 1500)
            time.sleep(1)  # the last batch of spans
    receiver.stop()
    busy_idle = [f"{name}: {process} used {rate * 1000:.0f} ms of CPU per second with no load" for name, rates in
                 idle.items() for process, rate in rates.items() if process != "broker" and rate > IDLE_LIMIT]
    return {"consultarEstadoFactura": summarize(consultar), "enviarFactura": summarize(enviar),
            **({STEADY: summarize(steady)} if steady else {}),
            "traced_status_calls": traced,  # spans of GetStateBatch received at the status ÷ its calls, over the rounds
            "status_alone": status_alone,  # status_traced_cost.py: the status processes driven directly
            "busy_while_idle": busy_idle,  # any: that setting's rounds measured something else as well
            "idle_cpu_ms_per_s": {name: {p: round(r * 1000, 1) for p, r in rates.items()} for name, rates in idle.items()},
            "spans_received": len(receiver.spans), "loadavg_1min_per_round": [round(x, 2) for x in loads],
            "load": (f"{ROUNDS} rounds, the settings' order rotated each round; per round and setting: "
                     f"consultarEstadoFactura wrk -t1 -c{CONNECTIONS} -d{SECONDS}s (as fast as it answers), "
                     f"{f'then the same with {STEADY_DELAY_MS} ms between answers per connection (steady rate), ' if STEADY_DELAY_MS else ''}"
                     f"then enviarFactura {count} new "
                     f"{size // 1024} KB MTOM invoices over {concurrency} connections (Python client); one stack per setting (edge in ingress "
                     f"mode with 2 gunicorn workers, status, registry, own topics) on one shared Kafka broker; CPU "
                     f"per request of edge + status + registry + broker from /proc (busy: less each process's idle CPU rate, measured "
                     f"before the rounds, over the round's duration)"
                     f"{f'; before: {BEFORE}' if BEFORE else ''}")}


def main() -> int:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    results = {"machine": machine(), "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "commit": commit.stdout.strip(), "command": " ".join(["bench_observability.py", *sys.argv[1:]])}
    with running_stack() as stack:
        results["overhead"] = {} if _ARGS.in_process_only else run(stack)
        if not _ARGS.http_only:
            results["overhead"]["in_process"] = in_process(stack)
    results["goals"] = goal_rows(results["overhead"])
    if results["overhead"].get("busy_while_idle"):
        results["goals"].append("UNRELIABLE: " + "; ".join(results["overhead"]["busy_while_idle"]))
    if not _ARGS.http_only:
        results["metering_parts_us_per_request"] = parts(BEFORE or "main")
        results["grpc_server_unsampled_calls"] = cost_of("server_spans_cost")
        results["grpc_server_calls_traced_10pct"] = cost_of("server_traced_cost")
        results["grpc_client_calls"] = cost_of("client_calls_cost")
        results["sampled_request_edge"] = cost_of("sampled_cost")  # a sampled estado's own CPU, edge in one process
        results["unsampled_request_edge"] = cost_of("sampled_cost", "--unsampled")  # traced at 0 against tracing off
        results["sampled_call_grpc_server"] = cost_of("sampled_server_cost")  # and a sampled call's, at a server
    publish(results, OUT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
