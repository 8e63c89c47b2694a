"""Request ids: echo a sane X-Request-ID from the client, otherwise make one."""
from __future__ import annotations

import re
import uuid
from typing import Mapping

_SANE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@\-]{0,127}", re.ASCII)


def request_id(environ: Mapping) -> str:
    """The request's id: the client's X-Request-ID when sane, else a fresh UUID4 hex."""
    offered = environ.get("HTTP_X_REQUEST_ID", "")
    return offered if _SANE.fullmatch(offered) else uuid.uuid4().hex
