"""What the kit talks to, from VENTANILLA_LOAD_* variables: the SOAP URL, certificate files, the back-office way in."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping
from urllib.parse import urlsplit

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _path(env: Mapping[str, str], name: str) -> Path | None:
    raw = env.get(name, "")
    return Path(raw) if raw else None


@dataclass(frozen=True)
class Target:
    """A stack under load; traffic goes only to soap_url and kafka_bootstrap (loopback unless given)."""

    soap_url: str
    client_cert: Path | None  # the supplier's or integrator's TLS client certificate (PEM) and key
    client_key: Path | None
    server_ca: Path | None  # CA bundle that issued the edge's (or the ingress's) server certificate
    signer_cert: Path | None  # signs each invoice (XAdES); its chain must be in the registry's trust store
    signer_key: Path | None
    signer_chain: Path | None
    kafka_bootstrap: str  # the back-office way in today: its Kafka topic
    backoffice_topic: str
    template: Path | None  # a Facturae whose seller is the signer's NIF; default: the public sample

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Target":
        """Read VENTANILLA_LOAD_*; the SOAP URL is required."""
        env = os.environ if env is None else env
        url = env.get("VENTANILLA_LOAD_SOAP_URL", "")
        if urlsplit(url).scheme not in ("http", "https"):
            raise ValueError(f"VENTANILLA_LOAD_SOAP_URL={url!r}: an http(s) URL of the SOAP endpoint is required")
        return cls(url, _path(env, "VENTANILLA_LOAD_CLIENT_CERT"), _path(env, "VENTANILLA_LOAD_CLIENT_KEY"),
                   _path(env, "VENTANILLA_LOAD_SERVER_CA"), _path(env, "VENTANILLA_LOAD_SIGNER_CERT"),
                   _path(env, "VENTANILLA_LOAD_SIGNER_KEY"), _path(env, "VENTANILLA_LOAD_SIGNER_CHAIN"),
                   env.get("VENTANILLA_LOAD_KAFKA", "127.0.0.1:9092"),
                   env.get("VENTANILLA_LOAD_BACKOFFICE_TOPIC", "ventanilla.backoffice-updates.v1"),
                   _path(env, "VENTANILLA_LOAD_TEMPLATE"))

    def as_env(self) -> dict[str, str]:
        """The VENTANILLA_LOAD_* variables that describe this target (for the Locust process)."""
        values = {"SOAP_URL": self.soap_url, "CLIENT_CERT": self.client_cert, "CLIENT_KEY": self.client_key,
                  "SERVER_CA": self.server_ca, "SIGNER_CERT": self.signer_cert, "SIGNER_KEY": self.signer_key,
                  "SIGNER_CHAIN": self.signer_chain, "KAFKA": self.kafka_bootstrap,
                  "BACKOFFICE_TOPIC": self.backoffice_topic, "TEMPLATE": self.template}
        return {f"VENTANILLA_LOAD_{k}": str(v) for k, v in values.items() if v is not None}

    @property
    def on_loopback(self) -> bool:
        """Whether every address the kit would send to is this machine."""
        kafka_hosts = [a.rsplit(":", 1)[0].strip("[]") for a in self.kafka_bootstrap.split(",")]
        return urlsplit(self.soap_url).hostname in LOOPBACK and all(h in LOOPBACK for h in kafka_hosts)
