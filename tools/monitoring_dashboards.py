"""The Grafana dashboards as data: an overview and one per service (tools/gen_monitoring.py writes them as JSON)."""
from __future__ import annotations

RATE = "$__rate_interval"
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}


def panel(title: str, *queries: tuple[str, str], unit: str = "short", kind: str = "timeseries", width: int = 12,
          description: str = "") -> dict:
    """A panel of (PromQL, legend) queries."""
    return {"kind": kind, "title": title, "description": description, "unit": unit, "width": width,
            "targets": [{"expr": expr, "legendFormat": legend} for expr, legend in queries]}


def quantiles(metric: str, by: str = "", where: str = "") -> list[tuple[str, str]]:
    """p50, p95 and p99 of a histogram, per `by` label if given."""
    group = f"le, {by}" if by else "le"
    suffix = f" {{{{{by}}}}}" if by else ""
    return [(f"histogram_quantile({q}, sum by ({group}) (rate({metric}_bucket{where}[{RATE}])))", f"p{int(q * 100)}{suffix}")
            for q in (0.5, 0.95, 0.99)]


def process_row(job: str) -> list[dict]:
    """CPU, memory and open files of one process (all replicas)."""
    where = f'{{job="{job}"}}'
    return [
        panel("CPU", (f"sum by (instance) (rate(process_cpu_seconds_total{where}[{RATE}]))", "{{instance}}"),
              unit="percentunit", width=8),
        panel("Resident memory", (f"sum by (instance) (process_resident_memory_bytes{where})", "{{instance}}"),
              unit="bytes", width=8),
        panel("Open files", (f"sum by (instance) (process_open_fds{where})", "{{instance}}"),
              (f"min(process_max_fds{where})", "limit"), width=8),
    ]


def grpc_server_row(job: str) -> list[dict]:
    """Calls by method and code, and latency, of a gRPC server."""
    where = f'{{job="{job}"}}'
    return [
        panel("gRPC calls by method and code",
              (f"sum by (grpc_method, grpc_code) (rate(grpc_server_handled_total{where}[{RATE}]))",
               "{{grpc_method}} {{grpc_code}}"), unit="reqps"),
        panel("gRPC server latency p99 by method",
              (f"histogram_quantile(0.99, sum by (le, grpc_method) (rate(grpc_server_handling_seconds_bucket{where}"
               f"[{RATE}])))", "{{grpc_method}}"), unit="s"),
    ]


def kafka_produce_row(job: str) -> list[dict]:
    """Produce latency and errors of one process."""
    where = f'{{job="{job}"}}'
    return [
        panel("Kafka produce latency p99 by topic",
              (f"histogram_quantile(0.99, sum by (le, topic) (rate(ventanilla_kafka_produce_duration_seconds_bucket"
               f"{where}[{RATE}])))", "{{topic}}"), unit="s"),
        panel("Kafka produce errors by topic",
              (f"sum by (topic, error) (rate(ventanilla_kafka_produce_errors_total{where}[{RATE}]))",
               "{{topic}} {{error}}"), unit="reqps"),
    ]


def lag_panels() -> list[dict]:
    return [
        panel("Projection lag (seconds)", ("max by (projection) (ventanilla_projection_lag_seconds)", "{{projection}}"),
              unit="s", description="Bound on the age of the oldest event a projection has not applied."),
        panel("Projection lag (records)", ("sum by (projection) (ventanilla_projection_lag_records)", "{{projection}}")),
    ]


OVERVIEW = {
    "SLOs": [
        panel("Availability, 30 days (SLO 99.5 %)",
              ('1 - sum(increase(ventanilla_soap_requests_total{outcome="server_fault"}[30d])) / '
               "sum(increase(ventanilla_soap_requests_total[30d]))", "availability"), unit="percentunit", kind="stat",
              width=6),
        panel("Error budget burn rate (1 h)", ("ventanilla:soap_server_faults:ratio_rate1h / 0.005", "burn"),
              kind="stat", width=6),
        panel("Latency budget burn rate (1 h)", ("ventanilla:soap_slow:ratio_rate1h / 0.01", "burn"), kind="stat",
              width=6),
        panel("Registrations per minute", (f"sum(rate(ventanilla_invoices_registered_total[{RATE}])) * 60", "per minute"),
              kind="stat", width=6),
    ],
    "Requests": [
        panel("SOAP requests by operation",
              (f"sum by (operation) (rate(ventanilla_soap_requests_total[{RATE}]))", "{{operation}}"), unit="reqps"),
        panel("Faults by key", (f'sum by (fault_key) (rate(ventanilla_soap_requests_total{{outcome!="ok"}}[{RATE}]))',
                                "{{fault_key}}"), unit="reqps"),
        panel("SOAP latency", *quantiles("ventanilla_soap_request_duration_seconds"), unit="s"),
        panel("Registrations per minute",
              (f"sum(rate(ventanilla_invoices_registered_total[{RATE}])) * 60", "registered"),
              (f'sum(rate(ventanilla_registry_submissions_total{{outcome!="ok"}}[{RATE}])) * 60', "refused or failed")),
    ],
    "Projections and Kafka": [
        *lag_panels(),
        panel("Kafka produce latency p99 by topic",
              (f"histogram_quantile(0.99, sum by (le, topic) (rate(ventanilla_kafka_produce_duration_seconds_bucket"
               f"[{RATE}])))", "{{topic}}"), unit="s"),
        panel("Records consumed by loop",
              (f"sum by (consumer) (rate(ventanilla_kafka_consumed_records_total[{RATE}]))", "{{consumer}}"),
              (f"sum(rate(ventanilla_kafka_produce_errors_total[{RATE}]))", "produce errors"), unit="reqps"),
    ],
}

EDGE = {
    "Requests": [
        panel("Requests by operation and outcome",
              (f"sum by (operation, outcome) (rate(ventanilla_soap_requests_total[{RATE}]))", "{{operation}} {{outcome}}"),
              unit="reqps"),
        panel("Latency p99 by operation", *quantiles("ventanilla_soap_request_duration_seconds", "operation")[2:],
              unit="s"),
        panel("Request body p95 by operation and transfer",
              (f"histogram_quantile(0.95, sum by (le, operation, transfer) (rate("
               f"ventanilla_soap_request_body_bytes_bucket[{RATE}])))", "{{operation}} {{transfer}}"), unit="bytes"),
        panel("MTOM vs inline", (f"sum by (transfer) (rate(ventanilla_soap_request_body_bytes_count[{RATE}]))",
                                 "{{transfer}}"), unit="reqps"),
        panel("Response body p95 by operation",
              (f"histogram_quantile(0.95, sum by (le, operation) (rate(ventanilla_soap_response_body_bytes_bucket"
               f"[{RATE}])))", "{{operation}}"), unit="bytes"),
        panel("In flight", ("sum(ventanilla_soap_requests_in_flight)", "requests")),
    ],
    "Backends": [
        panel("gRPC calls to backends by code",
              (f'sum by (grpc_service, grpc_code) (rate(grpc_client_handled_total{{job="soap-edge"}}[{RATE}]))',
               "{{grpc_service}} {{grpc_code}}"), unit="reqps"),
        panel("gRPC client latency p99 by method",
              (f'histogram_quantile(0.99, sum by (le, grpc_method) (rate(grpc_client_handling_seconds_bucket'
               f'{{job="soap-edge"}}[{RATE}])))', "{{grpc_method}}"), unit="s"),
        panel("State queries per batched status call",
              (f"histogram_quantile(0.5, sum by (le) (rate(ventanilla_soap_state_batch_queries_bucket[{RATE}])))",
               "p50"),
              (f"histogram_quantile(0.95, sum by (le) (rate(ventanilla_soap_state_batch_queries_bucket[{RATE}])))",
               "p95")),
        panel("Certificates: days left",
              ('(min by (certificate) (ventanilla_certificate_expiry_timestamp_seconds{job="soap-edge"}) - time()) / 86400',
               "{{certificate}}"), unit="d"),
    ],
    "Process (gunicorn master and workers)": process_row("soap-edge"),
}

REGISTRY = {
    "Submissions": [
        panel("Submissions by outcome and key",
              (f"sum by (outcome, fault_key) (rate(ventanilla_registry_submissions_total[{RATE}]))",
               "{{outcome}} {{fault_key}}"), unit="reqps"),
        panel("Stage latency p95", (f"histogram_quantile(0.95, sum by (le, stage) (rate("
                                    f"ventanilla_registry_stage_duration_seconds_bucket[{RATE}])))", "{{stage}}"), unit="s"),
        panel("Registrations and claim conflicts per minute",
              (f"sum(rate(ventanilla_invoices_registered_total[{RATE}])) * 60", "registered"),
              (f"sum(rate(ventanilla_registry_claim_conflicts_total[{RATE}])) * 60", "facturaRepetida")),
        panel("Certificates: days left",
              ('(min by (certificate) (ventanilla_certificate_expiry_timestamp_seconds{job="registry"}) - time()) / 86400',
               "{{certificate}}"), unit="d"),
    ],
    "gRPC and Kafka": grpc_server_row("registry") + kafka_produce_row("registry"),
    "Volumes": [panel("Free space", ('ventanilla_volume_free_bytes{job="registry"}', "{{instance}} {{volume}}"),
                      unit="bytes")],
    "Process": process_row("registry"),
}

STATUS = {
    "Queries": [
        panel("Group query size p95", (f"histogram_quantile(0.95, sum by (le) (rate("
                                       f"ventanilla_status_group_query_items_bucket[{RATE}])))", "items")),
        panel("Read-your-writes wait", *quantiles("ventanilla_status_catch_up_wait_seconds"),
              (f"sum(rate(ventanilla_status_catch_up_timeouts_total[{RATE}]))", "timeouts/s"), unit="s"),
    ],
    "Back office": [
        panel("Back-office messages by outcome and reason",
              (f"sum by (kind, outcome, reason) (rate(ventanilla_backoffice_messages_total[{RATE}]))",
               "{{kind}} {{outcome}} {{reason}}"), unit="reqps"),
        panel("Notices published", (f"sum(rate(ventanilla_backoffice_notices_published_total[{RATE}]))", "notices"),
              unit="reqps"),
    ],
    "Projections and consumers": [
        *lag_panels(),
        panel("Since last poll", ("time() - max by (consumer) (ventanilla_kafka_consumer_last_poll_timestamp_seconds)",
                                  "{{consumer}}"), unit="s"),
        panel("Events applied", (f"sum by (projection) (rate(ventanilla_projection_events_applied_total[{RATE}]))",
                                 "{{projection}}"), unit="reqps"),
    ],
    "gRPC and Kafka": grpc_server_row("status") + kafka_produce_row("status"),
    "Volumes": [panel("Free space", ('ventanilla_volume_free_bytes{job="status"}', "{{instance}} {{volume}}"),
                      unit="bytes")],
    "Process": process_row("status"),
}

CANCELLATION = {
    "Cancellations": [
        panel("Cancellation requests by outcome and key",
              (f"sum by (outcome, fault_key) (rate(ventanilla_cancellation_requests_total[{RATE}]))",
               "{{outcome}} {{fault_key}}"), unit="reqps", width=24),
    ],
    "gRPC and Kafka": grpc_server_row("cancellation") + kafka_produce_row("cancellation"),
    "Process": process_row("cancellation"),
}

PORTAL = {
    "Integrators": [
        panel("Logins by outcome", (f"sum by (outcome) (rate(ventanilla_portal_logins_total[{RATE}]))", "{{outcome}}"),
              unit="reqps", width=8),
        panel("Sign-ups by outcome", (f"sum by (outcome) (rate(ventanilla_portal_signups_total[{RATE}]))",
                                      "{{outcome}}"), unit="reqps", width=8),
        panel("Certificate changes", (f"sum by (action) (rate(ventanilla_portal_certificate_changes_total[{RATE}]))",
                                      "{{action}}"), unit="reqps", width=8),
    ],
    "Process": process_row("portal"),
}

GATEWAY = {
    "Back offices": [
        panel("Calls refused by method and reason",
              (f"sum by (grpc_method, reason) (rate(ventanilla_backoffice_gateway_refusals_total[{RATE}]))",
               "{{grpc_method}} {{reason}}"), unit="reqps", width=24,
              description="Who is refused is in the gateway's log (rate-limited), never in a label."),
    ],
    "gRPC and Kafka": grpc_server_row("backoffice-gateway") + kafka_produce_row("backoffice-gateway") + [
        panel("Calls to the status service by method and code",
              (f'sum by (grpc_method, grpc_code) (rate(grpc_client_handled_total{{job="backoffice-gateway"}}[{RATE}]))',
               "{{grpc_method}} {{grpc_code}}"), unit="reqps", width=24),
    ],
    "Process": process_row("backoffice-gateway"),
}

DASHBOARDS = {
    "overview": ("Ventanilla · Overview", OVERVIEW),
    "soap-edge": ("Ventanilla · SOAP edge", EDGE),
    "registry": ("Ventanilla · Registry", REGISTRY),
    "status": ("Ventanilla · Status and back office", STATUS),
    "cancellation": ("Ventanilla · Cancellation", CANCELLATION),
    "portal": ("Ventanilla · Portal", PORTAL),
    "backoffice-gateway": ("Ventanilla · Back-office gateway", GATEWAY),
}
