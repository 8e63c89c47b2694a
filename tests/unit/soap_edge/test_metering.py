"""The edge's request metrics: labels from closed sets only, whatever the client names."""
from __future__ import annotations

from prometheus_client import CollectorRegistry

from ventanilla.domain.errors import DomainError, ErrorKey
from ventanilla.observability.metrics import Metrics

from soap_edge.facts import RequestFacts, Transfer
from soap_edge.http.metering import Metering, operation_label


def test_an_operation_the_service_does_not_have_is_other_and_none_is_none():
    assert operation_label(RequestFacts("r", operation="consultarEstadoFactura")) == "consultarEstadoFactura"
    assert operation_label(RequestFacts("r", operation="B12345674-factura-123")) == "other"
    assert operation_label(RequestFacts("r")) == "none"


def test_an_answer_is_counted_by_outcome_and_fault_key_and_its_bodies_sized():
    registry = CollectorRegistry()
    metering = Metering(Metrics("soap-edge", registry))
    facts = RequestFacts("r", "POST", "/ws", Transfer.MTOM, 2048, "enviarFactura")
    metering.started()
    metering.answered(facts, DomainError(ErrorKey.FACTURA_REPETIDA), 512, 0.2)
    labels = {"operation": "enviarFactura", "outcome": "client_fault", "fault_key": ErrorKey.FACTURA_REPETIDA.value}
    assert registry.get_sample_value("ventanilla_soap_requests_total", labels) == 1
    assert registry.get_sample_value("ventanilla_soap_request_body_bytes_sum",
                                     {"operation": "enviarFactura", "transfer": "mtom"}) == 2048
    assert registry.get_sample_value("ventanilla_soap_requests_in_flight", {}) == 0
