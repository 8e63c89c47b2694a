"""`make load`: run a bounded Locust profile against a stack (a private local one unless --url) and write a report.

    python -m tests.load.run [--profile mix|step|smoke] [--seconds S] [--scale X] [--backoffice-rate R]
        [--url https://… --client-cert F --client-key F --server-ca F --signer-cert F --signer-key F
         --signer-chain F --kafka HOST:PORT --backoffice-topic T --template F
         --backoffice-gateway HOST:PORT --backoffice-cert F --backoffice-key F] [--out DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from tests.load import report
from tests.load.target import Target

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / ".." / "shared" / "reference" / "facturae" / "schemas"


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="make load", description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=("mix", "step", "smoke"), default="mix")
    parser.add_argument("--seconds", type=float, default=180.0, help="how long at most (default 180)")
    parser.add_argument("--scale", type=float, default=1.0, help="times the national peak hour (default 1)")
    parser.add_argument("--backoffice-rate", type=float, help="back-office updates per second (default: the mix)")
    parser.add_argument("--out", type=Path, help="report directory (default var/load/<time>)")
    for name in ("url", "client-cert", "client-key", "server-ca", "signer-cert", "signer-key", "signer-chain",
                 "kafka", "backoffice-topic", "template", "backoffice-gateway", "backoffice-cert", "backoffice-key"):
        parser.add_argument(f"--{name}")
    return parser.parse_args(argv)


def _target(args: argparse.Namespace) -> Target:
    given = {"SOAP_URL": args.url, "CLIENT_CERT": args.client_cert, "CLIENT_KEY": args.client_key,
             "SERVER_CA": args.server_ca, "SIGNER_CERT": args.signer_cert, "SIGNER_KEY": args.signer_key,
             "SIGNER_CHAIN": args.signer_chain, "KAFKA": args.kafka, "BACKOFFICE_TOPIC": args.backoffice_topic,
             "TEMPLATE": args.template, "BACKOFFICE_GATEWAY": args.backoffice_gateway,
             "BACKOFFICE_CERT": args.backoffice_cert, "BACKOFFICE_KEY": args.backoffice_key}
    return Target.from_env({f"VENTANILLA_LOAD_{k}": v for k, v in given.items() if v})


@contextmanager
def local_stack(state: Path) -> Iterator[Target]:
    """A private stack on free loopback ports requiring signatures from a throw-away PKI the kit signs with."""
    from tests.benchmarks.benchstack import running_stack
    from tests.support.signing_pki import build_signing_pki
    from ventanilla import pki

    signing = build_signing_pki(state / "signing")
    signer_cert, signer_key = signing.supplier.write(state / "signing", "signer")
    (state / "signing" / "chain.pem").write_bytes(pki.pem(signing.intermediate.certificate))
    overrides = {"VENTANILLA_REQUIRE_SIGNATURE": "1", "VENTANILLA_TRUST_STORE": str(signing.trust_store),
                 "VENTANILLA_CRLS": str(signing.crls)}
    if SCHEMAS.is_dir():
        overrides["VENTANILLA_FACTURAE_SCHEMAS"] = str(SCHEMAS.resolve())
    with running_stack(**overrides) as stack:
        yield Target(stack.soap_url, stack.client.cert, stack.client.key, stack.client.ca, signer_cert, signer_key,
                     state / "signing" / "chain.pem", stack.settings.kafka.bootstrap_servers,
                     stack.settings.topics.backoffice_updates, None)


def _machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    return f"{os.cpu_count()} cores ({model}), Python {platform.python_version()}"


def run_locust(target: Target, args: argparse.Namespace, out: Path) -> dict:
    """Run Locust headless in its own process; what it cost this machine."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("VENTANILLA_")}, **target.as_env(),
           "VENTANILLA_LOAD_PROFILE": args.profile, "VENTANILLA_LOAD_SECONDS": str(args.seconds),
           "VENTANILLA_LOAD_SCALE": str(args.scale), "VENTANILLA_LOAD_OUT": str(out), "PYTHONPATH": str(ROOT)}
    if args.backoffice_rate is not None:
        env["VENTANILLA_LOAD_BACKOFFICE_RATE"] = str(args.backoffice_rate)
    command = [sys.executable, "-m", "locust", "-f", str(ROOT / "tests" / "load" / "locustfile.py"), "--headless",
               "--csv", str(out / "locust"), "--html", str(out / "locust.html"), "--only-summary",
               "--loglevel", "WARNING", "--stop-timeout", "30"]
    before, load_before, started = resource.getrusage(resource.RUSAGE_CHILDREN), os.getloadavg()[0], time.monotonic()
    done = subprocess.run(command, env=env, cwd=ROOT, timeout=args.seconds + 300,
                          stdout=(out / "locust.log").open("w"), stderr=subprocess.STDOUT)
    after, wall = resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic() - started
    return {"locust_exit": done.returncode, "wall_s": wall, "load_before": load_before,
            "load_after": os.getloadavg()[0],
            "generator_cpu_s": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)}


def main(argv: list[str]) -> int:
    args = _arguments(argv)
    started = datetime.now(timezone.utc)
    out = args.out or ROOT / "var" / "load" / started.strftime("%Y%m%d-%H%M%S")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ventanilla-load-") as state:
        stack = local_stack(Path(state)) if not args.url else None
        with stack if stack else _given(args) as target:
            if not target.on_loopback:
                print(f"load: sending traffic to {target.soap_url} and {target.kafka_bootstrap}", file=sys.stderr)
            measured = run_locust(target, args, out)
    (out / "run.json").write_text(json.dumps({
        "started": started.isoformat(timespec="seconds"), "command": "make load " + shlex.join(argv),
        "target": target.soap_url, "local_stack": stack is not None, "profile": args.profile,
        "seconds": args.seconds, "scale": args.scale, "machine": _machine(), **measured}, indent=2))
    print(report.write(out))
    return 0 if measured["locust_exit"] in (0, 1) else measured["locust_exit"]  # 1: some requests failed (reported)


@contextmanager
def _given(args: argparse.Namespace) -> Iterator[Target]:
    yield _target(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
