"""XAdES namespaces and the Facturae signature policy v3.1 (identifier and digest)."""
from __future__ import annotations

DS = "http://www.w3.org/2000/09/xmldsig#"
XADES = "http://uri.etsi.org/01903/v1.3.2#"
XADES_NAMESPACES = ("http://uri.etsi.org/01903/v1.3.2#", "http://uri.etsi.org/01903/v1.2.2#")
SIGNED_PROPERTIES_TYPE = "http://uri.etsi.org/01903#SignedProperties"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"

FACTURAE_POLICY_ID = "http://www.facturae.es/politica_de_firma_formato_facturae/politica_de_firma_formato_facturae_v3_1.pdf"
FACTURAE_POLICY_DESCRIPTION = "Política de Firma FacturaE v3.1"
# SHA-1 of the policy PDF, as every Facturae v3.1 signature states it.
FACTURAE_POLICY_SHA1_B64 = "Ohixl6upD6av8N7pEvDABhEL6hM="
SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"
