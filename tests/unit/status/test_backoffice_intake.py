"""The back-office intake's branches on the in-memory log, the projection store on a file, the catch-up it feeds.

Against a real broker and a running status service: tests/integration/test_status_backoffice.py.
"""
from __future__ import annotations

from datetime import timedelta

import pytest

from ventanilla.adapters.catch_up import CatchUp
from ventanilla.adapters.invoice_messages import timestamp
from ventanilla.adapters.projection_store import ProjectionStore
from ventanilla.api.v1 import backoffice_pb2 as pb
from ventanilla.api.v1 import invoice_pb2
from ventanilla.domain.errors import ErrorKey
from ventanilla.domain.events import BackOfficeReportRefused, CancellationAccepted, StatusChanged
from ventanilla.domain.invoice import State
from status_service.backoffice_messages import sender_of, translate
from status_service.backoffice_intake import BackOfficeIntake, ProjectionBehind
from tests.support.invoice_fakes import FixedClock, MemoryLog
from tests.unit.domain.factories import T0, cancel_accepted, cancel_requested, registered

INVOICE = 7


class MemoryFeedback:
    """The feedback topic as a list of (refusal, when)."""

    def __init__(self):
        self.refusals = []

    def refused(self, refusal, at, platform="") -> None:
        self.refusals.append((refusal, at))

    @property
    def keys(self) -> list[ErrorKey]:
        return [refusal.error.key for refusal, _ in self.refusals]


class Parts:
    """An intake whose projection follows the in-memory log, as the projector makes it follow Kafka."""

    def __init__(self, tmp_path, follow: bool = True):
        self.log, self.feedback, self.clock = MemoryLog(), MemoryFeedback(), FixedClock()
        self.store = ProjectionStore(tmp_path / "projection.sqlite3")
        self.catch_up = CatchUp(self.log.end_offsets, {}, timeout_s=0.5)
        if follow:
            self.log.subscribe(self._apply)
        self.log.append(registered(INVOICE))
        self.intake = BackOfficeIntake(self.store, self.log, self.feedback, self.catch_up, self.clock, translate, sender_of)

    def _apply(self, event, topic, partition, offset) -> None:
        self.store.apply(event, topic, partition, offset)
        self.catch_up.advanced(partition, offset + 1)

    def handle(self, message: pb.BackOfficeMessage | bytes) -> str:
        self.intake.begin()
        value = message if isinstance(message, bytes) else message.SerializeToString()
        return self.intake.handle(value)


def state_update(state=invoice_pb2.REGISTRADA_RCF, message_id="m-1", invoice_id=INVOICE) -> pb.BackOfficeMessage:
    return pb.BackOfficeMessage(state_update=pb.BackOfficeStateUpdate(
        invoice_id=invoice_id, state=state, observaciones="Recibida en la oficina contable", message_id=message_id,
        occurred_at=timestamp(T0 + timedelta(minutes=5)), source_system="rcf-sefcan"))


def verdict(accepted=True, message_id="v-1") -> pb.BackOfficeMessage:
    choice = pb.CancellationVerdict.ACCEPTED if accepted else pb.CancellationVerdict.REJECTED
    return pb.BackOfficeMessage(cancellation_verdict=pb.CancellationVerdict(
        invoice_id=INVOICE, verdict=choice, motivo="Conforme", message_id=message_id,
        occurred_at=timestamp(T0 + timedelta(minutes=5)), source_system="rcf-sefcan"))


@pytest.fixture
def parts(tmp_path) -> Parts:
    return Parts(tmp_path)


def test_an_allowed_state_update_is_applied_once_and_a_redelivery_is_a_duplicate(parts):
    assert parts.handle(state_update()) == "applied"
    assert parts.store.load(INVOICE).state is State.REGISTRADA_RCF
    assert parts.handle(state_update()) == "duplicate"
    assert [type(e) for e in parts.log.events] == [type(registered()), StatusChanged]
    assert parts.feedback.refusals == []


def test_a_state_the_lifecycle_forbids_is_refused_on_the_feedback_topic_and_nothing_is_appended(parts):
    assert parts.handle(state_update(invoice_pb2.ANULADA)) == "refused"
    assert parts.feedback.keys == [ErrorKey.ESTADO_ACTUALIZACION]
    assert parts.feedback.refusals[0][1] == parts.clock.now() and len(parts.log.events) == 1


def test_a_message_about_an_unknown_invoice_is_refused(parts):
    assert parts.handle(state_update(invoice_id=99)) == "refused"
    (refusal, _), = parts.feedback.refusals
    assert (refusal.invoice_id, refusal.message_id, refusal.error.key) == (99, "m-1", ErrorKey.ESTADO_ACTUALIZACION)
    assert len(parts.log.events) == 1


@pytest.mark.parametrize("value", [b"\xff\x00 not protobuf", pb.BackOfficeMessage().SerializeToString(),
                                   state_update(message_id=" ").SerializeToString()])
def test_a_malformed_message_is_refused_without_touching_the_log(parts, value):
    assert parts.handle(value) == "refused"
    assert parts.feedback.keys == [ErrorKey.ESTADO_ACTUALIZACION] and len(parts.log.events) == 1


def test_a_verdict_decides_a_pending_cancellation_and_is_refused_without_one(parts):
    assert parts.handle(verdict()) == "refused"
    parts.log.append(cancel_requested(invoice_id=INVOICE))
    assert parts.handle(verdict(message_id="v-2")) == "applied"
    assert isinstance(parts.log.events[-1], CancellationAccepted)
    assert parts.store.load(INVOICE).state is State.ANULADA


def test_a_report_the_fold_ignores_because_another_writer_came_first_is_refused_and_recorded(parts):
    class Racing:
        """The log as another writer leaves it: a cancellation accepted just before the intake's append."""

        def append(self, event):
            if isinstance(event, StatusChanged) and not raced:
                raced.append(parts.log.append(cancel_requested(invoice_id=INVOICE)))
                parts.log.append(cancel_accepted(invoice_id=INVOICE))
            return parts.log.append(event)

    raced = []
    intake = BackOfficeIntake(parts.store, Racing(), parts.feedback, parts.catch_up, parts.clock, translate, sender_of)
    assert intake.handle(state_update().SerializeToString()) == "refused"
    assert [type(e) for e in parts.log.events[-2:]] == [StatusChanged, BackOfficeReportRefused]
    assert parts.feedback.keys == [ErrorKey.ESTADO_ACTUALIZACION]
    assert parts.store.load(INVOICE).state is State.ANULADA


def test_a_projection_that_does_not_follow_the_log_holds_the_message_back_for_a_retry(tmp_path):
    behind = Parts(tmp_path, follow=False)
    with pytest.raises(ProjectionBehind):
        behind.intake.begin()
    behind.catch_up.advanced(INVOICE % len(behind.log.partitions), 1)
    behind.store.apply(behind.log.events[0], behind.log.topic, INVOICE % len(behind.log.partitions), 0)
    with pytest.raises(ProjectionBehind):
        behind.handle(state_update())
    assert behind.feedback.refusals == []
