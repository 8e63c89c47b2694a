"""The PeFAC error catalogue (manual, Anexo II): every key with its Spanish description."""
from __future__ import annotations

from enum import Enum


class Side(Enum):
    """Who is to blame: the caller (SOAP Client fault) or Ventanilla (Server fault)."""

    CLIENT = "Client"
    SERVER = "Server"


class ErrorKey(Enum):
    """Every catalogue key with its official description; the only place keys are spelled."""

    def __new__(cls, key: str, description: str, side: Side):
        member = object.__new__(cls)
        member._value_ = key
        member.description = description
        member.side = side
        return member

    ANEXO_SIN_NOMBRE = ("anexo.error.nombreFicheroVacio", "Anexo sin nombre", Side.CLIENT)
    ANEXO_SIN_CONTENIDO = ("anexo.error.sinContenido", "Anexo sin contenido", Side.CLIENT)
    ANULACION_ESTADO_INCORRECTO = (
        "anulacion.error.estadoIncorrecto",
        "Factura no se puede anular en estado actual",
        Side.CLIENT,
    )
    ESTADO_ACTUALIZACION = (
        "factura.error.estado.actualizacion",
        "Estado no válido en actualización",
        Side.CLIENT,
    )
    ANULACION_FACTURA_OBLIGATORIA = (
        "anulacion.error.facturaObligatoria",
        "Se debe especificar una factura para anular",
        Side.CLIENT,
    )
    ANULACION_MOTIVO_OBLIGATORIO = (
        "anulacion.error.observacionesObligatorias",
        "Se debe indicar un motivo para la anulación de la factura",
        Side.CLIENT,
    )
    ANULACION_BACKEND = (
        "anulacion.error.validacion.backend",
        "Factura no anulable por estar siendo gestionada en centro gestor",
        Side.CLIENT,
    )
    CERTIFICADO_SIN_NIF = (
        "credenciales.error.certificado.nif",
        "El certificado usado no es válido al no proporcionar suficiente información de identificación (NIF). Reinicie el navegador y seleccione otro certificado para conectarse a la aplicación.",
        Side.CLIENT,
    )
    FACTURA_INVALIDA = (
        "credenciales.error.facturainvalida",
        "El usuario especificado en el certificado no puede acceder a la factura indicada",
        Side.CLIENT,
    )
    FIRMA_SOLICITUD = (
        "facturae.error.firmaSolicitudPresentacion",
        "No se ha podido firmar la solicitud de la presentación de la factura.",
        Side.SERVER,
    )
    NO_XML = (
        "facturae.error.noxml",
        "El documento seleccionado no contiene una factura electrónica. Por favor, compruebe que el documento seleccionado es una factura electrónica y vuelva a intentar la presentación.",
        Side.CLIENT,
    )
    OFICINA_CONTABLE = (
        "facturae.error.oficinaContableNotDefined",
        "La factura no declara la oficina contable.",
        Side.CLIENT,
    )
    ORGANO_GESTOR = (
        "facturae.error.organoGestorNotDefined",
        "La factura no declara el órgano gestor.",
        Side.CLIENT,
    )
    EXPEDIENTE = ("facturae.error.platino.expediente.new", "Error creando el expediente.", Side.SERVER)
    REGISTRO = ("facturae.error.registro", "Ha ocurrido un error durante el registro.", Side.SERVER)
    REPORT = (
        "facturae.error.report",
        "No ha sido posible generar el comprobante (vuelva a intentarlo en unos minutos).",
        Side.SERVER,
    )
    SEFCAN_TIMEOUT = ("facturae.error.sefcan.socket.timeout", "Error de conexión a SEFCAN.", Side.SERVER)
    SIGN_ERROR = ("facturae.error.sign.error", "Error al verificar la firma de la factura.", Side.CLIENT)
    SIGN_EXPIRED = (
        "facturae.error.sign.expired",
        "Factura firmada con un certificado expirado.",
        Side.CLIENT,
    )
    SIGN_NOT_X509 = (
        "facturae.error.sign.notX509",
        "La factura no está firmada con un certificado X509.",
        Side.CLIENT,
    )
    SIGN_NOT_YET_VALID = (
        "facturae.error.sign.notYetValid",
        "Factura firmada con un certificado antes de ser válido.",
        Side.CLIENT,
    )
    SIGN_REVOKED = ("facturae.error.sign.status.revoked", "Estado del certificado revocado.", Side.CLIENT)
    SIGN_UNKNOWN = ("facturae.error.sign.status.unknown", "Estado del certificado desconocido.", Side.CLIENT)
    TRUSTER = (
        "facturae.error.truster",
        "No ha sido posible encontrar el validador de confianza.",
        Side.SERVER,
    )
    UNIDAD_TRAMITADORA = (
        "facturae.error.unidadTramitadoraNotDefined",
        "La factura no declara la unidad tramitadora.",
        Side.CLIENT,
    )
    UPLOAD_VOID = ("facturae.error.upload.void", "Debe indicar una factura a enviar.", Side.CLIENT)
    FACTURA_REPETIDA = (
        "facturae.error.validation.facturaRepetida",
        "La factura ya ha sido enviada.",
        Side.CLIENT,
    )
    FECHA_ENTREGA_PRIOR = (
        "facturae.error.validation.fechaEntrega.prior.fechaFactura",
        "La fecha de la factura no puede ser posterior a la fecha de entrega.",
        Side.CLIENT,
    )
    FECHA_ENTREGA_VOID = (
        "facturae.error.validation.fechaEntrega.void",
        "La fecha de entrega de la factura no está incluida.",
        Side.CLIENT,
    )
    FECHA_FACTURA_VOID = (
        "facturae.error.validation.fechaFactura.void",
        "La fecha de la factura no está incluida.",
        Side.CLIENT,
    )
    FECHA_FACTURA_YEAR2000 = (
        "facturae.error.validation.fechaFactura.year2000",
        "La fecha no puede ser anterior al 01/Enero/2000.",
        Side.CLIENT,
    )
    LIQUIDO_NEG = (
        "facturae.error.validation.liquido.neg",
        "El líquido total de la factura no puede ser negativo.",
        Side.CLIENT,
    )
    TOTAL_NEG = (
        "facturae.error.validation.total.neg",
        "El importe total de la factura no puede ser negativo.",
        Side.CLIENT,
    )
    VERSION_DESCONOCIDA = (
        "facturae.error.versionDesconocido",
        "Versión de Facturae desconocida o no permitida.",
        Side.CLIENT,
    )
    XML = ("facturae.error.xml", "XML no válido.", Side.CLIENT)
    EJERCICIO_DIARIO = (
        "persistence.error.ejercicio.diario",
        "Varias facturas en días diferentes para la tupla año-nif-serie-número.",
        Side.CLIENT,
    )
    MIME_NOT_ALLOWED = (
        "attachment.error.mimeTypeNotAllowed",
        "Tipo MIME no permitido (sólo PDF o HTML).",
        Side.CLIENT,
    )


class DomainError(Exception):
    """A refusal with a catalogue key and a readable detail for the caller."""

    def __init__(self, key: ErrorKey, detail: str | None = None):
        self.key = key
        self.detail = detail or key.description
        super().__init__(f"{key.value}: {self.detail}")


# facturae.error.registro when the outcome of a registration is not known (the log could not be read
# back in time, or the registry stopped answering in the middle of the call): resubmitting tells.
REGISTRATION_IN_DOUBT = ("No se ha podido confirmar el registro de la factura; vuelva a enviarla más tarde: "
                         "la respuesta dirá si quedó registrada.")
