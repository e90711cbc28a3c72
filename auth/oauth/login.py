"""The login step of /oauth/authorize: argon2id check with a lock-out shared by all processes.

Five failures for one login, or twenty from one client address, within 15 minutes lock that
login or address until the window has passed. The answer never says which part was wrong,
nor whether the login exists, nor that a lock-out is what refused it.

Guesses sent at once must not all slip under the limit, and people logging in at once with the
right password must not lock each other out. So every attempt is first registered as *pending*
(a committed row), and it compares its password only when the failures in the window plus the
pending attempts registered before it are fewer than the limit; otherwise it waits for those
earlier attempts to settle. Of twelve wrong guesses sent at once, five compare their passwords,
fail, and every later attempt, the right password included, is then refused; twenty right
passwords at once go through five at a time. A pending row older than ``STALE`` (its process
died) no longer counts.

Each step is its own short committed transaction, and the password is compared with no
transaction open: on SQLite a request's transaction holds the database's write lock from its
first statement (api/db.py), and argon2 is slow. Lock-out windows are security time: ``now`` is
the real clock, never the simulated one (T-5).
"""

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import anyio.to_thread
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auth import repository
from auth.passwords import DUMMY_HASH, verify_password
from models import User
from models.sessions import deferred_options

WINDOW = timedelta(minutes=15)
LOGIN_LIMIT = 5
ADDRESS_LIMIT = 20
# A pending attempt this old belongs to a process that died mid-login.
STALE = timedelta(seconds=30)
# How often, and how long at most, an attempt waits for earlier ones to settle.
POLL_SECONDS = 0.05
MAX_WAIT_SECONDS = 15

Sessions = async_sessionmaker[AsyncSession]
_ARRIVALS = asyncio.Lock()

# User.login's width: no user has a longer login, and the lock-out's key could not hold one.
MAX_LOGIN_LENGTH = 100

FAILURE_MESSAGE = "The login or password is not right, or too many attempts were made. Try again later."


@dataclass(frozen=True, slots=True)
class Attempt:
    login: str
    address: str
    # None: no user can have this login (too long, or a NUL): nothing is registered for it.
    pending_id: uuid.UUID | None


def normalized(login: str) -> str:
    return login.strip().lower()


def _keys(attempt: Attempt) -> tuple[str, str, str]:
    """(failures of the login, failures of the address, pending attempts of the login)."""
    return f"login:{attempt.login}", f"address:{attempt.address}", f"pending:{attempt.login}"


async def begin(sessions: Sessions, *, login: str, address: str | None, now: datetime) -> Attempt:
    """Register the attempt as pending (committed at once, so every process sees it)."""
    login = normalized(login)
    if len(login) > MAX_LOGIN_LENGTH or "\x00" in login:
        return Attempt(login=login, address=address or "unknown", pending_id=None)
    # In arrival order within this process. The database alone would not keep it: SQLite's
    # writers retry after sleeps, so a guess that came first may register after a later one.
    async with _ARRIVALS, sessions() as own:
        (pending_id,) = await repository.record_failures(own, (f"pending:{login}",), now, forget_before=now - WINDOW)
        await own.commit()
    return Attempt(login=login, address=address or "unknown", pending_id=pending_id)


async def check(sessions: Sessions, attempt: Attempt, *, password: str, now: Callable[[], datetime]) -> User | None:
    """The user when the attempt may compare its password and it is right; else None. Settles
    the attempt either way: a failure is recorded, a success clears the login's failures."""
    login_key, address_key, _ = _keys(attempt)
    if attempt.pending_id is None:
        # The usual refusal, counted against the client address only.
        async with sessions() as own:
            await repository.record_failures(own, (address_key,), now(), forget_before=now() - WINDOW)
            await own.commit()
        return None
    ok_to_compare = await _wait_for_turn(sessions, attempt, now)
    user = None
    if ok_to_compare:
        async with sessions() as own:
            await own.connection(execution_options=deferred_options())
            user = await repository.user_by_login(own, attempt.login)
        # argon2 is deliberately slow: off the event loop, and run for unknown logins too.
        right = await anyio.to_thread.run_sync(verify_password, user.password_hash if user else DUMMY_HASH, password)
        if user is None or not right or user.disabled:
            user = None
    async with sessions() as own:
        await repository.delete_failures(own, (attempt.pending_id,))
        if user is None:
            await repository.record_failures(own, (login_key, address_key), now(), forget_before=now() - WINDOW)
        else:
            await repository.clear_failures(own, login_key)
        await own.commit()
    return user


async def withdraw(session: AsyncSession, attempt: Attempt) -> None:
    """Take back an attempt that never compared a password (the authorization request itself
    was refused). In the request's own session: validating that request may have begun it."""
    if attempt.pending_id is not None:
        await repository.delete_failures(session, (attempt.pending_id,))


async def _wait_for_turn(sessions: Sessions, attempt: Attempt, now: Callable[[], datetime]) -> bool:
    """True once the attempt may compare its password; False when the login or address is locked."""
    login_key, address_key, pending_key = _keys(attempt)
    waited = 0.0
    while True:
        at = now()
        async with sessions() as own:
            await own.connection(execution_options=deferred_options())
            failures, from_address, ahead = await repository.lockout_counts(
                own,
                login_key=login_key,
                address_key=address_key,
                pending_key=pending_key,
                since=at - WINDOW,
                pending_since=at - STALE,
                before_id=attempt.pending_id,
            )
            await own.rollback()
        if failures >= LOGIN_LIMIT or from_address >= ADDRESS_LIMIT:
            return False
        if failures + ahead < LOGIN_LIMIT:
            return True
        if waited >= MAX_WAIT_SECONDS:
            return False
        await asyncio.sleep(POLL_SECONDS)
        waited += POLL_SECONDS
