"""RFC 9068 access tokens: JWTs with ``typ: at+jwt``, signed ES256 with the database key.

Besides the RFC 9068 claims, a token carries the generations (AUTH-4) of its user, account
and client at issue time; the resource side compares them with the database on every request,
so revoking, disabling or freezing takes effect at once whatever the expiry.
"""

import functools
import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jws import extract_compact
from sqlalchemy.ext.asyncio import AsyncSession

from auth import keys

CLOCK_SKEW_SECONDS = 30
# Parsed tokens and verified signatures kept per process (bounded): a console sends the same
# token for up to 15 minutes, and the ES256 verification costs more than the rest of the
# bearer check's Python.
VERIFIED_TOKENS = 4096


class InvalidToken(Exception):
    """The bearer token is not acceptable; the reason is logged, the client sees 401."""


def audience(issuer: str) -> str:
    """The resource indicator of the GraphQL API, checked by the resource side."""
    return issuer.rstrip("/") + "/graphql"


@dataclass(frozen=True, slots=True)
class TokenSubject:
    sub: str
    kind: str
    client_id: str
    scope: str
    account_id: uuid.UUID | None = None
    user_generation: int | None = None
    account_generation: int | None = None
    client_generation: int | None = None


async def mint(session: AsyncSession, *, issuer: str, now: datetime, subject: TokenSubject) -> tuple[str, int]:
    """(JWT, lifetime in seconds)."""
    key = await keys.current_key(session, now=now)
    issued = int(now.timestamp())
    lifetime = int(keys.ACCESS_TOKEN_LIFETIME.total_seconds())
    claims = {
        "iss": issuer,
        "sub": subject.sub,
        "aud": audience(issuer),
        "iat": issued,
        "nbf": issued,
        "exp": issued + lifetime,
        "jti": uuid.uuid4().hex,
        "client_id": subject.client_id,
        "scope": subject.scope,
        "kind": subject.kind,
    }
    if subject.account_id is not None:
        claims["acct"] = str(subject.account_id)
    for name, value in (
        ("ugen", subject.user_generation),
        ("agen", subject.account_generation),
        ("cgen", subject.client_generation),
    ):
        if value is not None:
            claims[name] = value
    header = {"alg": keys.ALGORITHM, "kid": key.kid, "typ": "at+jwt"}
    return jwt.encode(header, claims, key.key, algorithms=[keys.ALGORITHM]), lifetime


@functools.lru_cache(maxsize=VERIFIED_TOKENS)
def unverified(token: str) -> tuple[dict, dict]:
    """(header, claims) of a compact JWT before its signature is checked: only to know which
    key and rows to read. Nothing in them is believed until ``check`` verified the signature.
    Parsed once per token (bounded; a malformed one raises and is not kept); callers never
    modify what they get."""
    try:
        compact = extract_compact(token.encode())
        header = compact.headers()
        claims = json.loads(compact.payload)
    except (JoseError, ValueError, UnicodeError) as error:
        raise InvalidToken(f"malformed token: {error}") from None
    if header.get("typ") != "at+jwt" or header.get("alg") != keys.ALGORITHM:
        raise InvalidToken("not an RFC 9068 access token")
    if not isinstance(claims, dict):
        raise InvalidToken("malformed token: claims are not an object")
    return header, claims


async def verify(session: AsyncSession, token: str, *, issuer: str, now: datetime) -> dict:
    """The claims of a valid token, else InvalidToken. Signature, typ, jti, iss, aud, time.
    ``now`` is security time: the real clock, never the simulated one (T-5)."""
    header, _ = unverified(token)
    jwk = await keys.verifying_jwk(session, str(header.get("kid", "")), now=now)
    return check(token, jwk, issuer=issuer, now=now)


def check(token: str, jwk: str | None, *, issuer: str, now: datetime) -> dict:
    """The claims of ``token`` once its signature verifies with ``jwk`` (the public JWK of its
    ``kid``, None when there is none or it no longer verifies) and its claims hold at ``now``;
    else InvalidToken. Only the signature is remembered (per token and JWK): the caller read
    from the database just now that the key still verifies, and the claims (expiry included)
    are checked on every call."""
    if jwk is None:
        raise InvalidToken("unknown or retired signing key")
    claims = _verified(token, jwk)
    # Revocation (RFC 7009) is by jti: a token without one could never be revoked alone.
    if not isinstance(claims.get("jti"), str) or not claims["jti"]:
        raise InvalidToken("no jti")
    if claims.get("iss") != issuer:
        raise InvalidToken("wrong issuer")
    aud = claims.get("aud")
    if audience(issuer) not in (aud if isinstance(aud, list) else [aud]):
        raise InvalidToken("wrong audience")
    stamp = now.timestamp()
    if not isinstance(claims.get("exp"), int) or claims["exp"] <= stamp:
        raise InvalidToken("expired")
    if not isinstance(claims.get("iat"), int) or claims["iat"] > stamp + CLOCK_SKEW_SECONDS:
        raise InvalidToken("issued in the future")
    if isinstance(claims.get("nbf"), int) and claims["nbf"] > stamp + CLOCK_SKEW_SECONDS:
        raise InvalidToken("not yet valid")
    return claims


def _verified(token: str, jwk: str) -> dict:
    try:
        return _signature_holds(token, jwk)
    except (JoseError, ValueError) as error:
        raise InvalidToken(f"bad signature: {error}") from None


@functools.lru_cache(maxsize=VERIFIED_TOKENS)
def _signature_holds(token: str, jwk: str) -> dict:
    """The claims of a token whose signature verifies with ``jwk``; raises (and so remembers
    nothing) when it does not. Callers never modify the claims."""
    return jwt.decode(token, keys.public_key(jwk), algorithms=[keys.ALGORITHM]).claims
