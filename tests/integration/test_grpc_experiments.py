"""grpc knows the experiments the services are started with (it only logs a name it does not know, and goes on)."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ventanilla.runtime import GRPC_EXPERIMENTS

pytestmark = pytest.mark.integration

# grpc reads GRPC_EXPERIMENTS when it first checks one: a channel that tries to connect
_CONNECT = ("import grpc; channel = grpc.insecure_channel('127.0.0.1:1')\n"
            "try:\n    grpc.channel_ready_future(channel).result(timeout=0.2)\nexcept grpc.FutureTimeoutError:\n    pass")


def _complaints(experiments: str) -> str:
    """What grpc writes to stderr in a process started with GRPC_EXPERIMENTS=experiments."""
    env = {**os.environ, "GRPC_EXPERIMENTS": experiments}
    done = subprocess.run([sys.executable, "-c", _CONNECT], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stderr


def test_grpc_knows_every_experiment_the_services_are_started_with():
    assert "Unknown experiment" in _complaints("-event_engine_no_such_thing")  # what a name it does not know gives
    assert "Unknown experiment" not in _complaints(GRPC_EXPERIMENTS)
