"""The portal's forms (Flask-WTF: CSRF on every one); labels in Spanish, translated by Babel."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ventanilla.domain.integrator_events import Role

REQUIRED = _l("Este campo es obligatorio.")


class Checkboxes(SelectMultipleField):
    """Several checkboxes for one field."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ActionForm(FlaskForm):
    """A button that changes something (CSRF only)."""


class SignUpForm(FlaskForm):
    email = StringField(_l("Correo electrónico principal"), validators=[DataRequired(REQUIRED), Length(max=254)])
    accepted_terms = BooleanField(_l("Acepto los términos y condiciones de uso de datos"))
    third_party = BooleanField(_l("Servicios a terceros"))


class SignedDocumentForm(FlaskForm):
    document = FileField(_l("Documento de alta firmado (XML con firma XAdES)"))


class PersonalForm(FlaskForm):
    name = StringField(_l("Nombre"), validators=[DataRequired(REQUIRED)])
    surname1 = StringField(_l("Primer apellido"), validators=[DataRequired(REQUIRED)])
    surname2 = StringField(_l("Segundo apellido"), validators=[Optional()])
    email = StringField(_l("Correo electrónico"), validators=[DataRequired(REQUIRED)])
    phone = StringField(_l("Número de teléfono"), validators=[Optional()])
    language = SelectField(_l("Idioma"), choices=[("es", "Castellano"), ("en", "English")])


class ProfileForm(FlaskForm):
    commercial_name = StringField(_l("Identificador comercial"), validators=[DataRequired(REQUIRED)])
    email = StringField(_l("Correo electrónico"), validators=[DataRequired(REQUIRED)])
    third_party = BooleanField(_l("Servicios a terceros"))


class NotificationsForm(FlaskForm):
    primary_email = StringField(_l("Correo electrónico principal para las notificaciones"),
                                validators=[DataRequired(REQUIRED)])
    secondary_email = StringField(_l("Correo electrónico secundario para las notificaciones"), validators=[Optional()])
    system_notices = BooleanField(_l("Avisos de sistema"))


class CertificateUploadForm(FlaskForm):
    alias = StringField(_l("Alias del certificado"), validators=[DataRequired(REQUIRED), Length(max=60)])
    file = FileField(_l("Adjuntar fichero (.pem o .cer)"))


class CertificateConfirmForm(FlaskForm):
    alias = HiddenField()
    certificate = HiddenField()


class PlatformStep1Form(FlaskForm):
    name = StringField(_l("Nombre plataforma"), validators=[DataRequired(REQUIRED), Length(max=80)])
    roles = Checkboxes(_l("Servicios"), choices=[(Role.RECEIVING.value, _l("Servicio de recepción/RCF")),
                                                 (Role.SENDING.value, _l("Servicio de envío"))])


class PlatformStep2Form(FlaskForm):
    name = HiddenField()
    roles = HiddenField()
    fingerprint = RadioField(_l("Seleccionar un certificado"), choices=[], validate_choice=False)  # the domain decides


class RenameForm(FlaskForm):
    name = StringField(_l("Nombre"), validators=[DataRequired(REQUIRED), Length(max=80)])


class AddCertificateForm(FlaskForm):
    fingerprint = SelectField(_l("Certificado para agregar"), choices=[], validate_choice=False)


class AuthorizeNifForm(FlaskForm):
    nif = StringField(_l("NIF"), validators=[DataRequired(REQUIRED), Length(max=12)])


class AuthorizeNewForm(FlaskForm):
    nif = StringField(_l("NIF"), validators=[DataRequired(REQUIRED), Length(max=12)])
    name = StringField(_l("Nombre"), validators=[DataRequired(REQUIRED)])
    surname1 = StringField(_l("Primer apellido"), validators=[Optional()])
    surname2 = StringField(_l("Segundo apellido"), validators=[Optional()])
    email = StringField(_l("Correo electrónico"), validators=[DataRequired(REQUIRED)])


class ProfileChoiceForm(FlaskForm):
    profile = RadioField(_l("Actuar como"), choices=[], validators=[DataRequired(REQUIRED)])


class RefuseForm(FlaskForm):
    reason = TextAreaField(_l("Motivo del rechazo"), validators=[DataRequired(REQUIRED), Length(max=500)])


class AttachUnitForm(FlaskForm):
    code = StringField(_l("Código DIR3"), validators=[DataRequired(REQUIRED), Length(max=12)])


class NoticeForm(FlaskForm):
    title = StringField(_l("Título"), validators=[DataRequired(REQUIRED), Length(max=120)])
    body = TextAreaField(_l("Texto del aviso"), validators=[DataRequired(REQUIRED), Length(max=4000)])


class InvoiceForm(FlaskForm):
    facturae = FileField(_l("Factura (Facturae 3.2, 3.2.1 o 3.2.2, XML)"))
