"""Per-client request limits on the public pages, with `limits` (Flask-Limiter's own engine) on those views only:
Flask-Limiter's before-request hook cost every page about 4% of its time, limited or not."""
from __future__ import annotations

from functools import wraps

from flask import abort, request
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter


class PerClientLimit:
    """At most `per_minute` requests a minute from one client address to each wrapped view; 429 beyond that."""

    def __init__(self, per_minute: int):
        self._limit = parse(f"{per_minute}/minute")
        self._windows = FixedWindowRateLimiter(MemoryStorage())

    def __call__(self, view):
        @wraps(view)
        def limited(*args, **kwargs):
            if not self._windows.hit(self._limit, request.endpoint or "", request.remote_addr or ""):
                abort(429)
            return view(*args, **kwargs)
        return limited
