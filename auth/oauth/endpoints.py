"""RFC 7009 revocation and RFC 7662 introspection."""

from dataclasses import dataclass
from datetime import UTC, datetime

from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint

from auth import repository
from auth.oauth import bridge
from auth.oauth.clients import Client
from auth.oauth.grants import StoredRefresh
from auth.resource import authenticate
from auth.secrets import digest
from auth.tokens import InvalidToken, verify


@dataclass
class AccessHandle:
    """A presented access token that verified (signature, issuer, audience, time)."""

    claims: dict
    active: bool

    def check_client(self, client: Client) -> bool:
        return self.claims.get("client_id") == client.get_client_id()

    def get_scope(self) -> str:
        return str(self.claims.get("scope", ""))

    def is_expired(self) -> bool:
        return False  # verify() refused expired tokens already

    def is_revoked(self) -> bool:
        return not self.active


def find_token(token_string: str, hint: str | None) -> StoredRefresh | AccessHandle | None:
    request_tx = bridge.current()
    if hint != "access_token":
        row = request_tx.run(repository.refresh_by_digest, digest(token_string))
        if row is not None:
            return StoredRefresh(row)
    try:
        claims = request_tx.run(verify, token_string, issuer=request_tx.issuer, now=request_tx.now)
    except InvalidToken:
        return None
    try:
        # Active means the resource side would accept it now (revocations, generations).
        request_tx.run(authenticate, token_string, issuer=request_tx.issuer, now=request_tx.now)
        active = True
    except InvalidToken:
        active = False
    return AccessHandle(claims, active)


class Revocation(RevocationEndpoint):
    CLIENT_AUTH_METHODS = ["none", "client_secret_basic", "client_secret_post"]  # noqa: RUF012

    def query_token(self, token_string: str, token_type_hint: str | None):
        return find_token(token_string, token_type_hint)

    def revoke_token(self, token, request) -> None:
        request_tx = bridge.current()
        if isinstance(token, StoredRefresh):
            # Revoking a refresh token ends its whole rotation family.
            request_tx.run(repository.revoke_family, token.row.family_id, request_tx.now)
        else:
            expires = datetime.fromtimestamp(token.claims["exp"], UTC)
            request_tx.run(repository.revoke_jti, str(token.claims["jti"]), expires)


class Introspection(IntrospectionEndpoint):
    """For confidential clients, about tokens issued to themselves."""

    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]  # noqa: RUF012

    def query_token(self, token_string: str, token_type_hint: str | None):
        return find_token(token_string, token_type_hint)

    def check_permission(self, token, client: Client, request) -> bool:
        return token.check_client(client)

    def introspect_token(self, token) -> dict:
        if isinstance(token, StoredRefresh):
            return {
                "active": True,
                "token_type": "refresh_token",
                "client_id": token.row.client_id,
                "scope": token.row.scope,
                "exp": int(token.row.expires_at.timestamp()),
            }
        claims = token.claims
        return {
            "active": True,
            "token_type": "Bearer",
            **{k: claims[k] for k in ("iss", "sub", "aud", "exp", "iat", "jti", "client_id", "scope") if k in claims},
        }
