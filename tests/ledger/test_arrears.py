"""PRE-3 shortfall, PRE-4 arrears and their penalties, PRE-5 eligibility, checked against
hand-computed tables. The payment notice goes out on Wed 30 Sep 2026 (Shanghai), so both
5-working-day periods end on Tue 13 Oct (8, 9, 10 (adjusted Saturday), 12, 13 Oct) and
penalties accrue from Wed 14 Oct. A day's penalty is on what was owed at the start of the day;
payments settle principal first, then penalties."""

import asyncio
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from models import Account, AuditRecord, Bill, BillState, LedgerEntry, PenaltyAccrual
from services.batch import locked
from services.ledger import arrears, entries
from tests.billing.helpers import CONFIRM, DISPUTE, RESOLVE, STANDING, account_of, move_to, sweep
from tests.conftest import gql, requires_postgres
from tests.factories import add_usage, credit_online, credited_online_top_up, delivered_bill, make_account, make_app
from tests.overlap import finished_or_waiting, held_sweep, release


def shanghai(day: int, hour: int = 12, month: int = 10) -> datetime:
    return datetime(2026, month, day, hour - 8, 0, tzinfo=UTC)


async def _confirmed_and_noticed(client, principals, session, *, support_months: str) -> dict:
    bill = await delivered_bill(client, principals, session, support_months=support_months)
    body = await gql(client, CONFIRM, {"id": bill["id"]}, headers=principals.holder_a.headers)
    assert body["data"]["confirmBill"]["userErrors"] == []
    jobs = await sweep(client, principals)
    assert jobs["deliver_notices"] + jobs["deliver_payment_notices"] == 1
    return body["data"]["confirmBill"]["bill"]


async def _ledger(session) -> list[tuple[str, int]]:
    await session.rollback()
    rows = await session.execute(select(LedgerEntry.kind, LedgerEntry.amount_fen).order_by(LedgerEntry.id))
    return [(kind, fen) for kind, fen in rows]


async def test_pre4_penalty_table_daily_half_up_no_compounding_principal_first(client, principals, session, clock):
    # 6.1725 × 2000.00 = 12,345.00 owed with an empty balance: all of it is arrears.
    bill = await _confirmed_and_noticed(client, principals, session, support_months="6.1725")
    assert bill["paid"] == "0.00" and bill["total"] == "12345.00"
    (read,) = [b for b in (await account_of(client, principals.holder_a))["bills"]["edges"]]
    assert read["node"]["payBy"] == "2026-10-13T15:59:59.999999+00:00"

    # day     arrears base   1‰ (half-up)   shortfall base   0.1 %    running total
    # 13 Oct  (due date)         -                -            -          0.00
    # 14 Oct  12,345.00        12.35              0            -         12.35
    # 15 Oct  12,345.00        12.35              0            -         24.70
    # 16 Oct  12,345.00        12.35              0            -         37.05   (10,000.00 paid at noon)
    # 17 Oct   2,345.00         2.35          10,000.00      10.00       49.40
    # 18 Oct   2,345.00         2.35          10,000.00      10.00       61.75   (3,000.00 paid at noon)
    # 19 Oct       0              -           11,751.75      11.75       11.75   (61.75 was paid)
    table = [(13, "0.00", "12345.00"), (14, "12.35", "12345.00"), (16, "37.05", "12345.00")]
    for day, penalties, owed in table:
        await move_to(clock, principals, shanghai(day, hour=9))
        account = await account_of(client, principals.holder_a, STANDING)
        assert (account["accruedPenalties"], account["arrears"]) == (penalties, owed), day
    await move_to(clock, principals, shanghai(16))
    await credited_online_top_up(client, principals, amount="10000.00", key="t-16")
    account = await account_of(client, principals.holder_a, STANDING)
    assert (account["balance"], account["arrears"], account["accruedPenalties"]) == ("0.00", "2345.00", "37.05")
    await move_to(clock, principals, shanghai(18))
    account = await account_of(client, principals.holder_a, STANDING)
    assert (account["arrears"], account["accruedPenalties"]) == ("2345.00", "61.75")
    await credited_online_top_up(client, principals, amount="3000.00", key="t-18")
    account = await account_of(client, principals.holder_a, STANDING)
    assert (account["balance"], account["arrears"], account["accruedPenalties"]) == ("593.25", "0.00", "0.00")
    await move_to(clock, principals, shanghai(19))
    assert (await account_of(client, principals.holder_a, STANDING))["accruedPenalties"] == "11.75"

    assert await _ledger(session) == [
        ("TOP_UP", 1_000_000),
        ("BILL_DEDUCTION", -1_000_000),
        ("TOP_UP", 300_000),
        ("BILL_DEDUCTION", -234_500),
        ("PENALTY", -6_175),
    ]
    stored = await session.execute(
        select(PenaltyAccrual.day, PenaltyAccrual.kind, PenaltyAccrual.base_fen, PenaltyAccrual.amount_fen).order_by(
            PenaltyAccrual.day, PenaltyAccrual.kind
        )
    )
    assert [tuple(row) for row in stored] == [
        (date(2026, 10, 14), "ARREARS", 1_234_500, 1235),
        (date(2026, 10, 15), "ARREARS", 1_234_500, 1235),
        (date(2026, 10, 16), "ARREARS", 1_234_500, 1235),
        (date(2026, 10, 17), "ARREARS", 234_500, 235),
        (date(2026, 10, 17), "SHORTFALL", 1_000_000, 1000),
        (date(2026, 10, 18), "ARREARS", 234_500, 235),
        (date(2026, 10, 18), "SHORTFALL", 1_000_000, 1000),
    ]


async def test_pre3_shortfall_penalty_after_five_working_days_until_covered(client, principals, session, clock):
    await credited_online_top_up(client, principals, amount="1500.00", key="t-1")
    bill = await _confirmed_and_noticed(client, principals, session, support_months="0.5")  # 1,000.00 consumed
    assert bill["paid"] == "1000.00"
    # balance 500.00 < 1,000.00: shortfall 500.00, 0.1 % a day = 0.50 from 14 Oct
    for day, expected in ((13, "0.00"), (14, "0.50"), (16, "1.50")):
        await move_to(clock, principals, shanghai(day))
        account = await account_of(client, principals.holder_a, STANDING)
        assert (account["accruedPenalties"], account["arrears"]) == (expected, "0.00"), day
    await credited_online_top_up(client, principals, amount="600.00", key="t-2")  # 1.50 paid, 1,098.50 ≥ 1,000.00
    await move_to(clock, principals, shanghai(20))
    account = await account_of(client, principals.holder_a, STANDING)
    assert (account["balance"], account["accruedPenalties"]) == ("1098.50", "0.00")
    assert (await _ledger(session))[-1] == ("PENALTY", -150)


async def test_pre4_sweep_after_ten_days_down_accrues_each_missed_day_once(client, principals, session, clock):
    await _confirmed_and_noticed(client, principals, session, support_months="0.5")  # 1,000.00 arrears, 1.00 a day
    await move_to(clock, principals, shanghai(14))
    assert (await sweep(client, principals))["accrue_penalties"] == 1
    await move_to(clock, principals, shanghai(24))  # the service was down 15–24 Oct
    assert (await account_of(client, principals.holder_a, STANDING))["accruedPenalties"] == "11.00"  # before a sweep
    assert (await sweep(client, principals))["accrue_penalties"] == 10
    assert (await sweep(client, principals))["accrue_penalties"] == 0
    assert (await account_of(client, principals.holder_a, STANDING))["accruedPenalties"] == "11.00"
    await session.rollback()
    days = (await session.execute(select(PenaltyAccrual.day))).scalars().all()
    assert len(days) == len(set(days)) == 11


async def test_pre5_eligible_for_termination_after_more_than_fifteen_days_overdue(client, principals, session, clock):
    await _confirmed_and_noticed(client, principals, session, support_months="0.5")
    await move_to(clock, principals, shanghai(28))  # 15 days after the due date
    standing = (await account_of(client, principals.holder_a, STANDING))["paymentStanding"]
    assert (standing["daysOverdue"], standing["eligibleForTermination"]) == (15, False)
    assert (await sweep(client, principals))["flag_overdue"] == 0
    await move_to(clock, principals, shanghai(29))
    standing = (await account_of(client, principals.holder_a, STANDING))["paymentStanding"]
    assert (standing["daysOverdue"], standing["eligibleForTermination"]) == (16, True)
    assert standing["oldestDueAt"] == "2026-10-13T15:59:59.999999+00:00"
    assert (await sweep(client, principals))["flag_overdue"] == 1
    assert (await sweep(client, principals))["flag_overdue"] == 0
    await session.rollback()
    flagged = (await session.execute(select(AuditRecord).where(AuditRecord.action == "flagOverdue"))).scalars().all()
    assert [(r.account_id, r.principal_kind, r.target) for r in flagged] == [
        (principals.account_a.id, "SYSTEM", "bill:2026-08")
    ]


@requires_postgres
async def test_bil6_two_concurrent_sweeps_settle_each_bill_once(app, client, principals, session, clock):
    """The overlap is forced: the first sweep is held inside its transaction, holding the lock
    of the bill it settled, while the second runs. The second skips that bill (SKIP LOCKED):
    it neither settles it again nor waits for the first (tests/overlap.py)."""
    await credited_online_top_up(client, principals, amount="5000.00", key="t-a")
    await delivered_bill(client, principals, session, support_months="0.5")
    await move_to(clock, principals, shanghai(12))
    first, swept = await held_sweep(app, at=clock.now())
    second = asyncio.ensure_future(sweep(client, principals))
    try:
        assert swept["settle_bills"] == 1  # not committed: the first sweep still holds the bill
        assert await finished_or_waiting(second, session), "the second sweep waited for the first one's bill"
        assert second.result()["settle_bills"] == 0
    finally:
        await release(first, second)
    assert [kind for kind, _ in await _ledger(session)] == ["TOP_UP", "BILL_DEDUCTION"]


OPERATIONS = st.lists(
    st.tuples(st.sampled_from(["TOP_UP", "BILL", "DAYS"]), st.integers(min_value=1, max_value=2_000_000)),
    min_size=1,
    max_size=20,
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=OPERATIONS)
async def test_pre1_ledger_sum_holds_through_bills_arrears_and_penalties(session, operations) -> None:
    """Random top-ups, settled bills and days passing: the balance is always the sum of the
    entries, never negative, and nothing owed is negative."""
    account = await make_account(session, name="h", email="h@x.cn")
    await session.commit()
    now, month = datetime(2026, 9, 30, 2, tzinfo=UTC), 0
    for step, (kind, amount) in enumerate(operations):
        if kind == "TOP_UP":
            await credit_online(session, account=account, amount=Decimal(amount) / 100, key=f"k{step}", now=now)
        elif kind == "BILL":
            month += 1
            bill = Bill(
                account_id=account.id,
                period=date(2020 + month // 12, month % 12 + 1, 1),
                state=BillState.CONFIRMED,
                total_fen=amount,
                issued_at=now,
                delivered_at=now,
                dispute_deadline=now,
                pay_by=now,  # due at once, so penalties start tomorrow
            )
            session.add(bill)
            await session.flush()
            await arrears.settle(session, await locked(session, Bill, bill.id), now=now)
        else:
            now += timedelta(days=amount % 5 + 1)
            await arrears.accrue(session, await locked(session, Account, account.id), now=now)
        await session.commit()
        balance = await entries.balance_fen(session, account.id)
        assert balance == await entries.sum_of_entries_fen(session, account.id) and balance >= 0
        owed = (await arrears.owed(session, [account.id], now=now))[account.id]
        assert owed.principal_fen >= 0 and owed.penalties_fen >= 0


async def test_pre3_a_month_resolved_late_does_not_cancel_a_later_months_shortfall(client, principals, session, clock):
    """August is disputed; September's bill (issued 8 Oct) settles first, on 11 Oct, leaving the
    balance below its consumption. Resolving August on 12 Oct must not end September's PRE-3."""
    await credited_online_top_up(client, principals, amount="1200.00", key="t-1")
    august = await delivered_bill(client, principals, session, support_months="0.5")  # 1,000.00
    await gql(
        client, DISPUTE, {"input": {"id": august["id"], "amount": "10.00", "reason": "核对中"}},
        headers=principals.holder_a.headers,
    )  # fmt: skip
    app = await make_app(session, account_id=principals.account_a.id)
    await add_usage(session, app, product="TECH_SUPPORT_MONTH", quantity="0.5", at=datetime(2026, 9, 10, tzinfo=UTC))
    await move_to(clock, principals, shanghai(8, hour=10))
    assert (await sweep(client, principals))["issue_monthly_bills"] == 1  # September, delivered 8 Oct
    await move_to(clock, principals, shanghai(11, hour=10))  # September's window closed on Sat 10 Oct
    assert (await sweep(client, principals))["settle_bills"] == 1  # 1,000.00 paid, 200.00 left
    await move_to(clock, principals, shanghai(12, hour=10))
    resolved = await gql(
        client, RESOLVE, {"input": {"id": august["id"], "accept": False, "note": "以厂商统计为准"}},
        headers=principals.staff["FINANCE"].headers,
    )  # fmt: skip
    assert resolved["data"]["resolveDispute"]["bill"]["paid"] == "200.00"  # 800.00 in arrears, due 19 Oct
    await sweep(client, principals)
    # 17 Oct: September's shortfall (due end of 16 Oct) is 1,000.00 − 0 = 1,000.00 at 0.1 % = 1.00;
    # August's arrears are not due yet, and its own shortfall was superseded by September's.
    await move_to(clock, principals, shanghai(17))
    account = await account_of(client, principals.holder_a, STANDING)
    assert (account["arrears"], account["accruedPenalties"]) == ("800.00", "1.00")
