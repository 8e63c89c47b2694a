"""A stack to break: its own Kafka broker (killed, frozen, restarted) and separately controlled services."""
from __future__ import annotations

import os
import signal
from dataclasses import dataclass
from pathlib import Path

from ventanilla.adapters.kafka_broker import LocalKafkaBroker
from ventanilla.adapters.topics import ensure_topics
from ventanilla.config import Settings

from tests.e2e.own_stack import SELLER, OwnStack, own_stack
from tests.support.backlog import produce_events
from tests.support.stack_env import free_ports, private_env

BACKLOG_FIRST_ID = 10 ** 12  # far above the claims store's ids, which start at 1


@dataclass
class ChaosStack:
    """The broker and the four services, each of which can be killed (-9) and started again."""

    broker: LocalKafkaBroker
    own: OwnStack

    @property
    def settings(self) -> Settings:
        """The stack's settings."""
        return self.own.settings

    @property
    def client(self) -> tuple[tuple[str, str], str]:
        """The seller's client certificate (certificate, key) and the dev CA bundle."""
        base = self.settings.path("clients", SELLER)
        return (str(base / "client.pem"), str(base / "client.key.pem")), str(base / "ca.pem")

    def kill(self, name: str) -> None:
        """SIGKILL a service (registry, status, cancellation, soap-edge) or the broker."""
        if name == "broker":
            self.broker.kill()
        else:
            self.own.kill(name)

    def start(self, name: str, timeout_s: float = 180.0) -> None:
        """Start a killed service or the broker again and wait until it is ready."""
        if name == "broker":
            self.broker.spawn()
            self.broker.wait_ready(timeout_s)
        else:
            self.own.start(name, timeout_s)

    def revive(self) -> list[str]:
        """Start again any service that ended by itself (as an orchestrator would); their names."""
        ended = [name for name, process in self.own.processes.items() if process.poll() is not None]
        for name in ended:
            self.own.processes.pop(name)
            self.own.start(name)
        return ended

    def freeze(self) -> None:
        """SIGSTOP the broker: connections stay open, nothing answers."""
        os.kill(self.broker.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        """SIGCONT the broker."""
        os.kill(self.broker.process.pid, signal.SIGCONT)

    def close(self) -> None:
        """Stop every service and the broker."""
        try:
            if self.broker.process is not None:
                self.thaw()
            self.own.stop_all()
        finally:
            self.broker.stop()


def chaos_stack(base: Path, overrides: dict[str, str], backlog_events: int = 0) -> ChaosStack:
    """A broker on free ports, fresh topics (with a backlog of other invoices' events), every service started."""
    port, controller_port = free_ports(2)
    broker = LocalKafkaBroker(base / "kafka", port, controller_port).start(timeout_s=180)
    try:
        ports = free_ports(5)
        env = private_env(broker.bootstrap_servers, base / "state", ports, "chaos")
        settings = Settings.from_env(env)
        ensure_topics(settings)
        if backlog_events:
            produce_events(broker.bootstrap_servers, settings.topics.invoice_events, backlog_events, BACKLOG_FIRST_ID)
        own = own_stack({**env, **overrides}, base / "state", ports)
    except BaseException:
        broker.stop()
        raise
    return ChaosStack(broker, own)

