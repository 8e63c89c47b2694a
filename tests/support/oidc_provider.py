"""A real OpenID Connect provider for tests, from Authlib's server parts, served over HTTPS on loopback.

Discovery, JWKS, the authorization code flow with PKCE (S256, required), client_secret_basic, RS256-signed
ID tokens with the user's claims, userinfo. The person "signed in" at the provider is `provider.user`
(an IdP session stand-in: the authorization endpoint consents for them at once). `provider.audience`
makes it sign ID tokens for another audience (a mix-up the portal must refuse even when `azp` names it).
"""
from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import ClientMixin, InvalidRequestError, grants
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from flask import Flask, jsonify, request
from joserfc.jwk import RSAKey


@dataclass
class Client(ClientMixin):
    """One registered relying party (confidential: a secret, one redirect URI)."""

    client_id: str
    client_secret: str
    redirect_uri: str

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return self.redirect_uri

    def get_allowed_scope(self, scope):
        return " ".join(s for s in scope.split() if s in ("openid", "profile", "email"))

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri == self.redirect_uri

    def check_client_secret(self, client_secret):
        return secrets.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method, endpoint):
        return method == "client_secret_basic"

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type == "authorization_code"


@dataclass
class Code:
    """An issued authorization code and what it was issued for."""

    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: dict
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int = field(default_factory=lambda: int(time.time()))

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def get_nonce(self):
        return self.nonce

    def get_auth_time(self):
        return self.auth_time

    def get_acr(self):
        return None

    def get_amr(self):
        return None


@dataclass
class Token:
    """An access token for the userinfo endpoint."""

    user: dict
    scope: str
    client_id: str
    expires_at: float

    def check_client(self, client):
        return client.client_id == self.client_id

    def get_scope(self):
        return self.scope

    def get_expires_in(self):
        return int(self.expires_at - time.time())

    def is_expired(self):
        return time.time() >= self.expires_at

    def is_revoked(self):
        return False

    def get_user(self):
        return self.user


class S256Required(CodeChallenge):
    """PKCE is mandatory for every client, and only with S256."""

    def validate_code_challenge(self, grant, redirect_uri):
        if grant.request.payload.data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("PKCE with S256 is required")
        return super().validate_code_challenge(grant, redirect_uri)


class OidcProvider:
    """The provider's state and its Flask app (the issuer is its base URL, set once it listens)."""

    def __init__(self):
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key", "use": "sig", "alg": "RS256"})
        self.issuer = ""
        self.user: dict | None = None
        self.audience: str | None = None
        self.clients: dict[str, Client] = {}
        self.codes: dict[str, Code] = {}
        self.tokens: dict[str, Token] = {}
        self.token_requests: list[dict] = []
        self._lock = threading.Lock()
        self.app = self._build_app()

    def register(self, client_id: str, client_secret: str, redirect_uri: str) -> None:
        self.clients[client_id] = Client(client_id, client_secret, redirect_uri)

    def _build_app(self) -> Flask:
        provider, app = self, Flask("oidc-provider")
        server = AuthorizationServer(app, query_client=self.clients.get, save_token=self._save_token)
        server.register_grant(self._code_grant(), [S256Required(required=True), self._openid_code()])
        protect = ResourceProtector()
        protect.register_token_validator(self._token_validator())

        @app.get("/.well-known/openid-configuration")
        def discovery():
            base = provider.issuer
            return jsonify(issuer=base, authorization_endpoint=f"{base}/authorize", token_endpoint=f"{base}/token",
                           userinfo_endpoint=f"{base}/userinfo", jwks_uri=f"{base}/jwks",
                           response_types_supported=["code"], subject_types_supported=["public"],
                           id_token_signing_alg_values_supported=["RS256"], code_challenge_methods_supported=["S256"],
                           token_endpoint_auth_methods_supported=["client_secret_basic"],
                           scopes_supported=["openid", "profile", "email"])

        @app.get("/jwks")
        def jwks():
            return jsonify(keys=[provider.key.as_dict(private=False)])

        @app.get("/authorize")
        def authorize():
            if provider.user is None:
                return "nobody is signed in at the provider", 401
            try:
                grant = server.get_consent_grant(end_user=provider.user)
            except OAuth2Error as error:  # a bad request (no PKCE, unknown client...): said to the person
                return jsonify(error=error.error, error_description=error.description), 400
            return server.create_authorization_response(grant_user=provider.user, grant=grant)

        @app.post("/token")
        def token():
            provider.token_requests.append(request.form.to_dict())
            return server.create_token_response()

        @app.get("/userinfo")
        @protect("openid")
        def userinfo():
            from authlib.integrations.flask_oauth2 import current_token

            return jsonify(current_token.user)

        return app

    def _save_token(self, token: dict, req) -> None:
        self.tokens[token["access_token"]] = Token(req.user, token.get("scope", ""), req.client.client_id,
                                                   time.time() + token.get("expires_in", 3600))

    def _code_grant(self):
        provider = self

        class CodeGrant(grants.AuthorizationCodeGrant):
            TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic"]

            def save_authorization_code(self, code, req):
                data = req.payload.data
                provider.codes[code] = Code(code, req.client.client_id, req.payload.redirect_uri, req.payload.scope,
                                            req.user, data.get("nonce"), data.get("code_challenge"),
                                            data.get("code_challenge_method"))

            def query_authorization_code(self, code, client):
                found = provider.codes.get(code)
                return found if found and found.client_id == client.client_id else None

            def delete_authorization_code(self, authorization_code):
                provider.codes.pop(authorization_code.code, None)

            def authenticate_user(self, authorization_code):
                return authorization_code.user

        return CodeGrant

    def _openid_code(self):
        provider = self

        class IdToken(OpenIDCode):
            def exists_nonce(self, nonce, req):
                return any(c.nonce == nonce for c in provider.codes.values())

            def resolve_client_private_key(self, client):
                return provider.key

            def get_encode_header(self, client):
                return {"alg": "RS256", "kid": "test-key"}

            def get_client_claims(self, client):
                claims = {"iss": provider.issuer, "aud": [client.client_id], "exp": int(time.time()) + 300}
                if provider.audience:  # azp still names the client: only the audience check catches it
                    claims.update(aud=[provider.audience], azp=client.client_id)
                return claims

            def generate_user_info(self, user, scope):
                return UserInfo(**user)

        return IdToken(require_nonce=True)

    def _token_validator(self):
        provider = self

        class Validator(BearerTokenValidator):
            def authenticate_token(self, token_string):
                return provider.tokens.get(token_string)

        return Validator()
