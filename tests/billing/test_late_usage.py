"""BIL-1: usage reported after its month was billed is never dropped: it goes on the account's
next bill as a late line naming its month (``BillLine.servicePeriod``, set on every line)."""

from datetime import UTC, datetime

from sqlalchemy import select

from models import UsageRecord
from tests.billing.helpers import move_to, run_month, sweep
from tests.conftest import gql
from tests.factories import add_usage, make_app

LINES = """
{ account { bills { edges { node { period total lines { product quantity amount description servicePeriod } } } } } }
"""
AUGUST = datetime(2026, 8, 15, 4, 0, tzinfo=UTC)
SEPTEMBER = datetime(2026, 9, 15, 4, 0, tzinfo=UTC)


async def _bills(client, who) -> dict[str, dict]:
    body = await gql(client, LINES, headers=who.headers)
    return {edge["node"]["period"]: edge["node"] for edge in body["data"]["account"]["bills"]["edges"]}


async def test_bil1_late_usage_goes_on_the_next_bill_as_a_late_line(client, principals, session, clock):
    app = await make_app(session, account_id=principals.account_a.id)
    await add_usage(session, app, product="RTC_AUDIO_MINUTES", quantity="100", at=AUGUST)
    assert (await run_month(client, principals, "2026-08-01"))["issued"] == 1  # 30 Sep 2026
    # 50 units of August arrive after August was billed; a rerun of August leaves them alone.
    await add_usage(session, app, product="RTC_AUDIO_MINUTES", quantity="50", at=AUGUST)
    assert (await run_month(client, principals, "2026-08-01"))["issued"] == 0
    await add_usage(session, app, product="RTC_AUDIO_MINUTES", quantity="10", at=SEPTEMBER)

    await move_to(clock, principals, datetime(2026, 10, 9, 2, 0, tzinfo=UTC))
    assert (await run_month(client, principals, "2026-09-01"))["issued"] == 1
    await sweep(client, principals)
    bills = await _bills(client, principals.holder_a)
    assert bills["2026-08-01"]["lines"] == [
        {"product": "RTC_AUDIO_MINUTES", "quantity": "100.00", "amount": "700.00", "description": None,
         "servicePeriod": "2026-08-01"},
    ]  # fmt: skip
    assert bills["2026-09-01"]["lines"] == [
        {"product": "RTC_AUDIO_MINUTES", "quantity": "50.00", "amount": "350.00",
         "description": "late usage of 2026-08 / 2026-08 的补报用量", "servicePeriod": "2026-08-01"},
        {"product": "RTC_AUDIO_MINUTES", "quantity": "10.00", "amount": "70.00", "description": None,
         "servicePeriod": "2026-09-01"},
    ]  # fmt: skip
    assert bills["2026-09-01"]["total"] == "420.00"
    # Every record is on exactly one bill: nothing waits, nothing was dropped.
    await session.rollback()
    assert None not in (await session.execute(select(UsageRecord.bill_run_id))).scalars().all()


async def test_bil1_late_usage_alone_makes_a_bill(client, principals, session, clock):
    """An account with nothing new in September still gets its late August usage billed."""
    app = await make_app(session, account_id=principals.account_a.id)
    await add_usage(session, app, product="RTC_AUDIO_MINUTES", quantity="100", at=AUGUST)
    await run_month(client, principals, "2026-08-01")
    await add_usage(session, app, product="RTC_AUDIO_MINUTES", quantity="50", at=AUGUST)
    await move_to(clock, principals, datetime(2026, 10, 9, 2, 0, tzinfo=UTC))
    await run_month(client, principals, "2026-09-01")
    await sweep(client, principals)
    late = (await _bills(client, principals.holder_a))["2026-09-01"]
    assert [(line["servicePeriod"], line["amount"]) for line in late["lines"]] == [("2026-08-01", "350.00")]
