"""The rows a batch of folded invoices writes to the projection, gathered per table and written with executemany."""
from __future__ import annotations

import sqlite3

from ventanilla.adapters.registration_facts import facts_to_pb
from ventanilla.domain.invoice import Invoice


class BatchRows:
    """Rows of one transaction: new invoices, state updates, history entries and messages, one statement each."""

    def __init__(self) -> None:
        self.inserted: list[tuple] = []
        self.updated: list[tuple] = []
        self.history: list[tuple] = []
        self.messages: list[tuple] = []
        self.refused: list[tuple] = []

    def add(self, invoice: Invoice, before: Invoice | None, facts: bytes | None) -> None:
        """The rows that take the store from `before` (None: absent) to `invoice`; facts: the registration's v2
        payload as the log holds it (None: encoded here)."""
        reg, cancellation = invoice.registration, invoice.cancellation
        state = (invoice.processing_state.value, invoice.state_remarks,
                 cancellation.reason if cancellation else None,
                 cancellation.requested_at.isoformat() if cancellation else None,
                 cancellation.outcome.value if cancellation else None)
        if before is None:
            key = reg.key.canonical()
            self.inserted.append((reg.id, key.supplier_nif, key.year, key.series, key.number,
                                  facts if facts is not None else facts_to_pb(reg).SerializeToString(), *state,
                                  reg.submitter_nif, reg.channel.integrator_nif if reg.channel is not None else ""))
        else:  # the registration never changes: only the state columns are written again
            self.updated.append((*state, reg.id))
        known = len(before.history) if before else 0
        self.history.extend((reg.id, seq, e.state.value, e.remarks, e.source, e.at.isoformat(), e.message_id)
                            for seq, e in enumerate(invoice.history[known:], known))
        seen_before = before.seen_messages if before else frozenset()
        refused_before = before.refused_messages if before else frozenset()
        self.messages.extend((reg.id, m, m in invoice.refused_messages)
                             for m in sorted(invoice.seen_messages - seen_before))
        self.refused.extend((reg.id, m) for m in sorted(invoice.refused_messages - refused_before))

    def write(self, db: sqlite3.Connection) -> None:
        """Write every gathered row (inside the caller's transaction)."""
        db.executemany("INSERT INTO invoices VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", self.inserted)
        db.executemany("UPDATE invoices SET processing_state=?, state_remarks=?, cancellation_reason=?,"
                       " cancellation_requested_at=?, cancellation_outcome=? WHERE id=?", self.updated)
        db.executemany("INSERT INTO history VALUES (?, ?, ?, ?, ?, ?, ?)", self.history)
        db.executemany("INSERT INTO messages VALUES (?, ?, ?)", self.messages)
        db.executemany("UPDATE messages SET refused=1 WHERE invoice_id=? AND message_id=?", self.refused)
