"""`ventanilla dev-pki init|client`: the local development PKI."""
from __future__ import annotations

import argparse
from pathlib import Path

from ventanilla import devpki
from ventanilla.config import Settings


def register(subcommands: argparse._SubParsersAction) -> None:
    """Add `dev-pki init` and `dev-pki client`."""
    root = subcommands.add_parser("dev-pki", help="a local CA and certificates for development (never production)")
    actions = root.add_subparsers(dest="action", required=True, metavar="ACTION")
    init_ = actions.add_parser("init", help="create the CA, the edge's server certificate, the seal and the probe")
    init_.add_argument("--force", action="store_true", help="replace existing files")
    init_.set_defaults(handler=init)
    client_ = actions.add_parser("client", help="issue a TLS client certificate for a NIF")
    client_.add_argument("--nif", required=True, help="the holder's NIF (a CIF gives an entity certificate)")
    client_.add_argument("--entity-nif", default="", help="a representative certificate of this entity")
    client_.add_argument("--out", required=True, type=Path, help="directory for client.pem, client.key.pem, ca.pem")
    client_.set_defaults(handler=client)
    staff_ = actions.add_parser("staff", help="issue the portal's development staff certificate")
    staff_.add_argument("--out", required=True, type=Path, help="directory for client.pem, client.key.pem, ca.pem")
    staff_.set_defaults(handler=staff)


def init(settings: Settings, args: argparse.Namespace) -> int:
    """Create the dev PKI under <state>/pki."""
    for path in devpki.init(settings, force=args.force):
        print(path)
    return 0


def client(settings: Settings, args: argparse.Namespace) -> int:
    """Issue a client certificate signed by the dev CA."""
    try:
        cert, key = devpki.client(settings, args.nif, args.out, args.entity_nif)
    except ValueError as error:
        print(f"ventanilla dev-pki client: {error}")
        return 2
    print(f"{cert}\n{key}\n{args.out / 'ca.pem'}")
    return 0


def staff(settings: Settings, args: argparse.Namespace) -> int:
    """Issue the development staff certificate (the NIF `run` makes staff of the portal)."""
    cert, key = devpki.staff(settings, args.out)
    print(f"{cert}\n{key}\n{args.out / 'ca.pem'}\nstaff NIF {devpki.STAFF_NIF}")
    return 0
