"""`ventanilla backoffice set-state|cancellation`: the reference client of the back-office contract."""
from __future__ import annotations

import argparse
import sys
import uuid

from ventanilla.config import Settings

STATES = ("REGISTRADA", "REGISTRADA_RCF", "CONTABILIZADA", "PAGADA", "RECHAZADA", "ANULADA")


def _invoice_id(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("the invoice id is a positive integer")
    return value


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("id", type=_invoice_id, help="the invoice id enviarFactura returned")
    parser.add_argument("--motivo", default="", help="observaciones / motivo (default: empty)")
    parser.add_argument("--source", default="ventanilla-cli", help="source_system (default ventanilla-cli)")
    parser.add_argument("--message-id", default="", help="message_id (default: a new UUID; repeat one to "
                                                         "send a duplicate)")


def register(subcommands: argparse._SubParsersAction) -> None:
    """Add `backoffice set-state` and `backoffice cancellation`."""
    backoffice = subcommands.add_parser("backoffice", help="produce back-office contract messages to Kafka")
    actions = backoffice.add_subparsers(dest="action", required=True, metavar="ACTION")
    set_state_ = actions.add_parser("set-state", help="a BackOfficeStateUpdate: move an invoice to ESTADO")
    _common(set_state_)
    set_state_.add_argument("estado", choices=STATES, metavar="ESTADO", help=" | ".join(STATES))
    set_state_.set_defaults(handler=set_state)
    verdict_ = actions.add_parser("cancellation", help="a CancellationVerdict: accept or reject the cancellation")
    _common(verdict_)
    verdict_.add_argument("verdict", choices=("accept", "reject"))
    verdict_.set_defaults(handler=cancellation)


def _produce(settings: Settings, message, invoice_id: int, message_id: str) -> int:
    from kafka.errors import KafkaError

    from ventanilla.adapters.event_log import invoice_partition_key
    from ventanilla.adapters.publisher import Publisher

    try:
        publisher = Publisher(settings.kafka_bootstrap_servers, "ventanilla-cli-backoffice")
        try:
            sent = publisher.publish(settings.backoffice_updates_topic, invoice_partition_key(invoice_id),
                                     message.SerializeToString())
        finally:
            publisher.close()
    except KafkaError as error:
        print(f"ventanilla backoffice: {error}", file=sys.stderr)
        return 1
    print(f"sent message {message_id} for invoice {invoice_id} to {sent.topic} "
          f"(partition {sent.partition}, offset {sent.offset})")
    return 0


def _head(invoice_id: int, message_id: str, source: str) -> dict:
    from ventanilla.adapters.clock import SystemClock
    from ventanilla.adapters.invoice_messages import timestamp

    return {"invoice_id": invoice_id, "message_id": message_id or str(uuid.uuid4()),
            "occurred_at": timestamp(SystemClock().now()), "source_system": source}


def state_update_message(invoice_id: int, estado: str, motivo: str = "", source: str = "ventanilla-cli",
                         message_id: str = ""):
    """A BackOfficeMessage moving an invoice to estado (a new message id unless one is given)."""
    from ventanilla.api.v1 import backoffice_pb2 as pb
    from ventanilla.api.v1 import invoice_pb2

    update = pb.BackOfficeStateUpdate(state=invoice_pb2.InvoiceState.Value(estado), observaciones=motivo,
                                      **_head(invoice_id, message_id, source))
    return pb.BackOfficeMessage(state_update=update)


def verdict_message(invoice_id: int, accept: bool, motivo: str = "", source: str = "ventanilla-cli",
                    message_id: str = ""):
    """A BackOfficeMessage accepting or rejecting an invoice's cancellation."""
    from ventanilla.api.v1 import backoffice_pb2 as pb

    verdict = pb.CancellationVerdict.ACCEPTED if accept else pb.CancellationVerdict.REJECTED
    message = pb.CancellationVerdict(verdict=verdict, motivo=motivo, **_head(invoice_id, message_id, source))
    return pb.BackOfficeMessage(cancellation_verdict=message)


def set_state(settings: Settings, args: argparse.Namespace) -> int:
    """Produce a state update."""
    message = state_update_message(args.id, args.estado, args.motivo, args.source, args.message_id)
    return _produce(settings, message, args.id, message.state_update.message_id)


def cancellation(settings: Settings, args: argparse.Namespace) -> int:
    """Produce a cancellation verdict."""
    message = verdict_message(args.id, args.verdict == "accept", args.motivo, args.source, args.message_id)
    return _produce(settings, message, args.id, message.cancellation_verdict.message_id)
