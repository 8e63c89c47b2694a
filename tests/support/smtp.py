"""A real SMTP server (aiosmtpd) on loopback that keeps what arrived, parsed, for tests to read."""
from __future__ import annotations

import email
import email.policy
import threading
from contextlib import contextmanager
from email.message import EmailMessage
from typing import Iterator

from aiosmtpd.controller import Controller


class Inbox:
    """What the server received: (envelope recipients, parsed message), in arrival order.

    SMTP answers 250 only after handle_DATA returned, so a message is here once the sender's send() returned.
    """

    def __init__(self):
        self.received: list[tuple[tuple[str, ...], EmailMessage]] = []
        self._arrived = threading.Condition()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self._arrived:
            self.received.append((tuple(envelope.rcpt_tos), message))
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout_s: float = 15.0) -> list[tuple[tuple[str, ...], EmailMessage]]:
        """Block until at least `count` messages arrived (AssertionError after the deadline); all of them."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.received) >= count, timeout=timeout_s):
                raise AssertionError(f"{len(self.received)} messages arrived, {count} expected")
            return list(self.received)


@contextmanager
def smtp_server(port: int) -> Iterator[Inbox]:
    """Run the server on 127.0.0.1:port until the block ends."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()
