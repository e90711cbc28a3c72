"""The login step of /oauth/authorize: argon2id check with a lock-out shared by all processes.

Five failures for one login, or twenty from one client address, within 15 minutes lock that
login or address until the window has passed. The answer never says which part was wrong,
nor whether the login exists, nor that a lock-out is what refused it.
"""

from datetime import datetime, timedelta

import anyio.to_thread
from sqlalchemy.ext.asyncio import AsyncSession

from auth import repository
from auth.passwords import DUMMY_HASH, verify_password
from models import User

WINDOW = timedelta(minutes=15)
LOGIN_LIMIT = 5
ADDRESS_LIMIT = 20

# User.login's width: no user has a longer login, and the lock-out's key could not hold one.
MAX_LOGIN_LENGTH = 100

FAILURE_MESSAGE = "The login or password is not right, or too many attempts were made. Try again later."


def _keys(login: str, address: str | None) -> tuple[str, str]:
    return f"login:{login}", f"address:{address or 'unknown'}"


async def locked(session: AsyncSession, *, login: str, address: str | None, now: datetime) -> bool:
    login_key, address_key = _keys(login, address)
    since = now - WINDOW
    return (
        await repository.failures_since(session, login_key, since) >= LOGIN_LIMIT
        or await repository.failures_since(session, address_key, since) >= ADDRESS_LIMIT
    )


async def check_login(
    session: AsyncSession, *, login: str, password: str, address: str | None, now: datetime
) -> User | None:
    login = login.strip().lower()
    if len(login) > MAX_LOGIN_LENGTH or "\x00" in login:
        # No such user can exist: the usual refusal, counted against the client address only.
        await repository.record_failures(session, [_keys(login, address)[1]], now, forget_before=now - WINDOW)
        return None
    if await locked(session, login=login, address=address, now=now):
        await repository.record_failures(session, _keys(login, address), now, forget_before=now - WINDOW)
        return None
    user = await repository.user_by_login(session, login)
    # argon2 is deliberately slow: off the event loop, and run for unknown logins too.
    ok = await anyio.to_thread.run_sync(verify_password, user.password_hash if user else DUMMY_HASH, password)
    if user is None or not ok or user.disabled:
        await repository.record_failures(session, _keys(login, address), now, forget_before=now - WINDOW)
        return None
    await repository.clear_failures(session, _keys(login, address)[0])
    return user
