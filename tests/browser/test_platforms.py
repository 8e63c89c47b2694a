"""Platforms (manual 6): two-step create, list, detail, edit name, edit certificates, delete with confirmation."""
import re

from ventanilla.domain.integrator_events import Role
from tests.support.portal_browser import fingerprint


def test_create_in_two_steps_list_and_detail(site, visit):
    nif = site.sign_up(site.nifs.public_body())
    site.register(nif, "envio-1")
    visitor = visit(nif).login()
    visitor.page.get_by_role("link", name="Plataformas", exact=True).click()
    visitor.look("platforms-empty")
    visitor.page.get_by_role("button", name="Nueva plataforma").click()
    visitor.page.get_by_role("button", name="Siguiente").click()
    assert "obligatorio" in visitor.error_of("name") and "al menos un servicio" in visitor.error_of("roles")
    visitor.look("platform-new-errors")
    visitor.page.get_by_label("Nombre plataforma").fill("Contabilidad")
    visitor.page.get_by_label("Servicio de recepción/RCF").check()
    visitor.page.get_by_label("Servicio de envío").check()
    visitor.page.get_by_role("button", name="Siguiente").click()
    visitor.look("platform-new-certificate")
    visitor.page.get_by_role("radio", name=re.compile("envio-1")).check()
    visitor.page.get_by_role("button", name="Agregar").click()
    assert "Plataforma «Contabilidad» creada." in visitor.page.get_by_role("status").inner_text()
    assert "Pendiente de aprobación" in visitor.page.locator("dl.summary").inner_text()
    visitor.look("platform-detail-pending")
    visitor.page.get_by_role("link", name="Volver a plataformas").click()
    row = visitor.page.get_by_role("row").filter(has_text="Contabilidad")
    assert "envio-1" in row.inner_text() and "Servicio de envío" in row.inner_text()
    visitor.look("platforms")


def step_one(visitor, name: str, *services: str) -> None:
    """Fill the first step of a new platform and go on."""
    visitor.go("/plataformas/nueva")
    visitor.page.get_by_label("Nombre plataforma").fill(name)
    for service in services:
        visitor.page.get_by_label(service).check()
    visitor.page.get_by_role("button", name="Siguiente").click()


def test_rcf_is_refused_to_a_company_next_to_the_roles(site, visit):
    visitor = visit(site.sign_up(site.nifs.company())).login()
    step_one(visitor, "Recepción", "Servicio de recepción/RCF")
    assert "únicamente para organismos públicos" in visitor.error_of("roles")
    visitor.look("platform-rcf-refused")


def test_without_free_certificates_step_two_says_so(site, visit):
    visitor = visit(site.sign_up(site.nifs.company())).login()
    step_one(visitor, "Sin certificados", "Servicio de envío")
    assert "No tiene certificados libres" in visitor.page.get_by_role("alert").inner_text()
    visitor.look("platform-no-free-certificate")


def test_edit_name_certificates_and_delete_with_confirmation(site, visit):
    nif = site.sign_up(site.nifs.company())
    first, second = site.register(nif, "primero"), site.register(nif, "segundo")
    other = site.sign_up(site.nifs.company())
    site.platform(other, "Facturación", (Role.SENDING,), site.register(other, "ajeno"))
    platform_id = site.platform(nif, "Facturación", (Role.SENDING,), first)
    visitor = visit(nif).login()
    visitor.go(f"/plataformas/{platform_id}")
    visitor.look("platform-detail")

    visitor.page.get_by_role("link", name="Editar sistema").click()
    visitor.page.get_by_label("Nombre").fill("")
    visitor.page.get_by_role("button", name="Guardar cambios").click()
    assert "obligatorio" in visitor.error_of("name")
    visitor.look("platform-rename-error")
    visitor.page.get_by_label("Nombre").fill("Facturación central")
    visitor.page.get_by_role("button", name="Guardar cambios").click()
    assert visitor.page.get_by_role("heading", level=1).inner_text() == "Plataforma «Facturación central»"

    visitor.page.get_by_role("link", name="Editar certificado").click()
    visitor.page.get_by_label("Certificado para agregar").select_option(fingerprint(second))
    visitor.page.get_by_role("button", name="Agregar").click()
    assert "Certificado agregado." in visitor.page.get_by_role("status").inner_text()
    visitor.look("platform-certificates")
    visitor.page.get_by_role("button", name="Quitar primero").click()
    visitor.page.get_by_role("button", name="Quitar segundo").click()  # the last one stays
    assert "al menos un certificado" in visitor.page.get_by_role("alert").inner_text()
    visitor.look("platform-certificates-last")
    assert site.state(nif).platforms[platform_id].certificates == (fingerprint(second),)

    visitor.go(f"/plataformas/{platform_id}")
    visitor.page.get_by_role("link", name="Eliminar plataforma").click()
    dialog = visitor.page.get_by_role("alertdialog")
    assert "Facturación central" in dialog.inner_text()
    visitor.look("platform-delete-confirm")
    dialog.get_by_role("button", name="Cancelar").click()
    assert site.state(nif).platforms[platform_id].state.value == "active"
    visitor.page.get_by_role("link", name="Eliminar plataforma").click()
    visitor.page.get_by_role("alertdialog").get_by_role("button", name="Confirmar").click()
    assert "eliminada" in visitor.page.get_by_role("status").inner_text()
    assert site.state(nif).live_platforms() == []


def test_another_integrators_platform_is_not_found(site, visit):
    owner = site.sign_up(site.nifs.company())
    platform_id = site.platform(owner, "Ajena", (Role.SENDING,), site.register(owner, "suyo"))
    visitor = visit(site.sign_up(site.nifs.company())).login()
    assert visitor.go(f"/plataformas/{platform_id}").status == 404
    visitor.look("not-found")
