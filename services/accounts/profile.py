"""ACC-1 registration and ACC-2 profile changes with change records and the `late` flag."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Account, HolderType, ProfileChange, User, UserKind
from services import calendar
from services.accounts import repository, validation
from services.audit import Actor
from services.clock import local_date
from services.errors import InvalidInput, InvalidState
from services.pagination import Page, keyset_page
from services.staff import check_login

# ACC-2: a change reported later than this many working days after it happened is late.
REPORTING_WORKING_DAYS = 5


@dataclass(frozen=True, slots=True)
class NewAccount:
    holder_type: HolderType
    login: str
    password_hash: str
    name: str
    contact_person: str
    email: str
    phone: str
    address: str


async def register_account(session: AsyncSession, *, new: NewAccount) -> Account:
    """ACC-1: one account with exactly one holder and the holder's login identity."""
    login = check_login(new.login)
    account = Account(
        holder_type=new.holder_type,
        name=validation.single_line(new.name, "name"),
        contact_person=validation.single_line(new.contact_person, "contactPerson", max_length=100),
        email=validation.email(new.email),
        phone=validation.phone(new.phone),
        address=validation.single_line(new.address, "address", max_length=500),
    )
    if await repository.login_exists(session, login):
        raise InvalidState(f"the login {login} is taken", field=["login"])
    await repository.add(session, account)
    await repository.add(
        session, User(account_id=account.id, kind=UserKind.HOLDER, login=login, password_hash=new.password_hash)
    )
    return account


_CHECKS = {
    "name": lambda v: validation.single_line(v, "name"),
    "contact_person": lambda v: validation.single_line(v, "contactPerson", max_length=100),
    "email": validation.email,
    "phone": validation.phone,
    "address": lambda v: validation.single_line(v, "address", max_length=500),
}


async def update_profile(
    session: AsyncSession,
    *,
    account: Account,
    changes: dict[str, str],
    effective_on: date,
    now: datetime,
    actor: Actor,
) -> list[ProfileChange]:
    """ACC-2: every changed field becomes a change record; all are validated before any is
    stored. A report after the end of the 5th working day after ``effective_on`` is `late`."""
    if effective_on > local_date(now):
        raise InvalidInput("effectiveOn cannot be in the future", field=["effectiveOn"])
    cleaned = {name: _CHECKS[name](value) for name, value in changes.items() if value is not None}
    if not cleaned:
        raise InvalidInput("name at least one field to change", field=["name"])
    working = await calendar.calendar(session)
    late = now > working.deadline_for_date(effective_on, REPORTING_WORKING_DAYS)
    records = []
    for name, value in cleaned.items():
        old = getattr(account, name)
        if old == value:
            continue
        setattr(account, name, value)
        records.append(
            ProfileChange(
                account_id=account.id,
                field=_GRAPHQL_NAMES[name],
                old_value=old,
                new_value=value,
                effective_on=effective_on,
                reported_at=now,
                reported_by=actor.principal,
                late=late,
            )
        )
    if not records:
        raise InvalidInput("nothing differs from the current profile", field=["name"])
    session.add_all(records)
    await session.flush()
    return records


_GRAPHQL_NAMES = {
    "name": "name",
    "contact_person": "contactPerson",
    "email": "email",
    "phone": "phone",
    "address": "address",
}


async def page_changes(
    session: AsyncSession, *, account_id: uuid.UUID, first: int, after: uuid.UUID | None
) -> Page[ProfileChange]:
    query = select(ProfileChange).where(ProfileChange.account_id == account_id)
    return await keyset_page(session, query, ProfileChange.id, first=first, after=after)


async def changes_by_ids(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[ProfileChange]:
    return list((await session.execute(select(ProfileChange).where(ProfileChange.id.in_(ids)))).scalars())
