"""Authorized users (manual 7): associate, the new-user form, revoke; acting on behalf of an integrator, switching."""
import re



def test_associate_a_new_user_who_then_acts_for_the_integrator_and_switches(site, visit):
    company, person = site.sign_up(site.nifs.company()), site.nifs.person()
    admin = visit(company).login()
    admin.page.get_by_role("link", name="Autorizados", exact=True).click()
    admin.look("users")
    admin.page.get_by_role("button", name="Asociar usuario autorizado").click()
    admin.page.get_by_label("NIF").fill("12345678A")
    admin.page.get_by_role("button", name="Asociar autorizado").click()
    assert "NIF válido" in admin.error_of("nif")
    admin.look("user-nif-invalid")
    admin.page.get_by_label("NIF").fill(person)
    admin.page.get_by_role("button", name="Asociar autorizado").click()
    assert admin.page.get_by_role("heading", name="Dar de alta un autorizado nuevo").is_visible()
    admin.page.get_by_role("button", name="Asociar autorizado").click()
    assert "obligatorio" in admin.error_of("name") and "obligatorio" in admin.error_of("email")
    admin.look("user-new-person-errors")
    admin.page.get_by_label(re.compile(r"^Nombre")).fill("Ana")
    admin.page.get_by_label("Primer apellido").fill("Pérez")
    admin.page.get_by_label("Correo electrónico").fill("ana@ejemplo.es")
    admin.page.get_by_role("button", name="Asociar autorizado").click()
    assert "Ana Pérez" in admin.page.get_by_role("row").filter(has_text=person).inner_text()
    assert "Autorizado" in admin.page.get_by_role("row").filter(has_text=person).inner_text()
    assert site.smtp.to("ana@ejemplo.es"), "the authorization mail reached the SMTP server"

    other = site.sign_up(site.nifs.company())
    site.authorize(other, person)
    ana = visit(person).login()
    ana.look("profile-choice")
    ana.page.get_by_role("radio", name=re.compile(company)).check()
    ana.page.get_by_role("button", name="Continuar").click()
    assert company in ana.page.locator(".acting").inner_text()
    assert ana.page.get_by_role("navigation", name="Secciones").get_by_role("link").all_inner_texts() == [
        "Inicio", "Plataformas", "Certificados", "Mi cuenta", "Validar factura"]  # its users: the integrator's
    ana.look("home-on-behalf")
    ana.go("/certificados/nuevo")
    site.register(company, "por-ana", actor=person)
    ana.go("/inicio")
    assert person in ana.page.get_by_role("row").filter(has_text="por-ana").inner_text()  # who acted, for whom
    assert ana.go("/autorizados").status == 403  # only the integrator manages its authorized users
    ana.look("forbidden")
    ana.go("/inicio")
    ana.page.get_by_role("link", name="Cambiar", exact=True).click()
    ana.page.get_by_role("radio", name=re.compile(other)).check()
    ana.page.get_by_role("button", name="Continuar").click()
    assert other in ana.page.locator(".acting").inner_text()


def test_revoke_with_confirmation(site, visit):
    company, person = site.sign_up(site.nifs.company()), site.nifs.person()
    site.authorize(company, person, name="Luis", surname1="Gómez")
    admin = visit(company).login()
    admin.go("/autorizados")
    admin.page.get_by_role("link", name="Revocar Luis Gómez").click()
    assert "Luis Gómez" in admin.page.get_by_role("alertdialog").inner_text()
    admin.look("user-revoke-confirm")
    admin.page.get_by_role("button", name="Confirmar revocación").click()
    assert "Autorización de Luis Gómez revocada." in admin.page.get_by_role("status").inner_text()
    assert person not in site.state(company).authorized


def test_associating_a_known_person_needs_only_the_nif(site, visit):
    company, person = site.sign_up(site.nifs.company()), site.nifs.person()
    site.authorize(site.sign_up(site.nifs.company()), person, name="Eva", surname1="Ruiz")
    admin = visit(company).login()
    admin.go("/autorizados/nuevo")
    admin.page.get_by_label("NIF").fill(person)
    admin.page.get_by_role("button", name="Asociar autorizado").click()
    assert "Eva Ruiz ya puede actuar" in admin.page.get_by_role("status").inner_text()
