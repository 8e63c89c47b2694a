"""Sending plain-text email through an SMTP relay (STARTTLS and login when configured)."""
from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Sequence


@dataclass(frozen=True)
class SmtpRelay:
    """Where and how to hand mail over."""

    host: str
    port: int
    sender: str
    starttls: bool = False
    username: str = ""
    password: str = ""
    timeout_s: float = 10.0


class SmtpMailer:
    """One connection per message: the portal sends few, and a dead relay must not hold a worker long."""

    def __init__(self, relay: SmtpRelay):
        self._relay = relay

    def send(self, to: Sequence[str], subject: str, body: str) -> None:
        """Send one message to the addresses; raises OSError/SMTPException when the relay refuses or is down."""
        relay = self._relay
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = relay.sender, ", ".join(to), subject
        message["Date"], message["Message-ID"] = formatdate(localtime=False), make_msgid(domain="ventanilla")
        message.set_content(body)
        with smtplib.SMTP(relay.host, relay.port, timeout=relay.timeout_s) as smtp:
            if relay.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if relay.username:
                smtp.login(relay.username, relay.password)
            smtp.send_message(message)
