"""`ventanilla healthcheck [SERVICE]`: probe one service of this container once (the image's HEALTHCHECK)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ventanilla.config import Settings
from ventanilla.stack import SERVICES


def register(subcommands: argparse._SubParsersAction) -> None:
    """Add `healthcheck`."""
    check = subcommands.add_parser("healthcheck", help="exit 0 when a service of this container is ready")
    check.add_argument("service", nargs="?", choices=[s.name for s in SERVICES],
                       help="default: the service PID 1 runs (`python -m MODULE`)")
    check.set_defaults(handler=healthcheck)


def running_module(cmdline: Path = Path("/proc/1/cmdline")) -> str | None:
    """The MODULE of `python -m MODULE` in a command line, None when there is none."""
    try:
        words = cmdline.read_bytes().split(b"\0")
    except OSError:
        return None
    return words[words.index(b"-m") + 1].decode() if b"-m" in words[:-1] else None


def healthcheck(settings: Settings, args: argparse.Namespace) -> int:
    """Probe the named service, or the one PID 1 runs; 0 when ready."""
    module = running_module()
    service = next((s for s in SERVICES if args.service == s.name or (not args.service and s.module == module)),
                   None)
    if service is None:
        print(f"ventanilla healthcheck: name a service ({', '.join(s.name for s in SERVICES)})", file=sys.stderr)
        return 2
    return 0 if service.probe(settings) else 1
