"""The invoice as Ventanilla records it: value objects and the read model record."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from ventanilla.domain.nif import canonical, same


class State(Enum):
    """Lifecycle states, named as on the PeFAC wire."""

    REGISTRADA = "REGISTRADA"
    REGISTRADA_RCF = "REGISTRADA_RCF"
    CONTABILIZADA = "CONTABILIZADA"
    PAGADA = "PAGADA"
    ANULADA = "ANULADA"
    RECHAZADA = "RECHAZADA"


class CancellationOutcome(Enum):
    """Where a cancellation request stands."""

    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"


@dataclass(frozen=True)
class InvoiceKey:
    """The business key: supplier NIF, year of the invoice date, series, number."""

    supplier_nif: str
    year: int
    series: str
    number: str

    def canonical(self) -> "InvoiceKey":
        """The key with the NIF in its one form (nif.canonical): what uniqueness and lookups compare."""
        return InvoiceKey(canonical(self.supplier_nif), self.year, self.series, self.number)


@dataclass(frozen=True)
class InvoiceTuple:
    """A query by tuple: ejercicio is a year, or a full date that must match the invoice date."""

    supplier_nif: str
    year: int
    series: str
    number: str
    issue_date: date | None = None

    @property
    def key(self) -> InvoiceKey:
        """The business key this tuple designates."""
        return InvoiceKey(self.supplier_nif, self.year, self.series, self.number)


@dataclass(frozen=True)
class Centres:
    """DIR3 administrative centres: oficina contable, órgano gestor, unidad tramitadora, proponente."""

    oficina_contable: str
    organo_gestor: str
    unidad_tramitadora: str
    organo_proponente: str = ""


@dataclass(frozen=True)
class DocumentRef:
    """A document in the blob store, by content hash."""

    sha256: str
    size: int
    name: str = ""
    media_type: str = ""


@dataclass(frozen=True)
class Cancellation:
    """A supplier's cancellation request and its outcome; kept for the record once rejected."""

    reason: str
    requested_at: datetime
    outcome: CancellationOutcome = CancellationOutcome.PENDING


@dataclass(frozen=True)
class Channel:
    """The portal's integrator and platform a registration came through."""

    integrator_nif: str
    platform_id: str


@dataclass(frozen=True)
class RegisteredInvoice:
    """What registration establishes: the facts of the Facturae plus Ventanilla's own."""

    id: int
    key: InvoiceKey
    customer_nif: str
    issue_date: date
    signed_at: datetime | None
    currency: str
    total: Decimal
    payable: Decimal
    facturae_version: str
    registered_at: datetime
    centres: Centres
    treasury_key: str
    facturae: DocumentRef
    receipt: DocumentRef
    submitter_nif: str
    attachments: tuple[DocumentRef, ...] = ()
    channel: Channel | None = None  # the integrator platform it came through (registered mode)


@dataclass(frozen=True)
class HistoryEntry:
    """One step of an invoice's history."""

    state: State
    remarks: str
    source: str
    at: datetime
    message_id: str = ""


@dataclass(frozen=True)
class Invoice:
    """The current state of an invoice: a fold over its events."""

    registration: RegisteredInvoice
    processing_state: State = State.REGISTRADA
    state_remarks: str = ""
    cancellation: Cancellation | None = None
    history: tuple[HistoryEntry, ...] = field(default=())
    seen_messages: frozenset[str] = frozenset()
    refused_messages: frozenset[str] = frozenset()  # seen, ignored by the fold, and recorded as refused

    def applied(self, message_id: str) -> bool:
        """Whether a back-office message changed this invoice (it is in the history)."""
        return any(entry.message_id == message_id for entry in self.history)

    @property
    def id(self) -> int:
        """The registration id."""
        return self.registration.id

    @property
    def state(self) -> State:
        """The state shown to suppliers: ANULADA while a cancellation stands."""
        return shown_state(self.processing_state, self.cancellation.outcome if self.cancellation else None)

    def visible_to(self, nif: str) -> bool:
        """Whether the party with this NIF (a certificate's, or an integrator's) may see and cancel the invoice.

        The seller, the certificate that submitted it, and the integrator whose platform submitted it.
        """
        reg = self.registration
        return may_see(nif, reg.submitter_nif, reg.key.supplier_nif,
                       reg.channel.integrator_nif if reg.channel is not None else "")

    def matches(self, query: InvoiceTuple) -> bool:
        """Whether a tuple query designates this invoice (a full date must match exactly)."""
        reg = self.registration
        return reg.key.canonical() == query.key.canonical() and (
            query.issue_date is None or query.issue_date == reg.issue_date)


def shown_state(processing_state: State, cancellation: CancellationOutcome | None) -> State:
    """The state shown to suppliers: ANULADA while a cancellation stands (none rejected it)."""
    if cancellation is not None and cancellation is not CancellationOutcome.REJECTED:
        return State.ANULADA
    return processing_state


def may_see(nif: str, submitter_nif: str, supplier_nif: str, integrator_nif: str = "") -> bool:
    """Whether the caller with this NIF may see and cancel an invoice it submitted or issued, or whose submitting
    platform is its own (integrator_nif: the registration's channel, in the edge's registered mode)."""
    return same(nif, submitter_nif) or same(nif, supplier_nif) or (bool(integrator_nif) and same(nif, integrator_nif))


@dataclass(frozen=True)
class InvoiceStatus:
    """What a state query shows of an invoice, and who may see it, without its registration facts."""

    id: int
    supplier_nif: str
    submitter_nif: str
    processing_state: State
    state_remarks: str
    cancellation: CancellationOutcome | None = None
    integrator_nif: str = ""  # the integrator whose platform submitted it (registered mode), else ""

    @property
    def state(self) -> State:
        """The state shown to suppliers (as Invoice.state)."""
        return shown_state(self.processing_state, self.cancellation)

    def visible_to(self, nif: str) -> bool:
        """Whether the caller with this NIF may see it (as Invoice.visible_to)."""
        return may_see(nif, self.submitter_nif, self.supplier_nif, self.integrator_nif)
