"""BIL-5 confirm or dispute within 2 working days of delivery, BIL-6 settlement exactly once,
BIL-7 disputes resolved by FINANCE. Deadlines across the 2026 National Day break: a bill
delivered on Wed 30 Sep has until the end of Fri 9 Oct (1–7 Oct are holidays); one delivered
on Fri 9 Oct counts the adjusted working Saturday 10 Oct and ends on Mon 12 Oct."""

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from models import LedgerEntry, LedgerKind
from services.ledger import entries
from tests.accounts.helpers import errors
from tests.billing.helpers import CONFIRM, DISPUTE, RESOLVE, account_of, bills_of, move_to, run_month, sweep
from tests.conftest import gql, requires_postgres
from tests.factories import add_usage, credited_online_top_up, delivered_bill, make_app
from tests.snapshots import state

END_OF_OCT_9 = datetime(2026, 10, 9, 15, 59, 59, 999999, tzinfo=UTC)  # 23:59:59.999999 Shanghai


async def _deductions(session) -> list[int]:
    await session.rollback()
    rows = await session.execute(
        select(LedgerEntry.amount_fen).where(LedgerEntry.kind == LedgerKind.BILL_DEDUCTION).order_by(LedgerEntry.id)
    )
    return list(rows.scalars())


async def test_bil5_window_ends_after_two_working_days_across_national_day(client, principals, session, clock):
    bill = await delivered_bill(client, principals, session, support_months="0.5")
    assert bill["deliveredAt"] == "2026-09-30T02:00:00+00:00"
    assert bill["disputeDeadline"] == END_OF_OCT_9.isoformat()

    await move_to(clock, principals, END_OF_OCT_9)  # the last instant of the window
    disputed = await gql(
        client, DISPUTE, {"input": {"id": bill["id"], "amount": "10.00", "reason": "重复计费"}},
        headers=principals.holder_a.headers,
    )  # fmt: skip
    assert errors(disputed) == []
    assert disputed["data"]["disputeBill"]["bill"]["state"] == "DISPUTED"


async def test_bil5_dispute_after_window_is_rejected_and_the_bill_reads_deemed_accepted(
    client, principals, session, clock
):
    bill = await delivered_bill(client, principals, session, support_months="0.5")
    await move_to(clock, principals, END_OF_OCT_9 + timedelta(microseconds=1))
    before = await state(session)
    late = await gql(
        client, DISPUTE, {"input": {"id": bill["id"], "amount": "10.00", "reason": "late"}},
        headers=principals.holder_a.headers,
    )  # fmt: skip
    assert errors(late)[0]["code"] == "DISPUTE_WINDOW_CLOSED"
    late_confirm = await gql(client, CONFIRM, {"id": bill["id"]}, headers=principals.holder_a.headers)
    assert errors(late_confirm)[0]["code"] == "INVALID_STATE"
    assert await state(session) == before
    # Time-derived: deemed accepted on read, before any sweep wrote it down.
    (read,) = await bills_of(client, principals.holder_a)
    assert read["state"] == "DEEMED_ACCEPTED" and read["settledAt"] is None


async def test_bil5_window_counts_the_adjusted_working_saturday(client, principals, session, clock):
    app = await make_app(session, account_id=principals.account_a.id)
    await add_usage(session, app, product="TECH_SUPPORT_MONTH", quantity="1", at=datetime(2026, 8, 10, tzinfo=UTC))
    await run_month(client, principals)
    await move_to(clock, principals, datetime(2026, 10, 9, 2, 0, tzinfo=UTC))  # Fri 9 Oct, 10:00 Shanghai
    await sweep(client, principals)  # the email goes out now: delivery, and the window, start now
    (bill,) = await bills_of(client, principals.holder_a)
    assert bill["deliveredAt"] == "2026-10-09T02:00:00+00:00"
    assert bill["disputeDeadline"] == "2026-10-12T15:59:59.999999+00:00"  # Sat 10 Oct, Mon 12 Oct


async def test_bil6_deemed_accepted_bill_is_settled_once_by_repeated_sweeps(client, principals, session, clock):
    await credited_online_top_up(client, principals, amount="5000.00", key="t-1")
    bill = await delivered_bill(client, principals, session, support_months="0.5")
    await move_to(clock, principals, END_OF_OCT_9 + timedelta(hours=1))
    first = await sweep(client, principals)
    assert first["deem_bills_accepted"] == 1 and first["settle_bills"] == 1
    assert (await sweep(client, principals))["settle_bills"] == 0
    assert await _deductions(session) == [-100000]
    (read,) = await bills_of(client, principals.holder_a)
    assert read["id"] == bill["id"] and read["state"] == "SETTLED" and read["paid"] == "1000.00"
    assert read["deemedAccepted"] is True
    account = await account_of(client, principals.holder_a)
    assert account["balance"] == "4000.00" and account["arrears"] == "0.00"


async def test_bil6_confirm_settles_at_once_and_a_second_confirm_changes_nothing(client, principals, session):
    await credited_online_top_up(client, principals, amount="5000.00", key="t-1")
    bill = await delivered_bill(client, principals, session, support_months="0.5")
    confirmed = await gql(client, CONFIRM, {"id": bill["id"]}, headers=principals.holder_a.headers)
    assert errors(confirmed) == [] and confirmed["data"]["confirmBill"]["bill"]["state"] == "SETTLED"
    assert confirmed["data"]["confirmBill"]["bill"]["deemedAccepted"] is False
    before = await state(session)
    again = await gql(client, CONFIRM, {"id": bill["id"]}, headers=principals.holder_a.headers)
    assert errors(again)[0]["code"] == "INVALID_STATE"
    assert await state(session) == before
    assert (await sweep(client, principals))["settle_bills"] == 0
    assert await _deductions(session) == [-100000]
    await session.rollback()
    account_id = principals.account_a.id
    assert await entries.balance_fen(session, account_id) == await entries.sum_of_entries_fen(session, account_id)


async def test_bil6_other_accounts_and_sub_accounts_without_the_grant_cannot_confirm(client, principals, session):
    bill = await delivered_bill(client, principals, session, support_months="0.5")
    before = await state(session)
    other = await gql(client, CONFIRM, {"id": bill["id"]}, headers=principals.holder_b.headers)
    assert errors(other)[0]["code"] == "NOT_FOUND"  # SEC-1
    sub = await gql(client, CONFIRM, {"id": bill["id"]}, headers=principals.sub_a.headers)
    assert errors(sub)[0]["code"] == "INSUFFICIENT_PERMISSION"  # ACC-8: no bills:confirm
    assert await state(session) == before


@requires_postgres
async def test_bil6_fifty_concurrent_confirms_deduct_once(client, principals, session):
    await credited_online_top_up(client, principals, amount="5000.00", key="t-1")
    bill = await delivered_bill(client, principals, session, support_months="0.5")
    bodies = await asyncio.gather(
        *(gql(client, CONFIRM, {"id": bill["id"]}, headers=principals.holder_a.headers) for _ in range(50))
    )
    assert sum(1 for body in bodies if errors(body) == []) == 1
    assert {errors(body)[0]["code"] for body in bodies if errors(body)} == {"INVALID_STATE"}
    assert await _deductions(session) == [-100000]


async def test_bil7_one_open_dispute_then_finance_accepts_with_a_credit_line(client, principals, session):
    await credited_online_top_up(client, principals, amount="5000.00", key="t-1")
    bill = await delivered_bill(client, principals, session, support_months="0.5")
    dispute = {"id": bill["id"], "amount": "100.00", "reason": "8 月 10 日的技术支持未提供"}
    # Over the total, on a bill with no open dispute yet: refused for the amount, nothing opened.
    before = await state(session)
    too_much = await gql(
        client, DISPUTE, {"input": dispute | {"amount": "1000.01"}}, headers=principals.holder_a.headers
    )
    assert [(e["code"], e["field"]) for e in errors(too_much)] == [("INVALID", ["amount"])]
    assert await state(session) == before
    opened = await gql(client, DISPUTE, {"input": dispute}, headers=principals.holder_a.headers)
    assert opened["data"]["disputeBill"]["bill"]["dispute"] == {
        "state": "OPEN", "amount": "100.00", "reason": dispute["reason"], "adjustment": None,
    }  # fmt: skip
    before = await state(session)
    second = await gql(client, DISPUTE, {"input": dispute}, headers=principals.holder_a.headers)
    assert errors(second)[0]["code"] == "INVALID_STATE"
    resolve = {"id": bill["id"], "accept": True, "adjustment": "80.00", "note": "核实后退还 80 元"}
    by_holder = await gql(client, RESOLVE, {"input": resolve}, headers=principals.holder_a.headers)
    assert errors(by_holder)[0]["code"] == "INSUFFICIENT_PERMISSION"
    over = await gql(
        client, RESOLVE, {"input": resolve | {"adjustment": "100.01"}}, headers=principals.staff["FINANCE"].headers
    )
    assert errors(over) == [{"code": "INVALID", "field": ["adjustment"], "message": errors(over)[0]["message"]}]
    assert await state(session) == before

    resolved = await gql(client, RESOLVE, {"input": resolve}, headers=principals.staff["FINANCE"].headers)
    assert errors(resolved) == []
    result = resolved["data"]["resolveDispute"]["bill"]
    assert result["state"] == "SETTLED" and result["total"] == "920.00" and result["paid"] == "920.00"
    assert result["dispute"]["state"] == "ACCEPTED" and result["dispute"]["adjustment"] == "80.00"
    assert result["lines"][-1]["amount"] == "-80.00" and "核实后退还" in result["lines"][-1]["description"]
    assert await _deductions(session) == [-92000]


async def test_bil7_rejected_dispute_leaves_the_bill_standing_and_settles_it(client, principals, session, clock):
    await credited_online_top_up(client, principals, amount="5000.00", key="t-1")
    bill = await delivered_bill(client, principals, session, support_months="0.5")
    await gql(
        client, DISPUTE, {"input": {"id": bill["id"], "amount": "100.00", "reason": "不认可"}},
        headers=principals.holder_a.headers,
    )  # fmt: skip
    # The window closing does not settle a disputed bill: FINANCE decides first.
    await move_to(clock, principals, END_OF_OCT_9 + timedelta(days=1))
    assert (await sweep(client, principals))["settle_bills"] == 0
    with_adjustment = {"id": bill["id"], "accept": False, "adjustment": "1.00", "note": "x"}
    refused = await gql(client, RESOLVE, {"input": with_adjustment}, headers=principals.staff["FINANCE"].headers)
    assert errors(refused)[0]["field"] == ["adjustment"]
    rejected = await gql(
        client, RESOLVE, {"input": {"id": bill["id"], "accept": False, "note": "以厂商统计为准 (4.4.1)"}},
        headers=principals.staff["FINANCE"].headers,
    )  # fmt: skip
    result = rejected["data"]["resolveDispute"]["bill"]
    assert result["state"] == "SETTLED" and result["total"] == "1000.00" and result["dispute"]["state"] == "REJECTED"
    assert await _deductions(session) == [-100000]
