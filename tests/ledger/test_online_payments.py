"""PRE-2 (as amended): an online top-up credits nothing until the payment gateway's client
(payments:confirm, made by `accord clients create-payments`) or FINANCE confirms the provider's
transaction; then exactly the confirmed amount, once per provider transaction, within 24 hours."""

from datetime import timedelta

from sqlalchemy import select, update

from models import AuditRecord, LedgerEntry, TopUp, User
from tests.api.test_cli import accord
from tests.auth.test_principals import CREATE_PARTNER, partner_token
from tests.conftest import gql
from tests.factories import requested_online_top_up
from tests.ledger.helpers import CONFIRM_ONLINE, payment
from tests.ledger.test_ledger import BALANCE
from tests.principals import token_for
from tests.snapshots import state

PENDING = "{ account { balance pendingTopUps { id method amount reference requestedAt expiresAt } } }"
VIEWER = "{ viewer { kind permissions account { id } } }"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def payments_headers(client, database_url) -> dict[str, str]:
    """The payment gateway: its client made by the CLI, its token by client_credentials."""
    created = accord(database_url, "clients", "create-payments", "--name", "支付网关")
    assert created.returncode == 0, created.stderr
    fields = dict(line.split("=", 1) for line in created.stdout.splitlines() if "=" in line)
    token = await client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(fields["client_id"], fields["client_secret"])
    )
    assert token.status_code == 200, token.text
    assert token.json()["scope"] == "payments:confirm"
    return bearer(token.json()["access_token"])


async def confirm(client, headers, top_up_id: str, amount: str, transaction: str) -> dict:
    body = await gql(client, CONFIRM_ONLINE, payment(top_up_id, amount, transaction), headers=headers)
    return body["data"]["confirmOnlinePayment"]


async def test_pre2_online_top_up_is_pending_and_credits_nothing(client, principals, session) -> None:
    holder = principals.holder_a.headers
    body = await gql(
        client,
        "mutation T($input: TopUpInput!) { topUp(input: $input) { entry { amount } pending topUpId userErrors { code } } }",
        {"input": {"amount": "10000000000.00", "method": "ONLINE", "reference": "支付宝 1", "idempotencyKey": "k"}},
        headers=holder,
    )
    answer = body["data"]["topUp"]
    assert answer["userErrors"] == [] and answer["entry"] is None and answer["pending"] is True
    account = (await gql(client, PENDING, headers=holder))["data"]["account"]
    assert account["balance"] == "0.00"
    (pending,) = account["pendingTopUps"]
    assert pending["id"] == answer["topUpId"]
    assert (pending["method"], pending["amount"], pending["reference"]) == ("ONLINE", "10000000000.00", "支付宝 1")
    assert (pending["requestedAt"], pending["expiresAt"]) == ("2026-09-30T02:00:00+00:00", "2026-10-01T02:00:00+00:00")
    assert await session.scalar(select(LedgerEntry.id)) is None


async def test_pre2_finance_confirms_and_exactly_the_amount_is_credited(client, principals, session) -> None:
    top_up_id = await requested_online_top_up(client, principals.holder_a, amount="1234.56", key="k-1")
    confirmed = await confirm(client, principals.staff["FINANCE"].headers, top_up_id, "1234.56", "2026093022001")
    assert confirmed == {
        "entry": {"kind": "TOP_UP", "amount": "1234.56", "balanceAfter": "1234.56"},
        "pending": False,
        "topUpId": top_up_id,
        "userErrors": [],
    }
    account = (await gql(client, PENDING, headers=principals.holder_a.headers))["data"]["account"]
    assert account == {"balance": "1234.56", "pendingTopUps": []}
    row = (await session.execute(select(TopUp))).scalar_one()
    assert (row.state, row.provider_transaction_id, row.confirmed_by) == (
        "CREDITED",
        "2026093022001",
        f"staff:{principals.staff['FINANCE'].login}",
    )
    assert row.paid_at.isoformat() == "2026-09-30T02:00:00+00:00"


async def test_pre2_a_different_amount_is_refused_and_changes_nothing(client, principals, session) -> None:
    top_up_id = await requested_online_top_up(client, principals.holder_a, amount="100.00", key="k-1")
    finance = principals.staff["FINANCE"].headers
    before = await state(session)
    for amount in ("99.99", "100.01", "1000.00"):
        refused = await confirm(client, finance, top_up_id, amount, "txn-1")
        assert refused["userErrors"] == [{"code": "INVALID", "field": ["amount"]}] and refused["entry"] is None
    assert await state(session) == before
    outcomes = (
        await session.execute(select(AuditRecord.outcome).where(AuditRecord.action == "confirmOnlinePayment"))
    ).scalars()
    assert list(outcomes) == ["INVALID"] * 3  # refusals are audited (ACC-3), on the top-up's account
    assert (await confirm(client, finance, top_up_id, "100.00", "txn-1"))["entry"]["amount"] == "100.00"
    await session.rollback()  # read what is committed now
    audited = await session.execute(
        select(AuditRecord.account_id, AuditRecord.target)
        .where(AuditRecord.outcome == "OK")
        .where(AuditRecord.action == "confirmOnlinePayment")
    )
    assert audited.all() == [(principals.account_a.id, top_up_id)]


async def test_pre2_idempotent_on_the_provider_transaction(client, principals, session) -> None:
    finance = principals.staff["FINANCE"].headers
    first_id = await requested_online_top_up(client, principals.holder_a, amount="300.00", key="k-1")
    second_id = await requested_online_top_up(client, principals.holder_a, amount="300.00", key="k-2")
    first = await confirm(client, finance, first_id, "300.00", "txn-1")
    assert await confirm(client, finance, first_id, "300.00", "txn-1") == first  # the same entry, credited once
    before = await state(session)
    other_top_up = await confirm(client, finance, second_id, "300.00", "txn-1")
    assert other_top_up["userErrors"] == [{"code": "IDEMPOTENCY_CONFLICT", "field": ["providerTransactionId"]}]
    other_transaction = await confirm(client, finance, first_id, "300.00", "txn-2")
    assert other_transaction["userErrors"] == [{"code": "INVALID_STATE", "field": ["topUpId"]}]
    assert await state(session) == before
    account = (await gql(client, BALANCE, headers=principals.holder_a.headers))["data"]["account"]
    assert account["balance"] == "300.00" and len(account["ledger"]["edges"]) == 1
    assert [p["id"] for p in account["pendingTopUps"]] == [second_id]


async def test_pre2_an_expired_top_up_is_refused_and_no_longer_pending(client, principals, session, clock) -> None:
    top_up_id = await requested_online_top_up(client, principals.holder_a, amount="50.00", key="k-1")
    late_id = await requested_online_top_up(client, principals.holder_a, amount="60.00", key="k-2")
    clock.advance(timedelta(hours=23, minutes=59))
    await principals.relogin()
    finance = principals.staff["FINANCE"].headers
    assert (await confirm(client, finance, top_up_id, "50.00", "txn-1"))["userErrors"] == []  # in time
    clock.advance(timedelta(minutes=1))  # 24 hours after the request
    await principals.relogin()
    finance = principals.staff["FINANCE"].headers
    account = (await gql(client, PENDING, headers=principals.holder_a.headers))["data"]["account"]
    assert account == {"balance": "50.00", "pendingTopUps": []}
    before = await state(session)
    refused = await confirm(client, finance, late_id, "60.00", "txn-2")
    assert refused["userErrors"] == [{"code": "INVALID_STATE", "field": ["topUpId"]}]
    assert await state(session) == before
    # Asking again with the same key answers the same top-up: expired, neither pending nor credited.
    again = await gql(
        client,
        "mutation T($input: TopUpInput!) { topUp(input: $input) { entry { amount } pending topUpId } }",
        {"input": {"amount": "60.00", "method": "ONLINE", "reference": "ref-k-2", "idempotencyKey": "k-2"}},
        headers=principals.holder_a.headers,
    )
    assert again["data"]["topUp"] == {"entry": None, "pending": False, "topUpId": late_id}


async def test_pre2_customers_partners_and_other_staff_cannot_confirm(client, principals, session) -> None:
    top_up_id = await requested_online_top_up(client, principals.holder_a, amount="100.00", key="k-1")
    # A holder can grant its partner clients everything it has, and payments:confirm is none of it.
    refused = await gql(client, CREATE_PARTNER, {"scopes": ["payments:confirm"]}, headers=principals.holder_a.headers)
    assert refused["data"]["createPartnerClient"]["userErrors"] == [{"code": "INVALID", "field": ["scopes"]}]
    *_, partner = await partner_token(client, principals.holder_a.headers, scopes=("billing:read", "billing:topup"))
    # Even a sub-account whose stored grants were tampered with never gets the vendor's scope.
    await session.execute(
        update(User)
        .where(User.id == principals.sub_a.user_id)
        .values(permissions=["billing:topup", "payments:confirm"])
    )
    await session.commit()
    sub = (await token_for(client, principals.sub_a.login))["access_token"]
    assert (await gql(client, VIEWER, headers=bearer(sub)))["data"]["viewer"]["permissions"] == ["billing:topup"]
    # A holder asking for it by name gets a token with only what it holds.
    holder = await token_for(client, principals.holder_a.login, scope="billing:read payments:confirm")
    assert holder["scope"] == "billing:read"
    before = await state(session)
    for headers in (
        principals.holder_a.headers,
        bearer(sub),
        bearer(partner),
        principals.staff["SUPPORT"].headers,
        principals.staff["ADMIN"].headers,
    ):
        answer = await confirm(client, headers, top_up_id, "100.00", "txn-1")
        assert answer["userErrors"][0]["code"] == "INSUFFICIENT_PERMISSION" and answer["entry"] is None
    assert await state(session) == before


async def test_pre2_the_payments_client_made_by_the_cli_confirms(client, principals, session, database_url) -> None:
    gateway = await payments_headers(client, database_url)
    viewer = (await gql(client, VIEWER, headers=gateway))["data"]["viewer"]
    assert viewer == {"kind": "PAYMENTS_CLIENT", "permissions": ["payments:confirm"], "account": None}
    top_up_id = await requested_online_top_up(client, principals.holder_b, amount="88.00", key="k-1")
    confirmed = await confirm(client, gateway, top_up_id, "88.00", "alipay-2026093000001")
    assert confirmed["entry"] == {"kind": "TOP_UP", "amount": "88.00", "balanceAfter": "88.00"}
    # It confirms payments and does nothing else: no customer's data, no top-ups of its own.
    assert (await gql(client, "{ account { balance } }", headers=gateway))["data"] == {"account": None}
    asks = await gql(
        client,
        "mutation T($input: TopUpInput!) { topUp(input: $input) { userErrors { code } } }",
        {"input": {"amount": "1.00", "method": "ONLINE", "reference": "r", "idempotencyKey": "g"}},
        headers=gateway,
    )
    assert asks["data"]["topUp"]["userErrors"] == [{"code": "INSUFFICIENT_PERMISSION"}]
    record = (
        await session.execute(select(AuditRecord).where(AuditRecord.action == "confirmOnlinePayment"))
    ).scalar_one()
    assert (record.principal_kind, record.account_id, record.outcome) == (
        "PAYMENTS_CLIENT",
        principals.account_b.id,
        "OK",
    )
