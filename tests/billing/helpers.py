"""Shared steps of the bill tests: the bill cycle through the API (FINANCE runs the month,
ADMIN runs the sweep that delivers the emails). What they start from is in tests/factories.py."""

from datetime import datetime

from tests.conftest import gql

RUN = """
mutation R($period: Date!) {
  runMonthlyBilling(input: {period: $period}) { issued held heldBills { accountId period unpricedProducts } userErrors { code field message } }
}
"""
SWEEP = "mutation { runDueJobs { results { job changed } userErrors { code } } }"
BILL = """
fragment B on Bill {
  id period state total paid payBy deliveredAt disputeDeadline settledAt deemedAccepted
  lines { product quantity unitPrice discount amount description }
  dispute { state amount reason adjustment }
}
"""
BILLS = "{ account { balance arrears accruedPenalties bills { edges { node { ...B } } } } }" + BILL
CONFIRM = (
    "mutation C($id: ID!) { confirmBill(input: {id: $id}) { bill { ...B } userErrors { code field message } } }" + BILL
)
DISPUTE = (
    "mutation D($input: DisputeBillInput!) { disputeBill(input: $input) { bill { ...B } userErrors { code field message } } }"
    + BILL
)
RESOLVE = (
    "mutation V($input: ResolveDisputeInput!) { resolveDispute(input: $input) { bill { ...B } userErrors { code field message } } }"
    + BILL
)
STANDING = "{ account { balance arrears accruedPenalties paymentStanding { arrears accruedPenalties oldestDueAt daysOverdue eligibleForTermination } } }"


async def run_month(client, principals, period: str = "2026-08-01") -> dict:
    body = await gql(client, RUN, {"period": period}, headers=principals.staff["FINANCE"].headers)
    return body["data"]["runMonthlyBilling"]


async def sweep(client, principals) -> dict[str, int]:
    body = await gql(client, SWEEP, headers=principals.staff["ADMIN"].headers)
    assert body["data"]["runDueJobs"]["userErrors"] == [], body
    return {r["job"]: r["changed"] for r in body["data"]["runDueJobs"]["results"]}


async def bills_of(client, who) -> list[dict]:
    body = await gql(client, BILLS, headers=who.headers)
    return [edge["node"] for edge in body["data"]["account"]["bills"]["edges"]]


async def account_of(client, who, query: str = BILLS) -> dict:
    return (await gql(client, query, headers=who.headers))["data"]["account"]


async def move_to(clock, principals, at: datetime) -> None:
    clock.set(at)
    await principals.relogin()
