"""BIL-8: a continuing charge is billed every month it is held, time-weighted: GB × hours held ÷
hours in the month (Asia/Shanghai months), to 6 decimals. RECORDING_STORAGE_GB_MONTH costs
0.15 per GB-month."""

from datetime import UTC, datetime, timedelta

from tests.billing.helpers import move_to, run_month, sweep
from tests.conftest import gql
from tests.factories import add_usage, make_app

LINES = "{ account { bills { edges { node { period total lines { product quantity servicePeriod } } } } } }"
STORAGE = "RECORDING_STORAGE_GB_MONTH"


def shanghai(month: int, day: int, hour: int = 0) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC) - timedelta(hours=8)


async def test_bil8_storage_is_time_weighted_month_after_month_across_a_release(client, principals, session, clock):
    app = await make_app(session, account_id=principals.account_a.id)
    await add_usage(session, app, product=STORAGE, quantity="100", at=shanghai(7, 31, 23))  # July's last evening
    await add_usage(session, app, product=STORAGE, quantity="0", at=shanghai(9, 28))  # released on 28 Sep
    await add_usage(session, app, product=STORAGE, quantity="50", at=shanghai(10, 16))  # held again
    await move_to(clock, principals, datetime(2026, 12, 8, 2, 0, tzinfo=UTC))
    for period in ("2026-07-01", "2026-08-01", "2026-09-01", "2026-10-01", "2026-11-01"):
        assert (await run_month(client, principals, period))["issued"] == 1, period
    await sweep(client, principals)
    body = await gql(client, LINES, headers=principals.holder_a.headers)
    bills = sorted((edge["node"] for edge in body["data"]["account"]["bills"]["edges"]), key=lambda b: b["period"])
    assert [(b["period"], b["lines"][0]["quantity"], b["total"]) for b in bills] == [
        ("2026-07-01", "0.134409", "0.02"),  # 100 GB × 1 h ÷ 744 h: an hour, not a month
        ("2026-08-01", "100.00", "15.00"),  # held all month, no new report
        ("2026-09-01", "90.00", "13.50"),  # 1–28 Sep: 100 GB × 648 h ÷ 720 h
        ("2026-10-01", "25.806452", "3.87"),  # 50 GB × 384 h ÷ 744 h (from 16 Oct)
        ("2026-11-01", "50.00", "7.50"),  # continues into November without a report
    ]
    assert all(b["lines"][0]["servicePeriod"] == b["period"] for b in bills)
