"""Validation against the official Facturae XSDs, loaded once from a directory and resolved offline."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from ventanilla.domain.errors import DomainError, ErrorKey

# The file each version's schema is stored under (`make schemas` writes these names).
SCHEMA_FILES = {
    "3.2": "Facturaev3_2.xsd",
    "3.2.1": "Facturaev3_2_1.xsd",
    "3.2.2": "Facturaev3_2_2.xsd",
}
XMLDSIG_FILE = "xmldsig-core-schema.xsd"
# Remote locations the official schemas import, mapped to local files (as an OASIS catalog would).
OFFLINE_LOCATIONS = {
    "http://www.w3.org/TR/xmldsig-core/xmldsig-core-schema.xsd": XMLDSIG_FILE,
    "http://www.w3.org/TR/2002/REC-xmldsig-core-20020212/xmldsig-core-schema.xsd": XMLDSIG_FILE,
}


class SchemaDirectoryError(RuntimeError):
    """The configured schema directory is missing a schema or holds an unusable one."""


class _OfflineResolver(etree.Resolver):
    """Resolves the known remote schema locations to files of the schema directory; nothing else."""

    def __init__(self, directory: Path):
        super().__init__()
        self._directory = directory

    def resolve(self, system_url, public_id, context):
        local = OFFLINE_LOCATIONS.get(system_url or "")
        if local is None:
            return None
        return self.resolve_filename(str(self._directory / local), context)


class FacturaeSchemas:
    """The compiled XSD of each Facturae version; build once at startup with `load`."""

    def __init__(self, schemas: dict[str, etree.XMLSchema], directory: Path):
        self._schemas = schemas
        self.directory = directory

    @classmethod
    def load(cls, directory: Path) -> "FacturaeSchemas":
        """Compile every version's schema from the directory, without network access."""
        parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
        parser.resolvers.add(_OfflineResolver(directory))
        schemas = {}
        for version, filename in SCHEMA_FILES.items():
            path = directory / filename
            try:
                schemas[version] = etree.XMLSchema(etree.parse(str(path), parser))
            except (OSError, etree.XMLSyntaxError, etree.XMLSchemaParseError) as error:
                raise SchemaDirectoryError(f"cannot load the Facturae {version} schema {path}: {error}") from None
        return cls(schemas, directory)

    def validate(self, root: etree._Element, version: str) -> None:
        """Refuse a document that does not conform to its version's schema (SchemaViolation, facturae.error.xml)."""
        schema = self._schemas[version]
        if schema.validate(root):
            return
        raise SchemaViolation(version, tuple(SchemaError(e.message, e.line, e.path or "") for e in schema.error_log))


@dataclass(frozen=True)
class SchemaError:
    """One complaint of the schema validator: its message, the line and the element's path."""

    message: str
    line: int
    path: str


class SchemaViolation(DomainError):
    """A document that breaks its version's schema: facturae.error.xml, detailed by the first error."""

    def __init__(self, version: str, errors: tuple[SchemaError, ...]):
        self.version, self.errors = version, errors
        super().__init__(ErrorKey.XML, self.describe(errors[0]))

    def describe(self, error: SchemaError) -> str:
        """One error in words, with its line and path."""
        return f"La factura no cumple el esquema Facturae {self.version}: {error.message} (línea {error.line}, {error.path})."

    def concerning(self, elements: tuple[str, ...]) -> SchemaError | None:
        """The first error whose message or path names one of these elements."""
        return next((e for e in self.errors if any(name in f"{e.message} {e.path}" for name in elements)), None)
