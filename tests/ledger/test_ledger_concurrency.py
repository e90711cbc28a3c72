"""PRE-1 / PRE-2 under concurrency, on PostgreSQL through the real app: one lock order for
everything that moves an account's money (services/ledger/__init__.py), so concurrent top-ups,
confirmations, bill settlements and refunds all succeed and the balance stays the sum of the
entries. Overlap is forced: the requests are sent while another transaction holds the accounts'
locks, and released only once they are queued behind it."""

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text, update

from api.db import create_engine, session_factory
from models import Account, AuditRecord, Bill, BillState, LedgerEntry, PrincipalKind
from services.batch import locked
from services.ledger import entries
from tests.accounts.helpers import verify
from tests.billing.helpers import CONFIRM, bills_of, move_to
from tests.conftest import DEFAULT_NOW, gql, requires_postgres
from tests.factories import credited_online_top_up, delivered_bill, requested_online_top_up
from tests.ledger.helpers import CONFIRM_ONLINE, payment
from tests.ledger.test_online_payments import payments_headers
from tests.ledger.test_refunds import PAY, REFUND, TERMINATE, refund

pytestmark = requires_postgres

TOP_UP = "mutation T($input: TopUpInput!) { topUp(input: $input) { pending topUpId userErrors { code } } }"
CONFIRM_TRANSFER = (
    "mutation C($id: ID!) { confirmBankTransfer(input: {id: $id}) { entry { amount } userErrors { code } } }"
)
SWEEP = "mutation { runDueJobs { results { job changed } userErrors { code } } }"


def asked(amount: str, key: str, method: str = "ONLINE") -> dict:
    return {"input": {"amount": amount, "method": method, "reference": f"ref-{key}", "idempotencyKey": key}}


@contextlib.asynccontextmanager
async def accounts_locked(database_url: str, *account_ids: uuid.UUID) -> AsyncIterator[None]:
    """Another transaction holding the accounts' ledger locks (as a confirmation in progress)."""
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as holder:
            for account_id in account_ids:
                await locked(holder, Account, account_id)
            yield
            await holder.rollback()
    finally:
        await engine.dispose()


async def waiting_on_locks(session) -> int:
    count = await session.scalar(
        text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")
    )
    await session.rollback()  # pg_stat_activity is read once per transaction
    return int(count)


async def all_at_once(session, database_url, account_ids, calls: list[Awaitable[dict]], *, queued: int) -> list[dict]:
    """Start every call while the accounts are locked; release once ``queued`` of them wait."""
    async with accounts_locked(database_url, *account_ids):
        tasks = [asyncio.ensure_future(call) for call in calls]
        for _ in range(400):
            if await waiting_on_locks(session) >= queued:
                break
            await asyncio.sleep(0.05)
        else:
            pytest.fail("the requests never queued behind the held locks")
    return await asyncio.gather(*tasks)


async def balance_is_the_sum_of_entries(session, account_id: uuid.UUID) -> int:
    await session.rollback()
    balance = await entries.balance_fen(session, account_id)
    assert balance == await entries.sum_of_entries_fen(session, account_id)
    return balance


@pytest.mark.parametrize("n", [2, 40])
async def test_pre1_concurrent_top_ups_and_confirmations_all_succeed(
    n, client, principals, session, database_url
) -> None:
    holder, finance = principals.holder_a.headers, principals.staff["FINANCE"].headers
    gateway = await payments_headers(client, database_url)
    account = principals.account_a.id
    requests = [gql(client, TOP_UP, asked("10.01", f"k-{i}"), headers=holder) for i in range(n)]
    answers = await all_at_once(session, database_url, [account], requests, queued=2)
    assert all(a["data"]["topUp"]["userErrors"] == [] and a["data"]["topUp"]["pending"] for a in answers), answers
    ids = [a["data"]["topUp"]["topUpId"] for a in answers]
    confirmations = [
        gql(client, CONFIRM_ONLINE, payment(top_up_id, "10.01", f"txn-{i}"), headers=(gateway, finance)[i % 2])
        for i, top_up_id in enumerate(ids)
    ]
    confirmed = await all_at_once(session, database_url, [account], confirmations, queued=2)
    assert all(c["data"]["confirmOnlinePayment"]["userErrors"] == [] for c in confirmed), confirmed
    assert await balance_is_the_sum_of_entries(session, account) == 1001 * n
    afters = sorted(Decimal(c["data"]["confirmOnlinePayment"]["entry"]["balanceAfter"]) for c in confirmed)
    assert afters == [Decimal("10.01") * (i + 1) for i in range(n)]  # one after another, none lost


async def test_pre2_concurrent_confirmations_of_one_payment_credit_once(
    client, principals, session, database_url
) -> None:
    gateway = await payments_headers(client, database_url)
    top_up_id = await requested_online_top_up(client, principals.holder_a, amount="500.00", key="k-1")
    same = [gql(client, CONFIRM_ONLINE, payment(top_up_id, "500.00", "txn-1"), headers=gateway) for _ in range(10)]
    answers = await all_at_once(session, database_url, [principals.account_a.id], same, queued=2)
    assert {str(a["data"]["confirmOnlinePayment"]) for a in answers} == {
        str(answers[0]["data"]["confirmOnlinePayment"])
    }
    assert answers[0]["data"]["confirmOnlinePayment"]["entry"]["balanceAfter"] == "500.00"
    assert await session.scalar(select(func.count()).select_from(LedgerEntry)) == 1
    # One provider transaction offered for two accounts' top-ups at once: one credit, one refusal.
    for_a = await requested_online_top_up(client, principals.holder_a, amount="20.00", key="k-2")
    for_b = await requested_online_top_up(client, principals.holder_b, amount="20.00", key="k-2")
    both = [gql(client, CONFIRM_ONLINE, payment(i, "20.00", "txn-2"), headers=gateway) for i in (for_a, for_b)]
    accounts = [principals.account_a.id, principals.account_b.id]
    answers = await all_at_once(session, database_url, accounts, both, queued=2)
    refusals = [e for a in answers for e in a["data"]["confirmOnlinePayment"]["userErrors"]]
    assert refusals == [{"code": "IDEMPOTENCY_CONFLICT", "field": ["providerTransactionId"]}]
    a, b = [await balance_is_the_sum_of_entries(session, account) for account in accounts]
    assert (a, b) in ((52000, 0), (50000, 2000))


async def test_pre1_mixed_ledger_operations_all_succeed(client, principals, session, database_url, clock) -> None:
    """Account A: online and bank top-ups asked for and confirmed (by the gateway and FINANCE),
    its bill confirmed and settled, the sweep. Account B, whose agreement has ended: online
    payments confirmed while a refund is paid and another asked for. All at the same time."""
    finance = principals.staff["FINANCE"].headers
    await move_to(clock, principals, datetime(2026, 8, 25, 4, tzinfo=UTC))
    assert (await gql(client, TERMINATE, headers=principals.holder_b.headers))["data"]["requestTermination"][
        "userErrors"
    ] == []  # effective 24 Sep
    await credited_online_top_up(client, principals, amount="300.00", key="b-0", holder=principals.holder_b)
    await move_to(clock, principals, DEFAULT_NOW)
    finance, holder_a, holder_b = (
        principals.staff["FINANCE"].headers,
        principals.holder_a.headers,
        principals.holder_b.headers,
    )
    gateway = await payments_headers(client, database_url)
    await verify(client, principals)
    bill = await delivered_bill(client, principals, session, support_months="1")  # 2,000.00, its window open
    online_a = [
        await requested_online_top_up(client, principals.holder_a, amount="100.00", key=f"a-{i}") for i in range(10)
    ]
    transfers = []
    for i in range(5):
        body = await gql(client, TOP_UP, asked("1000.00", f"t-{i}", "BANK_TRANSFER"), headers=holder_a)
        transfers.append(body["data"]["topUp"]["topUpId"])
    online_b = [
        await requested_online_top_up(client, principals.holder_b, amount="10.00", key=f"b-{i}") for i in range(1, 6)
    ]
    first_refund = (await gql(client, REFUND, refund("250.00"), headers=holder_b))["data"]["requestRefund"]["refundId"]

    calls = [
        *(
            gql(client, CONFIRM_ONLINE, payment(t, "100.00", f"a-{t}"), headers=(gateway, finance)[i % 2])
            for i, t in enumerate(online_a)
        ),
        *(gql(client, CONFIRM_TRANSFER, {"id": t}, headers=finance) for t in transfers),
        gql(client, CONFIRM, {"id": bill["id"]}, headers=holder_a),
        *(gql(client, TOP_UP, asked("100.00", f"new-{i}"), headers=holder_a) for i in range(10)),
        gql(client, SWEEP, headers=principals.staff["ADMIN"].headers),
        *(gql(client, CONFIRM_ONLINE, payment(t, "10.00", f"b-{t}"), headers=gateway) for t in online_b),
        gql(client, PAY, {"id": first_refund}, headers=finance),
        gql(client, REFUND, refund("40.00", "r-2"), headers=holder_b),
    ]
    accounts = [principals.account_a.id, principals.account_b.id]
    answers = await all_at_once(session, database_url, accounts, calls, queued=4)
    for answer in answers:
        assert "errors" not in answer, answer
        (payload,) = answer["data"].values()
        assert payload["userErrors"] == [], answer

    assert await balance_is_the_sum_of_entries(session, principals.account_a.id) == (1000_00 + 5000_00 - 2000_00)
    (settled,) = await bills_of(client, principals.holder_a)
    assert (settled["state"], settled["paid"]) == ("SETTLED", "2000.00")
    assert await balance_is_the_sum_of_entries(session, principals.account_b.id) == (300_00 + 50_00 - 250_00)


async def test_pre1_a_row_referencing_a_locked_row_never_waits(principals, session, database_url) -> None:
    """The lock order's premise: ledger locks are FOR NO KEY UPDATE, so inserting a row that
    merely names a locked account (its foreign-key check) does not wait. With FOR UPDATE, the
    sweep flagging an overdue bill (bill locked, then an audit record naming the account) and a
    credit (account locked, then that bill's accrual progress written) deadlock."""
    now = DEFAULT_NOW
    bill = Bill(
        account_id=principals.account_a.id,
        period=date(2026, 7, 1),
        state=BillState.SETTLED,
        total_fen=100_00,
        issued_at=now,
        delivered_at=now,
        dispute_deadline=now,
        pay_by=now - timedelta(days=20),
        settled_at=now,
    )
    session.add(bill)
    await session.commit()
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as sweep, session_factory(engine)() as credit:
            await locked(sweep, Bill, bill.id)
            await locked(credit, Account, principals.account_a.id)
            sweep.add(
                AuditRecord(
                    account_id=principals.account_a.id,
                    principal_kind=PrincipalKind.SYSTEM,
                    principal="system:test",
                    action="flagOverdue",
                    outcome="OK",
                    at=now,
                )
            )
            await asyncio.wait_for(sweep.flush(), timeout=5)  # FOR UPDATE on the account: waits here
            await sweep.commit()
            await credit.execute(update(Bill).where(Bill.id == bill.id).values(accrued_through=date(2026, 9, 30)))
            await credit.commit()
    finally:
        await engine.dispose()
