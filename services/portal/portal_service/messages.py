"""What each refusal code says to a person, next to its field (Spanish source strings, translated by Babel)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

REFUSALS = {
    "required": _l("Este campo es obligatorio."),
    "too_long": _l("El texto es demasiado largo."),
    "email_invalid": _l("Escriba una dirección de correo electrónico válida, como nombre@ejemplo.es."),
    "same_address": _l("La dirección secundaria debe ser distinta de la principal."),
    "language_unknown": _l("Elija castellano o inglés."),
    "phone_invalid": _l("Escriba un número de teléfono de 6 a 20 cifras."),
    "not_integrator": _l("Esta entidad aún no está dada de alta como integrador."),
    "already_integrator": _l("Esta entidad ya está dada de alta como integrador."),
    "terms_not_accepted": _l("Debe aceptar los términos y condiciones de uso para darse de alta."),
    "not_found": _l("No existe o no es suyo."),
    "busy": _l("Otra persona está cambiando estos mismos datos en este momento. Vuelva a intentarlo."),
    "not_rcf": _l("La plataforma no es un servicio de recepción (RCF)."),
    "certificate_unknown": _l("Elija uno de sus certificados registrados."),
    "certificate_taken": _l("Ese certificado ya pertenece a otra plataforma."),
    "certificate_expired": _l("El certificado ha caducado."),
    "certificate_ca": _l("Es un certificado de autoridad de certificación (CA): registre el certificado de su sistema."),
    "certificate_registered": _l("Ese certificado ya está registrado en el portal."),
    "certificate_in_use": _l("El certificado pertenece a una plataforma: quítelo de ella antes de eliminarlo."),
    "alias_taken": _l("Ya tiene un certificado con ese alias."),
    "file_required": _l("Adjunte el fichero del certificado (.pem o .cer)."),
    "too_large": _l("El fichero es demasiado grande para ser un certificado."),
    "private_key": _l("El fichero contiene una clave privada: suba solo la parte pública del certificado."),
    "pkcs12": _l("Es un almacén PKCS#12 (.p12/.pfx), que incluye la clave privada: suba solo la parte pública (.pem o .cer)."),
    "malformed": _l("El fichero no es un certificado X.509 en formato PEM o DER."),
    "several_certificates": _l("El fichero contiene más de un certificado: suba uno solo."),
    "roles_required": _l("Marque al menos un servicio: recepción/RCF o envío."),
    "rcf_public_bodies_only": _l("El servicio de recepción/RCF es únicamente para organismos públicos."),
    "platform_name_taken": _l("Ya tiene una plataforma con ese nombre."),
    "last_certificate": _l("Una plataforma debe conservar al menos un certificado."),
    "not_pending": _l("La plataforma no está pendiente de aprobación."),
    "platform_refused": _l("La plataforma fue rechazada."),
    "unit_attached": _l("Esa unidad DIR3 ya está adherida a la plataforma."),
    "unit_unknown": _l("Elija una unidad del directorio DIR3."),
    "nif_invalid": _l("Escriba un NIF válido, como 12345678Z."),
    "authorize_self": _l("No puede autorizarse a sí mismo."),
    "already_authorized": _l("Esa persona ya está autorizada."),
    "document_required": _l("Adjunte el documento de alta firmado."),
    "document_unreadable": _l("El fichero no es un documento XML legible."),
    "document_other": _l("Este no es el documento de alta que descargó: descárguelo de nuevo, fírmelo y súbalo."),
    "signature_invalid": _l("La firma del documento no es válida o el documento se modificó después de firmarlo."),
    "signer_expired": _l("El certificado con el que se firmó está caducado o aún no es válido."),
    "signer_revoked": _l("El certificado con el que se firmó está revocado."),
    "signer_untrusted": _l("El certificado con el que se firmó no procede de una autoridad de confianza."),
    "signer_no_nif": _l("El certificado con el que se firmó no indica un NIF."),
    "signer_other": _l("El documento lo firmó otra persona o entidad: fírmelo con el certificado de esta entidad."),
}


def refusal_text(code: str) -> str:
    """The message of a refusal code."""
    return str(REFUSALS.get(code, _l("No se ha podido hacer.")))
