"""Shared steps of the bill tests: usage as metering recorded it, and the bill cycle through
the API (FINANCE runs the month, ADMIN runs the sweep that delivers the emails)."""

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from models import Account, App, Notice, UsageRecord
from services.ledger import online, topups
from services.money import quantity_to_micros
from services.notices import email_row
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


async def make_app(session: AsyncSession, account_id: uuid.UUID) -> App:
    app = App(
        account_id=account_id,
        app_id=uuid.uuid4().hex,
        name="直播",
        terminals=["IOS"],
        scenarios=["LIVE_STREAMING"],
        secret_digest="0" * 64,
    )
    session.add(app)
    await session.flush()
    return app


async def add_usage(
    session: AsyncSession, app: App, product: str, quantity: str, occurred_at: datetime, *, commit: bool = True
) -> None:
    """What reportUsage stores (tested through the API in test_usage.py)."""
    session.add(
        UsageRecord(
            account_id=app.account_id,
            app_id=app.id,
            product_code=product,
            quantity_micros=quantity_to_micros(Decimal(quantity)),
            terminal="IOS",
            scenario="LIVE_STREAMING",
            occurred_at=occurred_at,
            idempotency_key=uuid.uuid4().hex,
            content_digest="0" * 64,
            within_scope=True,
            reported_by="test:metering",
            reported_at=occurred_at,
        )
    )
    if commit:
        await session.commit()


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


TOP_UP_ONLINE = "mutation T($input: TopUpInput!) { topUp(input: $input) { topUpId pending userErrors { code } } }"
CONFIRM_ONLINE = """
mutation P($input: ConfirmOnlinePaymentInput!) {
  confirmOnlinePayment(input: $input) { entry { kind amount balanceAfter } pending topUpId userErrors { code field } }
}
"""


def payment(top_up_id: str, amount: str, transaction: str, paid_at: str = "2026-09-30T10:00:00+08:00") -> dict:
    """confirmOnlinePayment's variables, as the payment gateway sends them."""
    input = {"topUpId": top_up_id, "providerTransactionId": transaction, "amount": amount, "paidAt": paid_at}
    return {"input": input}


async def requested_online_top_up(client, who, amount: str, key: str) -> str:
    """An ONLINE topUp as the customer asks for it (PRE-2: pending); its global id."""
    input = {"amount": amount, "method": "ONLINE", "reference": f"ref-{key}", "idempotencyKey": key}
    body = await gql(client, TOP_UP_ONLINE, {"input": input}, headers=who.headers)
    assert body["data"]["topUp"]["userErrors"] == [] and body["data"]["topUp"]["pending"] is True, body
    return body["data"]["topUp"]["topUpId"]


async def credited_online_top_up(client, principals, amount: str, key: str, *, who=None) -> dict:
    """An ONLINE top-up the customer asked for and the money confirmed (FINANCE reconciling):
    ``amount`` is credited, and whatever is owed is paid from it. The ledger entry."""
    top_up_id = await requested_online_top_up(client, who or principals.holder_a, amount, key)
    body = await gql(
        client, CONFIRM_ONLINE, payment(top_up_id, amount, f"txn-{key}"), headers=principals.staff["FINANCE"].headers
    )
    assert body["data"]["confirmOnlinePayment"]["userErrors"] == [], body
    return body["data"]["confirmOnlinePayment"]["entry"]


async def credit_online(session: AsyncSession, account: Account, amount: Decimal, key: str, now: datetime) -> None:
    """The same through the services, for tests that drive them directly."""
    asked = await topups.top_up(
        session, account=account, amount=amount, method="ONLINE", reference="r", idempotency_key=key, now=now
    )
    await online.confirm_online_payment(
        session,
        top_up_id=asked.top_up.id,
        provider_transaction_id=f"txn-{account.id}-{key}",
        amount=amount,
        paid_at=now,
        confirmed_by="test:payments",
        now=now,
    )


async def delivered_bill(client, principals, session, support_months: str, *, who: str = "account_a") -> dict:
    """A bill for August 2026 of ``support_months`` × TECH_SUPPORT_MONTH (2000.00 each),
    issued and delivered at the test clock's now."""
    app = await make_app(session, getattr(principals, who).id)
    await add_usage(session, app, "TECH_SUPPORT_MONTH", support_months, datetime(2026, 8, 10, tzinfo=UTC))
    await run_month(client, principals)
    await sweep(client, principals)
    holder = principals.holder_a if who == "account_a" else principals.holder_b
    (bill,) = await bills_of(client, holder)
    return bill


async def move_to(clock, principals, at: datetime) -> None:
    clock.set(at)
    await principals.relogin()


async def queued_email(session: AsyncSession, subject: str = "维护通知", account: Account | None = None) -> Account:
    """An account (made when not given) and one email for it waiting in the outbox."""
    if account is None:
        account = Account(
            holder_type="ENTERPRISE",
            name="甲",
            contact_person="c",
            email="ops@jia.cn",
            phone="13800138000",
            address="a",
        )
        session.add(account)
        await session.flush()
    row = email_row(account_id=account.id, email=account.email, subject=subject, body="b", now=datetime.now(UTC))
    session.add(Notice(**row))
    await session.commit()
    return account
