"""T-5: the one source of "now". Rules never read the system clock directly.

T-1: dates and deadlines are in Asia/Shanghai; timestamps are aware UTC.
"""

from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

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


class OffsetClock:
    """T-5 simulation: another clock moved by a fixed offset (time keeps flowing)."""

    def __init__(self, base: Clock, offset: timedelta) -> None:
        self.base, self.offset = base, offset

    def now(self) -> datetime:
        return self.base.now() + self.offset
