"""One whole stack for the security suite (every service, the dev back office enrolled), as Kubernetes runs it:
mutual TLS between services and back-office messages applied only with the gateway's stamp."""
from __future__ import annotations

from typing import Iterator

import pytest

from tests.e2e.own_stack import OwnStack, own_stack


@pytest.fixture(scope="package")
def stack(kafka_bootstrap: str, tmp_path_factory, free_ports) -> Iterator[OwnStack]:
    state = tmp_path_factory.mktemp("security") / "state"
    started = own_stack({"VENTANILLA_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
                         "VENTANILLA_BACKOFFICE_REQUIRE_SENDER": "1"}, state, free_ports(5))
    try:
        yield started
    finally:
        started.stop_all()
