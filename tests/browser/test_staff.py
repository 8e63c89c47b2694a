"""The staff area: approve or refuse RCF platforms, attach and detach DIR3 units, notices, read-only views."""
from ventanilla.domain.integrator_events import Role
from tests.support.portal import STAFF


def test_approve_an_rcf_platform_with_dir3_units(site, visit):
    body = site.sign_up(site.nifs.public_body())
    platform_id = site.platform(body, "Registro contable", (Role.RECEIVING,), site.register(body, "rcf"))
    staff = visit(STAFF).login()
    staff.page.get_by_role("link", name="Administración").click()
    staff.look("staff-index")
    staff.page.get_by_role("row").filter(has_text=body).get_by_role("link", name="Registro contable").click()
    staff.look("staff-platform")
    staff.page.get_by_label("Código o nombre de la unidad").fill("garriga")
    staff.page.get_by_role("button", name="Buscar").click()
    staff.look("staff-platform-search")
    staff.page.get_by_role("button", name="Adherir L01080885").click()
    assert "Unidad L01080885 adherida." in staff.page.get_by_role("status").inner_text()
    staff.page.get_by_label("Código DIR3").fill("X0000000")
    staff.page.get_by_role("button", name="Adherir unidad").click()
    assert "directorio DIR3" in staff.error_of("code")
    staff.look("staff-attach-unknown")
    staff.page.get_by_label("Código DIR3").fill("L00000479")
    staff.page.get_by_role("button", name="Adherir unidad").click()
    staff.page.get_by_role("button", name="Retirar L00000479").click()
    assert "Unidad L00000479 retirada." in staff.page.get_by_role("status").inner_text()
    staff.page.get_by_role("button", name="Aprobar plataforma").click()
    assert "Plataforma aprobada" in staff.page.get_by_role("status").inner_text()
    staff.look("staff-platform-approved")
    platform = site.state(body).platforms[platform_id]
    assert platform.state.value == "approved" and [c for c, _ in platform.dir3_units] == ["L01080885"]
    assert any("aprobada" in str(m["Subject"]) for m in site.smtp.to(site.state(body).email))

    owner = visit(body).login()
    owner.go(f"/plataformas/{platform_id}")
    assert "L01080885" in owner.page.get_by_role("listitem").filter(has_text="L01080885").inner_text()
    owner.look("platform-detail-approved")


def test_refuse_needs_a_reason(site, visit):
    body = site.sign_up(site.nifs.public_body())
    platform_id = site.platform(body, "Otra RCF", (Role.RECEIVING, Role.SENDING), site.register(body, "rcf2"))
    staff = visit(STAFF).login()
    staff.go(f"/administracion/plataformas/{body}/{platform_id}")
    staff.page.get_by_role("button", name="Rechazar plataforma").click()
    assert "obligatorio" in staff.error_of("reason")
    staff.look("staff-refuse-error")
    staff.page.get_by_label("Motivo del rechazo").fill("El NIF no corresponde a un registro contable.")
    staff.page.get_by_role("button", name="Rechazar plataforma").click()
    assert "Plataforma rechazada" in staff.page.get_by_role("status").inner_text()
    assert site.state(body).platforms[platform_id].state.value == "refused"


def test_notices_and_read_only_integrators(site, visit):
    company = site.sign_up(site.nifs.company())
    site.register(company, "visible")
    staff = visit(STAFF).login()
    staff.go("/administracion/avisos")
    staff.page.get_by_role("button", name="Publicar aviso").click()
    assert "obligatorio" in staff.error_of("title")
    staff.page.get_by_label("Título").fill("Parada programada")
    staff.page.get_by_label("Texto del aviso").fill("El sábado de 8:00 a 10:00 no se atenderán llamadas.")
    staff.page.get_by_role("button", name="Publicar aviso").click()
    assert "Aviso publicado." in staff.page.get_by_role("status").inner_text()
    staff.look("staff-notices")
    staff.page.get_by_role("link", name="Integradores", exact=True).click()
    staff.page.get_by_label("NIF o nombre").fill(company)
    staff.page.get_by_role("button", name="Buscar").click()
    staff.look("staff-integrators")
    staff.page.get_by_role("link", name=company).click()
    assert "Vista de solo lectura." in staff.page.locator("main").inner_text()
    assert staff.page.get_by_role("button", name="Guardar cambios").count() == 0
    staff.look("staff-integrator")

    integrator = visit(company).login()
    assert "Parada programada" in integrator.page.get_by_role("region", name="Avisos importantes").inner_text()
    integrator.look("home-with-notice")
    assert integrator.go("/administracion/").status == 403
