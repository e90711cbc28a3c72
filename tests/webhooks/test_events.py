"""Issue 14: the outbox. Each change a partner must react to records its event in the same
transaction (a refused change records none), for what exists today: bills, money, arrears,
penalties, notices and AppID secrets."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from models import AccountEvent
from schema.relay import encode_id
from services import events
from tests.billing.helpers import DISPUTE, RESOLVE, move_to, sweep
from tests.conftest import gql
from tests.factories import credited_online_top_up, delivered_bill, make_app
from tests.ledger.helpers import TOP_UP_ONLINE

ROTATE_APP = "mutation R($input: RotateAppSecretInput!) { rotateAppSecret(input: $input) { userErrors { code } } }"


async def types_of(session, account_id) -> list[str]:
    await session.rollback()
    query = select(AccountEvent.type).where(AccountEvent.account_id == account_id).order_by(AccountEvent.id)
    return list((await session.execute(query)).scalars())


def test_global_ids_match_the_schemas() -> None:
    key = __import__("uuid").uuid4()
    assert events.global_id("Bill", key) == encode_id("Bill", key)


async def test_money_events(client, principals, session) -> None:
    await credited_online_top_up(client, principals, amount="50.00", key="t-1")
    assert await types_of(session, principals.account_a.id) == ["topup.pending", "payment.confirmed", "topup.credited"]
    assert await types_of(session, principals.account_b.id) == []


async def test_a_refused_change_records_no_event(client, principals, session) -> None:
    input = {"amount": "-1.00", "method": "ONLINE", "reference": "r", "idempotencyKey": "k"}
    body = await gql(client, TOP_UP_ONLINE, {"input": input}, headers=principals.holder_a.headers)
    assert body["data"]["topUp"]["userErrors"]
    assert await types_of(session, principals.account_a.id) == []


async def test_bill_cycle_events(client, principals, session, clock) -> None:
    """Issued and its email delivered; deemed accepted and settled with nothing to pay from, so
    a payment notice (arrears) goes out; then penalties accrue."""
    bill = await delivered_bill(client, principals, session, support_months="0.5")
    assert await types_of(session, principals.account_a.id) == ["bill.issued", "notice.sent"]
    (issued,) = (await session.execute(select(AccountEvent).where(AccountEvent.type == "bill.issued"))).scalars()
    assert issued.data == {"bill": bill["id"], "period": "2026-08-01", "total": "1000.00"}

    await move_to(clock, principals, datetime(2026, 10, 10, tzinfo=UTC))
    await sweep(client, principals)
    after_window = await types_of(session, principals.account_a.id)
    assert after_window[2:] == ["bill.deemed_accepted", "bill.settled", "arrears.notice", "notice.sent"]

    await move_to(clock, principals, datetime(2026, 11, 10, tzinfo=UTC))
    await sweep(client, principals)
    assert "penalty.accrued" in await types_of(session, principals.account_a.id)


async def test_dispute_resolved_event(client, principals, session) -> None:
    await credited_online_top_up(client, principals, amount="5000.00", key="t-1")
    bill = await delivered_bill(client, principals, session, support_months="0.5")
    dispute = {"id": bill["id"], "amount": "100.00", "reason": "未提供"}
    await gql(client, DISPUTE, {"input": dispute}, headers=principals.holder_a.headers)
    resolve = {"id": bill["id"], "accept": True, "adjustment": "80.00", "note": "退还 80 元"}
    body = await gql(client, RESOLVE, {"input": resolve}, headers=principals.staff["FINANCE"].headers)
    assert body["data"]["resolveDispute"]["userErrors"] == []
    kinds = await types_of(session, principals.account_a.id)
    assert kinds[-2:] == ["dispute.resolved", "bill.settled"]
    (resolved,) = (await session.execute(select(AccountEvent).where(AccountEvent.type == "dispute.resolved"))).scalars()
    assert resolved.data["accepted"] is True and resolved.data["adjustment"] == "80.00"


async def test_app_secret_rotated_event(client, principals, session, clock) -> None:
    app = await make_app(session, account_id=principals.account_a.id)
    await session.commit()
    body = await gql(
        client,
        ROTATE_APP,
        {"input": {"id": encode_id("App", app.id), "graceSeconds": 60}},
        headers=principals.holder_a.headers,
    )
    assert body["data"]["rotateAppSecret"]["userErrors"] == []
    (event,) = (await session.execute(select(AccountEvent))).scalars()
    assert event.type == "app.secret_rotated" and event.data["appId"] == app.app_id
    assert event.data["previousSecretValidUntil"] == (clock.now() + timedelta(seconds=60)).isoformat().replace(
        "+00:00", "Z"
    )
