"""Mi cuenta (manual 4.2): personal data and preferences, the integrator profile, notifications."""
import re


def test_personal_data_profile_and_notifications(site, visit):
    nif = site.sign_up(site.nifs.company())
    visitor = visit(nif).login()
    visitor.page.get_by_role("link", name="Mi cuenta").click()
    visitor.page.get_by_label("Primer apellido").fill("")
    visitor.page.get_by_role("button", name="Guardar cambios").click()
    assert "obligatorio" in visitor.error_of("surname1")
    visitor.look("account-personal-required")
    visitor.page.get_by_label(re.compile(r"^Nombre")).fill("Marta")
    visitor.page.get_by_label("Primer apellido").fill("López")
    visitor.page.get_by_label("Número de teléfono").fill("12")
    visitor.page.get_by_role("button", name="Guardar cambios").click()
    assert "6 a 20 cifras" in visitor.error_of("phone")
    visitor.look("account-personal-phone")
    visitor.page.get_by_label("Correo electrónico").fill("marta@ejemplo.es")
    visitor.page.get_by_label("Número de teléfono").fill("912345678")
    visitor.page.get_by_role("button", name="Guardar cambios").click()
    assert "Cambios guardados." in visitor.page.get_by_role("status").inner_text()
    visitor.look("account-personal")

    visitor.page.get_by_role("link", name="Perfil de integrador").click()
    visitor.page.get_by_label("Identificador comercial").fill("Facturas Rápidas")
    visitor.page.get_by_label("Servicios a terceros").check()
    visitor.page.get_by_role("button", name="Guardar cambios").click()
    assert "Cambios guardados." in visitor.page.get_by_role("status").inner_text()
    visitor.look("account-profile")
    assert site.state(nif).commercial_name == "Facturas Rápidas" and site.state(nif).third_party

    visitor.page.get_by_role("link", name="Notificaciones y avisos").click()
    secondary = visitor.page.get_by_label("Correo electrónico secundario para las notificaciones")
    secondary.fill(visitor.page.get_by_label("Correo electrónico principal para las notificaciones").input_value())
    visitor.page.get_by_role("button", name="Guardar cambios").click()
    assert "distinta de la principal" in visitor.error_of("secondary_email")
    visitor.look("account-notifications-error")
    secondary.fill("avisos@ejemplo.es")
    visitor.page.get_by_label("Avisos de sistema").uncheck()
    visitor.page.get_by_role("button", name="Guardar cambios").click()
    assert "Cambios guardados." in visitor.page.get_by_role("status").inner_text()
    assert site.state(nif).secondary_email == "avisos@ejemplo.es" and not site.state(nif).system_notices
