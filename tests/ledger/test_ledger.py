"""PRE-1 the immutable ledger and its balance; PRE-2 idempotent top-ups, bank transfers that
wait for FINANCE (online payments: test_online_payments.py)."""

import asyncio
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from models import LedgerEntry, RealNameState, TopUp, TopUpMethod
from services.ledger import entries, online, topups
from tests.accounts.helpers import errors, verify
from tests.conftest import gql, requires_postgres
from tests.factories import credited_online_top_up, make_account
from tests.ledger.helpers import CONFIRM_ONLINE, payment
from tests.snapshots import state

TOP_UP = """
mutation T($input: TopUpInput!) {
  topUp(input: $input) { entry { kind amount balanceAfter } pending topUpId userErrors { code field } }
}
"""
CONFIRM = "mutation C($id: ID!) { confirmBankTransfer(input: {id: $id}) { entry { amount balanceAfter } userErrors { code } } }"
BALANCE = "{ account { balance ledger(first: 100) { edges { node { kind amount balanceAfter } } } pendingTopUps { id amount } } }"


def top_up(amount: str, key: str, method: str = "ONLINE", reference: str = "支付宝 2026093000001") -> dict:
    return {"input": {"amount": amount, "method": method, "reference": reference, "idempotencyKey": key}}


async def test_pre2_a_repeated_top_up_request_answers_the_same_top_up(client, principals, session) -> None:
    holder = principals.holder_a.headers
    first = (await gql(client, TOP_UP, top_up("1000.50", "k-1"), headers=holder))["data"]["topUp"]
    again = (await gql(client, TOP_UP, top_up("1000.50", "k-1"), headers=holder))["data"]["topUp"]
    assert again == first and first["pending"] is True and first["entry"] is None
    assert await session.scalar(select(func.count()).select_from(TopUp)) == 1
    paid = await gql(
        client,
        CONFIRM_ONLINE,
        payment(first["topUpId"], "1000.50", "txn-1"),
        headers=principals.staff["FINANCE"].headers,
    )
    assert paid["data"]["confirmOnlinePayment"]["entry"] == {
        "kind": "TOP_UP",
        "amount": "1000.50",
        "balanceAfter": "1000.50",
    }
    repeated = (await gql(client, TOP_UP, top_up("1000.50", "k-1"), headers=holder))["data"]["topUp"]
    assert repeated["pending"] is False and repeated["entry"]["amount"] == "1000.50"
    account = (await gql(client, BALANCE, headers=holder))["data"]["account"]
    assert account["balance"] == "1000.50" and len(account["ledger"]["edges"]) == 1


async def test_pre2_same_key_other_parameters_is_refused(client, principals, session) -> None:
    holder = principals.holder_a.headers
    await gql(client, TOP_UP, top_up("100.00", "k-2"), headers=holder)
    before = await state(session)
    for changed in (top_up("100.01", "k-2"), top_up("100.00", "k-2", reference="other")):
        assert errors(await gql(client, TOP_UP, changed, headers=holder)) == [
            {"code": "IDEMPOTENCY_CONFLICT", "field": ["idempotencyKey"]}
        ]
    for bad, field in (
        (top_up("0", "k-3"), "amount"),
        (top_up("-5.00", "k-4"), "amount"),
        (top_up("1.001", "k-5"), "amount"),
    ):
        assert errors(await gql(client, TOP_UP, bad, headers=holder)) == [{"code": "INVALID", "field": [field]}]
    assert (
        errors(await gql(client, TOP_UP, top_up("1.00", "k-6"), headers=principals.sub_a.headers))[0]["code"]
        == "INSUFFICIENT_PERMISSION"
    )
    assert await state(session) == before


async def test_pre2_bank_transfer_waits_for_finance(client, principals, session) -> None:
    holder = principals.holder_a.headers
    unverified = await gql(client, TOP_UP, top_up("5000.00", "bt-1", "BANK_TRANSFER", "电汇 20260930"), headers=holder)
    assert errors(unverified)[0]["code"] == "REAL_NAME_REQUIRED"  # AUTH-3
    await verify(client, principals)
    pending = (await gql(client, TOP_UP, top_up("5000.00", "bt-1", "BANK_TRANSFER", "电汇 20260930"), headers=holder))[
        "data"
    ]["topUp"]
    assert pending["pending"] is True and pending["entry"] is None
    account = (await gql(client, BALANCE, headers=holder))["data"]["account"]
    assert account["balance"] == "0.00" and account["pendingTopUps"][0]["amount"] == "5000.00"

    assert (
        errors(await gql(client, CONFIRM, {"id": pending["topUpId"]}, headers=principals.staff["SUPPORT"].headers))[0][
            "code"
        ]
        == "INSUFFICIENT_PERMISSION"
    )
    finance = principals.staff["FINANCE"].headers
    confirmed = await gql(client, CONFIRM, {"id": pending["topUpId"]}, headers=finance)
    assert confirmed["data"]["confirmBankTransfer"]["entry"] == {"amount": "5000.00", "balanceAfter": "5000.00"}
    twice = await gql(client, CONFIRM, {"id": pending["topUpId"]}, headers=finance)
    assert errors(twice)[0]["code"] == "INVALID_STATE"
    assert (await gql(client, BALANCE, headers=holder))["data"]["account"]["balance"] == "5000.00"


async def test_pre1_ledger_entries_cannot_be_changed(client, principals, session) -> None:
    await credited_online_top_up(client, principals, amount="10.00", key="k-7")
    for statement in ("UPDATE ledger_entries SET amount_fen = 1", "DELETE FROM ledger_entries"):
        with pytest.raises(Exception, match="immutable"):
            await session.execute(text(statement))
        await session.rollback()


OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(["ONLINE", "BANK_TRANSFER", "CONFIRM", "PAY"]),
        st.integers(min_value=1, max_value=10_000_000),  # fen
        st.integers(min_value=0, max_value=5),  # a small key space: repeats and conflicts happen
    ),
    min_size=1,
    max_size=25,
)


async def _independent_sum_fen(session, account_id) -> int:
    """The entries' sum in plain SQL, not through services.ledger."""
    total = await session.scalar(
        text("SELECT COALESCE(SUM(amount_fen), 0) FROM ledger_entries WHERE account_id = :account"),
        {"account": account_id.hex if session.bind.dialect.name == "sqlite" else account_id},
    )
    return int(total)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=OPERATIONS)
async def test_pre1_balance_is_the_sum_of_entries_after_any_sequence(session, operations) -> None:
    """After every step, CONFIRM and PAY included, committed: the stored balance equals the
    entries' sum computed in plain SQL, the last entry's balance, and the test's own tally of
    what was credited."""
    account = await make_account(session, name="h", email="h@x.cn", real_name_state=RealNameState.VERIFIED)
    await session.commit()
    now = datetime(2026, 9, 30, tzinfo=UTC)
    pending: dict[str, list] = {"CONFIRM": [], "PAY": []}  # bank transfers, online top-ups
    asked: dict = {}  # top-up id -> fen asked for
    credited = 0  # the tally: what the steps that succeeded credited
    for kind, fen, key in operations:
        try:
            async with session.begin_nested():
                if kind == "CONFIRM":
                    if pending[kind]:
                        top_up_id = pending[kind].pop(0)
                        await topups.confirm_bank_transfer(session, top_up_id=top_up_id, confirmed_by="f", now=now)
                        credited += asked[top_up_id]
                elif kind == "PAY":
                    if pending[kind]:
                        top_up_id = pending[kind].pop(0)
                        await online.confirm_online_payment(
                            session,
                            top_up_id=top_up_id,
                            provider_transaction_id=f"txn-{top_up_id}",
                            amount=Decimal(asked[top_up_id]) / 100,
                            paid_at=now,
                            confirmed_by="p",
                            now=now,
                        )
                        credited += asked[top_up_id]
                else:
                    result = await topups.top_up(
                        session,
                        account=account,
                        amount=Decimal(fen) / 100,
                        method=TopUpMethod(kind),
                        reference="r",
                        idempotency_key=f"{kind}-{key}",
                        now=now,
                    )
                    waiting = pending["PAY" if kind == "ONLINE" else "CONFIRM"]
                    if result.pending and result.top_up.id not in waiting and result.top_up.id not in asked:
                        waiting.append(result.top_up.id)
                        asked[result.top_up.id] = fen
        except Exception as error:  # refusals (conflicts, repeats) are part of the sequence
            assert type(error).__name__ in ("IdempotencyConflict", "InvalidState"), error
        await session.commit()
        balance = await entries.balance_fen(session, account.id)
        assert balance == await _independent_sum_fen(session, account.id) == credited
        last = (
            await session.execute(
                select(LedgerEntry.balance_after_fen)
                .where(LedgerEntry.account_id == account.id)
                .order_by(LedgerEntry.id.desc())
                .limit(1)
            )
        ).scalar()
        assert balance == (last or 0)


@requires_postgres
async def test_pre2_100_concurrent_top_ups_with_one_key_make_one_top_up(client, principals, session) -> None:
    holder = principals.holder_a.headers
    answers = await asyncio.gather(
        *(gql(client, TOP_UP, top_up("88.88", "same-key"), headers=holder) for _ in range(100))
    )
    assert all(a["data"]["topUp"]["userErrors"] == [] for a in answers)
    (top_up_id,) = {a["data"]["topUp"]["topUpId"] for a in answers}
    assert await session.scalar(select(func.count()).select_from(TopUp)) == 1
    finance = principals.staff["FINANCE"].headers
    paid = await gql(client, CONFIRM_ONLINE, payment(top_up_id, "88.88", "txn-1"), headers=finance)
    assert paid["data"]["confirmOnlinePayment"]["userErrors"] == []
    assert await session.scalar(select(func.count()).select_from(LedgerEntry)) == 1
    assert await entries.balance_fen(session, principals.account_a.id) == 8888


async def test_m1_amounts_beyond_ten_billion_yuan_are_invalid(client, principals) -> None:
    body = await gql(client, TOP_UP, top_up("100000000000000000000.00", "huge"), headers=principals.holder_a.headers)
    assert errors(body) == [{"code": "INVALID", "field": ["amount"]}]
