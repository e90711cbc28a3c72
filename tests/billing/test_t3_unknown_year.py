"""T-3 in the sweep: when a deadline would need a year whose official holiday arrangement is
not loaded (2027 here), the automatic bill run, the bill email and the payment email wait
instead of guessing, and say so: a warning in the log naming the year (accord.jobs for the
bill run, accord.notices for each email), the reason on the waiting notice, and nothing done in
runDueJobs' counts. Once ADMIN loads the year, the next sweep does all of it."""

import logging
from datetime import UTC, datetime

from sqlalchemy import select

from models import Bill, Notice, NoticePurpose
from tests.billing.helpers import bills_of, move_to, sweep
from tests.conftest import gql
from tests.factories import add_usage, make_app

LOAD = """
mutation L($input: HolidayCalendarInput!) { loadHolidayCalendar(input: $input) { year userErrors { code field } } }
"""


def shanghai(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour - 8, tzinfo=UTC)


def waits(caplog, logger: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == logger and "waits" in r.getMessage()]


async def test_t3_the_bill_run_and_bill_and_payment_emails_wait_for_an_unknown_year(
    client, principals, session, clock, caplog
) -> None:
    caplog.set_level(logging.WARNING)
    # A: October's bill, issued and delivered on Mon 2 Nov; unpaid, so settling it sends a
    # payment notice. B: usage in November only, billed by the sweep at the end of December.
    app_a = await make_app(session, account_id=principals.account_a.id)
    app_b = await make_app(session, account_id=principals.account_b.id)
    await add_usage(session, app_a, product="TECH_SUPPORT_MONTH", quantity="0.5", at=shanghai(2026, 10, 12))
    await add_usage(session, app_b, product="TECH_SUPPORT_MONTH", quantity="0.5", at=shanghai(2026, 11, 12))
    await add_usage(session, app_b, product="TECH_SUPPORT_MONTH", quantity="0.5", at=shanghai(2026, 12, 14))
    await move_to(clock, principals, shanghai(2026, 11, 2))
    first = await sweep(client, principals)
    assert (first["issue_monthly_bills"], first["deliver_notices"]) == (1, 1)

    # Wed 30 Dec: November is billed (B), A's October bill is deemed accepted and settled. The
    # bill email (2 working days) and the payment email (5) both need January 2027.
    await move_to(clock, principals, shanghai(2026, 12, 30))
    caplog.clear()
    december = await sweep(client, principals)
    assert december["issue_monthly_bills"] == 1 and december["settle_bills"] == 1
    assert december["deliver_notices"] == december["deliver_payment_notices"] == 0
    said = waits(caplog, "accord.notices")
    assert said and all("2027" in line for line in said), said
    assert {line.split()[0] for line in said} == {"BILL", "PAYMENT_DUE"}
    await session.rollback()
    waiting = (await session.execute(select(Notice).where(Notice.delivered_at.is_(None)))).scalars().all()
    assert sorted(n.purpose for n in waiting) == [NoticePurpose.BILL, NoticePurpose.PAYMENT_DUE]
    assert all("2027" in n.last_error and "not loaded" in n.last_error for n in waiting)
    assert await bills_of(client, principals.holder_b) == []  # not delivered: no window runs yet
    pay_by = await session.scalar(select(Bill.pay_by).where(Bill.account_id == principals.account_a.id))
    assert pay_by is None  # no payment period is guessed either

    # Mon 4 Jan 2027: December's bill run waits for the year's first working day, and says so.
    await move_to(clock, principals, shanghai(2027, 1, 4))
    caplog.clear()
    january = await sweep(client, principals)
    assert january["issue_monthly_bills"] == 0
    assert january["deliver_notices"] == january["deliver_payment_notices"] == 0
    (run_waits,) = waits(caplog, "accord.jobs")
    assert "2026-12-01" in run_waits and "2027" in run_waits

    # ADMIN loads 2027: the next sweep bills December and sends both emails.
    loaded = await gql(
        client,
        LOAD,
        {"input": {"year": 2027, "holidays": ["2027-01-01"], "adjustedWorkdays": []}},
        headers=principals.staff["ADMIN"].headers,
    )
    assert loaded["data"]["loadHolidayCalendar"]["userErrors"] == []
    caplog.clear()
    after = await sweep(client, principals)
    assert after["issue_monthly_bills"] == 1
    assert after["deliver_notices"] + after["deliver_payment_notices"] == 3  # two bills, one payment notice
    assert waits(caplog, "accord.jobs") == waits(caplog, "accord.notices") == []
    assert [b["period"] for b in await bills_of(client, principals.holder_b)] == ["2026-11-01", "2026-12-01"]
