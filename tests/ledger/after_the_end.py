"""Shared steps of the tests of what ends with the agreement (PRE-3, PRE-6): August's bill of
1,000.00 confirmed on Wed 30 Sep 2026 and its payment notice delivered, so penalties accrue
from Wed 14 Oct (tests/ledger/test_arrears.py); termination filed on Sun 4 Oct, effective on
Tue 3 Nov 2026 (TRM-1: 30 days)."""

from datetime import UTC, datetime

from tests.billing.helpers import CONFIRM, move_to, sweep
from tests.conftest import gql
from tests.factories import delivered_bill

TERMINATE = 'mutation { requestTermination(input: {ground: CONVENIENCE, reason: "结束合作"}) { effectiveOn userErrors { code } } }'
REFUND = """
mutation R($input: RequestRefundInput!) { requestRefund(input: $input) { pending refundId userErrors { code field } } }
"""
PAY = "mutation P($id: ID!) { payRefund(input: {id: $id}) { entry { kind amount balanceAfter } userErrors { code } } }"


def shanghai(month: int, day: int, hour: int = 12) -> datetime:
    return datetime(2026, month, day, hour - 8, tzinfo=UTC)


async def billed_then_terminated(client, principals, session, clock) -> None:
    bill = await delivered_bill(client, principals, session, support_months="0.5")  # 1,000.00
    body = await gql(client, CONFIRM, {"id": bill["id"]}, headers=principals.holder_a.headers)
    assert body["data"]["confirmBill"]["userErrors"] == [], body
    await sweep(client, principals)  # settles and delivers the payment notice
    await move_to(clock, principals, shanghai(10, 4))
    body = await gql(client, TERMINATE, headers=principals.holder_a.headers)
    assert body["data"]["requestTermination"]["effectiveOn"] == "2026-11-03", body


def refund(amount: str, key: str = "r-1") -> dict:
    return {"input": {"amount": amount, "reason": "合同终止，退还余额", "idempotencyKey": key}}
