"""What the edge knows about a request: learnt once by the HTTP front, read by every layer after it."""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from ventanilla.domain.errors import DomainError, ErrorKey

from soap_edge.identity.caller import Caller, Unidentified


class Transfer(Enum):
    """How the request carried its binaries (and so how the answer carries its own)."""

    MTOM = "mtom"      # multipart/related with XOP parts
    INLINE = "inline"  # one text/xml envelope, binaries in base64


@dataclass(frozen=True)
class RequestFacts:
    """One request's facts; the front derives a new value (dataclasses.replace) as it learns more.

    caller: None where no operation asked for one (the WSDL, `version`, a request refused before its operation
    was known); Unidentified when the certificate names nobody (refused by the operation, after validation).
    """

    request_id: str
    method: str = ""
    path: str = ""
    transfer: Transfer | None = None
    body_bytes: int = 0
    operation: str | None = None
    caller: Caller | Unidentified | None = None

    def identified(self) -> Caller:
        """The caller, or the refusal of a request whose certificate names nobody."""
        if isinstance(self.caller, Caller):
            return self.caller
        raise DomainError(ErrorKey.CERTIFICADO_SIN_NIF)
