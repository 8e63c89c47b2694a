"""The `ventanilla` command: a thin dispatcher over the subcommand modules listed in COMMANDS."""
from __future__ import annotations

import argparse
import importlib
import sys
from typing import Sequence

from ventanilla.config import Settings
from ventanilla.logs import configure_logging

# Each module defines register(subparsers), which adds its subcommands with set_defaults(handler=...);
# a handler takes (settings, args) and returns the exit status. A new subcommand is one line here.
COMMANDS = (
    "ventanilla.cli_kafka",  # kafka start|stop
    "ventanilla.cli_stack",  # run, up, down
    "ventanilla.cli_pki",    # dev-pki init|client|staff
    "ventanilla.cli_backoffice",  # backoffice set-state|cancellation
    "ventanilla.cli_projections",  # projections rebuild
    "ventanilla.cli_health",  # healthcheck (the image's HEALTHCHECK)
    "ventanilla.cli_log",  # log export|import (backups of the legal log)
    "ventanilla.cli_dir3",   # dir3 import
)


def parser() -> argparse.ArgumentParser:
    """The argument parser with every registered subcommand."""
    root = argparse.ArgumentParser(prog="ventanilla", description="Ventanilla e-invoice entry point: local operations.")
    subcommands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(name).register(subcommands)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, read settings from the environment, run the subcommand."""
    args = parser().parse_args(argv)
    settings = Settings.from_env()
    configure_logging("ventanilla", settings.log_level)
    return args.handler(settings, args)


if __name__ == "__main__":
    sys.exit(main())
