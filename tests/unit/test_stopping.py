"""A bounded stop's budget and closes, and process logs that outlive their reader."""
from __future__ import annotations

import io
import logging
import os
import socket
import subprocess
import sys
import threading
import time

from ventanilla.logs import JsonFormatter, StderrHandler
from ventanilla.stopping import StopBudget, close_all


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_budget_shrinks_with_time_caps_each_step_and_never_goes_below_zero():
    clock = Clock()
    budget = StopBudget(20.0, clock)
    assert budget.left() == 20.0 and budget.left(3.0) == 3.0
    clock.now += 18.5
    assert budget.left() == 1.5 and budget.left(3.0) == 1.5
    clock.now += 5
    assert budget.left() == 0.0


def test_close_all_closes_together_and_does_not_wait_for_a_close_that_hangs():
    closed, hang = [], threading.Event()
    started = time.monotonic()
    close_all([lambda timeout_s: closed.append(timeout_s), lambda _timeout_s: hang.wait(30),
               lambda timeout_s: closed.append(timeout_s)], StopBudget(0.5))
    assert time.monotonic() - started < 5
    assert len(closed) == 2 and all(0 < timeout_s <= 0.5 for timeout_s in closed)
    hang.set()


def test_a_collector_that_does_not_answer_keeps_a_stop_within_its_bound_and_exit_0():
    """A composition root's stop: on_stop, then the spans still buffered, within the bound (OTEL's own export
    timeout, 30 s here, would carry the stop past it and the watchdog would end the process with status 1)."""
    program = ("import os, signal, threading\n"
               "from ventanilla.adapters.grpc_server import run_until_signalled\n"
               "from ventanilla.observability.process import Observability\n"
               "observability = Observability.from_env('status')\n"
               "with observability.tracer('t').start_as_current_span('buffered'):\n"
               "    pass\n"
               "threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGTERM)).start()\n"
               "run_until_signalled(lambda budget: None, 4.0, observability.close)\n")
    with socket.socket() as collector:  # accepts, never answers
        collector.bind(("127.0.0.1", 0))
        collector.listen(16)
        env = {**os.environ, "VENTANILLA_STATUS_METRICS_ADDRESS": "off", "OTEL_EXPORTER_OTLP_TIMEOUT": "30",
               "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{collector.getsockname()[1]}",
               "OTEL_BSP_SCHEDULE_DELAY": "600000"}
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    assert "not exported in time" in done.stderr
    assert time.monotonic() - started < 30  # the bound is 4 s after a 1 s wait; imports on a loaded machine


def test_the_watchdog_ends_a_process_whose_stop_hangs_with_status_1_and_its_stacks():
    program = ("import threading, time\n"
               "from ventanilla.stopping import StopBudget\n"
               "StopBudget(0.5).watch()\n"
               "threading.Thread(target=time.sleep, args=(60,)).start()\n")  # not a daemon: exit would wait
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)
    assert time.monotonic() - started < 30
    assert done.returncode == 1
    assert "the stop passed its bound" in done.stderr and "Thread 0x" in done.stderr


def test_the_watchdog_ends_the_process_even_when_its_log_line_cannot_be_written():
    """A thread stuck writing a log line holds its handler's lock: the watchdog's own line waits behind it, and
    faulthandler's thread ends the process BACKSTOP_S later."""
    program = ("import logging, threading, time\n"
               "from ventanilla.stopping import StopBudget\n"
               "handler = logging.StreamHandler()\n"
               "logging.getLogger().addHandler(handler)\n"
               "handler.acquire()\n"
               "StopBudget(0.5).watch()\n"
               "threading.Thread(target=time.sleep, args=(60,)).start()\n")
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)
    assert time.monotonic() - started < 30
    assert done.returncode == 1
    assert "Thread 0x" in done.stderr and "the stop passed its bound" not in done.stderr


def test_a_close_that_fails_is_logged_and_the_others_still_close(caplog):
    closed = []

    def broken(_timeout_s):
        raise RuntimeError("the broker said no")
    with caplog.at_level(logging.ERROR, logger="ventanilla.stopping"):
        close_all([broken, closed.append], StopBudget(5.0))
    assert len(closed) == 1
    (record,) = [r for r in caplog.records if r.name == "ventanilla.stopping"]
    assert record.getMessage() == "a close failed while stopping" and record.closer.endswith("broken")
    assert "the broker said no" in caplog.text


def _handler(stream) -> StderrHandler:
    handler = StderrHandler(stream)
    handler.setFormatter(JsonFormatter("test"))
    return handler


def _record() -> logging.LogRecord:
    return logging.LogRecord("kafka.conn", logging.WARNING, __file__, 1, "reconnecting", (), None)


def test_a_closed_stderr_drops_the_line_without_a_logging_error(capsys):
    stream = io.StringIO()
    stream.close()
    _handler(stream).handle(_record())
    assert "Logging error" not in capsys.readouterr().err


def test_a_stderr_nobody_reads_any_more_drops_the_line_without_a_logging_error(capsys):
    reader, writer = os.pipe()
    os.close(reader)
    with open(writer, "w") as stream:
        _handler(stream).handle(_record())
        stream.close = lambda: None  # nothing left to flush anywhere
    assert "Logging error" not in capsys.readouterr().err


def test_any_other_failure_is_still_reported(capsys):
    class Broken(io.StringIO):
        def write(self, _text):
            raise RuntimeError("a defect of ours")

    _handler(Broken()).handle(_record())
    assert "Logging error" in capsys.readouterr().err
