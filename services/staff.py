"""Vendor staff users (AUTH-2): created by operators at the command line."""

import re
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import User, UserKind
from models.vocabulary import StaffRole
from services.errors import InvalidInput, InvalidState

STAFF_ROLES = tuple(role.value for role in StaffRole)
LOGIN = re.compile(r"^[a-z0-9][a-z0-9._@-]{2,99}$")


def check_login(login: str) -> str:
    normalized = login.strip().lower()
    if not LOGIN.match(normalized):
        raise InvalidInput("a login is 3-100 characters: lower-case letters, digits and . _ @ -", field=["login"])
    return normalized


async def login_taken(session: AsyncSession, login: str) -> bool:
    found = await session.execute(select(User.id).where(User.login == login))
    return found.first() is not None


async def create_staff(
    session: AsyncSession, *, login: str, password_hash: str, roles: Iterable[str], demo: bool = False
) -> User:
    login = check_login(login)
    roles = sorted(set(roles))
    if not roles:
        raise InvalidInput("a staff user needs at least one role", field=["roles"])
    if unknown := [r for r in roles if r not in STAFF_ROLES]:
        raise InvalidInput(f"unknown staff role {unknown[0]}", field=["roles"])
    if await login_taken(session, login):
        raise InvalidState(f"the login {login} is taken", field=["login"])
    user = User(kind=UserKind.STAFF, login=login, password_hash=password_hash, staff_roles=roles, demo=demo)
    session.add(user)
    await session.flush()
    return user
