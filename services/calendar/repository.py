"""SQL for the loaded calendar years."""

import uuid
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import CalendarDay, CalendarDayKind, CalendarYear
from services.batch import rows_by
from services.calendar.working import YearArrangement
from services.pagination import Page, keyset_page


async def load_arrangements(session: AsyncSession) -> dict[int, YearArrangement]:
    """Every loaded year in one query (a handful of rows per year)."""
    rows = await session.execute(
        select(CalendarYear.year, CalendarDay.day, CalendarDay.kind).join(
            CalendarDay, CalendarDay.year_id == CalendarYear.id, isouter=True
        )
    )
    holidays: dict[int, set[date]] = {}
    workdays: dict[int, set[date]] = {}
    for year, day, kind in rows:
        holidays.setdefault(year, set())
        workdays.setdefault(year, set())
        if day is not None:
            (holidays if kind == CalendarDayKind.HOLIDAY else workdays)[year].add(day)
    return {year: YearArrangement(frozenset(holidays[year]), frozenset(workdays[year])) for year in holidays}


async def replace_year(
    session: AsyncSession,
    *,
    year: int,
    holidays: Sequence[date],
    adjusted_workdays: Sequence[date],
    loaded_at: datetime,
    loaded_by: str,
) -> CalendarYear:
    row = (await session.execute(select(CalendarYear).where(CalendarYear.year == year))).scalar_one_or_none()
    if row is None:
        row = CalendarYear(year=year, loaded_at=loaded_at, loaded_by=loaded_by)
        session.add(row)
        await session.flush()
    else:
        row.loaded_at, row.loaded_by = loaded_at, loaded_by
        await session.execute(delete(CalendarDay).where(CalendarDay.year_id == row.id))
    session.add_all(
        [CalendarDay(year_id=row.id, day=d, kind=CalendarDayKind.HOLIDAY) for d in holidays]
        + [CalendarDay(year_id=row.id, day=d, kind=CalendarDayKind.WORKDAY) for d in adjusted_workdays]
    )
    await session.flush()
    return row


async def get_year(session: AsyncSession, year_id: uuid.UUID) -> CalendarYear | None:
    return await session.get(CalendarYear, year_id)


async def page_years(session: AsyncSession, *, first: int, after: uuid.UUID | None) -> Page[CalendarYear]:
    return await keyset_page(session, select(CalendarYear), CalendarYear.id, first=first, after=after)


async def days_of_years(session: AsyncSession, year_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[CalendarDay]]:
    """The days of several years in one query (DataLoader batch)."""
    return await rows_by(session, CalendarDay, CalendarDay.year_id, year_ids, order_by=CalendarDay.day)
