"""Print the Markdown table of every VENTANILLA_* setting: its default and its value in each overlay."""
from __future__ import annotations

import re
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
    fields = {f"VENTANILLA_{name.upper()}": getattr(defaults, name) for name in defaults.__dataclass_fields__}
    for name in defaults.portal.__dataclass_fields__:  # VENTANILLA_PORTAL_* and VENTANILLA_SMTP_*
        variable = f"VENTANILLA_{name.upper()}" if name.startswith("smtp_") else f"VENTANILLA_PORTAL_{name.upper()}"
        value = getattr(defaults.portal, name)
        fields[variable] = ",".join(sorted(value)) if isinstance(value, frozenset) else value
    for name in defaults.gateway.__dataclass_fields__:  # VENTANILLA_BACKOFFICE_GATEWAY_*
        fields[f"VENTANILLA_BACKOFFICE_GATEWAY_{name.upper()}"] = getattr(defaults.gateway, name)
    for name in defaults.kafka_security.__dataclass_fields__:  # VENTANILLA_KAFKA_* (security)
        variable = "VENTANILLA_KAFKA_SECURITY_PROTOCOL" if name == "protocol" else f"VENTANILLA_KAFKA_{name.upper()}"
        fields[variable] = getattr(defaults.kafka_security, name)
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
