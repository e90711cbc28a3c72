"""Staff extend the calendar (T-2, T-3); every refusal changes nothing (ACC-3 audits it)."""

from datetime import date

import pytest
from sqlalchemy import func, select, text

from models import AuditRecord, CalendarDay, CalendarYear
from services import audit, calendar
from services.errors import CalendarUnknown, InvalidInput

OPERATOR = audit.Actor.operator("tester")

HOLIDAYS_2027 = [date(2027, 1, 1), date(2027, 2, 8), date(2027, 2, 9)]
WORKDAYS_2027 = [date(2027, 2, 6)]  # a Saturday


async def load(session, clock, **overrides):
    args = {"year": 2027, "holidays": HOLIDAYS_2027, "adjusted_workdays": WORKDAYS_2027} | overrides
    return await audit.audited(
        session,
        clock=clock,
        actor=OPERATOR,
        action="loadHolidayCalendar",
        target=f"calendar:{args['year']}",
        call=lambda: calendar.load_year(session, clock=clock, actor=OPERATOR, **args),
    )


async def counts(session) -> tuple[int, int]:
    years = await session.scalar(select(func.count()).select_from(CalendarYear))
    days = await session.scalar(select(func.count()).select_from(CalendarDay))
    return years, days


async def test_t3_loading_2027_makes_its_deadlines_computable(session, clock) -> None:
    before = await calendar.calendar(session)
    with pytest.raises(CalendarUnknown):
        before.is_working_day(date(2027, 1, 4))
    await load(session, clock)
    after = await calendar.calendar(session)
    assert after.is_working_day(date(2027, 1, 1)) is False
    assert after.is_working_day(date(2027, 2, 6)) is True
    assert after.nth_working_day_after(date(2026, 12, 31), 1) == date(2027, 1, 4)


async def test_t2_reloading_a_year_replaces_it(session, clock) -> None:
    await load(session, clock)
    await load(session, clock, holidays=[date(2027, 1, 1)], adjusted_workdays=[])
    assert await counts(session) == (1, 1)
    assert (await calendar.calendar(session)).is_working_day(date(2027, 2, 8)) is True


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"year": 1999}, "year"),
        ({"holidays": []}, "holidays"),
        ({"holidays": [date(2026, 12, 31)]}, "holidays"),
        ({"holidays": [date(2027, 1, 1), date(2027, 1, 1)]}, "holidays"),
        ({"adjusted_workdays": [date(2027, 1, 4)]}, "adjustedWorkdays"),  # a Monday
        ({"adjusted_workdays": [date(2027, 1, 1)]}, "adjustedWorkdays"),  # also a holiday
    ],
)
async def test_acc3_a_refused_load_changes_nothing_but_is_audited(session, clock, overrides, field) -> None:
    await load(session, clock)
    before = await counts(session)
    with pytest.raises(InvalidInput) as refused:
        await load(session, clock, **overrides)
    assert refused.value.field == [field]
    assert await counts(session) == before
    records = await audit.list_records(session, action="loadHolidayCalendar")
    assert [r.outcome for r in records] == ["OK", "INVALID"]


async def test_t5_audit_time_comes_from_the_injected_clock(session, clock) -> None:
    await load(session, clock)
    (record,) = await audit.list_records(session, action="loadHolidayCalendar")
    assert record.at == clock.now()
    year = await session.scalar(select(CalendarYear))
    assert year.loaded_at == clock.now()


async def test_acc3_audit_records_cannot_be_changed_or_deleted(session, clock) -> None:
    await load(session, clock)
    await session.commit()
    for statement in ("UPDATE audit_records SET outcome = 'FORGED'", "DELETE FROM audit_records"):
        with pytest.raises(Exception, match="append-only"):
            await session.execute(text(statement))
        await session.rollback()
    assert await session.scalar(select(func.count()).select_from(AuditRecord)) == 1
