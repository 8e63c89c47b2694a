"""Print the Markdown table of every VENTANILLA_* setting: its default and its value in each overlay."""
from __future__ import annotations

import re
from operator import attrgetter
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
KUSTOMIZE = ROOT / ".tools" / "bin" / "kustomize"


def variables() -> list[str]:
    """Every variable ventanilla/config.py reads, in its order."""
    names = re.findall(r'"(VENTANILLA_[A-Z0-9_]+)"', (ROOT / "ventanilla" / "config.py").read_text())
    return list(dict.fromkeys(names))


# The variables named after their setting's old flat attribute: variable -> dotted attribute of Settings.
GROUPED = {
    "VENTANILLA_KAFKA_BOOTSTRAP_SERVERS": "kafka.bootstrap_servers",
    "VENTANILLA_KAFKA_APPEND_TIMEOUT_S": "kafka.append_timeout_s",
    "VENTANILLA_KAFKA_PORT": "local_broker.port",
    "VENTANILLA_KAFKA_CONTROLLER_PORT": "local_broker.controller_port",
    "VENTANILLA_KAFKA_HEAP": "local_broker.heap",
    "VENTANILLA_KAFKA_EXTERNAL": "local_broker.external",
    "VENTANILLA_KAFKA_LIB": "local_broker.lib",
    "VENTANILLA_INVOICE_EVENTS_TOPIC": "topics.invoice_events",
    "VENTANILLA_INVOICE_EVENTS_PARTITIONS": "topics.invoice_events_partitions",
    "VENTANILLA_BACKOFFICE_UPDATES_TOPIC": "topics.backoffice_updates",
    "VENTANILLA_BACKOFFICE_FEEDBACK_TOPIC": "topics.backoffice_feedback",
    "VENTANILLA_INVOICES_REGISTERED_TOPIC": "topics.invoices_registered",
    "VENTANILLA_BACKOFFICE_PARTITIONS": "topics.backoffice_partitions",
    "VENTANILLA_INTEGRATOR_EVENTS_TOPIC": "topics.integrator_events",
    "VENTANILLA_INTEGRATOR_EVENTS_PARTITIONS": "topics.integrator_events_partitions",
    "VENTANILLA_TOPIC_REPLICATION_FACTOR": "topics.replication_factor",
    "VENTANILLA_BACKOFFICE_GROUP": "status_groups.backoffice",
    "VENTANILLA_NOTICES_GROUP": "status_groups.notices",
    "VENTANILLA_GROUP_INSTANCE_ID": "status_groups.instance_id",
    "VENTANILLA_GROUP_SESSION_TIMEOUT_MS": "status_groups.session_timeout_ms",
    "VENTANILLA_BACKOFFICE_REQUIRE_SENDER": "status_groups.backoffice_require_sender",
    "VENTANILLA_REGISTRY_ADDRESS": "addresses.registry",
    "VENTANILLA_STATUS_ADDRESS": "addresses.status",
    "VENTANILLA_CANCELLATION_ADDRESS": "addresses.cancellation",
    "VENTANILLA_BACKOFFICE_ADDRESS": "addresses.backoffice",
    "VENTANILLA_GRPC_LB_POLICY": "addresses.lb_policy",
    "VENTANILLA_SOAP_GRPC_DEADLINE_S": "deadlines.query_s",
    "VENTANILLA_WRITE_DEADLINE_S": "deadlines.write_s",
    "VENTANILLA_READ_YOUR_WRITES_TIMEOUT_S": "deadlines.read_your_writes_s",
    "VENTANILLA_SOAP_HOST": "edge.host",
    "VENTANILLA_SOAP_PORT": "edge.port",
    "VENTANILLA_SOAP_PATH": "edge.path",
    "VENTANILLA_SOAP_WORKERS": "edge.workers",
    "VENTANILLA_SOAP_THREADS": "edge.threads",
    "VENTANILLA_MAX_BODY_BYTES": "edge.max_body_bytes",
    "VENTANILLA_GROUP_MAX_ITEMS": "edge.group_max_items",
    "VENTANILLA_SOAP_PLAIN_HTTP": "edge.plain_http",
    "VENTANILLA_SOAP_TLS_CERT": "edge.tls_cert",
    "VENTANILLA_SOAP_TLS_KEY": "edge.tls_key",
    "VENTANILLA_SOAP_CLIENT_CA": "edge.client_ca",
    "VENTANILLA_SOAP_CLIENT_CRL": "edge.client_crl",
    "VENTANILLA_SOAP_HANDSHAKE_TIMEOUT_S": "edge.handshake_timeout_s",
    "VENTANILLA_SOAP_REQUEST_TIMEOUT_S": "edge.request_timeout_s",
    "VENTANILLA_SOAP_IO_TIMEOUT_S": "edge.io_timeout_s",
    "VENTANILLA_SOAP_LARGE_BODY_MEMORY_MB": "edge.large_body_memory_mb",
    "VENTANILLA_EDGE_REGISTRY_CHANNELS": "edge.registry_channels",
    "VENTANILLA_EDGE_STATE_BATCH_LINGER_MS": "edge.state_batch_linger_ms",
    "VENTANILLA_TRUSTED_PROXIES": "edge.trusted_proxies",
    "VENTANILLA_EDGE_ACCESS_MODE": "edge.access_mode",
    "VENTANILLA_SOAP_CLIENT_REVOCATION": "edge.client_revocation",
    "VENTANILLA_SOAP_CLIENT_REVOCATION_PERIOD_S": "edge.client_revocation_period_s",
    "VENTANILLA_SOAP_PUBLIC_URL": "edge.public_url",
    "VENTANILLA_PROBE_CLIENT_CERT": "edge.probe_client_cert",
    "VENTANILLA_PROBE_CLIENT_KEY": "edge.probe_client_key",
    "VENTANILLA_FACTURAE_SCHEMAS": "registry.facturae_schemas",
    "VENTANILLA_REQUIRE_SIGNATURE": "registry.require_signature",
    "VENTANILLA_REVOCATION_POLICY": "registry.revocation_policy",
    "VENTANILLA_CERTIFICATE_PATH_CACHE_S": "registry.certificate_path_cache_s",
    "VENTANILLA_MAX_ATTACHMENTS": "registry.max_attachments",
    "VENTANILLA_MAX_ATTACHMENT_BYTES": "registry.max_attachment_bytes",
    "VENTANILLA_SEAL_CERT": "registry.seal_cert",
    "VENTANILLA_SEAL_KEY": "registry.seal_key",
    "VENTANILLA_CLAIMS_DSN": "registry.claims_dsn",
    "VENTANILLA_REGISTRY_REPLICAS": "registry.replicas",
    "VENTANILLA_REGISTRY_PROCESSES": "registry.processes",
    "VENTANILLA_THIRD_PARTY_BILLERS": "registry.third_party_billers",
    "VENTANILLA_TRUST_STORE": "trust.store",
    "VENTANILLA_CRLS": "trust.crls",
    "VENTANILLA_REVOCATION_FETCH": "trust.revocation_fetch",
    "VENTANILLA_BLOB_STORE": "blobs.store",
    "VENTANILLA_BLOB_DIR": "blobs.directory",
    "VENTANILLA_S3_ENDPOINT": "blobs.s3_endpoint",
    "VENTANILLA_S3_BUCKET": "blobs.s3_bucket",
    "VENTANILLA_S3_REGION": "blobs.s3_region",
    "VENTANILLA_S3_PREFIX": "blobs.s3_prefix",
    "VENTANILLA_S3_ACCESS_KEY_ID": "blobs.s3_access_key_id",
    "VENTANILLA_S3_SECRET_ACCESS_KEY": "blobs.s3_secret_access_key",
    "VENTANILLA_S3_RETENTION_DAYS": "blobs.s3_retention_days",
    "VENTANILLA_STATE_DIR": "state_dir",
    "VENTANILLA_LOG_LEVEL": "log_level",
    "VENTANILLA_DEV_MODE": "dev_mode",
    "VENTANILLA_TIME_ZONE": "time_zone",
}


def overlay_values(overlay: str) -> dict[str, str]:
    """Variable -> value in an overlay: the shared ConfigMap, then each container's own env (service: value)."""
    out = subprocess.run([str(KUSTOMIZE), "build", str(ROOT / "deploy" / "kubernetes" / "overlays" / overlay)],
                         capture_output=True, text=True, check=True).stdout
    values: dict[str, str] = {}
    for doc in filter(None, yaml.safe_load_all(out)):
        if doc["kind"] == "ConfigMap" and doc["metadata"]["name"].startswith("ventanilla-"):
            values.update({k: f"`{v}`" for k, v in doc["data"].items()})
    per_service: dict[str, list[str]] = {}
    for doc in filter(None, yaml.safe_load_all(out)):
        if doc["kind"] in ("Deployment", "StatefulSet"):
            for env in doc["spec"]["template"]["spec"]["containers"][0].get("env", []):
                source = env.get("valueFrom", {})
                shown = f"`{env['value']}`" if "value" in env else \
                    f"the pod's `{source['fieldRef']['fieldPath']}`" if "fieldRef" in source else \
                    f"Secret `{source['secretKeyRef']['name']}`"
                per_service.setdefault(env["name"], []).append(f"{doc['metadata']['name']}: {shown}")
    for name, entries in per_service.items():
        shared = f"{values[name]}; " if name in values else ""
        values[name] = shared + "; ".join(entries)
    return values


def main() -> int:
    """Print the table."""
    sys.path.insert(0, str(ROOT))
    from ventanilla.config import METRICS_PROCESSES, Settings

    defaults = Settings.from_env({})
    fields = {variable: attrgetter(attribute)(defaults) for variable, attribute in GROUPED.items()}
    for name in defaults.portal.__dataclass_fields__:  # VENTANILLA_PORTAL_* and VENTANILLA_SMTP_*
        variable = f"VENTANILLA_{name.upper()}" if name.startswith("smtp_") else f"VENTANILLA_PORTAL_{name.upper()}"
        value = getattr(defaults.portal, name)
        fields[variable] = ",".join(sorted(value)) if isinstance(value, frozenset) else value
    for name in defaults.gateway.__dataclass_fields__:  # VENTANILLA_BACKOFFICE_GATEWAY_*
        fields[f"VENTANILLA_BACKOFFICE_GATEWAY_{name.upper()}"] = getattr(defaults.gateway, name)
    for name in defaults.kafka.security.__dataclass_fields__:  # VENTANILLA_KAFKA_* (security)
        variable = "VENTANILLA_KAFKA_SECURITY_PROTOCOL" if name == "protocol" else f"VENTANILLA_KAFKA_{name.upper()}"
        fields[variable] = getattr(defaults.kafka.security, name)
    for prefix, port in METRICS_PROCESSES.values():  # MetricsSettings builds these names
        fields[f"VENTANILLA_{prefix}_METRICS_ADDRESS"] = f"127.0.0.1:{port}"
    for name in ("VENTANILLA_METRICS_TLS_CERT", "VENTANILLA_METRICS_TLS_KEY", "VENTANILLA_METRICS_TLS_CLIENT_CA",
                 "PROMETHEUS_MULTIPROC_DIR", *(f"VENTANILLA_{service.upper()}_HEALTH_ADDRESS"
                                               for service in defaults.service_tls.health_addresses)):
        fields[name] = ""  # unset by default (ServiceTls builds the health names)
    dev, prod = overlay_values("dev"), overlay_values("prod")
    print("| setting | default (`make run`) | dev overlay | prod overlay |")
    print("| --- | --- | --- | --- |")
    known = variables()
    for name in known:
        default = fields.get(name, "")
        default = "(derived)" if name not in fields else ("(empty)" if default in ("", None) else f"`{default}`")
        default = default.replace(str(ROOT), ".")
        print(f"| `{name}` | {default} | {dev.get(name, '=')} | {prod.get(name, '=')} |")
    for name in sorted(set(dev) | set(prod) - set(known)):  # names config.py builds (metrics) or reads nowhere
        if name not in known:
            default = fields.get(name)
            default = "(read by no setting)" if default is None else f"`{default}`" if default else "(empty)"
            print(f"| `{name}` | {default} | {dev.get(name, '=')} | {prod.get(name, '=')} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
