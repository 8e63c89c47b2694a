"""The request id of the work under way, in a context variable that gRPC metadata and Kafka headers carry."""
from __future__ import annotations

import re
import uuid
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator

METADATA_KEY = "x-request-id"  # gRPC metadata and Kafka header name
_SANE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@\-]{0,127}", re.ASCII)
_CURRENT: ContextVar[str | None] = ContextVar("ventanilla_request_id", default=None)


def accepted(offered: str | bytes | None) -> str | None:
    """The offered id when it is sane (letters, digits, ._:@-; at most 128), else None."""
    if isinstance(offered, bytes):
        offered = offered.decode("ascii", "replace")
    return offered if offered and _SANE.fullmatch(offered) else None


def new() -> str:
    """A fresh request id."""
    return uuid.uuid4().hex


def current() -> str | None:
    """The request id of the work under way in this context, if any."""
    return _CURRENT.get()


@contextmanager
def bound(request_id: str | None) -> Iterator[str | None]:
    """Make request_id current for the block (None clears it), restoring the previous one afterwards."""
    token = _CURRENT.set(request_id)
    try:
        yield request_id
    finally:
        _CURRENT.reset(token)
