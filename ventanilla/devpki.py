"""A local PKI for development and tests: CA, the edge's server certificate, the receipt seal, clients."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ventanilla import pki
from ventanilla.config import SERVICE_NAMES, Settings
from ventanilla.domain.nif import is_valid, normalize

ADMINISTRATION_NIF = "S2800000H"
STAFF_NIF = "00000000T"  # the development staff member of the portal (VENTANILLA_PORTAL_STAFF_NIFS in `run`)  # the dev administration that seals receipts (a valid, made-up CIF)
_ENTITY_LETTERS = set("ABCDEFGHJNPQRSUVW")


@dataclass(frozen=True)
class Layout:
    """Where the dev PKI lives: <state>/pki/{ca,server,seal,probe}.pem and .key.pem."""

    directory: Path

    def cert(self, stem: str) -> Path:
        """The certificate file of stem."""
        return self.directory / f"{stem}.pem"

    def key(self, stem: str) -> Path:
        """The private key file of stem (mode 0600)."""
        return self.directory / f"{stem}.key.pem"


def layout(settings: Settings) -> Layout:
    """The dev PKI directory of these settings."""
    return Layout(settings.path("pki"))


def _load(where: Layout, stem: str) -> pki.Issued:
    certificate = x509.load_pem_x509_certificate(where.cert(stem).read_bytes())
    key = serialization.load_pem_private_key(where.key(stem).read_bytes(), password=None)
    return pki.Issued(certificate, key)


def _ca(where: Layout, stem: str = "ca", common_name: str = "Ventanilla DEV CA (not for production)") -> pki.Issued:
    if where.cert(stem).exists() and where.key(stem).exists():
        return _load(where, stem)
    ca = pki.issue_ca(pki.name(common_name, organization="Ventanilla dev"))
    ca.write(where.directory, stem)
    return ca


def services(where: Layout) -> list[Path]:
    """The internal CA (apart from the CA of suppliers' and integrators' certificates: theirs never chain to it)
    and one certificate per service, its name as DNS subjectAltName: what service-to-service mutual TLS checks."""
    internal = _ca(where, "internal-ca", "Ventanilla DEV internal services CA (not for production)")
    out = where.directory / "services"
    for service in SERVICE_NAMES:
        if not ((out / f"{service}.pem").exists() and (out / f"{service}.key.pem").exists()):
            pki.issue_leaf(internal, pki.name(service, organization="Ventanilla dev services"), pki.Usage.SERVICE,
                           dns_names=(service,)).write(out, service)
    return [where.cert("internal-ca"), *(out / f"{service}.pem" for service in SERVICE_NAMES)]


def init(settings: Settings, force: bool = False) -> list[Path]:
    """Create what is missing (everything with force): CA, server, seal and probe certificates."""
    where = layout(settings)
    if force:
        stems = ("ca", "server", "seal", "probe", "internal-ca", *(f"services/{name}" for name in SERVICE_NAMES))
        for stem in stems:
            for path in (where.cert(stem), where.key(stem)):
                path.unlink(missing_ok=True)
    ca = _ca(where)
    hosts = {"localhost", settings.edge.host} - {"", "0.0.0.0", "::"}
    names = tuple(sorted(h for h in hosts if not h.replace(".", "").isdigit() and ":" not in h))
    addresses = tuple(sorted({"127.0.0.1", "::1"} | {h for h in hosts if h not in names}))
    wanted = {
        "server": lambda: pki.issue_leaf(ca, pki.name(names[0]), pki.Usage.SERVER, dns_names=names,
                                         ip_addresses=addresses),
        "seal": lambda: pki.issue_leaf(ca, pki.name("SELLO DE REGISTRO VENTANILLA DEV", organization="Ventanilla dev",
                                                    organization_identifier=f"VATES-{ADMINISTRATION_NIF}"),
                                       pki.Usage.SIGNING),
        "probe": lambda: pki.issue_leaf(ca, pki.name("ventanilla readiness probe"), pki.Usage.CLIENT),
    }
    for stem, issue in wanted.items():
        if not (where.cert(stem).exists() and where.key(stem).exists()):
            issue().write(where.directory, stem)
    return [where.cert(stem) for stem in ("ca", *wanted)] + services(where)


def ensure(settings: Settings) -> bool:
    """Create the dev PKI's missing default files that these settings use (the edge's, the services'); whether it
    created any."""
    where = layout(settings)
    defaults = (settings.edge.tls_cert, settings.edge.client_ca) == (where.cert("server"), where.cert("ca"))
    edge = not settings.edge.plain_http and defaults and not settings.edge.tls_cert.exists()
    internal = settings.service_tls
    mesh = (internal.enabled and internal.certificate is None and internal.ca == where.cert("internal-ca")
            and internal.directory == where.directory / "services" and not all(internal.certificate_of(name).exists() for name in SERVICE_NAMES))
    if edge:
        init(settings)
    elif mesh:
        services(where)
    return edge or mesh


def client(settings: Settings, nif: str, out: Path, entity_nif: str = "", stem: str = "client") -> tuple[Path, Path]:
    """A client certificate for nif (entity: organizationIdentifier; person: serialNumber IDCES-)."""
    nif, entity_nif = normalize(nif), normalize(entity_nif)
    for value in filter(None, (nif, entity_nif)):
        if not is_valid(value):
            raise ValueError(f"not a valid NIF: {value}")
    init(settings)
    ca = _load(layout(settings), "ca")
    if entity_nif:  # a representative: the person's serialNumber and the entity's organizationIdentifier
        subject = pki.name(f"{nif} REPRESENTANTE (R: {entity_nif})", serial_number=f"IDCES-{nif}",
                           organization=f"ENTIDAD {entity_nif}", organization_identifier=f"VATES-{entity_nif}")
    elif nif[0] in _ENTITY_LETTERS:
        subject = pki.name(f"ENTIDAD {nif}", organization=f"ENTIDAD {nif}", organization_identifier=f"VATES-{nif}")
    else:
        subject = pki.name(f"TITULAR {nif}", serial_number=f"IDCES-{nif}", given_name="TITULAR", surname=nif)
    paths = pki.issue_leaf(ca, subject, pki.Usage.CLIENT).write(out, stem)
    (out / "ca.pem").write_bytes(layout(settings).cert("ca").read_bytes())
    return paths


def staff(settings: Settings, out: Path) -> tuple[Path, Path]:
    """A client certificate for the development staff member (STAFF_NIF)."""
    return client(settings, STAFF_NIF, out)


DEV_BACK_OFFICE_NIF = "S2800000H"  # the dev administration: its RCF platform is the dev back office


def backoffice(settings: Settings, nif: str = DEV_BACK_OFFICE_NIF) -> tuple[Path, Path]:
    """A client certificate for a dev back office (a public body), as <state>/pki/backoffice.pem and .key.pem:
    what `ventanilla backoffice` presents to the gateway once it is registered in the portal to an RCF platform."""
    return client(settings, nif, layout(settings).directory, stem="backoffice")
