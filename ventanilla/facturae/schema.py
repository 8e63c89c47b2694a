"""Validation against the official Facturae XSDs, loaded once from a directory and resolved offline."""
from __future__ import annotations

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
        """Refuse a document that does not conform to its version's schema (facturae.error.xml)."""
        schema = self._schemas[version]
        if schema.validate(root):
            return
        first = schema.error_log[0]
        where = first.path or ""
        detail = f"La factura no cumple el esquema Facturae {version}: {first.message} (línea {first.line}, {where})."
        raise DomainError(ErrorKey.XML, detail)
