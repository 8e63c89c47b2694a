"""`ventanilla dir3 import FILE`: load the official DIR3 units the portal's staff attach to RCF platforms."""
from __future__ import annotations

import argparse
from pathlib import Path

from ventanilla.adapters.dir3_catalogue import Dir3Catalogue, read_units
from ventanilla.config import PortalSettings, Settings


def register(subcommands: argparse._SubParsersAction) -> None:
    """Add `dir3 import`."""
    root = subcommands.add_parser("dir3", help="the DIR3 directory of administrative units")
    actions = root.add_subparsers(dest="action", required=True, metavar="ACTION")
    import_ = actions.add_parser("import", help="import units from a CSV export (columns dir3/codigo, name/nombre)")
    import_.add_argument("file", type=Path)
    import_.set_defaults(handler=import_units)


def import_units(settings: Settings, args: argparse.Namespace) -> int:
    """Read the file, refuse malformed rows (reported), store the rest."""
    try:
        units, refused = read_units(args.file.read_bytes())
    except (OSError, ValueError, UnicodeDecodeError) as error:
        print(f"ventanilla dir3 import: {error}")
        return 2
    target = settings.portal.dir3
    total = Dir3Catalogue(target if PortalSettings.is_database_url(target) else Path(target)).replace_all(units)
    for line in refused:
        print(f"refused {line}")
    print(f"imported {len(units)} units ({len(refused)} rows refused); {total} in the catalogue")
    return 0
