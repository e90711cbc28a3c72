"""SQL for the OAuth server and the bearer check. Async; the authlib grants reach it through
``auth.bridge`` from their worker thread."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from auth.keys import VERIFYING_JWK, verifying_cutoff
from auth.principal import Scope, user_grants
from models import (
    Account,
    AuthorizationCode,
    LoginFailure,
    Measure,
    MeasureKind,
    OAuthClient,
    RefreshToken,
    RevokedAccessToken,
    User,
)


async def user_by_login(session: AsyncSession, login: str) -> User | None:
    return (await session.execute(select(User).where(User.login == login))).scalar_one_or_none()


async def account(session: AsyncSession, account_id: uuid.UUID) -> Account | None:
    return await session.get(Account, account_id)


async def user_with_account(session: AsyncSession, user_id: uuid.UUID) -> tuple[User, Account | None] | None:
    row = (
        await session.execute(
            select(User, Account).join(Account, Account.id == User.account_id, isouter=True).where(User.id == user_id)
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def client_with_account(session: AsyncSession, client_id: str) -> tuple[OAuthClient, Account | None] | None:
    row = (
        await session.execute(
            select(OAuthClient, Account)
            .join(Account, Account.id == OAuthClient.account_id, isouter=True)
            .where(OAuthClient.client_id == client_id)
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def creator_grants(session: AsyncSession, client: OAuthClient) -> frozenset[str] | None:
    """What the user who made a partner client may grant now; None when that user is disabled
    (the client then stops). Clients without a recorded creator keep their own scopes."""
    if client.created_by_user_id is None:
        return frozenset(client.scopes)
    return grants_of_creator(client, await session.get(User, client.created_by_user_id))


def grants_of_creator(
    client: "OAuthClient | BearerClient", creator: "User | BearerUser | None"
) -> frozenset[str] | None:
    if client.created_by_user_id is None:
        return frozenset(client.scopes)
    if creator is None or creator.disabled:
        return None
    return frozenset(client.scopes) & user_grants(creator.kind, creator.permissions)


@dataclass(frozen=True, slots=True)
class BearerUser:
    """The columns of a user the bearer check reads (not an ORM entity: loading entities
    costs more Python than the rest of the check, and nothing here is written)."""

    id: uuid.UUID
    kind: str
    login: str
    staff_roles: list[str]
    permissions: list[str]
    disabled: bool
    token_generation: int


@dataclass(frozen=True, slots=True)
class BearerAccount:
    id: uuid.UUID
    standing: str
    token_generation: int


@dataclass(frozen=True, slots=True)
class BearerClient:
    client_id: str
    kind: str
    scopes: list[str]
    disabled: bool
    token_generation: int
    created_by_user_id: uuid.UUID | None


@dataclass(frozen=True, slots=True)
class BearerRows:
    """What the bearer check reads, in one statement: the signing key's JWK (None when the
    kid is unknown or retired), whether the jti is revoked, and the subject's rows."""

    jwk: str | None
    revoked: bool
    user: BearerUser | None = None
    client: BearerClient | None = None
    account: BearerAccount | None = None
    creator: BearerUser | None = None


_REVOKED = exists().where(RevokedAccessToken.jti == bindparam("jti"))
_CREATOR = aliased(User, name="creator")


def _columns(entity: Any, view: type) -> list[Any]:
    """The columns of ``entity`` that ``view`` has, in its field order."""
    return [getattr(entity, name) for name in view.__slots__]


def _view(view: type, values: Sequence[Any]) -> Any:
    """The view of an outer-joined row; None when the row is absent (its first column, a key
    that is never NULL, is NULL)."""
    return None if values[0] is None else view(*values)


_USER_COLUMNS = _columns(User, BearerUser)
_ACCOUNT_COLUMNS = _columns(Account, BearerAccount)
_CLIENT_COLUMNS = _columns(OAuthClient, BearerClient)
_CREATOR_COLUMNS = _columns(_CREATOR, BearerUser)
# Built once: the bearer check runs on every request, and building these costs more than
# running them. Columns, not entities (see BearerUser).
_BEARER_USER = (
    select(VERIFYING_JWK, _REVOKED, *_USER_COLUMNS, *_ACCOUNT_COLUMNS)
    .join_from(User, Account, Account.id == User.account_id, isouter=True)
    .where(User.id == bindparam("subject"))
)
_BEARER_CLIENT = (
    select(VERIFYING_JWK, _REVOKED, *_CLIENT_COLUMNS, *_ACCOUNT_COLUMNS, *_CREATOR_COLUMNS)
    .join_from(OAuthClient, Account, Account.id == OAuthClient.account_id, isouter=True)
    .join(_CREATOR, _CREATOR.id == OAuthClient.created_by_user_id, isouter=True)
    .where(OAuthClient.client_id == bindparam("subject"))
)


async def bearer_user(
    session: AsyncSession, *, user_id: uuid.UUID, jti: str, kid: str, now: datetime
) -> BearerRows | None:
    """None when there is no such user."""
    params = {"subject": user_id, "jti": jti, "kid": kid, "cutoff": verifying_cutoff(now)}
    row = (await session.execute(_BEARER_USER, params)).first()
    if row is None:
        return None
    users = 2 + len(_USER_COLUMNS)
    return BearerRows(
        jwk=row[0], revoked=bool(row[1]), user=BearerUser(*row[2:users]), account=_view(BearerAccount, row[users:])
    )


async def bearer_client(
    session: AsyncSession, *, client_id: str, jti: str, kid: str, now: datetime
) -> BearerRows | None:
    """None when there is no such client."""
    params = {"subject": client_id, "jti": jti, "kid": kid, "cutoff": verifying_cutoff(now)}
    row = (await session.execute(_BEARER_CLIENT, params)).first()
    if row is None:
        return None
    clients = 2 + len(_CLIENT_COLUMNS)
    accounts = clients + len(_ACCOUNT_COLUMNS)
    return BearerRows(
        jwk=row[0],
        revoked=bool(row[1]),
        client=BearerClient(*row[2:clients]),
        account=_view(BearerAccount, row[clients:accounts]),
        creator=_view(BearerUser, row[accounts:]),
    )


async def client(session: AsyncSession, client_id: str) -> OAuthClient | None:
    return (await session.execute(select(OAuthClient).where(OAuthClient.client_id == client_id))).scalar_one_or_none()


async def add(session: AsyncSession, row: object) -> None:
    session.add(row)
    await session.flush()


# Login lock-out -------------------------------------------------------------------------


async def lockout_counts(
    session: AsyncSession,
    *,
    login_key: str,
    address_key: str,
    pending_key: str,
    since: datetime,
    pending_since: datetime,
    before_id: uuid.UUID,
) -> tuple[int, int, int]:
    """(failures of the login, failures of the address, attempts pending before ``before_id``),
    read in one statement: one snapshot, so an attempt that settles in between (its pending row
    gone, its failure written) is counted exactly once, never zero times."""

    def count(*where: Any) -> Any:
        return select(func.count()).select_from(LoginFailure).where(*where).scalar_subquery()

    row = (
        await session.execute(
            select(
                count(LoginFailure.key == login_key, LoginFailure.at > since),
                count(LoginFailure.key == address_key, LoginFailure.at > since),
                count(LoginFailure.key == pending_key, LoginFailure.at > pending_since, LoginFailure.id < before_id),
            )
        )
    ).one()
    return int(row[0]), int(row[1]), int(row[2])


async def record_failures(
    session: AsyncSession, keys: Sequence[str], at: datetime, *, forget_before: datetime
) -> list[uuid.UUID]:
    """One failure per key (ids returned, in order), forgetting those older than the window."""
    await session.execute(delete(LoginFailure).where(LoginFailure.at <= forget_before))
    rows = [LoginFailure(key=key, at=at) for key in keys]
    session.add_all(rows)
    await session.flush()
    return [row.id for row in rows]


async def delete_failures(session: AsyncSession, ids: Sequence[uuid.UUID]) -> None:
    await session.execute(delete(LoginFailure).where(LoginFailure.id.in_(ids)))


async def clear_failures(session: AsyncSession, key: str) -> None:
    await session.execute(delete(LoginFailure).where(LoginFailure.key == key))


# Authorization codes ---------------------------------------------------------------------


async def consume_code(session: AsyncSession, code_digest: str) -> AuthorizationCode | None:
    """Delete and return the code in one statement: of two concurrent redemptions, one wins."""
    deleted = await session.execute(
        delete(AuthorizationCode)
        .where(AuthorizationCode.code_digest == code_digest)
        .returning(AuthorizationCode)
        .execution_options(synchronize_session=False)
    )
    return deleted.scalar_one_or_none()


# Refresh tokens --------------------------------------------------------------------------


async def refresh_by_digest(session: AsyncSession, token_digest: str) -> RefreshToken | None:
    return (
        await session.execute(select(RefreshToken).where(RefreshToken.token_digest == token_digest))
    ).scalar_one_or_none()


async def revoke_refresh(session: AsyncSession, token_id: uuid.UUID, at: datetime) -> bool:
    """Revoke one link; False when it was already revoked (a concurrent rotation won)."""
    done = await session.execute(
        update(RefreshToken).where(RefreshToken.id == token_id, RefreshToken.revoked_at.is_(None)).values(revoked_at=at)
    )
    return done.rowcount == 1


async def revoke_family(session: AsyncSession, family_id: uuid.UUID, at: datetime) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=at)
    )


# Revoked access tokens -------------------------------------------------------------------


async def revoke_jti(session: AsyncSession, jti: str, expires_at: datetime) -> None:
    if await jti_revoked(session, jti):
        return
    session.add(RevokedAccessToken(jti=jti, expires_at=expires_at))
    await session.flush()


async def jti_revoked(session: AsyncSession, jti: str) -> bool:
    found = await session.execute(select(RevokedAccessToken.id).where(RevokedAccessToken.jti == jti))
    return found.first() is not None


async def restricted_capabilities(session: AsyncSession, account_id: uuid.UUID) -> frozenset[Scope]:
    """ENF-4: the permissions RESTRICT measures in force take from the account's principals."""
    found = await session.execute(
        select(Measure.capabilities).where(
            Measure.account_id == account_id, Measure.kind == MeasureKind.RESTRICT, Measure.lifted_at.is_(None)
        )
    )
    return frozenset(Scope(c) for (capabilities,) in found for c in capabilities if c in Scope._value2member_map_)
