"""OAuth 2.0 state (AUTH-1 to AUTH-4): clients, codes, refresh tokens, signing keys.

Secrets, codes and refresh tokens are stored as SHA-256 digests only: they are 256-bit random
values, so a fast hash is enough and a database leak does not hand out working credentials.
"""

import uuid
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field

from models.base import Base, timestamp_field


class ClientKind(StrEnum):
    FIRST_PARTY = "FIRST_PARTY"  # the public `console` client (PKCE, no secret)
    PARTNER = "PARTNER"  # client_credentials, bound to one account
    METERING = "METERING"  # the vendor's usage pipeline (usage:write)
    PAYMENTS = "PAYMENTS"  # the vendor's payment gateway (payments:confirm, PRE-2)


class OAuthClient(Base, table=True):
    __tablename__ = "oauth_clients"

    client_id: str = Field(sa_type=sa.String(64), unique=True, nullable=False)
    name: str = Field(sa_type=sa.String(200), nullable=False)
    kind: ClientKind = Field(sa_type=sa.String(16), nullable=False)
    secret_digest: str | None = Field(default=None, sa_type=sa.String(64), nullable=True)
    account_id: uuid.UUID | None = Field(default=None, foreign_key="accounts.id", index=True, nullable=True)
    scopes: list[str] = Field(default_factory=list, sa_type=sa.JSON(), nullable=False)
    redirect_uris: list[str] = Field(default_factory=list, sa_type=sa.JSON(), nullable=False)
    disabled: bool = Field(default=False, nullable=False)
    # AUTH-4: bumped to kill every token of this client at once (checked on every request).
    token_generation: int = Field(default=0, nullable=False, sa_column_kwargs={"server_default": "0"})
    created_by: str = Field(sa_type=sa.String(200), nullable=False)
    # A partner client never outlives or outgrows the user who made it: its scopes are cut to
    # that user's current grants, and it stops when that user is disabled (ACC-8).
    created_by_user_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", nullable=True)


class AuthorizationCode(Base, table=True):
    __tablename__ = "oauth_authorization_codes"

    code_digest: str = Field(sa_type=sa.String(64), unique=True, nullable=False)
    client_id: str = Field(sa_type=sa.String(64), nullable=False)
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True, nullable=False)
    redirect_uri: str = Field(sa_type=sa.String(2000), nullable=False)
    scope: str = Field(sa_type=sa.String(1000), nullable=False)
    code_challenge: str | None = Field(default=None, sa_type=sa.String(128), nullable=True)
    code_challenge_method: str | None = Field(default=None, sa_type=sa.String(8), nullable=True)
    expires_at: datetime = timestamp_field(nullable=False)


class RefreshToken(Base, table=True):
    """One link of a rotation family: using it revokes it and issues the next link; using a
    revoked link again means it leaked, and revokes the whole family (RFC 9700 4.14.2)."""

    __tablename__ = "oauth_refresh_tokens"

    token_digest: str = Field(sa_type=sa.String(64), unique=True, nullable=False)
    family_id: uuid.UUID = Field(index=True, nullable=False)
    client_id: str = Field(sa_type=sa.String(64), nullable=False)
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True, nullable=False)
    scope: str = Field(sa_type=sa.String(1000), nullable=False)
    expires_at: datetime = timestamp_field(nullable=False)
    revoked_at: datetime | None = timestamp_field(default=None, nullable=True)


class SigningKey(Base, table=True):
    """Access-token signing keys. The newest unretired key signs; JWKS lists it and keys
    retired less than a token lifetime ago, so tokens they signed still verify."""

    __tablename__ = "oauth_signing_keys"

    kid: str = Field(sa_type=sa.String(64), unique=True, nullable=False)
    algorithm: str = Field(sa_type=sa.String(16), nullable=False)
    private_jwk: str = Field(sa_type=sa.Text(), nullable=False)
    public_jwk: str = Field(sa_type=sa.Text(), nullable=False)
    retired_at: datetime | None = timestamp_field(default=None, nullable=True)
    # True when the server made it by itself on first start (development); production
    # refuses to start with such a key (`accord keys rotate` makes a deliberate one).
    generated: bool = Field(default=False, nullable=False)


class RevokedAccessToken(Base, table=True):
    """RFC 7009 revocation of one access token, by its `jti`, until it would expire anyway."""

    __tablename__ = "oauth_revoked_access_tokens"

    jti: str = Field(sa_type=sa.String(64), unique=True, nullable=False)
    expires_at: datetime = timestamp_field(nullable=False, index=True)


class LoginFailure(Base, table=True):
    """Failed logins, by login and by client address, for the lock-out (shared by processes)."""

    __tablename__ = "login_failures"
    __table_args__ = (sa.Index("ix_login_failures_key_at", "key", "at"),)

    key: str = Field(sa_type=sa.String(200), nullable=False)
    at: datetime = timestamp_field(nullable=False)
