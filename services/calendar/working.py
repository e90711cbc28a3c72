"""The pure working-day arithmetic (no I/O): T-2, T-3, T-4.

A working day is Monday–Friday unless inside an official holiday period, plus the adjusted
weekend working days (调休上班). Years come from two sources: staff-loaded arrangements (in
the database, and they win for their whole year) and the chinesecalendar package. A date in
a year neither knows raises ``CalendarUnknown``: deadlines are never guessed.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import chinese_calendar

from services.clock import end_of_day, local_date
from services.errors import CalendarUnknown, InvalidInput

PACKAGE_YEARS = frozenset(d.year for d in chinese_calendar.holidays)

# A bound on loops over the calendar: no rule counts more working days than this.
MAX_WORKING_DAYS = 366
MAX_RANGE_DAYS = 3 * 366


@dataclass(frozen=True, slots=True)
class YearArrangement:
    """One year's official arrangement: the days off and the adjusted working weekends."""

    holidays: frozenset[date]
    adjusted_workdays: frozenset[date]

    def is_working_day(self, day: date) -> bool:
        if day in self.adjusted_workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays


class WorkingCalendar:
    def __init__(self, loaded: Mapping[int, YearArrangement] | None = None) -> None:
        self._loaded = dict(loaded or {})

    def knows(self, year: int) -> bool:
        return year in self._loaded or year in PACKAGE_YEARS

    def known_years(self) -> list[int]:
        return sorted(set(self._loaded) | PACKAGE_YEARS)

    def is_working_day(self, day: date) -> bool:
        arrangement = self._loaded.get(day.year)
        if arrangement is not None:
            return arrangement.is_working_day(day)
        if day.year in PACKAGE_YEARS:
            return bool(chinese_calendar.is_workday(day))
        raise CalendarUnknown(day.year)

    def is_official_holiday(self, day: date) -> bool:
        """A day off inside an announced holiday period (法定节假日, NTC-1), as opposed to an
        ordinary weekend: a loaded year's listed holidays, or the package's named holidays."""
        arrangement = self._loaded.get(day.year)
        if arrangement is not None:
            return day in arrangement.holidays and day not in arrangement.adjusted_workdays
        if day.year in PACKAGE_YEARS:
            off, name = chinese_calendar.get_holiday_detail(day)
            return bool(off) and name is not None
        raise CalendarUnknown(day.year)

    def working_days(self, start: date, end: date) -> list[date]:
        """Working days from ``start`` to ``end``, both included."""
        if end < start:
            raise InvalidInput("`to` is before `from`", field=["to"])
        if (end - start).days >= MAX_RANGE_DAYS:
            raise InvalidInput(f"a range spans at most {MAX_RANGE_DAYS} days", field=["to"])
        days = (start + timedelta(days=i) for i in range((end - start).days + 1))
        return [d for d in days if self.is_working_day(d)]

    def nth_working_day_after(self, day: date, n: int) -> date:
        """T-4: the n-th working day strictly after ``day`` (n >= 1)."""
        if not 1 <= n <= MAX_WORKING_DAYS:
            raise InvalidInput(f"n must be between 1 and {MAX_WORKING_DAYS}", field=["n"])
        current, counted = day, 0
        while counted < n:
            current += timedelta(days=1)
            if self.is_working_day(current):
                counted += 1
        return current

    def deadline_after(self, moment: datetime, n: int) -> datetime:
        """T-4: "within n working days after X" ends at 23:59:59.999999 Asia/Shanghai of the
        n-th working day strictly after X's Shanghai date; returned as aware UTC."""
        return self.deadline_for_date(local_date(moment), n)

    def deadline_for_date(self, day: date, n: int) -> datetime:
        """T-4 for an X that is a calendar day (e.g. the day a change took effect)."""
        return end_of_day(self.nth_working_day_after(day, n))
