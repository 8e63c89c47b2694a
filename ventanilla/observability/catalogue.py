"""Every metric Ventanilla's own code observes, in one place (names, units and labels by Prometheus conventions).

No label carries a NIF, an invoice number, an id or document content: label values come from small closed
sets (operations, outcomes, catalogue keys, stages, topics, partitions). tests/unit/observability checks it.
"""
from __future__ import annotations

from ventanilla.domain.errors import ErrorKey, Side
from ventanilla.observability import external
from ventanilla.observability.spec import (BODY_BYTES, CANCELLATION, EDGE, GATEWAY, GROUP_ITEMS, PORTAL, PROCESSES,
                                           REGISTRY, REQUEST_SECONDS, STAGE_SECONDS, STATUS, Kind, MetricSpec)

# Closed sets of label values (phase B observes with these).
OUTCOMES = ("ok", "client_fault", "server_fault")  # a SOAP answer, a submission, a cancellation
TRANSFERS = ("mtom", "inline")
REGISTRY_STAGES = ("parse", "schema", "signature", "claims", "storage", "append", "receipt")
BACKOFFICE_OUTCOMES = ("applied", "duplicate", "refused")
BATCH_QUERIES = (1, 2, 4, 8, 16, 32, 64)  # soap_edge/backends/state_batches.py: at most 64 per call
NO_FAULT = "none"  # fault_key / reason when there is none

_C, _G, _H = Kind.COUNTER, Kind.GAUGE, Kind.HISTOGRAM
_KAFKA_WRITERS = (REGISTRY, STATUS, CANCELLATION, GATEWAY)

OWN: tuple[MetricSpec, ...] = (
    # SOAP edge
    MetricSpec("soap_requests", "ventanilla_soap_requests_total", _C,
               "SOAP requests answered, by operation, outcome and PeFAC fault key.",
               ("operation", "outcome", "fault_key"), (EDGE,)),
    MetricSpec("soap_request_duration", "ventanilla_soap_request_duration_seconds", _H,
               "Time from the request's arrival to its answer, by operation and outcome.",
               ("operation", "outcome"), (EDGE,), REQUEST_SECONDS, "seconds"),
    MetricSpec("soap_request_body", "ventanilla_soap_request_body_bytes", _H,
               "Size of SOAP request bodies, by operation and transfer (mtom or inline).",
               ("operation", "transfer"), (EDGE,), BODY_BYTES, "bytes"),
    MetricSpec("soap_response_body", "ventanilla_soap_response_body_bytes", _H,
               "Size of SOAP response bodies, by operation and transfer (mtom or inline).",
               ("operation", "transfer"), (EDGE,), BODY_BYTES, "bytes"),
    MetricSpec("state_batch_queries", "ventanilla_soap_state_batch_queries", _H,
               "Queries of one invoice's state carried by each call an edge worker made to the status service "
               "(1: a query alone; more: queries that arrived while the previous call was in flight).",
               (), (EDGE,), BATCH_QUERIES),
    MetricSpec("soap_in_flight", "ventanilla_soap_requests_in_flight", _G,
               "SOAP requests being served now (all workers).", (), (EDGE,)),
    # Kafka
    MetricSpec("kafka_produce_duration", "ventanilla_kafka_produce_duration_seconds", _H,
               "Time until the broker acknowledged a produced record, by topic.",
               ("topic",), _KAFKA_WRITERS, STAGE_SECONDS, "seconds"),
    MetricSpec("kafka_produce_errors", "ventanilla_kafka_produce_errors_total", _C,
               "Records the broker did not acknowledge, by topic and error class.",
               ("topic", "error"), _KAFKA_WRITERS),
    MetricSpec("kafka_consumed", "ventanilla_kafka_consumed_records_total", _C,
               "Records consumed, by topic and consumer loop.", ("topic", "consumer"), (STATUS,)),
    MetricSpec("consumer_last_poll", "ventanilla_kafka_consumer_last_poll_timestamp_seconds", _G,
               "Unix time of each consumer loop's last poll (a stopped loop stops moving it).",
               ("consumer",), (STATUS,), unit="seconds"),
    MetricSpec("projection_lag_records", "ventanilla_projection_lag_records", _G,
               "Records in the log not yet applied by a projection, by partition.",
               ("projection", "partition"), (STATUS,)),
    MetricSpec("projection_lag_seconds", "ventanilla_projection_lag_seconds", _G,
               "Age of the oldest record a projection has not applied yet (0 when caught up).",
               ("projection",), (STATUS,), unit="seconds"),
    MetricSpec("projection_applied", "ventanilla_projection_events_applied_total", _C,
               "Events a projection applied (redeliveries not counted).", ("projection",), (STATUS,)),
    # Registry
    MetricSpec("registry_stage_duration", "ventanilla_registry_stage_duration_seconds", _H,
               "Time spent in each stage of a submission (parse, schema, signature, claims, storage, append, "
               "receipt).", ("stage",), (REGISTRY,), STAGE_SECONDS, "seconds"),
    MetricSpec("registry_submissions", "ventanilla_registry_submissions_total", _C,
               "Submissions decided, by outcome and PeFAC fault key.", ("outcome", "fault_key"), (REGISTRY,)),
    MetricSpec("registry_claim_conflicts", "ventanilla_registry_claim_conflicts_total", _C,
               "Submissions whose business key was already claimed (facturaRepetida).", (), (REGISTRY,)),
    MetricSpec("invoices_registered", "ventanilla_invoices_registered_total", _C,
               "Invoices registered (InvoiceRegistered appended to the log).", (), (REGISTRY,)),
    # Status and back office
    MetricSpec("group_query_items", "ventanilla_status_group_query_items", _H,
               "Invoices asked for in each group query.", (), (STATUS,), GROUP_ITEMS),
    MetricSpec("catch_up_wait", "ventanilla_status_catch_up_wait_seconds", _H,
               "Time a read waited for the projection to reach the log's end (read-your-writes).",
               (), (STATUS,), STAGE_SECONDS, "seconds"),
    MetricSpec("catch_up_timeouts", "ventanilla_status_catch_up_timeouts_total", _C,
               "Reads refused because the projection did not catch up in time.", (), (STATUS,)),
    MetricSpec("backoffice_messages", "ventanilla_backoffice_messages_total", _C,
               "Back-office messages handled, by kind, outcome (applied, duplicate, refused) and refusal key.",
               ("kind", "outcome", "reason"), (STATUS,)),
    MetricSpec("notices_published", "ventanilla_backoffice_notices_published_total", _C,
               "Registered-invoice notices published to the back offices.", (), (STATUS,)),
    # Back-office gateway (its calls by method and code: grpc_server_handled_total)
    MetricSpec("gateway_refusals", "ventanilla_backoffice_gateway_refusals_total", _C,
               "Calls the back-office gateway refused, by gRPC method and reason (not ready, no or unknown certificate, "
               "not a back office, not its invoice, incomplete request, backend unavailable).",
               ("grpc_method", "reason"), (GATEWAY,)),
    # Cancellation
    MetricSpec("cancellation_requests", "ventanilla_cancellation_requests_total", _C,
               "Cancellation requests decided, by outcome and PeFAC fault key.",
               ("outcome", "fault_key"), (CANCELLATION,)),
    # Portal
    MetricSpec("portal_logins", "ventanilla_portal_logins_total", _C, "Portal logins, by outcome.",
               ("outcome",), (PORTAL,)),
    MetricSpec("portal_signups", "ventanilla_portal_signups_total", _C, "Integrator sign-ups, by outcome.",
               ("outcome",), (PORTAL,)),
    MetricSpec("portal_certificate_changes", "ventanilla_portal_certificate_changes_total", _C,
               "Certificates registered, replaced or revoked through the portal, by action.", ("action",), (PORTAL,)),
    # Every process
    MetricSpec("build_info", "ventanilla_build_info", _G, "Always 1; the running version as a label.",
               ("version",), PROCESSES, gauge_mode="livemax"),
    MetricSpec("certificate_expiry", "ventanilla_certificate_expiry_timestamp_seconds", _G,
               "Unix time at which a configured certificate (or the earliest of a bundle) expires, by role.",
               ("certificate",), (EDGE, REGISTRY), unit="seconds", gauge_mode="livemin"),
)

CATALOGUE: tuple[MetricSpec, ...] = OWN + external.SPECS


def for_process(process: str) -> tuple[MetricSpec, ...]:
    """The specs a process exports."""
    return tuple(spec for spec in CATALOGUE if process in spec.processes)


def series_names() -> frozenset[str]:
    """Every sample name a scrape of any Ventanilla process can show."""
    return frozenset(name for spec in CATALOGUE for name in spec.series_names)


def outcome_of(key: ErrorKey | None) -> tuple[str, str]:
    """(outcome, fault_key) labels of an answer: ok, or the fault's side and catalogue key."""
    if key is None:
        return "ok", NO_FAULT
    return ("client_fault" if key.side is Side.CLIENT else "server_fault"), key.value
