"""The three grants Accord allows (no implicit, no password grant) and PKCE S256-only."""

import uuid
from dataclasses import dataclass
from datetime import timedelta

from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import InvalidGrantError, InvalidRequestError
from authlib.oauth2.rfc7636 import CodeChallenge

from auth import repository
from auth.oauth import bridge
from auth.oauth.clients import Client
from auth.secrets import digest
from models import Account, AuthorizationCode, RefreshToken, User

CODE_LIFETIME = timedelta(minutes=5)
REFRESH_LIFETIME = timedelta(days=30)


@dataclass
class GrantUser:
    """The resource owner as authlib sees it."""

    user: User
    account: Account | None

    def get_user_id(self) -> str:
        return str(self.user.id)


@dataclass
class StoredCode:
    row: AuthorizationCode

    def get_redirect_uri(self) -> str:
        return self.row.redirect_uri

    def get_scope(self) -> str | None:
        # An authorization request without `scope` (stored as "") asks for the default: all
        # the principal holds. (A refresh token's empty scope, by contrast, stays empty.)
        return self.row.scope or None

    @property
    def code_challenge(self) -> str | None:
        return self.row.code_challenge

    @property
    def code_challenge_method(self) -> str | None:
        return self.row.code_challenge_method


@dataclass
class StoredRefresh:
    row: RefreshToken

    def get_scope(self) -> str:
        return self.row.scope

    def check_client(self, client: Client) -> bool:
        return self.row.client_id == client.get_client_id()

    def is_expired(self) -> bool:
        return self.row.expires_at <= bridge.current().now

    def is_revoked(self) -> bool:
        return self.row.revoked_at is not None


def load_grant_user(user_id: uuid.UUID) -> GrantUser | None:
    found = bridge.current().run(repository.user_with_account, user_id)
    if found is None or found[0].disabled:
        return None
    return GrantUser(*found)


class S256Required(CodeChallenge):
    """PKCE is mandatory and only S256 is accepted (RFC 9700 2.1.1): an authorization request
    without a challenge, or with `plain`, is refused before any code exists."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]  # noqa: RUF012 - authlib's API
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def __init__(self) -> None:
        super().__init__(required=True)

    def validate_code_challenge(self, grant, redirect_uri):
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send code_challenge", redirect_uri=redirect_uri)
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("code_challenge_method must be S256", redirect_uri=redirect_uri)
        return super().validate_code_challenge(grant, redirect_uri)


class CodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["none"]  # noqa: RUF012 - the console is a public client

    def save_authorization_code(self, code: str, request) -> None:
        request_tx = bridge.current()
        data = request.payload.data
        row = AuthorizationCode(
            code_digest=digest(code),
            client_id=request.client.get_client_id(),
            user_id=request.user.user.id,
            redirect_uri=request.payload.redirect_uri,
            scope=request.payload.scope or "",
            code_challenge=data.get("code_challenge"),
            code_challenge_method=data.get("code_challenge_method"),
            expires_at=request_tx.now + CODE_LIFETIME,
        )
        request_tx.run(repository.add, row)

    def query_authorization_code(self, code: str, client: Client) -> StoredCode | None:
        # Single use, consumed as it is looked up: a replayed (or concurrent) redemption finds
        # nothing, and a failed one (wrong verifier, wrong redirect URI) burns the code too.
        request_tx = bridge.current()
        row = request_tx.run(repository.consume_code, digest(code))
        if row is None or row.client_id != client.get_client_id() or row.expires_at <= request_tx.now:
            return None
        return StoredCode(row)

    def delete_authorization_code(self, authorization_code: StoredCode) -> None:
        return None  # consumed already by query_authorization_code

    def authenticate_user(self, authorization_code: StoredCode) -> GrantUser | None:
        return load_grant_user(authorization_code.row.user_id)


class RotatingRefreshGrant(grants.RefreshTokenGrant):
    """Every use returns a new refresh token and revokes the old one; presenting a revoked
    one again revokes its whole family (RFC 9700 4.14.2)."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["none"]  # noqa: RUF012
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> StoredRefresh | None:
        request_tx = bridge.current()
        row = request_tx.run(repository.refresh_by_digest, digest(refresh_token))
        if row is None:
            return None
        if row.revoked_at is not None:
            request_tx.run(repository.revoke_family, row.family_id, request_tx.now)
            return None
        if row.expires_at <= request_tx.now:
            return None
        return StoredRefresh(row)

    def authenticate_user(self, refresh_token: StoredRefresh) -> GrantUser | None:
        return load_grant_user(refresh_token.row.user_id)

    def revoke_old_credential(self, refresh_token: StoredRefresh) -> None:
        request_tx = bridge.current()
        if not request_tx.run(repository.revoke_refresh, refresh_token.row.id, request_tx.now):
            # Another request rotated it first: this one is a reuse. Revoke the family (the
            # 400 still commits) and send no tokens.
            request_tx.run(repository.revoke_family, refresh_token.row.family_id, request_tx.now)
            raise InvalidGrantError("the refresh token was already used")


class PartnerCredentialsGrant(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]  # noqa: RUF012


def store_refresh_token(token: dict, request) -> None:
    """Persist the refresh token of a token response (digest only), keeping its family."""
    value = token.get("refresh_token")
    if not value or request.user is None:
        return
    request_tx = bridge.current()
    previous = request.refresh_token
    row = RefreshToken(
        token_digest=digest(value),
        family_id=previous.row.family_id if isinstance(previous, StoredRefresh) else uuid.uuid4(),
        client_id=request.client.get_client_id(),
        user_id=request.user.user.id,
        scope=token.get("scope", ""),
        expires_at=request_tx.now + REFRESH_LIFETIME,
    )
    request_tx.run(repository.add, row)
