"""The resource side: a bearer token to a Principal, re-checked against the database on every
request (AUTH-4), so nothing here trusts one process's memory."""

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from auth import repository
from auth.principal import (
    HOLDER_SCOPES,
    Holder,
    MeteringClient,
    PartnerClient,
    PaymentsClient,
    Principal,
    Scope,
    Staff,
    StaffRole,
    SubAccountUser,
    user_grants,
)
from auth.tokens import InvalidToken, check, unverified
from models import ClientKind, PrincipalKind, Standing, UserKind


def bearer(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer …`` header; None when there is no header."""
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip() or " " in token.strip():
        raise InvalidToken("the Authorization header is not `Bearer <token>`")
    return token.strip()


def _scopes(claim: object) -> frozenset[Scope]:
    values = claim.split() if isinstance(claim, str) else []
    return frozenset(Scope(v) for v in values if v in Scope._value2member_map_)


_CLIENT_KINDS = (PrincipalKind.PARTNER_CLIENT, PrincipalKind.METERING_CLIENT, PrincipalKind.PAYMENTS_CLIENT)


async def authenticate(session: AsyncSession, token: str, *, issuer: str, now: datetime) -> Principal:
    """One statement reads what the check needs: the signing key of the token's ``kid``
    (while it still verifies), whether its ``jti`` was revoked, and its subject's rows with
    their generations and disabled flags. Nothing is cached but what a token's bytes fix (its
    parse, and that its signature verifies with a given key: auth/tokens.py), so a revocation,
    a retired key or an expiry bites on the very next request, in every process (AUTH-4).
    The unverified claims only choose the rows; the signature is checked before any is used."""
    header, unchecked = unverified(token)
    kid, jti = str(header.get("kid", "")), str(unchecked.get("jti"))
    if unchecked.get("kind") in _CLIENT_KINDS:
        rows = await repository.bearer_client(session, client_id=str(unchecked.get("sub")), jti=jti, kid=kid, now=now)
    else:
        try:
            user_id = uuid.UUID(str(unchecked.get("sub")))
        except ValueError:
            raise InvalidToken("bad subject") from None
        rows = await repository.bearer_user(session, user_id=user_id, jti=jti, kid=kid, now=now)
    if rows is None:
        raise InvalidToken("unknown subject")
    claims = check(token, rows.jwk, issuer=issuer, now=now)
    if claims != unchecked:
        raise InvalidToken("claims changed under the signature")  # cannot happen: same bytes
    if rows.revoked:
        raise InvalidToken("revoked")
    if rows.client is not None:
        return await _client_principal(session, claims, rows)
    return await _user_principal(session, claims, rows)


async def _user_principal(session: AsyncSession, claims: dict, rows: repository.BearerRows) -> Principal:
    user, account = rows.user, rows.account
    assert user is not None
    if user.disabled or claims.get("ugen") != user.token_generation:
        raise InvalidToken("user disabled or its tokens revoked")
    if account is not None and claims.get("agen") != account.token_generation:
        raise InvalidToken("the account's tokens were revoked")
    granted = _scopes(claims.get("scope"))
    frozen = account is not None and account.standing == Standing.FROZEN
    terminated = account is not None and account.standing == Standing.TERMINATED
    restricted = await _restricted(session, account)
    if user.kind == UserKind.STAFF:
        return Staff(user_id=user.id, login=user.login, roles=frozenset(StaffRole(r) for r in user.staff_roles))
    assert account is not None
    if user.kind == UserKind.HOLDER:
        return Holder(
            user_id=user.id,
            account_id=account.id,
            login=user.login,
            scopes=granted,
            frozen=frozen,
            terminated=terminated,
            restricted=restricted,
        )
    # A sub-account never exceeds its grants as they are now (ACC-8), whatever the token says.
    current = user_grants(user.kind, user.permissions)
    return SubAccountUser(
        user_id=user.id,
        account_id=account.id,
        login=user.login,
        scopes=granted & current,
        frozen=frozen,
        terminated=terminated,
        restricted=restricted,
    )


async def _client_principal(session: AsyncSession, claims: dict, rows: repository.BearerRows) -> Principal:
    client, account = rows.client, rows.account
    assert client is not None
    if client.disabled or claims.get("cgen") != client.token_generation:
        raise InvalidToken("client disabled or its tokens revoked")
    if client.kind == ClientKind.METERING:
        return MeteringClient(client_id=client.client_id)
    if client.kind == ClientKind.PAYMENTS:
        return PaymentsClient(client_id=client.client_id)
    if account is None:
        raise InvalidToken("a partner client without its account")
    if claims.get("agen") != account.token_generation:
        raise InvalidToken("the account's tokens were revoked")
    allowed = repository.grants_of_creator(client, rows.creator)
    if allowed is None:
        raise InvalidToken("the user who made this client is disabled")
    scopes = _scopes(claims.get("scope")) & _scopes(" ".join(allowed)) & HOLDER_SCOPES  # never a vendor scope
    return PartnerClient(
        client_id=client.client_id,
        account_id=account.id,
        scopes=scopes,
        frozen=account.standing == Standing.FROZEN,
        terminated=account.standing == Standing.TERMINATED,
        restricted=await _restricted(session, account),
    )


async def _restricted(session: AsyncSession, account) -> frozenset[Scope]:
    """ENF-4 RESTRICT: read only for an account whose standing says a measure may restrict it, so
    the bearer check stays one statement for every other account. The standing shows the worst
    measure: a whole-account SUSPEND over a RESTRICT shows SUSPENDED, and the restriction holds."""
    if account is None or account.standing not in (Standing.RESTRICTED, Standing.SUSPENDED):
        return frozenset()
    return await repository.restricted_capabilities(session, account.id)
