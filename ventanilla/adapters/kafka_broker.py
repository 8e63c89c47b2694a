"""A local one-node Apache Kafka (KRaft broker + controller) run from the jars in deploy/kafka/lib."""
from __future__ import annotations

import base64
import logging
import os
import subprocess
import time
import uuid
from pathlib import Path
from typing import IO, Callable

import ventanilla
from ventanilla.adapters.jvm import JavaRuntime, find_java
from ventanilla.adapters.kafka_probe import accepts_requests, listening
from ventanilla.config import Settings
from ventanilla.processes import PidFile, dying_with_parent, stop_pid, stop_popen, tail

log = logging.getLogger(__name__)

# How often the controller appends a no-op record to the metadata log when nothing changes (Kafka's default: 500 ms),
# which its raft, loader and publisher threads then write, flush and apply: ~3 ms/s of an idle one-node broker's CPU
# (docs/benchmarks.md, "Write path (issue 15)", branch i15-broker). Changes are still written at once; the no-ops only
# tell other nodes the quorum is alive, and this broker is its own quorum. The local broker only: deploy/ keeps
# Kafka's default.
IDLE_METADATA_MS = "5000"


class KafkaBrokerError(RuntimeError):
    """The local broker could not be prepared, started or reached."""


def deploy_dir() -> Path:
    """The repository's deploy/kafka directory (jars, log4j2 configuration)."""
    return Path(ventanilla.__file__).resolve().parents[1] / "deploy" / "kafka"


def new_cluster_id() -> str:
    """A random cluster id as Kafka writes them (base64url UUID, never starting with '-')."""
    while (cluster_id := base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("="))[0] == "-":
        pass
    return cluster_id


class LocalKafkaBroker:
    """One broker+controller node with its state (config, cluster id, log dirs) in one directory."""

    def __init__(self, state_dir: Path, port: int, controller_port: int, heap: str = "640m",
                 lib_dir: Path | None = None, host: str = "127.0.0.1", java: str | None = None,
                 extra_properties: dict[str, str] | None = None, format_args: tuple[str, ...] = ()):
        """extra_properties are added to (or replace) server.properties (more listeners, SASL, TLS); format_args go
        to `kafka-storage format` (e.g. `--add-scram SCRAM-SHA-512=[name=u,password=p]`)."""
        self.state_dir, self.host, self.port, self.controller_port, self.heap = state_dir, host, port, controller_port, heap
        self.extra_properties, self.format_args = dict(extra_properties or {}), tuple(format_args)
        self.lib_dir = lib_dir or deploy_dir() / "lib"
        self.java = java or find_java(os.environ)
        self.properties_path = state_dir / "server.properties"
        self.log_path = state_dir / "broker.log"
        self.pid_file = PidFile(state_dir / "broker.pid", marker=str(self.properties_path))
        self.process: subprocess.Popen | None = None
        self._jvm: JavaRuntime | None = None
        self._output_in_log = True

    @classmethod
    def from_settings(cls, settings: Settings) -> "LocalKafkaBroker":
        """The broker these settings describe: state under state_dir/kafka, jars from settings.local_broker.lib."""
        return cls(settings.path("kafka"), settings.local_broker.port, settings.local_broker.controller_port, settings.local_broker.heap,
                   settings.local_broker.lib)

    @property
    def bootstrap_servers(self) -> str:
        """The bootstrap address clients use."""
        return f"{self.host}:{self.port}"

    def properties(self) -> dict[str, str]:
        """The broker's server.properties."""
        listener, controller = f"{self.host}:{self.port}", f"{self.host}:{self.controller_port}"
        return {
            "process.roles": "broker,controller", "node.id": "1",
            "listeners": f"PLAINTEXT://{listener},CONTROLLER://{controller}",
            "advertised.listeners": f"PLAINTEXT://{listener}", "inter.broker.listener.name": "PLAINTEXT",
            "controller.listener.names": "CONTROLLER", "controller.quorum.bootstrap.servers": controller,
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": str(self.state_dir / "data"), "auto.create.topics.enable": "false",
            "offsets.topic.replication.factor": "1", "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1", "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1", "group.initial.rebalance.delay.ms": "0",
            "metadata.max.idle.interval.ms": IDLE_METADATA_MS,
            **self.extra_properties,
        }

    def prepare(self) -> None:
        """Check java and the jars, write server.properties, format the storage once."""
        if not self.java:
            raise KafkaBrokerError("java not found: install a JDK 17+ (or set JAVA_HOME) to run the local Kafka broker")
        if not any(self.lib_dir.glob("kafka_2.13-*.jar")) or not any(self.lib_dir.glob("log4j-core-*.jar")):
            raise KafkaBrokerError(f"Kafka jars not found in {self.lib_dir}: run `make kafka-jars` (or set VENTANILLA_KAFKA_LIB)")
        self._jvm = JavaRuntime(self.java, self.lib_dir, deploy_dir() / "log4j2.properties")
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.properties_path.write_text("".join(f"{k}={v}\n" for k, v in self.properties().items()))
        if (self.state_dir / "data" / "meta.properties").exists():
            return
        id_path = self.state_dir / "cluster.id"
        if not id_path.exists():
            id_path.write_text(new_cluster_id() + "\n")
        format_ = self._jvm.command("kafka.tools.StorageTool", "format", "-t", id_path.read_text().strip(),
                                    "-c", str(self.properties_path), "--standalone", *self.format_args, heap="256m")
        done = subprocess.run(format_, capture_output=True, text=True)
        if done.returncode != 0:
            raise KafkaBrokerError(f"formatting {self.state_dir} failed:\n{done.stdout}{done.stderr}")

    def spawn(self, stdout: int | IO | None = None, detached: bool = False) -> subprocess.Popen:
        """Start the broker in its own process group, output to broker.log unless told; it dies with us unless detached."""
        self.prepare()
        for port in (self.port, self.controller_port):
            if listening(self.host, port):
                raise KafkaBrokerError(f"{self.host}:{port} is already in use (another broker? `ventanilla kafka stop`,"
                                       " or other VENTANILLA_KAFKA_PORT / VENTANILLA_KAFKA_CONTROLLER_PORT)")
        self._output_in_log = stdout is None
        output = stdout if stdout is not None else open(self.log_path, "ab")
        try:
            command = self._jvm.command("kafka.Kafka", str(self.properties_path), heap=self.heap,
                                        make_archive=not detached)
            self.process = subprocess.Popen(command if detached else dying_with_parent(command),
                                            stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        finally:
            if stdout is None:
                output.close()
        log.info("kafka broker starting", extra={"pid": self.process.pid, "bootstrap": self.bootstrap_servers})
        return self.process

    def wait_ready(self, timeout_s: float = 90.0, cancelled: Callable[[], bool] = lambda: False) -> None:
        """Block until the broker answers admin requests; fail early if its process ends."""
        deadline = time.monotonic() + timeout_s
        while True:
            ready = accepts_requests(self.bootstrap_servers)
            if self.process is not None and self.process.poll() is not None:
                seen = f"; last lines of {self.log_path}:\n{tail(self.log_path)}" if self._output_in_log else ""
                raise KafkaBrokerError(f"the Kafka broker exited with code {self.process.returncode} while starting{seen}")
            if ready:
                break
            if cancelled():
                raise KafkaBrokerError("cancelled while waiting for the Kafka broker")
            if time.monotonic() >= deadline:
                raise KafkaBrokerError(f"the Kafka broker did not accept requests within {timeout_s:.0f} s")
            time.sleep(0.1)
        log.info("kafka broker ready", extra={"bootstrap": self.bootstrap_servers})

    def start(self, timeout_s: float = 90.0) -> "LocalKafkaBroker":
        """Start the broker as a child of this process and wait until it is ready."""
        self.spawn()
        try:
            self.wait_ready(timeout_s)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self, timeout_s: float = 30.0) -> None:
        """Stop the child broker: SIGTERM, wait, SIGKILL after the timeout."""
        if self.process is not None:
            code = stop_popen(self.process, timeout_s)
            self._jvm.archive.settle(clean_exit=code in (0, 143, -15))
            log.info("kafka broker stopped", extra={"code": code})
            self.process = None

    def kill(self) -> None:
        """SIGKILL the child broker, as a crash would end it (its storage is left as it is)."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self._jvm.archive.settle(clean_exit=False)
            self.process = None

    def start_detached(self, timeout_s: float = 90.0) -> int:
        """Start the broker in the background with a pid file (reuse a running one); its pid."""
        pid = self.pid_file.live_pid()
        if pid is None:
            pid = self.spawn(detached=True).pid
            self.pid_file.write(pid)
        try:
            self.wait_ready(timeout_s)
        except BaseException:
            self.stop_detached()
            raise
        return pid

    def stop_detached(self, timeout_s: float = 30.0) -> bool:
        """Stop a background broker found through its pid file; False if none was running."""
        pid = self.pid_file.live_pid()
        if pid is not None:
            stop_pid(pid, timeout_s)
            if self.process is not None:
                self.process.wait()
                self.process = None
        self.pid_file.remove()
        return pid is not None
