"""T-5: the one source of "now". Rules never read the system clock directly.

Two kinds of time. Business time (deadlines, bills, penalties, and every timestamp a rule
later reads, such as an account's ``created_at``) is the request's clock, which follows
``setClock`` when the simulation is on. Security time (token lifetimes and ``iat``/``exp``,
lock-outs, rate windows, refresh-token and authorization-code expiry, key rotation) is
``security_clock``: the real clock underneath, which ``setClock`` never moves.

T-1: dates and deadlines are in Asia/Shanghai; timestamps are aware UTC.
"""

from calendar import monthrange
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import event
from sqlalchemy.orm import Session

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until moved: tests and staff simulations."""

    def __init__(self, at: datetime) -> None:
        self.set(at)

    def set(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._now = at.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        self._now += delta

    def now(self) -> datetime:
        return self._now


def local_date(at: datetime) -> date:
    """T-1: the Asia/Shanghai calendar day of an instant."""
    return at.astimezone(SHANGHAI).date()


def end_of_day(day: date) -> datetime:
    """T-4: 23:59:59.999999 Asia/Shanghai on ``day``, as aware UTC."""
    return datetime.combine(day, time.max, tzinfo=SHANGHAI).astimezone(UTC)


def start_of_day(day: date) -> datetime:
    """00:00 Asia/Shanghai on ``day``, as aware UTC."""
    return datetime.combine(day, time.min, tzinfo=SHANGHAI).astimezone(UTC)


def first_of_next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def add_month(day: date) -> date:
    """The same day a calendar month later (the month's last day when it has no such day)."""
    following = first_of_next_month(day)
    return following.replace(day=min(day.day, monthrange(following.year, following.month)[1]))


class OffsetClock:
    """T-5 simulation: another clock moved by a fixed offset (time keeps flowing)."""

    def __init__(self, base: Clock, offset: timedelta) -> None:
        self.base, self.offset = base, offset

    def now(self) -> datetime:
        return self.base.now() + self.offset


def security_clock(clock: Clock) -> Clock:
    """T-5: the clock security time runs on: ``clock`` without any simulation offset, so moving
    the simulated clock neither logs anyone out nor lets an expired token back in."""
    while isinstance(clock, OffsetClock):
        clock = clock.base
    return clock


def bind_clock(session: Any, clock: Clock) -> None:
    """T-5: rows this session creates get ``created_at`` (and ``updated_at``) from ``clock``, the
    business clock, unless the code set them itself. Call it where a session is made for a
    request or a job; a session without a bound clock keeps the system clock's defaults."""
    session.info["clock"] = clock


@event.listens_for(Session, "before_flush")
def _stamp_business_time(session: Session, _context: Any, _instances: Any) -> None:
    clock = session.info.get("clock")
    if clock is None:
        return
    now = clock.now()
    for row in session.new:
        given = getattr(row, "model_fields_set", None)
        if given is None:
            continue
        for name in ("created_at", "updated_at"):
            if name not in given and hasattr(row, name):
                setattr(row, name, now)
