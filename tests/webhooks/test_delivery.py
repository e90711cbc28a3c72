"""Issue 14: delivery to a real HTTP receiver on 127.0.0.1 (signature, retries with backoff,
de-duplication by event id, order, SSRF at connection time, another account's events)."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from models import DeliveryState, Notice, WebhookEndpoint
from services.accounts.personal_data import development_key, encrypt
from services.clock import FixedClock
from services.webhooks.network import Sender
from tests.conftest import gql
from tests.factories import requested_online_top_up
from tests.webhooks.helpers import LIST, ROTATE, create_endpoint, deliveries, sweep
from tests.webhooks.receiver import HANG, Receiver, verify


@pytest.fixture
async def receiver():
    r = await Receiver().start()
    yield r
    await r.close()


async def test_signature_verifies_and_body_is_the_contracts(client, principals, session, clock, receiver) -> None:
    made = await create_endpoint(client, principals.holder_a, receiver.url())
    top_up = await requested_online_top_up(client, principals.holder_a, amount="10.00", key="k1")
    assert (await sweep(session, clock)).delivered == 1
    (got,) = receiver.received
    assert verify(made["secret"], got.headers["accord-signature"], got.body)
    assert not verify(made["secret"], got.headers["accord-signature"], got.body + b" ")
    body = json.loads(got.body)
    assert body["type"] == "topup.pending" and body["id"] == got.headers["accord-event-id"]
    assert body["id"].startswith("evt_") and body["data"]["topUp"] == top_up and body["data"]["amount"] == "10.00"
    assert (
        body["accountId"]
        == (await gql(client, "{ account { id } }", headers=principals.holder_a.headers))["data"]["account"]["id"]
    )
    assert body["occurredAt"] == "2026-09-30T02:00:00Z"
    # The delivery log.
    listed = await gql(client, LIST, headers=principals.holder_a.headers)
    (log,) = listed["data"]["account"]["webhookEndpoints"][0]["deliveries"]["edges"]
    assert log["node"] | {"id": None, "lastAttemptAt": None} == {
        "id": None,
        "eventId": body["id"],
        "eventType": "topup.pending",
        "state": "DELIVERED",
        "attempts": 1,
        "lastStatusCode": 200,
        "lastAttemptAt": None,
        "nextAttemptAt": None,
    }
    # After a rotation the new secret signs, the old one no longer verifies.
    rotated = await gql(client, ROTATE, {"id": made["endpoint"]["id"]}, headers=principals.holder_a.headers)
    new_secret = rotated["data"]["rotateWebhookSecret"]["secret"]
    await requested_online_top_up(client, principals.holder_a, amount="11.00", key="k2")
    await sweep(session, clock)
    latest = receiver.received[-1]
    assert verify(new_secret, latest.headers["accord-signature"], latest.body)
    assert not verify(made["secret"], latest.headers["accord-signature"], latest.body)


async def test_retries_after_500s_and_timeouts_with_backoff_same_event_id(
    client, principals, session, clock, receiver
) -> None:
    made = await create_endpoint(client, principals.holder_a, receiver.url())
    await requested_online_top_up(client, principals.holder_a, amount="10.00", key="k1")
    receiver.answer(500, HANG)
    impatient = Sender(production=False, timeout=1)

    assert (await sweep(session, clock, impatient)).failed == 1  # 500
    (row,) = await deliveries(session)
    assert (row.state, row.attempts, row.last_status_code) == (DeliveryState.PENDING, 1, 500)
    assert row.next_attempt_at == clock.now() + timedelta(seconds=30)
    assert (await sweep(session, clock, impatient)) == type(await sweep(session, clock, impatient))(0, 0)  # not due

    clock.advance(timedelta(seconds=30))
    assert (await sweep(session, clock, impatient)).failed == 1  # no answer within the timeout
    (row,) = await deliveries(session)
    assert row.attempts == 2 and row.last_status_code is None and "no answer" in row.last_error
    assert row.next_attempt_at == clock.now() + timedelta(seconds=60)

    clock.advance(timedelta(seconds=60))
    assert (await sweep(session, clock, impatient)).delivered == 1
    (row,) = await deliveries(session)
    assert (row.state, row.attempts, row.last_status_code) == (DeliveryState.DELIVERED, 3, 200)
    # Three requests, one event: the receiver de-duplicates on Accord-Event-Id.
    assert len(receiver.received) == 3
    assert len({r.headers["accord-event-id"] for r in receiver.received}) == 1
    assert all(verify(made["secret"], r.headers["accord-signature"], r.body) for r in receiver.received)


async def test_each_event_once_per_endpoint_in_order(client, principals, session, clock, receiver) -> None:
    await create_endpoint(client, principals.holder_a, receiver.url())
    for n in range(3):
        await requested_online_top_up(client, principals.holder_a, amount=f"1{n}.00", key=f"k{n}")
    await sweep(session, clock)
    await sweep(session, clock)  # fanning out again adds nothing, delivering again sends nothing
    amounts = [json.loads(r.body)["data"]["amount"] for r in receiver.received]
    assert amounts == ["10.00", "11.00", "12.00"]
    assert len({r.headers["accord-event-id"] for r in receiver.received}) == 3


async def test_only_the_types_asked_for(client, principals, session, clock, receiver) -> None:
    await create_endpoint(client, principals.holder_a, receiver.url(), ["bill.issued"])
    await requested_online_top_up(client, principals.holder_a, amount="10.00", key="k1")
    await sweep(session, clock)
    assert receiver.received == [] and await deliveries(session) == []


async def test_sec1_another_accounts_events_never_reach_this_endpoint(
    client, principals, session, clock, receiver
) -> None:
    await create_endpoint(client, principals.holder_a, receiver.url("/a"))
    await create_endpoint(client, principals.holder_b, receiver.url("/b"))
    await requested_online_top_up(client, principals.holder_b, amount="20.00", key="k1")
    await requested_online_top_up(client, principals.holder_a, amount="10.00", key="k2")
    await sweep(session, clock)  # one batch fans out both accounts' events
    got = sorted((r.path, json.loads(r.body)["data"]["amount"]) for r in receiver.received)
    assert got == [("/a", "10.00"), ("/b", "20.00")]


async def test_redirects_are_not_followed(client, principals, session, clock, receiver) -> None:
    await create_endpoint(client, principals.holder_a, receiver.url())
    await requested_online_top_up(client, principals.holder_a, amount="10.00", key="k1")
    receiver.answer(302)
    await sweep(session, clock)
    (row,) = await deliveries(session)
    assert (row.state, row.last_status_code, len(receiver.received)) == (DeliveryState.PENDING, 302, 1)


async def test_failing_for_three_days_disables_the_endpoint_with_a_notice(
    client, principals, session, clock, receiver
) -> None:
    await create_endpoint(client, principals.holder_a, receiver.url())
    await requested_online_top_up(client, principals.holder_a, amount="10.00", key="k1")
    receiver.default = 503
    start = clock.now()
    while clock.now() - start < timedelta(days=3, hours=7):
        await sweep(session, clock)
        clock.advance(timedelta(hours=1))
    (row,) = await deliveries(session)
    assert row.state == DeliveryState.FAILED and row.attempts >= 10
    endpoint = (await session.execute(select(WebhookEndpoint))).scalar_one()
    assert endpoint.disabled_at is not None
    notices = (await session.execute(select(Notice).where(Notice.account_id == principals.account_a.id))).scalars()
    assert "Webhook endpoint disabled" in [n.subject for n in notices]
    await principals.relogin()  # the test clock moved past the tokens' lifetime
    listed = await gql(client, LIST, headers=principals.holder_a.headers)
    assert listed["data"]["account"]["webhookEndpoints"][0]["disabled"] is True


async def _endpoint_row(session, principals, url: str) -> None:
    """An endpoint as registered earlier (when its name still resolved to a public address)."""
    key = await development_key(session)
    session.add(
        WebhookEndpoint(
            account_id=principals.account_a.id,
            url=url,
            events=[],
            secret_encrypted=encrypt(key, "whsec_test"),
            created_by="test",
            created_at=__import__("datetime").datetime(2026, 9, 1, tzinfo=__import__("datetime").UTC),
        )
    )
    await session.commit()


async def test_ssrf_checked_on_the_resolved_address_at_connection_time(
    client, principals, session, clock, receiver
) -> None:
    """A name re-pointed at 127.0.0.1 after registration (DNS rebinding) is refused when the
    request would connect, and nothing reaches the receiver; so is ``localhost``."""
    await _endpoint_row(session, principals, f"https://rebind.partner.example:{receiver.port}/hook")
    await _endpoint_row(session, principals, f"https://localhost:{receiver.port}/hook")
    await requested_online_top_up(client, principals.holder_a, amount="10.00", key="k1")

    async def resolve(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    production = Sender(production=True, resolve=resolve)
    assert (await sweep(session, clock, production)).failed == 2
    rows = await deliveries(session)
    assert receiver.received == []
    assert sorted(r.last_error.split(":")[0] for r in rows) == ["refused", "refused"]
    assert any("forbidden address (127.0.0.1)" in r.last_error for r in rows)


async def test_the_request_goes_to_the_checked_address(session, receiver) -> None:
    """The name is resolved once and the connection made to that address: the resolver's
    answer, not another lookup, decides where the bytes go (Host header keeps the name)."""

    async def resolve(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    answer = await Sender(production=False, resolve=resolve).post(
        f"http://localhost:{receiver.port}/x", b"{}", {"Accord-Event-Id": "evt_1"}
    )
    assert answer.delivered
    assert receiver.received[0].headers["host"] == f"localhost:{receiver.port}"


async def test_the_readmes_verifier_accepts_a_real_delivery(client, principals, session, clock, receiver) -> None:
    """The few lines of Python the README gives partners, run on what the receiver got."""
    readme = (__import__("pathlib").Path(__file__).parents[2] / "README.md").read_text()
    snippet = readme.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(snippet, namespace)  # noqa: S102 - our own README
    made = await create_endpoint(client, principals.holder_a, receiver.url())
    await requested_online_top_up(client, principals.holder_a, amount="10.00", key="k1")
    await sweep(session, FixedClock(datetime.now(UTC)))  # the signature's t is real time
    (got,) = receiver.received
    assert namespace["verify"](made["secret"], got.headers["accord-signature"], got.body)
    assert not namespace["verify"]("whsec_wrong", got.headers["accord-signature"], got.body)
