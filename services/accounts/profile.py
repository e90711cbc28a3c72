"""ACC-1 registration and ACC-2 profile changes with change records and the `late` flag."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models import Account, HolderType, Notice, ProfileChange, User, UserKind
from services import calendar, notices
from services.accounts import repository, validation
from services.audit import Actor
from services.clock import SHANGHAI, local_date
from services.errors import InvalidInput
from services.pagination import Page, keyset_page
from services.scoped import one_in_scope
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


@dataclass(frozen=True, slots=True)
class Registration:
    """What registerAccount answers. For a login that is taken, ``account`` is a stand-in built
    from the input and never stored: the answer looks exactly like a new account's, so the API
    does not tell anyone which logins exist; the owner of the login gets an email instead."""

    account: Account
    created: bool


async def register_account(session: AsyncSession, *, new: NewAccount, now: datetime) -> Registration:
    """ACC-1: one account with exactly one holder and the holder's login identity."""
    login = check_login(new.login)
    fields = {
        "holder_type": new.holder_type,
        "name": validation.single_line(new.name, "name"),
        "contact_person": validation.single_line(new.contact_person, "contactPerson", max_length=100),
        "email": validation.email(new.email),
        "phone": validation.phone(new.phone),
        "address": validation.single_line(new.address, "address", max_length=500),
    }
    if not await repository.login_exists(session, login):
        account = Account(**fields)
        try:
            async with session.begin_nested():
                await repository.add(session, account)
                await repository.add(
                    session,
                    User(account_id=account.id, kind=UserKind.HOLDER, login=login, password_hash=new.password_hash),
                )
            return Registration(account=account, created=True)
        except IntegrityError:
            # A concurrent registration of the same login committed first (the unique login);
            # anything else is not ours to hide.
            if not await repository.login_exists(session, login):
                raise
    await _tell_the_owner(session, login=login, now=now)
    return Registration(account=Account(**fields), created=False)


TAKEN_SUBJECT = "有人尝试用您的登录名注册 / Someone tried to register with your login"


async def _tell_the_owner(session: AsyncSession, *, login: str, now: datetime) -> None:
    """Email the account that owns ``login`` (once while such an email is still waiting). Staff
    logins belong to no account and have no address to write to: nothing is sent for them."""
    owner = await repository.account_of_login(session, login)
    if owner is None or await repository.email_waiting(session, account_id=owner.id, subject=TAKEN_SUBJECT):
        return
    at = now.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    body = "\n".join(
        [
            f"{owner.name}:",
            f"有人于 {at}（北京时间）尝试用登录名 {login} 注册新的账户。该登录名属于您的账户，"
            "没有创建新账户，您的账户也没有任何变化。如果是您本人，请直接用该登录名登录；否则无需处理。",
            f"Someone tried to register a new account with the login {login} at {at} (Beijing time). "
            "That login belongs to your account: no account was created and nothing about yours changed. "
            "If it was you, simply log in with it; otherwise there is nothing to do.",
        ]
    )
    row = notices.email_row(account_id=owner.id, email=owner.email, subject=TAKEN_SUBJECT, body=body, now=now)
    await repository.add(session, Notice(**row))


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


async def change_in_scope(
    session: AsyncSession, key: uuid.UUID, *, account_id: uuid.UUID | None
) -> ProfileChange | None:
    """ACC-2: one change record of the account (None means staff, every account)."""
    return await one_in_scope(session, ProfileChange, key, account_id=account_id)
