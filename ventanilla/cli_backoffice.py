"""`ventanilla backoffice set-state|cancellation|history|documents`: the reference client of the back-office gateway."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ventanilla.config import Settings

STATES = ("REGISTRADA", "REGISTRADA_RCF", "CONTABILIZADA", "PAGADA", "RECHAZADA", "ANULADA")


def _invoice_id(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("the invoice id is a positive integer")
    return value


def _connection(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("id", type=_invoice_id, help="the invoice id enviarFactura returned")
    parser.add_argument("--gateway", default="", help="host:port of the gateway (default VENTANILLA_BACKOFFICE_GATEWAY_ADDRESS)")
    parser.add_argument("--cert", type=Path, help="the back office's client certificate, registered in the portal to "
                                                  "an approved RCF platform (default <state>/pki/backoffice.pem)")
    parser.add_argument("--key", type=Path, help="its private key (default <state>/pki/backoffice.key.pem)")
    parser.add_argument("--ca", type=Path, help="CA of the gateway's server certificate (default <state>/pki/ca.pem)")
    parser.add_argument("--server-name", default="", help="the name in the gateway's certificate, when --gateway "
                                                          "is an address it does not name")


def _message(parser: argparse.ArgumentParser) -> None:
    _connection(parser)
    parser.add_argument("--motivo", default="", help="observaciones / motivo (default: empty)")
    parser.add_argument("--message-id", default="", help="message_id (default: a new UUID; repeat one to "
                                                         "retry without a second effect)")


def register(subcommands: argparse._SubParsersAction) -> None:
    """Add `backoffice set-state`, `cancellation`, `history` and `documents`."""
    backoffice = subcommands.add_parser("backoffice", help="act as a back office through the back-office gateway")
    actions = backoffice.add_subparsers(dest="action", required=True, metavar="ACTION")
    set_state_ = actions.add_parser("set-state", help="move an invoice of your units to ESTADO")
    _message(set_state_)
    set_state_.add_argument("estado", choices=STATES, metavar="ESTADO", help=" | ".join(STATES))
    set_state_.set_defaults(handler=set_state)
    verdict_ = actions.add_parser("cancellation", help="accept or reject an invoice's pending cancellation")
    _message(verdict_)
    verdict_.add_argument("verdict", choices=("accept", "reject"))
    verdict_.set_defaults(handler=cancellation)
    history_ = actions.add_parser("history", help="an invoice's states, oldest first")
    _connection(history_)
    history_.set_defaults(handler=history)
    documents_ = actions.add_parser("documents", help="save an invoice's Facturae and attachments")
    _connection(documents_)
    documents_.add_argument("--out", type=Path, default=Path("."), help="directory to write them to (default .)")
    documents_.set_defaults(handler=documents)


def _client(settings: Settings, args: argparse.Namespace):
    from ventanilla.adapters.backoffice_client import GatewayClient
    from ventanilla.stack import dialable

    pki = settings.path("pki")
    return GatewayClient(args.gateway or dialable(settings.gateway.address), args.ca or pki / "ca.pem",
                         args.cert or pki / "backoffice.pem", args.key or pki / "backoffice.key.pem",
                         server_name=args.server_name)


def _call(settings: Settings, args: argparse.Namespace, action) -> int:
    import grpc

    try:
        client = _client(settings, args)
    except OSError as error:
        print(f"ventanilla backoffice: {error} (`ventanilla dev-pki backoffice` issues a dev certificate)",
              file=sys.stderr)
        return 2
    try:
        return action(client)
    except grpc.RpcError as error:
        print(f"ventanilla backoffice: {error.code().name}: {error.details()}", file=sys.stderr)
        return 1
    finally:
        client.close()


def _now():
    from ventanilla.adapters.clock import SystemClock

    return SystemClock().now()


def _accepted(answer) -> int:
    print(f"accepted message {answer.message_id} for invoice {answer.invoice_id} from platform {answer.source_system}")
    return 0


def set_state(settings: Settings, args: argparse.Namespace) -> int:
    """Send a state update through the gateway."""
    from ventanilla.adapters.backoffice_client import state_update

    request = state_update(args.id, args.estado, args.motivo, _now(), args.message_id)
    return _call(settings, args, lambda client: _accepted(client.update_state(request)))


def cancellation(settings: Settings, args: argparse.Namespace) -> int:
    """Send a cancellation verdict through the gateway."""
    from ventanilla.adapters.backoffice_client import verdict

    request = verdict(args.id, args.verdict == "accept", args.motivo, _now(), args.message_id)
    return _call(settings, args, lambda client: _accepted(client.decide_cancellation(request)))


def history(settings: Settings, args: argparse.Namespace) -> int:
    """Print an invoice's history."""
    from ventanilla.api.v1 import invoice_pb2

    def show(client) -> int:
        answer = client.history(args.id)
        print(f"invoice {answer.invoice_id}: {invoice_pb2.InvoiceState.Name(answer.state)} "
              f"(oficina contable {answer.centres.oficina_contable})")
        for entry in answer.entries:
            print(f"  {entry.at.ToDatetime().isoformat()}Z {invoice_pb2.InvoiceState.Name(entry.state)} "
                  f"{entry.source} {entry.observaciones}".rstrip())
        return 0

    return _call(settings, args, show)


def documents(settings: Settings, args: argparse.Namespace) -> int:
    """Write an invoice's documents under --out."""
    def save(client) -> int:
        answer = client.documents(args.id)
        args.out.mkdir(parents=True, exist_ok=True)
        for document in (answer.facturae, *answer.attachments):
            target = args.out / Path(document.ref.name or document.ref.sha256).name
            target.write_bytes(document.content)
            print(target)
        return 0

    return _call(settings, args, save)
