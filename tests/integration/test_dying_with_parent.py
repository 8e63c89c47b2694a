"""Children started through processes.dying_with_parent: SIGTERMed when the thread that started them ends, and
started without running any Python (fork hooks included) between fork and exec in this threaded process."""
from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest

from ventanilla.processes import dying_with_parent

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
SLEEPER = [sys.executable, "-c", "import time; print('ready', flush=True); time.sleep(60)"]


def test_a_child_is_sigtermed_when_the_thread_that_started_it_ends():
    started: list[subprocess.Popen] = []

    def start() -> None:
        process = subprocess.Popen(dying_with_parent(SLEEPER), stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        assert process.stdout.readline() == b"ready\n"  # the launcher has made its call and become the program
        started.append(process)

    thread = threading.Thread(target=start)
    thread.start()
    thread.join()
    process = started[0]
    try:
        assert process.wait(timeout=10) == -15
    finally:
        process.kill()
        process.stdout.close()


def test_a_child_whose_parent_ended_before_it_ran_ends_at_once():
    command = dying_with_parent(SLEEPER)
    command[command.index(str(os.getpid()))] = "1"  # as if this process had gone and the child been re-parented
    done = subprocess.run(command, capture_output=True, timeout=10)
    assert (done.returncode, done.stdout) == (143, b"")


def test_the_child_becomes_the_program_with_its_arguments_and_environment():
    program = [sys.executable, "-c", "import os, sys; print(sys.argv[1:], os.environ['X'], os.getppid())", "a b", "c"]
    done = subprocess.run(dying_with_parent(program), env={**os.environ, "X": "y"}, capture_output=True, text=True,
                          timeout=10)
    assert done.stdout.split("\n")[0] == f"['a b', 'c'] y {os.getpid()}"


def test_starting_a_child_runs_none_of_this_process_fork_hooks():
    """A preexec_fn would fork for real and run every hook (and Python in the child) before exec: a lock another
    thread held stays held in the child, which can hang, and the Popen waiting for its exec with it."""
    ran: list[str] = []
    listening = threading.Event()  # a fork hook stays registered for good: it records only during this test
    listening.set()
    os.register_at_fork(before=lambda: listening.is_set() and ran.append("before"),
                        after_in_parent=lambda: listening.is_set() and ran.append("parent"))
    try:
        subprocess.run(dying_with_parent(["true"]), check=True, timeout=10)
    finally:
        listening.clear()
    assert ran == []
