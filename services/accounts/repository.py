"""SQL for accounts and the users and clients under them. Reads take the caller's scope."""

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    Account,
    AuditRecord,
    AuthorizationCode,
    ClientKind,
    Notice,
    OAuthClient,
    RefreshToken,
    User,
    UserKind,
)
from services.pagination import Page, keyset_page
from services.scoped import one_in_scope


async def get_account(session: AsyncSession, account_id: uuid.UUID) -> Account | None:
    return await session.get(Account, account_id)


async def page_accounts(
    session: AsyncSession, *, first: int, after: uuid.UUID | None, search: str | None
) -> Page[Account]:
    """Staff's account list; ``search`` matches name, contact person, email or a login."""
    query = select(Account)
    if search and search.strip():
        term = search.strip().lower()
        logins = select(User.account_id).where(func.lower(User.login).contains(term, autoescape=True))
        query = query.where(
            or_(
                func.lower(Account.name).contains(term, autoescape=True),
                func.lower(Account.contact_person).contains(term, autoescape=True),
                func.lower(Account.email).contains(term, autoescape=True),
                Account.id.in_(logins),
            )
        )
    return await keyset_page(session, query, Account.id, first=first, after=after)


async def sub_account(session: AsyncSession, *, account_id: uuid.UUID, user_id: uuid.UUID) -> User | None:
    """A sub-account of this account only: another account's user is simply not found."""
    return (
        await session.execute(
            select(User).where(User.id == user_id, User.account_id == account_id, User.kind == UserKind.SUB_ACCOUNT)
        )
    ).scalar_one_or_none()


async def sub_account_in_scope(session: AsyncSession, key: uuid.UUID, *, account_id: uuid.UUID | None) -> User | None:
    """A read: the sub-account if it is the account's (None means staff, every account)."""
    return await one_in_scope(session, User, key, account_id=account_id, where=[User.kind == UserKind.SUB_ACCOUNT])


async def partner_client_in_scope(
    session: AsyncSession, key: uuid.UUID, *, account_id: uuid.UUID | None
) -> OAuthClient | None:
    """A read: the partner client if it is the account's (None means staff, every account)."""
    return await one_in_scope(
        session, OAuthClient, key, account_id=account_id, where=[OAuthClient.kind == ClientKind.PARTNER]
    )


async def page_sub_accounts(
    session: AsyncSession, *, account_id: uuid.UUID, first: int, after: uuid.UUID | None
) -> Page[User]:
    query = select(User).where(User.account_id == account_id, User.kind == UserKind.SUB_ACCOUNT)
    return await keyset_page(session, query, User.id, first=first, after=after)


async def page_audit(
    session: AsyncSession, *, account_id: uuid.UUID, first: int, after: uuid.UUID | None
) -> Page[AuditRecord]:
    query = select(AuditRecord).where(AuditRecord.account_id == account_id)
    return await keyset_page(session, query, AuditRecord.id, first=first, after=after)


async def audit_record_in_scope(
    session: AsyncSession, key: uuid.UUID, *, account_id: uuid.UUID | None
) -> AuditRecord | None:
    """A read: one record of the account's audit log (None means staff, every account)."""
    return await one_in_scope(session, AuditRecord, key, account_id=account_id)


async def login_exists(session: AsyncSession, login: str) -> bool:
    return (await session.execute(select(User.id).where(User.login == login))).first() is not None


async def account_of_login(session: AsyncSession, login: str) -> Account | None:
    """The account a login belongs to (None for staff and for logins nobody has)."""
    query = select(Account).join(User, User.account_id == Account.id).where(User.login == login)
    return (await session.execute(query)).scalar_one_or_none()


async def email_waiting(session: AsyncSession, *, account_id: uuid.UUID, subject: str) -> bool:
    """Whether an email with this subject to this account is still in the outbox."""
    query = select(Notice.id).where(
        Notice.account_id == account_id,
        Notice.subject == subject,
        Notice.email_to.is_not(None),
        Notice.delivered_at.is_(None),
    )
    return (await session.execute(query.limit(1))).first() is not None


async def revoke_refresh_tokens(session: AsyncSession, *, user_ids: Sequence[uuid.UUID], at: datetime) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id.in_(user_ids), RefreshToken.revoked_at.is_(None))
        .values(revoked_at=at)
    )


async def delete_authorization_codes(session: AsyncSession, *, user_ids: Sequence[uuid.UUID]) -> None:
    """Codes issued before a revocation must not be redeemable after it (AUTH-4)."""
    await session.execute(delete(AuthorizationCode).where(AuthorizationCode.user_id.in_(user_ids)))


async def user_ids_of_account(session: AsyncSession, account_id: uuid.UUID) -> list[uuid.UUID]:
    return list((await session.execute(select(User.id).where(User.account_id == account_id))).scalars())


async def add(session: AsyncSession, row: object) -> None:
    session.add(row)
    await session.flush()


async def owning_account(session: AsyncSession, model: type, key: uuid.UUID | None) -> uuid.UUID | None:
    """The account a row belongs to (None when there is no such row), so that even a refused
    mutation on it lands in that account's audit log."""
    if key is None:
        return None
    row = await session.get(model, key)
    return None if row is None else row.account_id
