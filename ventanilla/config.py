"""Process settings, read once from VENTANILLA_* environment variables."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    return int(raw) if raw not in (None, "") else default


def _positive(env: Mapping[str, str], name: str, default: int) -> int:
    value = _int(env, name, default)
    if value < 1:
        raise ValueError(f"{name}={value} must be at least 1")
    return value


def _str(env: Mapping[str, str], name: str, default: str) -> str:
    raw = env.get(name)
    return raw if raw not in (None, "") else default


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if raw == "":
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name}={raw!r} is not a boolean (1/0, true/false, yes/no, on/off)")


def _path(env: Mapping[str, str], name: str) -> Path | None:
    raw = env.get(name)
    return Path(raw).resolve() if raw not in (None, "") else None


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    return float(raw) if raw not in (None, "") else default


def _not_negative(env: Mapping[str, str], name: str, default: float) -> float:
    value = _float(env, name, default)
    if not 0 <= value < float("inf"):  # NaN too
        raise ValueError(f"{name}={value} must be a number of at least 0")
    return value


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...]) -> str:
    raw = _str(env, name, choices[0])
    if raw not in choices:
        raise ValueError(f"{name}={raw!r}: expected one of {', '.join(choices)}")
    return raw


def _zone(env: Mapping[str, str], name: str, default: str) -> str:
    raw = _str(env, name, default)
    try:
        ZoneInfo(raw)
    except (ValueError, ZoneInfoNotFoundError):
        raise ValueError(f"{name}={raw!r}: not an IANA time zone (e.g. Atlantic/Canary)") from None
    return raw


def _edge_origin(env: Mapping[str, str]) -> str:
    """The edge's own scheme, host and port: the public URL when nothing else is said (local runs)."""
    scheme = "http" if _bool(env, "VENTANILLA_SOAP_PLAIN_HTTP", False) else "https"
    return f"{scheme}://{_str(env, 'VENTANILLA_SOAP_HOST', '127.0.0.1')}:{_int(env, 'VENTANILLA_SOAP_PORT', 8443)}"


# The edge's path for receipts by secure verification code: GET /comprobantes/{csv}.
COMPROBANTES_PATH = "/comprobantes/"

# How sure the registry must be that a signer's certificate is not revoked (pyhanko-certvalidator modes):
# require: revocation status must be established for every certificate (else sign.status.unknown);
# hard-fail: checked whenever the certificate names a CRL or OCSP location; soft-fail: best effort.
REVOCATION_POLICIES = ("require", "hard-fail", "soft-fail")
# Where documents live: a directory (one host, or a ReadWriteMany volume) or an S3-compatible object store.
BLOB_STORES = ("directory", "s3")
# A new status replica (no projection file yet) restores the latest snapshot from the blob store, or replays the
# whole log (docs/operations.md, "Snapshots of the status projection").
STATUS_SNAPSHOTS = ("off", "latest")
# How a gRPC client spreads calls over the addresses a name resolves to: pick_first (one connection) or
# round_robin (every address; with a dns:/// target and a headless Service, every pod).
GRPC_LB_POLICIES = ("pick_first", "round_robin")
EDGE_ACCESS_MODES = ("open", "registered")  # who may call the SOAP edge (docs/security.md)
# Client certificates' revocation at the edge and at the back-office gateway, one setting per door (CRLs in
# VENTANILLA_CRLS, OCSP/CRL fetching with VENTANILLA_REVOCATION_FETCH): off; soft-fail admits a certificate whose
# status is unknown; hard-fail refuses it.
CLIENT_REVOCATION_POLICIES = ("off", "soft-fail", "hard-fail")


@dataclass(frozen=True)
class GatewaySettings:
    """The back-office gateway: where it listens over mutual TLS (and serves plaintext health for probes only),
    which CA client certificates chain to and how their revocation is checked, how long it may take to catch up
    with the integrators topic."""

    address: str
    health_address: str
    tls_cert: Path
    tls_key: Path
    client_ca: Path
    client_revocation: str
    client_revocation_period_s: float
    ready_timeout_s: float

    @classmethod
    def from_env(cls, env: Mapping[str, str], state_dir: Path) -> "GatewaySettings":
        """The VENTANILLA_BACKOFFICE_GATEWAY_* variables (the dev PKI's files by default)."""
        pki = state_dir / "pki"
        return cls(
            address=_str(env, "VENTANILLA_BACKOFFICE_GATEWAY_ADDRESS", "127.0.0.1:15055"),
            health_address=_str(env, "VENTANILLA_BACKOFFICE_GATEWAY_HEALTH_ADDRESS", "127.0.0.1:15056"),
            tls_cert=Path(_str(env, "VENTANILLA_BACKOFFICE_GATEWAY_TLS_CERT", str(pki / "server.pem"))),
            tls_key=Path(_str(env, "VENTANILLA_BACKOFFICE_GATEWAY_TLS_KEY", str(pki / "server.key.pem"))),
            client_ca=Path(_str(env, "VENTANILLA_BACKOFFICE_GATEWAY_CLIENT_CA", str(pki / "ca.pem"))),
            client_revocation=_choice(env, "VENTANILLA_BACKOFFICE_GATEWAY_CLIENT_REVOCATION",
                                      CLIENT_REVOCATION_POLICIES),
            client_revocation_period_s=_float(env, "VENTANILLA_BACKOFFICE_GATEWAY_CLIENT_REVOCATION_PERIOD_S", 300.0),
            ready_timeout_s=_float(env, "VENTANILLA_BACKOFFICE_GATEWAY_READY_TIMEOUT_S", 120.0),
        )


@dataclass(frozen=True)
class PortalSettings:
    """The integrators portal: where it listens, who is staff, how people log in, where mail goes."""

    host: str
    port: int
    workers: int
    public_url: str
    secret_key: str
    staff_nifs: frozenset[str]
    tls_cert: Path
    tls_key: Path
    client_ca: Path
    client_crl: str
    projection: str
    claims: str
    dir3: str
    oidc_issuer: str
    oidc_client_id: str
    oidc_client_secret: str
    oidc_nif_claim: str
    smtp_host: str
    smtp_port: int
    smtp_sender: str
    smtp_starttls: bool
    smtp_username: str
    smtp_password: str
    receipts_per_minute: int
    expiry_check_s: int

    @classmethod
    def from_env(cls, env: Mapping[str, str], state_dir: Path) -> "PortalSettings":
        """The VENTANILLA_PORTAL_* and VENTANILLA_SMTP_* variables."""
        pki = state_dir / "pki"
        host, port = _str(env, "VENTANILLA_PORTAL_HOST", "127.0.0.1"), _int(env, "VENTANILLA_PORTAL_PORT", 8444)
        shown = "localhost" if host in ("127.0.0.1", "0.0.0.0", "::") else host
        return cls(
            host=host, port=port, workers=_int(env, "VENTANILLA_PORTAL_WORKERS", 1),
            public_url=_str(env, "VENTANILLA_PORTAL_PUBLIC_URL", f"https://{shown}:{port}").rstrip("/"),
            secret_key=_str(env, "VENTANILLA_PORTAL_SECRET_KEY", ""),
            staff_nifs=frozenset(n.strip().upper() for n in _str(env, "VENTANILLA_PORTAL_STAFF_NIFS", "").split(",")
                                 if n.strip()),
            tls_cert=Path(_str(env, "VENTANILLA_PORTAL_TLS_CERT", str(pki / "server.pem"))),
            tls_key=Path(_str(env, "VENTANILLA_PORTAL_TLS_KEY", str(pki / "server.key.pem"))),
            client_ca=Path(_str(env, "VENTANILLA_PORTAL_CLIENT_CA", str(pki / "ca.pem"))),
            client_crl=_str(env, "VENTANILLA_PORTAL_CLIENT_CRL", ""),
            projection=_str(env, "VENTANILLA_PORTAL_PROJECTION",
                            str(state_dir / "portal" / "projection.sqlite3")),
            claims=_str(env, "VENTANILLA_PORTAL_CLAIMS", str(state_dir / "portal" / "claims.sqlite3")),
            dir3=_str(env, "VENTANILLA_PORTAL_DIR3", str(state_dir / "portal" / "dir3.sqlite3")),
            oidc_issuer=_str(env, "VENTANILLA_PORTAL_OIDC_ISSUER", ""),
            oidc_client_id=_str(env, "VENTANILLA_PORTAL_OIDC_CLIENT_ID", ""),
            oidc_client_secret=_str(env, "VENTANILLA_PORTAL_OIDC_CLIENT_SECRET", ""),
            oidc_nif_claim=_str(env, "VENTANILLA_PORTAL_OIDC_NIF_CLAIM", "nif"),
            smtp_host=_str(env, "VENTANILLA_SMTP_HOST", ""),
            smtp_port=_int(env, "VENTANILLA_SMTP_PORT", 25),
            smtp_sender=_str(env, "VENTANILLA_SMTP_SENDER", "ventanilla@localhost"),
            smtp_starttls=_bool(env, "VENTANILLA_SMTP_STARTTLS", False),
            smtp_username=_str(env, "VENTANILLA_SMTP_USERNAME", ""),
            smtp_password=_str(env, "VENTANILLA_SMTP_PASSWORD", ""),
            receipts_per_minute=_int(env, "VENTANILLA_PORTAL_RECEIPTS_PER_MINUTE", 20),
            expiry_check_s=_int(env, "VENTANILLA_PORTAL_EXPIRY_CHECK_S", 3600),
        )

    @staticmethod
    def is_database_url(target: str) -> bool:
        """Whether a projection/DIR3 target is a PostgreSQL DSN rather than a file path."""
        return target.startswith(("postgresql://", "postgres://", "host="))


# The internal services, by the name their certificate carries (a DNS subjectAltName issued by the internal CA).
# "health-probe" is the local stack's readiness probe: no method allows it, health checks need no permission.
SERVICE_NAMES = ("registry", "status", "cancellation", "soap-edge", "backoffice-gateway", "portal", "health-probe")


@dataclass(frozen=True)
class ServiceTls:
    """Mutual TLS between the services: each process's certificate and key (its identity), the internal CA that
    every peer's certificate must chain to, and the plaintext health-only ports for Kubernetes' gRPC probes."""

    enabled: bool
    certificate: Path | None
    key: Path | None
    ca: Path
    directory: Path
    health_addresses: Mapping[str, str]

    @classmethod
    def from_env(cls, env: Mapping[str, str], state_dir: Path) -> "ServiceTls":
        """VENTANILLA_GRPC_MTLS, VENTANILLA_SERVICE_TLS_CERT/_KEY/_CA (when unset: the dev PKI's internal CA and
        <VENTANILLA_SERVICE_TLS_DIR, by default <state>/pki/services>/<service>.pem and .key.pem) and VENTANILLA_{REGISTRY,STATUS,CANCELLATION}_HEALTH_ADDRESS (a plaintext port that
        answers health checks only, for Kubernetes' probes; none when unset)."""
        pki = state_dir / "pki"
        return cls(_bool(env, "VENTANILLA_GRPC_MTLS", True), _path(env, "VENTANILLA_SERVICE_TLS_CERT"),
                   _path(env, "VENTANILLA_SERVICE_TLS_KEY"),
                   Path(_str(env, "VENTANILLA_SERVICE_TLS_CA", str(pki / "internal-ca.pem"))),
                   Path(_str(env, "VENTANILLA_SERVICE_TLS_DIR", str(pki / "services"))),
                   {name: _str(env, f"VENTANILLA_{name.upper()}_HEALTH_ADDRESS", "")
                    for name in ("registry", "status", "cancellation")})

    def certificate_of(self, service: str) -> Path:
        """The certificate this process presents when it is `service`."""
        return self.certificate or self.directory / f"{service}.pem"

    def key_of(self, service: str) -> Path:
        """The private key of certificate_of(service)."""
        return self.key or self.directory / f"{service}.key.pem"


# How Kafka clients reach the brokers: plaintext on loopback locally; SASL_SSL with SCRAM on Kubernetes (Strimzi).
KAFKA_SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
KAFKA_SASL_MECHANISMS = ("SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN")


@dataclass(frozen=True)
class KafkaSecurity:
    """How every Kafka client authenticates and encrypts (ventanilla/adapters/kafka_clients.py applies it)."""

    protocol: str = "PLAINTEXT"
    sasl_mechanism: str = "SCRAM-SHA-512"
    sasl_username: str = ""
    sasl_password: str = ""
    ca_file: Path | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "KafkaSecurity":
        """VENTANILLA_KAFKA_SECURITY_PROTOCOL, _SASL_MECHANISM, _SASL_USERNAME, _SASL_PASSWORD, _CA_FILE."""
        return cls(_choice(env, "VENTANILLA_KAFKA_SECURITY_PROTOCOL", KAFKA_SECURITY_PROTOCOLS),
                   _choice(env, "VENTANILLA_KAFKA_SASL_MECHANISM", KAFKA_SASL_MECHANISMS),
                   _str(env, "VENTANILLA_KAFKA_SASL_USERNAME", ""), _str(env, "VENTANILLA_KAFKA_SASL_PASSWORD", ""),
                   _path(env, "VENTANILLA_KAFKA_CA_FILE"))

    def __repr__(self) -> str:  # the password never reaches a log
        return f"KafkaSecurity(protocol={self.protocol!r}, sasl_username={self.sasl_username!r})"


@dataclass(frozen=True)
class KafkaSettings:
    """How every Kafka client reaches the brokers, and how long an append may wait for their acknowledgement."""

    bootstrap_servers: str
    security: KafkaSecurity
    append_timeout_s: float

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "KafkaSettings":
        """VENTANILLA_KAFKA_BOOTSTRAP_SERVERS (by default the local broker's port), _APPEND_TIMEOUT_S, security."""
        return cls(_str(env, "VENTANILLA_KAFKA_BOOTSTRAP_SERVERS", f"127.0.0.1:{_int(env, 'VENTANILLA_KAFKA_PORT', 9092)}"),
                   KafkaSecurity.from_env(env), _append_timeout_s(env))


def _append_timeout_s(env: Mapping[str, str]) -> float:
    return _float(env, "VENTANILLA_KAFKA_APPEND_TIMEOUT_S", 15.0)


@dataclass(frozen=True)
class LocalBrokerSettings:
    """The single-node KRaft broker `ventanilla kafka` runs locally (nothing else reads these)."""

    port: int
    controller_port: int
    heap: str
    external: bool
    lib: Path | None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "LocalBrokerSettings":
        """VENTANILLA_KAFKA_PORT, _CONTROLLER_PORT, _HEAP, _EXTERNAL (a broker run elsewhere), _LIB (its jars)."""
        port = _int(env, "VENTANILLA_KAFKA_PORT", 9092)
        return cls(port, _int(env, "VENTANILLA_KAFKA_CONTROLLER_PORT", port + 1), _str(env, "VENTANILLA_KAFKA_HEAP", "640m"),
                   _bool(env, "VENTANILLA_KAFKA_EXTERNAL", False), _path(env, "VENTANILLA_KAFKA_LIB"))


@dataclass(frozen=True)
class Topics:
    """The Kafka topics' names and partition counts (ventanilla/adapters/topics.py creates them)."""

    invoice_events: str
    invoice_events_partitions: int
    backoffice_updates: str
    backoffice_feedback: str
    invoices_registered: str
    backoffice_partitions: int
    integrator_events: str
    integrator_events_partitions: int
    replication_factor: int

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "Topics":
        """VENTANILLA_<TOPIC>_TOPIC, VENTANILLA_<TOPIC>_PARTITIONS and VENTANILLA_TOPIC_REPLICATION_FACTOR."""
        return cls(
            invoice_events=_str(env, "VENTANILLA_INVOICE_EVENTS_TOPIC", "ventanilla.invoice-events.v1"),
            invoice_events_partitions=_int(env, "VENTANILLA_INVOICE_EVENTS_PARTITIONS", 6),
            backoffice_updates=_str(env, "VENTANILLA_BACKOFFICE_UPDATES_TOPIC", "ventanilla.backoffice-updates.v1"),
            backoffice_feedback=_str(env, "VENTANILLA_BACKOFFICE_FEEDBACK_TOPIC", "ventanilla.backoffice-feedback.v1"),
            invoices_registered=_str(env, "VENTANILLA_INVOICES_REGISTERED_TOPIC", "ventanilla.invoices-registered.v1"),
            backoffice_partitions=_int(env, "VENTANILLA_BACKOFFICE_PARTITIONS", 6),
            integrator_events=_str(env, "VENTANILLA_INTEGRATOR_EVENTS_TOPIC", "ventanilla.integrator-events.v1"),
            integrator_events_partitions=_int(env, "VENTANILLA_INTEGRATOR_EVENTS_PARTITIONS", 3),
            replication_factor=_int(env, "VENTANILLA_TOPIC_REPLICATION_FACTOR", 1),
        )


@dataclass(frozen=True)
class StatusGroups:
    """The status service's consumer groups: their names, static membership, and what the back-office one applies."""

    backoffice: str
    notices: str
    instance_id: str
    session_timeout_ms: int
    backoffice_require_sender: bool

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "StatusGroups":
        """VENTANILLA_BACKOFFICE_GROUP, _NOTICES_GROUP, _GROUP_INSTANCE_ID, _GROUP_SESSION_TIMEOUT_MS,
        _BACKOFFICE_REQUIRE_SENDER."""
        return cls(
            backoffice=_str(env, "VENTANILLA_BACKOFFICE_GROUP", "ventanilla-status-backoffice-intake"),
            notices=_str(env, "VENTANILLA_NOTICES_GROUP", "ventanilla-status-notices"),
            # a stable id per status replica (its pod name): static group membership, see docs/operations.md
            instance_id=_str(env, "VENTANILLA_GROUP_INSTANCE_ID", ""),
            session_timeout_ms=_int(env, "VENTANILLA_GROUP_SESSION_TIMEOUT_MS", 10_000),
            # the status service applies only messages the back-office gateway stamped with their sender (v2)
            backoffice_require_sender=_bool(env, "VENTANILLA_BACKOFFICE_REQUIRE_SENDER", True),
        )


@dataclass(frozen=True)
class Addresses:
    """Where the internal gRPC services listen (and are dialled), and how a client spreads its calls."""

    registry: str
    status: str
    cancellation: str
    backoffice: str
    lb_policy: str

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "Addresses":
        """VENTANILLA_{REGISTRY,STATUS,CANCELLATION,BACKOFFICE}_ADDRESS and VENTANILLA_GRPC_LB_POLICY."""
        return cls(_str(env, "VENTANILLA_REGISTRY_ADDRESS", "127.0.0.1:15051"),
                   _str(env, "VENTANILLA_STATUS_ADDRESS", "127.0.0.1:15052"),
                   _str(env, "VENTANILLA_CANCELLATION_ADDRESS", "127.0.0.1:15053"),
                   _str(env, "VENTANILLA_BACKOFFICE_ADDRESS", "127.0.0.1:15054"),
                   _choice(env, "VENTANILLA_GRPC_LB_POLICY", GRPC_LB_POLICIES))


@dataclass(frozen=True)
class Deadlines:
    """How long a caller waits: a query over gRPC, a write (enviarFactura, anularFactura), a read of one's own write."""

    query_s: float
    write_s: float
    read_your_writes_s: float

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "Deadlines":
        """VENTANILLA_SOAP_GRPC_DEADLINE_S, _WRITE_DEADLINE_S, _READ_YOUR_WRITES_TIMEOUT_S."""
        return cls(_float(env, "VENTANILLA_SOAP_GRPC_DEADLINE_S", 15.0),
                   # longer than every stage behind a write (docs/operations.md)
                   _float(env, "VENTANILLA_WRITE_DEADLINE_S", 2 * _append_timeout_s(env) + 20),
                   _float(env, "VENTANILLA_READ_YOUR_WRITES_TIMEOUT_S", 5.0))


@dataclass(frozen=True)
class EdgeSettings:
    """The SOAP edge: where it listens and is reached, its TLS and who may call, its limits and timeouts."""

    host: str
    port: int
    path: str
    workers: int
    threads: int
    public_url: str
    plain_http: bool
    tls_cert: Path
    tls_key: Path
    client_ca: Path
    client_crl: str
    client_revocation: str
    client_revocation_period_s: float
    access_mode: str
    trusted_proxies: str
    max_body_bytes: int
    large_body_memory_mb: int
    registry_channels: int
    group_max_items: int
    state_batch_linger_ms: float
    handshake_timeout_s: float
    request_timeout_s: float
    io_timeout_s: float
    probe_client_cert: Path
    probe_client_key: Path

    @classmethod
    def from_env(cls, env: Mapping[str, str], state_dir: Path) -> "EdgeSettings":
        """The VENTANILLA_SOAP_* variables, VENTANILLA_EDGE_ACCESS_MODE, _TRUSTED_PROXIES, _MAX_BODY_BYTES,
        _GROUP_MAX_ITEMS, _EDGE_REGISTRY_CHANNELS, _EDGE_STATE_BATCH_LINGER_MS and the probe's client certificate (the dev PKI's files by default)."""
        pki = state_dir / "pki"  # `ventanilla dev-pki init` writes here
        return cls(
            host=_str(env, "VENTANILLA_SOAP_HOST", "127.0.0.1"),
            port=_int(env, "VENTANILLA_SOAP_PORT", 8443),
            path=_str(env, "VENTANILLA_SOAP_PATH", "/ws/v2/FacturaService"),
            workers=_int(env, "VENTANILLA_SOAP_WORKERS", 2),
            # gthread threads per worker: a request holds one while its backend call is in flight
            threads=_positive(env, "VENTANILLA_SOAP_THREADS", 8),
            public_url=_str(env, "VENTANILLA_SOAP_PUBLIC_URL", _edge_origin(env)).rstrip("/"),
            plain_http=_bool(env, "VENTANILLA_SOAP_PLAIN_HTTP", False),
            tls_cert=Path(_str(env, "VENTANILLA_SOAP_TLS_CERT", str(pki / "server.pem"))),
            tls_key=Path(_str(env, "VENTANILLA_SOAP_TLS_KEY", str(pki / "server.key.pem"))),
            client_ca=Path(_str(env, "VENTANILLA_SOAP_CLIENT_CA", str(pki / "ca.pem"))),
            client_crl=_str(env, "VENTANILLA_SOAP_CLIENT_CRL", ""),
            client_revocation=_choice(env, "VENTANILLA_SOAP_CLIENT_REVOCATION", CLIENT_REVOCATION_POLICIES),
            client_revocation_period_s=_float(env, "VENTANILLA_SOAP_CLIENT_REVOCATION_PERIOD_S", 300.0),
            # open: a certificate's NIF submits and sees its own invoices; registered: only certificates of the
            # portal's active sending platforms (docs/security.md)
            access_mode=_choice(env, "VENTANILLA_EDGE_ACCESS_MODE", EDGE_ACCESS_MODES),
            trusted_proxies=_str(env, "VENTANILLA_TRUSTED_PROXIES", ""),
            max_body_bytes=_int(env, "VENTANILLA_MAX_BODY_BYTES", 8 * 1024 * 1024),
            # per edge worker: 20 concurrent 8 MB MTOM uploads at 2x their size fit (docs/operations.md)
            large_body_memory_mb=_int(env, "VENTANILLA_SOAP_LARGE_BODY_MEMORY_MB", 384),
            # HTTP/2 connections per edge worker to the registry address: calls round-robin over them, and the
            # kernel spreads connections over the processes sharing the port
            registry_channels=_positive(env, "VENTANILLA_EDGE_REGISTRY_CHANNELS", 8),
            group_max_items=_int(env, "VENTANILLA_GROUP_MAX_ITEMS", 500),
            # how long a worker's next GetStateBatch call may wait for the queries it expects (0: never waits)
            state_batch_linger_ms=_not_negative(env, "VENTANILLA_EDGE_STATE_BATCH_LINGER_MS", 3.0),
            handshake_timeout_s=_float(env, "VENTANILLA_SOAP_HANDSHAKE_TIMEOUT_S", 10.0),
            request_timeout_s=_float(env, "VENTANILLA_SOAP_REQUEST_TIMEOUT_S", 60.0),
            io_timeout_s=_float(env, "VENTANILLA_SOAP_IO_TIMEOUT_S", 30.0),
            probe_client_cert=Path(_str(env, "VENTANILLA_PROBE_CLIENT_CERT", str(pki / "probe.pem"))),
            probe_client_key=Path(_str(env, "VENTANILLA_PROBE_CLIENT_KEY", str(pki / "probe.key.pem"))),
        )

    @property
    def url(self) -> str:
        """The SOAP endpoint URL this process serves or calls."""
        scheme = "http" if self.plain_http else "https"
        return f"{scheme}://{self.host}:{self.port}{self.path}"

    def receipt_url(self, csv: str) -> str:
        """Where anyone holding a receipt's secure verification code gets it, at the edge's public address."""
        return f"{self.public_url}{COMPROBANTES_PATH}{csv}"


@dataclass(frozen=True)
class CertificateTrust:
    """The trust anchors and revocation lists every door checking certificates shares (signers, clients)."""

    store: Path | None
    crls: Path | None
    revocation_fetch: bool

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "CertificateTrust":
        """VENTANILLA_TRUST_STORE, VENTANILLA_CRLS, VENTANILLA_REVOCATION_FETCH (OCSP/CRL fetching)."""
        return cls(_path(env, "VENTANILLA_TRUST_STORE"), _path(env, "VENTANILLA_CRLS"),
                   _bool(env, "VENTANILLA_REVOCATION_FETCH", False))


@dataclass(frozen=True)
class RegistrySettings:
    """The registry: how it checks an invoice and its signature, what it accepts, how it seals receipts, its claims."""

    facturae_schemas: Path | None
    require_signature: bool
    revocation_policy: str
    certificate_path_cache_s: float
    max_attachments: int
    max_attachment_bytes: int
    seal_cert: Path | None
    seal_key: Path | None
    claims_dsn: str
    replicas: int
    processes: int
    third_party_billers: frozenset[str]

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "RegistrySettings":
        """VENTANILLA_FACTURAE_SCHEMAS, _REQUIRE_SIGNATURE, _REVOCATION_POLICY, _CERTIFICATE_PATH_CACHE_S,
        _MAX_ATTACHMENTS, _MAX_ATTACHMENT_BYTES, _SEAL_CERT/_KEY, _CLAIMS_DSN, _REGISTRY_REPLICAS, _REGISTRY_PROCESSES,
        _THIRD_PARTY_BILLERS."""
        return cls(
            facturae_schemas=_path(env, "VENTANILLA_FACTURAE_SCHEMAS"),
            require_signature=_bool(env, "VENTANILLA_REQUIRE_SIGNATURE", True),
            revocation_policy=_choice(env, "VENTANILLA_REVOCATION_POLICY", REVOCATION_POLICIES),
            # how long an accepted signer's certificate path is trusted without validating it again (0: never)
            certificate_path_cache_s=_float(env, "VENTANILLA_CERTIFICATE_PATH_CACHE_S", 300.0),
            max_attachments=_int(env, "VENTANILLA_MAX_ATTACHMENTS", 10),
            max_attachment_bytes=_int(env, "VENTANILLA_MAX_ATTACHMENT_BYTES", 5 * 1024 * 1024),
            seal_cert=_path(env, "VENTANILLA_SEAL_CERT"),
            seal_key=_path(env, "VENTANILLA_SEAL_KEY"),
            claims_dsn=_str(env, "VENTANILLA_CLAIMS_DSN", ""),
            replicas=_int(env, "VENTANILLA_REGISTRY_REPLICAS", 1),
            # registry processes per pod (host) on one port (SO_REUSEPORT): each is GIL-bound, so one per core
            processes=_positive(env, "VENTANILLA_REGISTRY_PROCESSES", 1),
            third_party_billers=frozenset(
                n.strip().upper() for n in _str(env, "VENTANILLA_THIRD_PARTY_BILLERS", "").split(",") if n.strip()),
        )


@dataclass(frozen=True)
class BlobSettings:
    """Where documents live: a directory, or an S3-compatible bucket (its endpoint, credentials and retention)."""

    store: str
    directory: Path
    s3_endpoint: str
    s3_bucket: str
    s3_region: str
    s3_prefix: str
    s3_access_key_id: str
    s3_secret_access_key: str
    s3_retention_days: int
    s3_snapshot_bucket: str  # the status snapshots' bucket, without object lock ("": the documents' bucket)

    @classmethod
    def from_env(cls, env: Mapping[str, str], state_dir: Path) -> "BlobSettings":
        """VENTANILLA_BLOB_STORE, VENTANILLA_BLOB_DIR (<state>/blobs by default) and the VENTANILLA_S3_* variables."""
        return cls(
            store=_choice(env, "VENTANILLA_BLOB_STORE", BLOB_STORES),
            directory=_path(env, "VENTANILLA_BLOB_DIR") or state_dir / "blobs",
            s3_endpoint=_str(env, "VENTANILLA_S3_ENDPOINT", ""),
            s3_bucket=_str(env, "VENTANILLA_S3_BUCKET", ""),
            s3_region=_str(env, "VENTANILLA_S3_REGION", "us-east-1"),
            s3_prefix=_str(env, "VENTANILLA_S3_PREFIX", "blobs/"),
            s3_access_key_id=_str(env, "VENTANILLA_S3_ACCESS_KEY_ID", ""),
            s3_secret_access_key=_str(env, "VENTANILLA_S3_SECRET_ACCESS_KEY", ""),
            s3_retention_days=_int(env, "VENTANILLA_S3_RETENTION_DAYS", 0),
            s3_snapshot_bucket=_str(env, "VENTANILLA_S3_SNAPSHOT_BUCKET", ""),
        )

    def __repr__(self) -> str:  # the secret key never reaches a log
        return f"BlobSettings(store={self.store!r}, directory={str(self.directory)!r}, s3_bucket={self.s3_bucket!r})"


@dataclass(frozen=True)
class RuntimeSettings:
    """How a long-running process's interpreter schedules its threads and collects garbage (ventanilla.runtime)."""

    switch_interval_ms: float
    gc_freeze: bool
    gc_full_threshold: int = 100

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "RuntimeSettings":
        """VENTANILLA_SWITCH_INTERVAL_MS (how long a thread may hold the GIL while another waits for it; Python's
        default 5, kept: no measured gain from shorter) and VENTANILLA_GC_FREEZE (on: each edge worker, once built,
        moves what it built out of the collector's sight, so that a full collection walks only what requests
        allocated since: measured 42–52 → 0.5 ms of CPU, a stall of every thread of the worker; docs/benchmarks.md,
        where freezing the status service is shown to make its collections worse) and VENTANILLA_GC_FULL_THRESHOLD
        (Python's third collection threshold: generation-1 collections between full ones; 100 against Python's 10,
        so the status service's ~30 ms full collections, which stall every thread, come a tenth as often)."""
        interval = _float(env, "VENTANILLA_SWITCH_INTERVAL_MS", 5.0)
        if not 0 < interval <= 100:
            raise ValueError(f"VENTANILLA_SWITCH_INTERVAL_MS={interval} must be above 0 and at most 100")
        return cls(interval, _bool(env, "VENTANILLA_GC_FREEZE", True),
                   _positive(env, "VENTANILLA_GC_FULL_THRESHOLD", 100))


@dataclass(frozen=True)
class Settings:
    """Everything a Ventanilla process can be told, one group per concern; sane local defaults."""

    state_dir: Path
    log_level: str
    dev_mode: bool
    time_zone: str
    kafka: KafkaSettings
    local_broker: LocalBrokerSettings
    topics: Topics
    status_groups: StatusGroups
    status_snapshot: str
    addresses: Addresses
    deadlines: Deadlines
    edge: EdgeSettings
    trust: CertificateTrust
    registry: RegistrySettings
    blobs: BlobSettings
    portal: PortalSettings
    gateway: GatewaySettings
    service_tls: ServiceTls
    runtime: RuntimeSettings

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        """Build settings from the environment (os.environ by default)."""
        env = os.environ if env is None else env
        state_dir = Path(_str(env, "VENTANILLA_STATE_DIR", "var")).resolve()
        return cls(
            state_dir=state_dir,
            log_level=_str(env, "VENTANILLA_LOG_LEVEL", "INFO"),
            dev_mode=_bool(env, "VENTANILLA_DEV_MODE", True),
            time_zone=_zone(env, "VENTANILLA_TIME_ZONE", "Atlantic/Canary"),
            kafka=KafkaSettings.from_env(env),
            local_broker=LocalBrokerSettings.from_env(env),
            topics=Topics.from_env(env),
            status_groups=StatusGroups.from_env(env),
            status_snapshot=_choice(env, "VENTANILLA_STATUS_SNAPSHOT", STATUS_SNAPSHOTS),
            addresses=Addresses.from_env(env),
            deadlines=Deadlines.from_env(env),
            edge=EdgeSettings.from_env(env, state_dir),
            trust=CertificateTrust.from_env(env),
            registry=RegistrySettings.from_env(env),
            blobs=BlobSettings.from_env(env, state_dir),
            portal=PortalSettings.from_env(env, state_dir),
            gateway=GatewaySettings.from_env(env, state_dir),
            service_tls=ServiceTls.from_env(env, state_dir),
            runtime=RuntimeSettings.from_env(env),
        )

    def path(self, *parts: str) -> Path:
        """A path under the local state directory."""
        return self.state_dir.joinpath(*parts)


# /metrics of each process (docs/operations.md, "Observability"): loopback ports below 32768 by default.
METRICS_PROCESSES = {"registry": ("REGISTRY", 9311), "status": ("STATUS", 9312),
                     "cancellation": ("CANCELLATION", 9313), "soap-edge": ("SOAP", 9314), "portal": ("PORTAL", 9315),
                     "backoffice-gateway": ("BACKOFFICE_GATEWAY", 9316)}


@dataclass(frozen=True)
class MetricsSettings:
    """Where one process serves /metrics (None: not at all), its optional mutual TLS, the edge's multiprocess dir."""

    address: str | None
    tls_cert: Path | None
    tls_key: Path | None
    client_ca: Path | None
    multiproc_dir: Path | None

    @classmethod
    def from_env(cls, process: str, env: Mapping[str, str] | None = None) -> "MetricsSettings":
        """VENTANILLA_<PROCESS>_METRICS_ADDRESS (host:port, or "off"), VENTANILLA_METRICS_TLS_CERT/_KEY/_CLIENT_CA
        (all three or none) and PROMETHEUS_MULTIPROC_DIR (the edge's gunicorn workers)."""
        env = os.environ if env is None else env
        prefix, port = METRICS_PROCESSES[process]
        address = _str(env, f"VENTANILLA_{prefix}_METRICS_ADDRESS", f"127.0.0.1:{port}")
        tls = [_path(env, f"VENTANILLA_METRICS_TLS_{name}") for name in ("CERT", "KEY", "CLIENT_CA")]
        if any(tls) and not all(tls):
            raise ValueError("VENTANILLA_METRICS_TLS_CERT, _KEY and _CLIENT_CA go together (mutual TLS) or not at all")
        return cls(None if address.lower() == "off" else address, *tls, _path(env, "PROMETHEUS_MULTIPROC_DIR"))
