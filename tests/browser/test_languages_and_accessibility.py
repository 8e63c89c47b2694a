"""English (the switch, the browser's language, Mi cuenta's preference) and the accessibility statement."""
import re

import pytest


def test_the_switch_turns_the_pages_into_english_and_back(site, visit):
    nif = site.sign_up(site.nifs.company())
    visitor = visit(nif).login()
    visitor.page.get_by_role("button", name="English").click()
    assert visitor.page.locator("html").get_attribute("lang") == "en"
    assert visitor.page.get_by_role("heading", level=1).inner_text() == "Welcome to the integrators portal"
    visitor.look("en-home")
    visitor.page.get_by_role("link", name="Certificates", exact=True).click()
    visitor.page.get_by_role("button", name="New certificate").click()
    visitor.page.get_by_role("button", name="Next").click()
    assert visitor.error_of("alias") == "This field is required."
    assert "Attach the certificate file" in visitor.error_of("file")
    visitor.look("en-certificate-errors")
    visitor.page.get_by_role("link", name="Platforms", exact=True).click()
    assert "Platforms identify the certificates" in visitor.page.locator("main").inner_text()
    visitor.page.get_by_role("button", name="Castellano").click()
    assert visitor.page.get_by_role("heading", level=1).inner_text() == "Plataformas"


@pytest.mark.parametrize("path, heading", [("/acceso", "Log in"), ("/verificar", "Verify a registration receipt"),
                                           ("/accesibilidad", "Accessibility statement"),
                                           ("/faq", "Frequently asked questions"), ("/soporte", "Support")])
def test_public_pages_follow_the_browsers_language(visit, path, heading):
    visitor = visit(lang="en")
    visitor.go(path)
    assert visitor.page.get_by_role("heading", level=1).inner_text() == heading
    footer = visitor.page.get_by_role("contentinfo")
    assert footer.get_by_role("link", name="Accessibility statement").is_visible()
    visitor.look("en-" + path.strip("/"))


def test_the_language_preference_of_mi_cuenta(site, visit):
    nif = site.sign_up(site.nifs.company())
    visitor = visit(nif).login()
    visitor.page.get_by_role("link", name="Mi cuenta").click()
    visitor.page.get_by_label(re.compile(r"^Nombre")).fill("Marta")
    visitor.page.get_by_label("Primer apellido").fill("López")
    visitor.page.get_by_label("Idioma").select_option("en")
    visitor.page.get_by_role("button", name="Guardar cambios").click()
    assert visitor.page.get_by_role("status").inner_text() == "Changes saved."
    visitor.look("en-account")


def test_the_accessibility_statement(visit):
    visitor = visit()
    visitor.go("/verificar")
    visitor.page.get_by_role("contentinfo").get_by_role("link", name="Declaración de accesibilidad").click()
    for section in ("Situación de cumplimiento", "Contenido no accesible", "Preparación de esta declaración",
                    "Observaciones y datos de contacto", "Procedimiento de aplicación"):
        assert visitor.page.get_by_role("heading", name=section).is_visible()
    visitor.look("accessibility-statement")
