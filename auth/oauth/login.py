"""The login step of /oauth/authorize: argon2id check with a lock-out shared by all processes.

Five failures for one login, or twenty from one client address, within 15 minutes lock that
login or address until the window has passed. The answer never says which part was wrong,
nor whether the login exists, nor that a lock-out is what refused it.

The count is atomic: every attempt is written as a failure and committed, in its own short
transaction, *before* its password is compared, and only then are the attempts in the window
counted. Of guesses sent at once, the k-th to commit counts at least k, so at most five
passwords are ever compared per login and window, and a right password that arrives behind
them is refused. A successful login takes its own attempt back and clears the login's failures.

Lock-out windows are security time: ``now`` is the real clock, never the simulated one (T-5).
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import anyio.to_thread
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auth import repository
from auth.passwords import DUMMY_HASH, verify_password
from models import User

WINDOW = timedelta(minutes=15)
LOGIN_LIMIT = 5
ADDRESS_LIMIT = 20

FAILURE_MESSAGE = "The login or password is not right, or too many attempts were made. Try again later."


@dataclass(frozen=True, slots=True)
class Attempt:
    """One login attempt, already counted (committed) as a failure."""

    login: str
    login_key: str
    row_ids: tuple[uuid.UUID, uuid.UUID]  # its rows under the login key and the address key
    locked: bool


def normalized(login: str) -> str:
    return login.strip().lower()


async def record_attempt(
    sessions: async_sessionmaker[AsyncSession], *, login: str, address: str | None, now: datetime
) -> Attempt:
    """Count this attempt in its own committed transaction, then read the window.

    It must run before the request's own session runs any statement: on SQLite the request
    transaction holds the write lock from its first statement (BEGIN IMMEDIATE), and this
    second transaction would wait for it until the busy timeout."""
    login = normalized(login)
    login_key, address_key = f"login:{login}", f"address:{address or 'unknown'}"
    async with sessions() as own:
        row_ids = await repository.record_failures(own, (login_key, address_key), now, forget_before=now - WINDOW)
        await own.commit()
        since = now - WINDOW
        locked = (
            await repository.failures_since(own, login_key, since) > LOGIN_LIMIT
            or await repository.failures_since(own, address_key, since) > ADDRESS_LIMIT
        )
        await own.commit()
    return Attempt(login=login, login_key=login_key, row_ids=(row_ids[0], row_ids[1]), locked=locked)


async def withdraw(session: AsyncSession, attempt: Attempt) -> None:
    """Take back an attempt that never compared a password (the authorization request itself
    was refused)."""
    await repository.delete_failures(session, attempt.row_ids)


async def check_login(session: AsyncSession, *, attempt: Attempt, password: str) -> User | None:
    """The user when the attempt was not locked out and the password is right; else None (the
    attempt then stays counted as a failure)."""
    if attempt.locked:
        return None
    user = await repository.user_by_login(session, attempt.login)
    # argon2 is deliberately slow: off the event loop, and run for unknown logins too.
    ok = await anyio.to_thread.run_sync(verify_password, user.password_hash if user else DUMMY_HASH, password)
    if user is None or not ok or user.disabled:
        return None
    await repository.clear_failures(session, attempt.login_key)
    await repository.delete_failures(session, attempt.row_ids)  # not a failure of its address either
    return user
