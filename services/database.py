"""What a database failure means for the caller: busy (try again shortly) or broken."""

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

# PostgreSQL SQLSTATEs that mean "contended, try again", never "your input was wrong":
# serialization failure, deadlock detected, lock not available (lock_timeout).
_POSTGRES_BUSY = {"40001", "40P01", "55P03"}
# SQLite's words for a lock it could not get within its busy timeout.
_SQLITE_BUSY = ("database is locked", "database table is locked", "database is busy")


def is_busy(error: BaseException | None) -> bool:
    """True when ``error`` (or what caused it) says the database stayed busy past its timeout:
    SQLite's "database is locked", no pooled connection free in time, PostgreSQL contention, or
    a pooled connection the server had closed (its pool is then thrown away, api/db.py).
    Such a request is answered 503 with Retry-After, not 500 (CONTRACT.md, HTTP limits)."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, PoolTimeout):
            return True
        if isinstance(error, DBAPIError):
            if error.connection_invalidated:
                return True  # the server went away (restart): the pool starts afresh, try again
            if getattr(error.orig, "sqlstate", None) in _POSTGRES_BUSY:
                return True
            if any(words in str(error.orig).lower() for words in _SQLITE_BUSY):
                return True
        error = error.__cause__ or error.__context__
    return False
