"""Who is logging in: one small interface, with electronic-certificate and OpenID Connect implementations."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable, Mapping, Protocol

from cryptography import x509
from cryptography.x509.oid import NameOID
from flask import Flask, Response, redirect, url_for

from ventanilla import certnif, tls
from ventanilla.domain.nif import valid_or_none

log = logging.getLogger("portal.auth")


@dataclass(frozen=True)
class Identity:
    """A logged-in person or entity: NIF, display name, how they proved it."""

    nif: str
    name: str
    method: str


class LoginRefused(Exception):
    """The login could not establish a NIF (message code for the person)."""


class Authenticator(Protocol):
    """A way to log in: `begin` answers the login request, `complete` the return (if it has one)."""

    method: str

    def begin(self) -> Response | Identity: ...

    def complete(self) -> Identity: ...


def _name_of(certificate: x509.Certificate) -> str:
    subject = certificate.subject
    for oid in (NameOID.ORGANIZATION_NAME, NameOID.COMMON_NAME):
        values = [a.value for a in subject.get_attributes_for_oid(oid) if isinstance(a.value, str)]
        if values:
            return values[0]
    return ""


class CertificateLogin:
    """The TLS client certificate verified in this connection's handshake (the SOAP edge's identity rules)."""

    method = "certificate"

    def __init__(self, peer: Callable[[Mapping], bytes | None] = tls.peer_certificate):
        self._peer = peer

    def begin(self) -> Identity:
        from flask import request

        der = self._peer(request.environ)
        if not der:
            raise LoginRefused("no_certificate")
        certificate = x509.load_der_x509_certificate(der)
        found = certnif.certificate_nif(certificate)
        if found is None:
            raise LoginRefused("certificate_without_nif")
        return Identity(found[0], _name_of(certificate) or found[0], self.method)

    def complete(self) -> Identity:
        return self.begin()


class OidcLogin:
    """OpenID Connect (authorization code flow with PKCE, Authlib): the NIF comes from a configured claim."""

    method = "oidc"

    def __init__(self, app: Flask, issuer: str, client_id: str, client_secret: str, nif_claim: str = "nif"):
        from authlib.integrations.flask_client import OAuth

        self._oauth = OAuth(app)
        self._client = self._oauth.register(
            "oidc", client_id=client_id, client_secret=client_secret,
            server_metadata_url=f"{issuer.rstrip('/')}/.well-known/openid-configuration",
            client_kwargs={"scope": "openid profile email", "code_challenge_method": "S256"})
        self._nif_claim = nif_claim
        # Authlib checks `aud` only when told to (without this, a token for another client that names this one
        # in `azp` would pass): the issuer we trust, and this client among the audience, both required.
        self._claims = {"iss": {"essential": True, "values": [issuer.rstrip("/")]},
                        "aud": {"essential": True, "values": [client_id]}}

    def begin(self) -> Response:
        return self._client.authorize_redirect(url_for("auth.oidc_return", _external=True))

    def complete(self) -> Identity:
        try:
            token = self._client.authorize_access_token(claims_options=self._claims)
        except Exception as error:  # noqa: BLE001 - any protocol failure is a refused login
            log.info("OIDC login refused", extra={"error": type(error).__name__})
            raise LoginRefused("oidc_failed") from None
        claims = token.get("userinfo") or self._client.userinfo(token=token)
        nif = valid_or_none(str(claims.get(self._nif_claim) or ""))
        if nif is None:
            raise LoginRefused("oidc_without_nif")
        name = claims.get("name") or " ".join(filter(None, (claims.get("given_name"), claims.get("family_name"))))
        return Identity(nif, name or nif, self.method)


def redirect_home() -> Response:
    """Where a completed login goes."""
    return redirect(url_for("auth.choose_profile"))
