"""PRE-6 / TRM-8: after the agreement ends, the remainder is refunded on request, paid by
FINANCE from a non-negative, unforfeited balance as a ledger entry."""

from datetime import UTC, datetime, timedelta

from tests.accounts.helpers import errors
from tests.billing.helpers import move_to
from tests.conftest import gql
from tests.factories import credited_online_top_up
from tests.ledger.test_ledger import BALANCE
from tests.snapshots import state

REFUND = """
mutation R($input: RequestRefundInput!) { requestRefund(input: $input) { pending refundId userErrors { code field } } }
"""
PAY = "mutation P($id: ID!) { payRefund(input: {id: $id}) { entry { kind amount balanceAfter } userErrors { code } } }"
TERMINATE = 'mutation { requestTermination(input: {ground: CONVENIENCE, reason: "结束合作"}) { effectiveOn userErrors { code } } }'


def refund(amount: str, key: str = "r-1") -> dict:
    return {"input": {"amount": amount, "reason": "合同终止，退还余额", "idempotencyKey": key}}


async def test_pre6_no_refund_while_the_agreement_runs(client, principals, session) -> None:
    await credited_online_top_up(client, principals, amount="300.00", key="t-1")
    await gql(client, TERMINATE, headers=principals.holder_a.headers)  # effective in 30 days
    before = await state(session)
    assert (
        errors(await gql(client, REFUND, refund("100.00"), headers=principals.holder_a.headers))[0]["code"]
        == "INVALID_STATE"
    )
    assert await state(session) == before


async def test_pre6_refund_from_the_effective_day_of_termination_not_the_day_before(
    client, principals, session, clock
) -> None:
    """The agreement ends on the effective day (a date in Asia/Shanghai, T-1): the last
    instant of the day before is still inside it, its first instant is not."""
    await credited_online_top_up(client, principals, amount="300.00", key="t-1")
    ended = await gql(client, TERMINATE, headers=principals.holder_a.headers)
    assert ended["data"]["requestTermination"]["effectiveOn"] == "2026-10-30"

    await move_to(clock, principals, datetime(2026, 10, 29, 15, 59, 59, 999999, tzinfo=UTC))  # 29 Oct 23:59:59.999999
    before = await state(session)
    day_before = await gql(client, REFUND, refund("100.00"), headers=principals.holder_a.headers)
    assert [e["code"] for e in errors(day_before)] == ["INVALID_STATE"]
    assert await state(session) == before

    await move_to(clock, principals, datetime(2026, 10, 29, 16, 0, tzinfo=UTC))  # 30 Oct 00:00 in Shanghai
    on_the_day = await gql(client, REFUND, refund("100.00"), headers=principals.holder_a.headers)
    assert errors(on_the_day) == [] and on_the_day["data"]["requestRefund"]["pending"] is True


async def test_pre6_refund_of_the_remainder_after_termination(client, principals, clock) -> None:
    holder = principals.holder_a.headers
    await credited_online_top_up(client, principals, amount="300.00", key="t-1")
    assert (await gql(client, TERMINATE, headers=holder))["data"]["requestTermination"]["effectiveOn"] == "2026-10-30"
    clock.advance(timedelta(days=31))  # the agreement has ended (TRM-1 + 30 days)
    await principals.relogin()
    holder = principals.holder_a.headers

    too_much = await gql(client, REFUND, refund("300.01"), headers=holder)
    assert errors(too_much) == [{"code": "INVALID", "field": ["amount"]}]
    asked = (await gql(client, REFUND, refund("250.00"), headers=holder))["data"]["requestRefund"]
    assert asked["pending"] is True
    assert (await gql(client, REFUND, refund("250.00"), headers=holder))["data"]["requestRefund"]["refundId"] == asked[
        "refundId"
    ]
    # What is already asked for cannot be asked for again under another key.
    assert errors(await gql(client, REFUND, refund("60.00", "r-2"), headers=holder))[0]["field"] == ["amount"]

    assert (
        errors(await gql(client, PAY, {"id": asked["refundId"]}, headers=principals.staff["SUPPORT"].headers))[0][
            "code"
        ]
        == "INSUFFICIENT_PERMISSION"
    )
    paid = await gql(client, PAY, {"id": asked["refundId"]}, headers=principals.staff["FINANCE"].headers)
    assert paid["data"]["payRefund"]["entry"] == {"kind": "REFUND", "amount": "-250.00", "balanceAfter": "50.00"}
    again = await gql(client, PAY, {"id": asked["refundId"]}, headers=principals.staff["FINANCE"].headers)
    assert errors(again)[0]["code"] == "INVALID_STATE"
    assert (await gql(client, BALANCE, headers=holder))["data"]["account"]["balance"] == "50.00"


async def test_pre6_only_the_holder_asks(client, principals) -> None:
    body = await gql(client, REFUND, refund("1.00"), headers=principals.sub_a.headers)
    assert errors(body)[0]["code"] == "INSUFFICIENT_PERMISSION"
