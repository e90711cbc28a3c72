"""Account rules that exist so far: AUTH-4 revocation, ACC-8 sub-accounts, partner clients."""

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from models import Account, ClientKind, OAuthClient, User, UserKind
from models.vocabulary import CUSTOMER_SCOPES, Scope
from services.accounts import repository, validation
from services.batch import rows_by
from services.errors import InsufficientPermission, InvalidInput, InvalidState, NotFound
from services.staff import check_login

# CONTRACT.md vocabulary of sub-account and partner-client permissions (ACC-8).
PERMISSIONS = tuple(sorted(scope.value for scope in CUSTOMER_SCOPES))


async def account_in_scope(session: AsyncSession, *, account_id: uuid.UUID, scope: uuid.UUID | None) -> Account:
    """SEC-1: the account if the caller's scope covers it (None = staff), else NOT_FOUND."""
    if scope is not None and scope != account_id:
        raise NotFound("no such account", field=["accountId"])
    found = await repository.get_account(session, account_id)
    if found is None:
        raise NotFound("no such account", field=["accountId"])
    return found


async def revoke_all_tokens(session: AsyncSession, *, account: Account, now: datetime) -> Account:
    """AUTH-4 / ACC-6: every access token of the account (users and partner clients) fails on
    its next request, and every refresh token is revoked."""
    account.token_generation += 1
    user_ids = await repository.user_ids_of_account(session, account.id)
    await repository.revoke_refresh_tokens(session, user_ids=user_ids, at=now)
    await repository.delete_authorization_codes(session, user_ids=user_ids)
    await session.flush()
    return account


def check_permissions(requested: Iterable[str], *, grantable: Iterable[str], field: str) -> list[str]:
    wanted = sorted(set(requested))
    if unknown := [p for p in wanted if p not in PERMISSIONS]:
        raise InvalidInput(f"unknown permission {unknown[0]}", field=[field])
    if beyond := [p for p in wanted if p not in set(grantable)]:
        raise InsufficientPermission(f"cannot grant {beyond[0]}: it exceeds your own grants", field=[field])
    return wanted


async def create_sub_account(
    session: AsyncSession, *, account_id: uuid.UUID, login: str, password_hash: str, permissions: list[str]
) -> User:
    """ACC-8: the holder creates a sub-account with permissions from the fixed list."""
    login = check_login(login)
    granted = check_permissions(permissions, grantable=PERMISSIONS, field="permissions")
    if await repository.login_exists(session, login):
        raise InvalidState(f"the login {login} is taken", field=["login"])
    user = User(
        account_id=account_id, kind=UserKind.SUB_ACCOUNT, login=login, password_hash=password_hash, permissions=granted
    )
    await repository.add(session, user)
    return user


async def set_sub_account_permissions(
    session: AsyncSession, *, account_id: uuid.UUID, user_id: uuid.UUID, permissions: list[str]
) -> User:
    """ACC-8: a narrower grant takes effect on the next request (the bearer check intersects
    the token's scopes with the current grants)."""
    user = await repository.sub_account(session, account_id=account_id, user_id=user_id)
    if user is None:
        raise NotFound("no such sub-account", field=["id"])
    user.permissions = check_permissions(permissions, grantable=PERMISSIONS, field="permissions")
    await session.flush()
    return user


async def disable_sub_account(
    session: AsyncSession, *, account_id: uuid.UUID, user_id: uuid.UUID, now: datetime
) -> User:
    """ACC-8 / AUTH-4: disabling kills the sub-account's tokens on their next request."""
    user = await repository.sub_account(session, account_id=account_id, user_id=user_id)
    if user is None:
        raise NotFound("no such sub-account", field=["id"])
    if user.disabled:
        raise InvalidState("the sub-account is already disabled", field=["id"])
    user.disabled = True
    user.token_generation += 1
    await repository.revoke_refresh_tokens(session, user_ids=[user.id], at=now)
    await repository.delete_authorization_codes(session, user_ids=[user.id])
    await session.flush()
    return user


async def create_partner_client(
    session: AsyncSession,
    *,
    account_id: uuid.UUID,
    name: str,
    scopes: list[str],
    grantable: Iterable[str],
    client_id: str,
    secret_digest: str,
    created_by: str,
    created_by_user_id: uuid.UUID,
) -> OAuthClient:
    """A client_credentials client bound to the account, scopes within the creator's own."""
    name = validation.single_line(name, "name")
    granted = check_permissions(scopes, grantable=grantable, field="scopes")
    if not granted:
        raise InvalidInput("a partner client needs at least one scope", field=["scopes"])
    client = OAuthClient(
        client_id=client_id,
        name=name,
        kind=ClientKind.PARTNER,
        secret_digest=secret_digest,
        account_id=account_id,
        scopes=granted,
        created_by=created_by,
        created_by_user_id=created_by_user_id,
    )
    await repository.add(session, client)
    return client


# The vendor's internal clients: each kind holds exactly one vendor scope, never a customer's.
INTERNAL_CLIENT_SCOPES = {ClientKind.METERING: Scope.USAGE_WRITE, ClientKind.PAYMENTS: Scope.PAYMENTS_CONFIRM}


async def create_internal_client(
    session: AsyncSession, *, kind: ClientKind, client_id: str, name: str, secret_digest: str, created_by: str
) -> OAuthClient:
    """BIL-1: the vendor's usage pipeline (usage:write only); PRE-2: its payment gateway
    (payments:confirm only). Made by an operator at the command line, bound to no account."""
    client = OAuthClient(
        client_id=client_id,
        name=name,
        kind=kind,
        secret_digest=secret_digest,
        scopes=[INTERNAL_CLIENT_SCOPES[kind].value],
        created_by=created_by,
    )
    await repository.add(session, client)
    return client


async def partner_client(session: AsyncSession, *, account_id: uuid.UUID, key: uuid.UUID) -> OAuthClient:
    client = await repository.partner_client_in_scope(session, key, account_id=account_id)
    if client is None:
        raise NotFound("no such partner client", field=["id"])
    return client


async def disable_partner_client(session: AsyncSession, *, account_id: uuid.UUID, key: uuid.UUID) -> OAuthClient:
    """AUTH-4: the client's tokens fail on their next request and it gets no new ones."""
    client = await partner_client(session, account_id=account_id, key=key)
    if client.disabled:
        raise InvalidState("the client is disabled already", field=["id"])
    client.disabled = True
    client.token_generation += 1
    await session.flush()
    return client


async def rotate_partner_secret(
    session: AsyncSession, *, account_id: uuid.UUID, key: uuid.UUID, secret_digest: str
) -> OAuthClient:
    """ACC-6: a leaked client secret is replaced at once; tokens issued with the old one die."""
    client = await partner_client(session, account_id=account_id, key=key)
    if client.disabled:
        raise InvalidState("a disabled client's secret is not rotated", field=["id"])
    client.secret_digest = secret_digest
    client.token_generation += 1
    await session.flush()
    return client


async def partner_clients_of(session: AsyncSession, account_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[OAuthClient]]:
    return await rows_by(session, OAuthClient, OAuthClient.account_id, account_ids)
