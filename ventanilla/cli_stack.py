"""`ventanilla run|up|down`: the whole local stack, in the foreground or in the background."""
from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

from ventanilla import devpki, stack
from ventanilla.config import Settings
from ventanilla.observability.exposition import MULTIPROC_VARIABLE
from ventanilla.processes import PidFile, alive, stop_pid, tail
from ventanilla.runtime import grpc_env

log = logging.getLogger("ventanilla.run")


def register(subcommands: argparse._SubParsersAction) -> None:
    """Add `run`, `up` and `down`."""
    subcommands.add_parser("run", help="run Kafka and every service in the foreground (Ctrl-C stops all)"
                           ).set_defaults(handler=run)
    up_ = subcommands.add_parser("up", help="run the stack in the background; return when every service is ready")
    up_.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for readiness (default 120)")
    up_.set_defaults(handler=up)
    down_ = subcommands.add_parser("down", help="stop the background stack and wait until it has ended")
    down_.add_argument("--timeout", type=float, default=90.0, help="seconds before SIGKILL (default 90)")
    down_.set_defaults(handler=down)


def run_pid_file(settings: Settings) -> PidFile:
    """The pid file of the background stack (`ventanilla up`)."""
    return PidFile(settings.path("run.pid"), marker="ventanilla.cli run")


def run_log(settings: Settings) -> Path:
    """Where the background stack's output goes."""
    return settings.path("logs", "run.log")


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Start Kafka (unless external), the topics, then every service; supervise until stopped or one dies."""
    from kafka.errors import KafkaError

    from ventanilla.adapters.kafka_broker import KafkaBrokerError
    from ventanilla.adapters.topics import ensure_topics
    from ventanilla.cli_kafka import start_kafka
    from ventanilla.supervisor import Supervisor

    other = run_pid_file(settings).live_pid()
    if other not in (None, os.getpid()):
        print(f"ventanilla run: the stack already runs in the background (pid {other}); "
              "`ventanilla down` stops it", file=sys.stderr)
        return 1
    if devpki.ensure(settings):
        log.info("created the development PKI", extra={"directory": str(devpki.layout(settings).directory)})
    supervisor = Supervisor()
    supervisor.handle_signals()
    try:
        start_kafka(settings, supervisor)
        if supervisor.stopping.is_set():
            return 0
        ensure_topics(settings)
        env = {**os.environ, **grpc_env(os.environ), "PYTHONUNBUFFERED": "1", **seal_env(settings),
               **portal_env(settings)}
        env.pop(MULTIPROC_VARIABLE, None)  # gunicorn services' alone: it makes prometheus-client write values to files
        for service in stack.SERVICES:
            extra = gunicorn_metrics_env(settings, service.name) if service.name in GUNICORN_SERVICES else {}
            supervisor.spawn(service.name, [sys.executable, "-m", service.module], {**env, **extra})
        threading.Thread(target=_announce, args=(settings, supervisor), daemon=True).start()
        ended = supervisor.watch()
        if ended is not None:
            log.error("a child ended unexpectedly; stopping everything",
                      extra={"child": ended.name, "code": ended.process.returncode})
            return 1
        return 0
    except (KafkaBrokerError, KafkaError) as error:
        if supervisor.stopping.is_set():
            return 0
        log.error("cannot start the stack", extra={"error": str(error)})
        return 1
    finally:
        supervisor.stop_all()


def seal_env(settings: Settings) -> dict[str, str]:
    """The dev PKI's receipt seal for the registry, unless VENTANILLA_SEAL_CERT/KEY are set."""
    where = devpki.layout(settings)
    if settings.registry.seal_cert or not where.cert("seal").exists():
        return {}
    return {"VENTANILLA_SEAL_CERT": str(where.cert("seal")), "VENTANILLA_SEAL_KEY": str(where.key("seal"))}


GUNICORN_SERVICES = ("soap-edge", "portal")  # several worker processes behind one /metrics


def gunicorn_metrics_env(settings: Settings, service: str) -> dict[str, str]:
    """Where a gunicorn service's workers leave their metrics for its master's /metrics (one directory each)."""
    return {MULTIPROC_VARIABLE: str(settings.path(service, "metrics"))}


def portal_env(settings: Settings) -> dict[str, str]:
    """In dev mode, the dev PKI's staff NIF is portal staff unless VENTANILLA_PORTAL_STAFF_NIFS says otherwise."""
    if not settings.dev_mode or settings.portal.staff_nifs:
        return {}
    return {"VENTANILLA_PORTAL_STAFF_NIFS": devpki.STAFF_NIF}


def _announce(settings: Settings, supervisor) -> None:
    """Say once when every service is ready, with the endpoints."""
    if not stack.unready_after(settings, timeout_s=600.0, keep_waiting=lambda: not supervisor.stopping.is_set()):
        supervisor.say("ventanilla", "ready\n" + stack.endpoints(settings))


def up(settings: Settings, args: argparse.Namespace) -> int:
    """Run the stack in the background and wait until every service reports ready."""
    pid_file = run_pid_file(settings)
    pid = pid_file.live_pid()
    devpki.ensure(settings)  # before the readiness probe needs its client certificate
    if pid is None:
        run_log(settings).parent.mkdir(parents=True, exist_ok=True)
        with open(run_log(settings), "wb") as output:
            pid = subprocess.Popen([sys.executable, "-m", "ventanilla.cli", "run"], stdin=subprocess.DEVNULL,
                                   stdout=output, stderr=subprocess.STDOUT, start_new_session=True).pid
        pid_file.write(pid)
    waiting = stack.unready_after(settings, args.timeout, keep_waiting=lambda: alive(pid))
    if waiting:
        reason = "stopped while starting" if not alive(pid) else f"not ready within {args.timeout:.0f} s"
        print(f"ventanilla up: the stack {reason} (waiting for: {', '.join(waiting)}); "
              f"last lines of {run_log(settings)}:\n{tail(run_log(settings))}", file=sys.stderr)
        stop_pid(pid, timeout_s=60.0)
        pid_file.remove()
        return 1
    print(f"Ventanilla is up (pid {pid}; log {run_log(settings)})\n{stack.endpoints(settings)}")
    return 0


def down(settings: Settings, args: argparse.Namespace) -> int:
    """Stop the background stack (services first, Kafka last) and wait until it has ended."""
    pid_file = run_pid_file(settings)
    pid = pid_file.live_pid()
    if pid is not None:
        stop_pid(pid, args.timeout)
    pid_file.remove()
    print("Ventanilla stopped" if pid is not None else "Ventanilla was not running")
    return 0
