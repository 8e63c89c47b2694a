"""The lifecycle end to end: SOAP in, back-office messages through Kafka, SOAP answers and feedback out."""
from __future__ import annotations

import grpc
import pytest

from ventanilla.api.v1 import backoffice_pb2, backoffice_pb2_grpc
from ventanilla.domain.events import StatusChanged

from . import lifecycle as lc
from . import soap
from tests.support.service_pki import dial

pytestmark = pytest.mark.e2e
ESTADO_ACTUALIZACION = "factura.error.estado.actualizacion"


def _backoffice(stack) -> backoffice_pb2_grpc.BackOfficeServiceStub:
    channel = dial(stack.settings.addresses.backoffice, "status", "backoffice-gateway")
    return backoffice_pb2_grpc.BackOfficeServiceStub(channel)


def test_happy_path_to_pagada_with_history_documents_and_notice(stack):
    invoice_id, number = lc.register(stack.settings, sign=stack.sign)
    for state in ("REGISTRADA_RCF", "CONTABILIZADA", "PAGADA"):
        out = lc.cli(stack.env, "backoffice", "set-state", str(invoice_id), state, "--motivo", f"paso {state}")
        assert "accepted message" in out and "from platform rcf-e2e" in out  # the authenticated platform
        assert lc.wait_state(stack.settings, invoice_id, state) == (state, f"paso {state}")
    answer = lc.factura(stack.settings, invoice_id)
    assert (answer["estadoFactura"], answer["observacionesEstado"], answer["numero"]) == ("PAGADA", "paso PAGADA",
                                                                                          number)
    history = _backoffice(stack).GetHistory(backoffice_pb2.HistoryRequest(invoice_id=invoice_id), timeout=10)
    assert [(e.source, e.observaciones) for e in history.entries] == [
        ("registry", ""), ("rcf-e2e", "paso REGISTRADA_RCF"), ("rcf-e2e", "paso CONTABILIZADA"),
        ("rcf-e2e", "paso PAGADA")]
    documents = _backoffice(stack).GetDocuments(backoffice_pb2.DocumentsRequest(invoice_id=invoice_id), timeout=10)
    assert number.encode() in documents.facturae.content
    assert documents.facturae.ref.size == len(documents.facturae.content)
    notices = [r for r in lc.read_all(stack.settings, stack.settings.topics.invoices_registered)
               if dict(r.headers).get("ventanilla-invoice-id") == str(invoice_id).encode()]
    assert len(notices) == 1
    notice = backoffice_pb2.InvoiceRegisteredNotice.FromString(notices[0].value)
    assert notices[0].key == b"L01280796" == dict(notices[0].headers)["ventanilla-oficina-contable"]
    assert (notice.key.number, notice.centres.unidad_tramitadora) == (number, "LA0007408")


def test_the_internal_endpoint_refuses_an_unknown_invoice(stack):
    with pytest.raises(grpc.RpcError) as refused:
        _backoffice(stack).GetDocuments(backoffice_pb2.DocumentsRequest(invoice_id=987654321), timeout=10)
    assert refused.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert ("ventanilla-error-key", "credenciales.error.facturainvalida") in refused.value.trailing_metadata()


def test_a_refused_transition_produces_feedback_and_changes_nothing(stack):
    invoice_id, _ = lc.register(stack.settings, sign=stack.sign)
    lc.cli(stack.env, "backoffice", "set-state", str(invoice_id), "PAGADA", "--message-id", f"bad-{invoice_id}")
    refusal = lc.wait_refusal(stack.settings, f"bad-{invoice_id}")
    assert (refusal.invoice_id, refusal.error_key) == (invoice_id, ESTADO_ACTUALIZACION)
    assert "REGISTRADA" in refusal.reason and "PAGADA" in refusal.reason
    assert lc.estado(stack.settings, invoice_id) == ("REGISTRADA", "")
    assert len(lc.invoice_events(stack.settings, invoice_id)) == 1


def test_an_unreadable_message_produces_feedback(stack):
    producer = lc.producer(stack.settings)
    producer.send(stack.settings.topics.backoffice_updates, key=b"1", value=b"\xff\x00not protobuf").get(10)
    message_id, value = lc.state_update(5, "PAGADA", message_id="")
    producer.send(stack.settings.topics.backoffice_updates, key=b"5", value=value).get(10)
    producer.close()
    refusal = lc.wait_refusal(stack.settings, "")
    assert refusal.error_key == ESTADO_ACTUALIZACION


def test_cancellation_accepted_then_rejected_by_verdict_and_a_second_one_refused(stack):
    invoice_id, _ = lc.register(stack.settings, sign=stack.sign)
    cancelled = lc.fields(lc.anular(stack.settings, invoice_id, "Error en el centro gestor").find(
        f"{{{soap.NS}}}anularFacturaResponse/return"))
    assert cancelled["estadoFactura"] == "ANULADA" and cancelled["fechaAnulacion"]
    lc.cli(stack.env, "backoffice", "cancellation", str(invoice_id), "reject", "--motivo", "Ya en trámite")
    lc.wait_state(stack.settings, invoice_id, "REGISTRADA")
    answer = lc.factura(stack.settings, invoice_id)
    assert answer["observacionesAnulacion"] == "Error en el centro gestor" and answer["fechaAnulacion"]
    again = lc.anular(stack.settings, invoice_id, "Otra vez")
    assert "anulacion.error.estadoIncorrecto" in soap.etree.tostring(again).decode()
    assert lc.estado(stack.settings, invoice_id)[0] == "REGISTRADA"


def test_an_accepted_cancellation_is_final(stack):
    invoice_id, _ = lc.register(stack.settings, sign=stack.sign)
    lc.anular(stack.settings, invoice_id, "Duplicada")
    lc.cli(stack.env, "backoffice", "cancellation", str(invoice_id), "accept", "--motivo", "Conforme")
    later = f"after-accept-{invoice_id}"
    lc.cli(stack.env, "backoffice", "set-state", str(invoice_id), "REGISTRADA_RCF", "--message-id", later)
    assert lc.wait_refusal(stack.settings, later).error_key == ESTADO_ACTUALIZACION
    assert lc.estado(stack.settings, invoice_id)[0] == "ANULADA"


def test_a_cancellation_overtaken_by_a_contabilizada_update(stack):
    invoice_id, _ = lc.register(stack.settings, sign=stack.sign)
    lc.cli(stack.env, "backoffice", "set-state", str(invoice_id), "REGISTRADA_RCF")
    lc.wait_state(stack.settings, invoice_id, "REGISTRADA_RCF")
    lc.anular(stack.settings, invoice_id, "Importe erróneo")
    assert lc.estado(stack.settings, invoice_id)[0] == "ANULADA"
    lc.cli(stack.env, "backoffice", "set-state", str(invoice_id), "CONTABILIZADA", "--motivo", "Obligación reconocida")
    assert lc.wait_state(stack.settings, invoice_id, "CONTABILIZADA") == ("CONTABILIZADA", "Obligación reconocida")
    answer = lc.factura(stack.settings, invoice_id)
    assert answer["observacionesAnulacion"] == "Importe erróneo" and answer["fechaAnulacion"]
    assert "anulacion.error.estadoIncorrecto" in soap.etree.tostring(
        lc.anular(stack.settings, invoice_id, "Otra vez")).decode()


def test_duplicate_back_office_messages_have_one_effect(stack):
    invoice_id, _ = lc.register(stack.settings, sign=stack.sign)
    producer = lc.producer(stack.settings)
    topic, key = stack.settings.topics.backoffice_updates, str(invoice_id).encode()
    rcf_id, rcf = lc.state_update(invoice_id, "REGISTRADA_RCF", remarks="rcf")
    conta_id, conta = lc.state_update(invoice_id, "CONTABILIZADA", remarks="conta")
    sentinel_id, sentinel = lc.state_update(invoice_id, "REGISTRADA")  # refused: tells us the rest was handled
    for value in (rcf, rcf, conta, rcf, conta, conta, sentinel):
        producer.send(topic, key=key, value=value)
    producer.flush()
    producer.close()
    lc.wait_refusal(stack.settings, sentinel_id)
    assert lc.estado(stack.settings, invoice_id) == ("CONTABILIZADA", "conta")
    refused = lc.refusals(stack.settings)
    assert rcf_id not in refused and conta_id not in refused
    changes = [e.message_id for e in lc.invoice_events(stack.settings, invoice_id) if isinstance(e, StatusChanged)]
    assert changes == [rcf_id, conta_id]
    history = _backoffice(stack).GetHistory(backoffice_pb2.HistoryRequest(invoice_id=invoice_id), timeout=10)
    assert [e.message_id for e in history.entries] == ["", rcf_id, conta_id]


def test_group_queries_answer_item_by_item(stack):
    paid, _ = lc.register(stack.settings, sign=stack.sign)
    rejected, number = lc.register(stack.settings, sign=stack.sign)
    for state in ("REGISTRADA_RCF", "CONTABILIZADA", "PAGADA"):
        lc.cli(stack.env, "backoffice", "set-state", str(paid), state)
    lc.cli(stack.env, "backoffice", "set-state", str(rejected), "RECHAZADA", "--motivo", "Sin pedido")
    lc.wait_state(stack.settings, paid, "PAGADA")
    lc.wait_state(stack.settings, rejected, "RECHAZADA")
    ids = "".join(f"<facturaId>{i}</facturaId>" for i in (rejected, 987654321, paid))
    body = lc.call(stack.settings, "consultarGrupoEstadosFactura", ids)
    items = body.findall(f"{{{soap.NS}}}consultarGrupoEstadosFacturaResponse/resultadoEstadosFacturas")
    assert [i.findtext("id") for i in items] == [str(rejected), "987654321", str(paid)]
    assert [i.findtext("respuestaEstadoFactura/estadoFactura") for i in items] == ["RECHAZADA", None, "PAGADA"]
    assert items[0].findtext("respuestaEstadoFactura/observaciones") == "Sin pedido"
    assert "credenciales.error.facturainvalida" in (items[1].findtext("error") or "")
    tuples = "".join(f"<facturaTupla><nifcifProveedor>B23103039</nifcifProveedor><ejercicio>{ejercicio}"
                     f"</ejercicio><numeroFactura>{number}</numeroFactura></facturaTupla>"
                     for ejercicio in ("2021", "2020", "2021-12-08", "2021-02-30"))
    body = lc.call(stack.settings, "consultarGrupoEstadoFacturasPorValores", tuples)
    items = body.findall(f"{{{soap.NS}}}consultarGrupoEstadoFacturasPorValoresResponse/resultadoEstadosFacturas")
    assert [i.findtext("respuestaEstadoFactura/estadoFactura") for i in items] == ["RECHAZADA", None, "RECHAZADA",
                                                                                   None]
    assert "credenciales.error.facturainvalida" in items[1].findtext("error")
    assert items[3].findtext("error")
