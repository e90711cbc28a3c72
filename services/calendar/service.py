"""Calendar rules with I/O: build the WorkingCalendar, let staff load a year (T-2, T-3)."""

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from models import CalendarDay, CalendarYear
from services.audit import Actor
from services.calendar import repository
from services.calendar.working import WorkingCalendar
from services.clock import Clock
from services.errors import InvalidInput
from services.pagination import Page

MIN_YEAR, MAX_YEAR = 2000, 2100


async def calendar(session: AsyncSession) -> WorkingCalendar:
    return WorkingCalendar(await repository.load_arrangements(session))


def _check_days(year: int, days: Sequence[date], field: str) -> None:
    for day in days:
        if day.year != year:
            raise InvalidInput(f"{day.isoformat()} is not in {year}", field=[field])
    if len(set(days)) != len(days):
        raise InvalidInput("a date is listed twice", field=[field])


async def load_year(
    session: AsyncSession,
    *,
    clock: Clock,
    actor: Actor,
    year: int,
    holidays: Sequence[date],
    adjusted_workdays: Sequence[date],
) -> CalendarYear:
    """Load (or replace) one year's official arrangement; it then wins over the package.

    The caller audits (services.audit.audited); this only validates and writes.
    """
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidInput(f"year must be between {MIN_YEAR} and {MAX_YEAR}", field=["year"])
    if not holidays:
        raise InvalidInput("an official arrangement has at least one holiday", field=["holidays"])
    _check_days(year, holidays, "holidays")
    _check_days(year, adjusted_workdays, "adjustedWorkdays")
    if clash := sorted(set(holidays) & set(adjusted_workdays)):
        raise InvalidInput(
            f"{clash[0].isoformat()} is both a holiday and an adjusted working day",
            field=["adjustedWorkdays"],
        )
    if weekdays := [d for d in adjusted_workdays if d.weekday() < 5]:
        raise InvalidInput(
            f"{weekdays[0].isoformat()} is a weekday; adjusted working days are weekend days",
            field=["adjustedWorkdays"],
        )
    return await repository.replace_year(
        session,
        year=year,
        holidays=sorted(holidays),
        adjusted_workdays=sorted(adjusted_workdays),
        loaded_at=clock.now(),
        loaded_by=actor.principal,
    )


async def get_year(session: AsyncSession, year_id: uuid.UUID) -> CalendarYear | None:
    return await repository.get_year(session, year_id)


async def page_years(session: AsyncSession, *, first: int, after: uuid.UUID | None) -> Page[CalendarYear]:
    return await repository.page_years(session, first=first, after=after)


async def year_days(session: AsyncSession, year_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[CalendarDay]]:
    return await repository.days_of_years(session, year_ids)
