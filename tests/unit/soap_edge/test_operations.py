"""Each operation: the gRPC call it makes, the answer it gives, and its faults."""
from __future__ import annotations

import base64

import pytest
from lxml import etree

from ventanilla.api.v1 import invoice_pb2 as ipb
from ventanilla.api.v1 import services_pb2 as pb
from ventanilla.domain.errors import DomainError, ErrorKey

from .fakes import TNS, Client, FakeBackends, edge, envelope
from .reference import schema

TUPLA = "<nifcifProveedor>00278402X</nifcifProveedor><ejercicio>{}</ejercicio>{}<numeroFactura>V203-1</numeroFactura>"


def run(operation: str, inner: str = "", backends: FakeBackends | None = None, **kwargs):
    backends = backends or FakeBackends()
    reply = Client(edge(backends, **kwargs)).post(envelope(operation, inner))
    return reply, backends


def response(reply) -> etree._Element:
    assert reply.code == 200, reply.body
    return etree.fromstring(reply.body)[0][0]


def fault_of(reply) -> tuple[str, str]:
    root = etree.fromstring(reply.body)
    assert reply.code == 500
    return (root.findtext(".//faultcode").split(":")[1],
            root.findtext(f".//{{{TNS}}}ServicioError/mensajesError"))


def test_version():
    reply, backends = run("version")
    assert response(reply).findtext("return") == "2.0" and not backends.calls


def test_enviar_factura_forwards_document_attachments_and_caller():
    facturae, pdf = b"<Facturae/>", b"%PDF-1.4"
    inner = (f"<facturae>{base64.b64encode(facturae).decode()}</facturae>"
             f"<anexos><nombre>a.pdf</nombre><contenido>{base64.b64encode(pdf).decode()}</contenido></anexos>")
    reply, backends = run("enviarFactura", inner)
    schema().assertValid(response(reply))
    ((service, method, request),) = backends.calls
    assert (service, method) == ("registry", "SubmitInvoice")  # small: one message
    assert request.facturae == facturae
    assert [(a.name, a.content) for a in request.attachments] == [("a.pdf", pdf)]
    assert request.caller.request_id


@pytest.mark.parametrize("operation, inner, call", [
    ("consultarFactura", "<idFactura>2527</idFactura>", ("status", "GetInvoice")),
    ("consultarFacturaPorValores", TUPLA.format("2014-06-18", ""), ("status", "FindInvoice")),
    ("anularFactura", "<idFactura>2527</idFactura><motivoAnulacion>Error</motivoAnulacion>",
     ("cancellation", "CancelInvoice")),
    ("anularFacturaPorValores", TUPLA.format("2015/06/29", "") + "<motivoAnulacion>Error</motivoAnulacion>",
     ("cancellation", "CancelInvoiceByTuple")),
])
def test_factura_operations(operation, inner, call):
    reply, backends = run(operation, inner)
    answer = response(reply)
    assert answer.tag == f"{{{TNS}}}{operation}Response" and answer[0].tag == "return"
    schema().assertValid(answer)
    assert backends.calls[0][:2] == call


@pytest.mark.parametrize("ejercicio, serie, expected", [
    ("2014", "", ipb.InvoiceTuple(supplier_nif="00278402X", year=2014, number="V203-1")),
    ("2015/06/29", "<serie>MAC-</serie>",
     ipb.InvoiceTuple(supplier_nif="00278402X", year=2015, issue_date="2015-06-29", series="MAC-", number="V203-1")),
    ("2014-06-18T00:00:00+01:00", "<serie></serie>",
     ipb.InvoiceTuple(supplier_nif="00278402X", year=2014, issue_date="2014-06-18", number="V203-1")),
])
def test_tuples_by_year_or_date_with_optional_series(ejercicio, serie, expected):
    _, backends = run("consultarFacturaPorValores", TUPLA.format(ejercicio, serie))
    assert backends.calls[0][2].tuple == expected


def test_cancellation_reason_is_forwarded():
    _, backends = run("anularFactura", "<idFactura>9</idFactura><motivoAnulacion>Error en el centro gestor</motivoAnulacion>")
    assert backends.calls[0][2] == pb.CancelById(caller=backends.calls[0][2].caller, id=9, reason="Error en el centro gestor")


def test_consultar_estado_returns_the_bare_state():
    backends = FakeBackends({"GetStates": pb.StatesAnswer(items=[pb.StateItem(state=ipb.ANULADA)])})
    reply, _ = run("consultarEstadoFactura", "<idFactura>53</idFactura>", backends)
    answer = response(reply)
    assert [(c.tag, c.text) for c in answer] == [("return", "ANULADA")]


def test_consultar_estado_por_valores():
    backends = FakeBackends({"FindStates": pb.StatesAnswer(items=[pb.StateItem(state=ipb.PAGADA)])})
    reply, _ = run("consultarEstadoFacturaPorValores", TUPLA.format("2014/06/29", "<serie>Emit-</serie>"), backends)
    assert response(reply).findtext("return") == "PAGADA"
    assert backends.calls[0][2].tuples[0].series == "Emit-"


@pytest.mark.parametrize("operation, inner", [
    ("consultarEstadoMotivoFactura", "<idFactura>824</idFactura>"),
    ("consultarEstadoMotivoFacturaPorValores", TUPLA.format("2015/06/29", "")),
])
def test_estado_motivo(operation, inner):
    item = pb.StateItem(state=ipb.RECHAZADA, remarks="Prueba de modificación del motivo")
    backends = FakeBackends({"GetStates": pb.StatesAnswer(items=[item]), "FindStates": pb.StatesAnswer(items=[item])})
    reply, _ = run(operation, inner, backends)
    answer = response(reply)
    schema().assertValid(answer)
    (respuesta,) = answer
    assert respuesta.tag == "respuestaEstadoFactura"
    assert [(c.tag, c.text) for c in respuesta] == [("estadoFactura", "RECHAZADA"),
                                                    ("observaciones", "Prueba de modificación del motivo")]


def test_single_state_error_becomes_a_fault_with_its_key():
    item = pb.StateItem(error=pb.CatalogueError(key="credenciales.error.facturainvalida", message="No es suya"))
    reply, _ = run("consultarEstadoMotivoFactura", "<idFactura>1</idFactura>",
                   FakeBackends({"GetStates": pb.StatesAnswer(items=[item])}))
    assert fault_of(reply) == ("Client", "credenciales.error.facturainvalida")


def group_answer(request):
    ids = list(request.ids)
    return pb.StatesAnswer(items=[pb.StateItem(error=pb.CatalogueError(key="credenciales.error.facturainvalida"))
                                  if i == 444 else pb.StateItem() if i == 888
                                  else pb.StateItem(state=ipb.REGISTRADA_RCF, remarks=f"r{i}") for i in ids])


def test_group_by_ids_item_by_item_in_request_order():
    inner = "".join(f"<facturaId>{i}</facturaId>" for i in (605, 42, 888, 444))
    reply, backends = run("consultarGrupoEstadosFactura", inner, FakeBackends({"GetStates": group_answer}))
    answer = response(reply)
    schema().assertValid(answer)
    items = [[(c.tag, c.text) for c in r.iter() if c is not r and len(c) == 0] for r in answer]
    assert items == [
        [("id", "605"), ("estadoFactura", "REGISTRADA_RCF"), ("observaciones", "r605")],
        [("id", "42"), ("estadoFactura", "REGISTRADA_RCF"), ("observaciones", "r42")],
        [("id", "888")],
        [("id", "444"), ("error", "credenciales.error.facturainvalida")],
    ]
    assert list(backends.calls[0][2].ids) == [605, 42, 888, 444]


@pytest.mark.parametrize("operation", ["consultarGrupoEstadoFacturasPorValores",
                                       "consultarGrupoEstadosFacturaPorValores"])
def test_group_by_tuples_echoes_each_tuple_and_fails_bad_items_alone(operation):
    tuplas = ["<facturaTupla>" + TUPLA.format(e, s) + "</facturaTupla>"
              for e, s in (("2015/06/29", "<serie>MAC-</serie>"), ("2014-02-30", ""), ("2014", ""))]
    backends = FakeBackends({"FindStates": lambda r: pb.StatesAnswer(
        items=[pb.StateItem(state=ipb.PAGADA), pb.StateItem(error=pb.CatalogueError(key="credenciales.error.facturainvalida"))])})
    reply, _ = run(operation, "".join(tuplas), backends)
    answer = response(reply)
    assert answer.tag == f"{{{TNS}}}{operation}Response"
    echoed = [[(c.tag, c.text) for c in r.find("facturaTupla")] for r in answer]
    assert echoed[0] == [("nifcifProveedor", "00278402X"), ("ejercicio", "2015/06/29"), ("serie", "MAC-"),
                         ("numeroFactura", "V203-1")]
    assert [r[1].tag for r in answer] == ["respuestaEstadoFactura", "error", "error"]
    assert [r.findtext("error") for r in answer] == [None, "facturae.error.xml", "credenciales.error.facturainvalida"]
    assert [t.year for t in backends.calls[0][2].tuples] == [2015, 2014]


def test_group_by_tuples_with_integer_years_is_valid_against_the_reference_xsd():
    tuplas = "".join("<facturaTupla>" + TUPLA.format(y, "") + "</facturaTupla>" for y in (2014, 2015))
    reply, _ = run("consultarGrupoEstadoFacturasPorValores", tuplas)
    schema().assertValid(response(reply))


def test_group_over_the_limit_is_a_client_fault():
    inner = "".join(f"<facturaId>{i}</facturaId>" for i in range(4))
    reply, backends = run("consultarGrupoEstadosFactura", inner, group_max_items=3)
    assert fault_of(reply) == ("Client", "facturae.error.xml") and not backends.calls
    assert b"m\xc3\xa1ximo 3 facturas" in reply.body


def test_empty_group_is_a_schema_fault():
    reply, _ = run("consultarGrupoEstadosFactura", "")
    assert fault_of(reply) == ("Client", "facturae.error.xml")


@pytest.mark.parametrize("key", [ErrorKey.FACTURA_REPETIDA, ErrorKey.SIGN_EXPIRED, ErrorKey.REGISTRO, ErrorKey.REPORT])
def test_backend_catalogue_errors_become_faults_with_their_side(key):
    backends = FakeBackends({"SubmitInvoice": DomainError(key, "detalle del servicio")})
    reply, _ = run("enviarFactura", "<facturae>PEEvPg==</facturae>", backends)
    assert fault_of(reply) == (key.side.value, key.value)
    assert b"<faultstring>detalle del servicio</faultstring>" in reply.body


@pytest.mark.parametrize("operation, inner", [
    ("consultarFactura", "<idFactura>x</idFactura>"),
    ("consultarFactura", ""),
    ("consultarFactura", '<idFactura xmlns="urn:qualified">1</idFactura>'),
    ("consultarFacturaPorValores", TUPLA.format("junio", "")),
    ("consultarFacturaPorValores", TUPLA.format("2014-13-45", "")),
    ("anularFactura", "<idFactura>1</idFactura>"),
    ("enviarFactura", "<facturae>!!not base64!!</facturae>"),
    ("desconocida", ""),
])
def test_bad_input_is_a_client_fault_and_nothing_is_called(operation, inner):
    reply, backends = run(operation, inner)
    assert fault_of(reply) == ("Client", "facturae.error.xml")
    assert not backends.calls


def test_unexpected_handler_failure_is_a_server_fault():
    def explode(_):
        raise RuntimeError("bug")
    reply, _ = run("consultarFactura", "<idFactura>1</idFactura>", FakeBackends({"GetInvoice": explode}))
    assert fault_of(reply) == ("Server", "facturae.error.registro")


def test_a_receipt_said_unchanged_that_was_never_held_is_a_server_error():
    unchanged = FakeBackends({"GetInvoice": pb.InvoiceAnswer(invoice=ipb.Invoice(id=1), receipt_unchanged=True)})
    reply, backends = run("consultarFactura", "<idFactura>1</idFactura>", unchanged)
    assert reply.code == 500 and b"facturae.error.registro" in reply.body
    assert backends.calls[0][2].held_receipt_sha256 == ""
