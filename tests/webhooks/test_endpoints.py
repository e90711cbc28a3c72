"""Issue 14: webhook endpoints are the account's (SEC-1), managed by the holder or webhooks:write,
visible to staff; the secret is shown once and kept encrypted; the URL rules."""

import pytest
from sqlalchemy import select

from models import UserKind, WebhookEndpoint
from schema.relay import encode_id
from services.errors import InvalidInput
from services.webhooks import endpoints
from services.webhooks.network import Sender
from tests.conftest import gql
from tests.factories import make_user
from tests.principals import token_for
from tests.webhooks.helpers import CREATE, DISABLE, LIST, NODE, ROTATE, STAFF_LIST, create_endpoint


async def test_holder_creates_lists_rotates_and_disables(client, principals, session) -> None:
    created = await create_endpoint(client, principals.holder_a, "http://127.0.0.1:9/hook", ["bill.issued"])
    assert created["secret"].startswith("whsec_") and created["endpoint"]["events"] == ["bill.issued"]
    endpoint_id = created["endpoint"]["id"]
    # Stored encrypted: the plain secret is nowhere in the row.
    row = (await session.execute(select(WebhookEndpoint))).scalar_one()
    assert created["secret"] not in row.secret_encrypted and row.secret_encrypted.startswith("v1:")

    listed = await gql(client, LIST, headers=principals.holder_a.headers)
    assert [e["id"] for e in listed["data"]["account"]["webhookEndpoints"]] == [endpoint_id]

    rotated = (await gql(client, ROTATE, {"id": endpoint_id}, headers=principals.holder_a.headers))["data"]
    assert rotated["rotateWebhookSecret"]["secret"].startswith("whsec_")
    assert rotated["rotateWebhookSecret"]["secret"] != created["secret"]

    disabled = await gql(client, DISABLE, {"id": endpoint_id}, headers=principals.holder_a.headers)
    assert disabled["data"]["disableWebhookEndpoint"]["endpoint"]["disabled"] is True


async def test_sec1_another_accounts_endpoint_is_not_found(client, principals) -> None:
    created = await create_endpoint(client, principals.holder_a, "http://127.0.0.1:9/hook")
    endpoint_id = created["endpoint"]["id"]
    b = principals.holder_b.headers
    assert (await gql(client, NODE, {"id": endpoint_id}, headers=b))["data"]["node"] is None
    for mutation, name in ((DISABLE, "disableWebhookEndpoint"), (ROTATE, "rotateWebhookSecret")):
        answer = (await gql(client, mutation, {"id": endpoint_id}, headers=b))["data"][name]
        assert [e["code"] for e in answer["userErrors"]] == ["NOT_FOUND"]
    assert (await gql(client, LIST, headers=b))["data"]["account"]["webhookEndpoints"] == []


async def test_grant_webhooks_write_for_sub_accounts_and_staff_reads(client, principals, session) -> None:
    created = await create_endpoint(client, principals.holder_a, "http://127.0.0.1:9/hook")
    # A sub-account without webhooks:write may neither manage nor list them.
    refused = await gql(client, CREATE, {"input": {"url": "http://127.0.0.1:9/x"}}, headers=principals.sub_a.headers)
    assert refused["data"]["createWebhookEndpoint"]["userErrors"][0]["code"] == "INSUFFICIENT_PERMISSION"
    listed = await gql(client, LIST, headers=principals.sub_a.headers)
    assert listed["errors"][0]["extensions"]["code"] == "INSUFFICIENT_PERMISSION"
    # With the grant it may, for the events its other grants read (ACC-8, as the live feed).
    writer = await make_user(
        session, UserKind.SUB_ACCOUNT, account=principals.account_a, permissions=["webhooks:write", "billing:read"]
    )
    bare = await make_user(session, UserKind.SUB_ACCOUNT, account=principals.account_a, permissions=["webhooks:write"])
    await session.commit()
    headers = {"Authorization": f"Bearer {(await token_for(client, writer.login))['access_token']}"}
    allowed = await gql(client, CREATE, {"input": {"url": "http://localhost:9/y"}}, headers=headers)
    assert allowed["data"]["createWebhookEndpoint"]["userErrors"] == []
    chosen = allowed["data"]["createWebhookEndpoint"]["endpoint"]["events"]
    assert "bill.issued" in chosen and "invoice.issued" not in chosen and "measure.applied" not in chosen
    unreadable = await gql(
        client, CREATE, {"input": {"url": "http://localhost:9/i", "events": ["invoice.issued"]}}, headers=headers
    )
    assert unreadable["data"]["createWebhookEndpoint"]["userErrors"][0]["code"] == "INSUFFICIENT_PERMISSION"
    bare_headers = {"Authorization": f"Bearer {(await token_for(client, bare.login))['access_token']}"}
    nothing = await gql(client, CREATE, {"input": {"url": "http://localhost:9/n"}}, headers=bare_headers)
    assert nothing["data"]["createWebhookEndpoint"]["userErrors"][0]["code"] == "INSUFFICIENT_PERMISSION"
    # Staff see the account's endpoints (never the secret: there is no field for it).
    staff = await gql(
        client,
        STAFF_LIST,
        {"id": encode_id("Account", principals.account_a.id)},
        headers=principals.staff["SUPPORT"].headers,
    )
    assert created["endpoint"]["id"] in [e["id"] for e in staff["data"]["account"]["webhookEndpoints"]]
    # But staff cannot create one (no account of their own).
    staff_create = await gql(
        client, CREATE, {"input": {"url": "http://127.0.0.1:9/z"}}, headers=principals.staff["ADMIN"].headers
    )
    assert staff_create["data"]["createWebhookEndpoint"]["userErrors"][0]["code"] == "INSUFFICIENT_PERMISSION"


@pytest.mark.parametrize(
    "url",
    ["http://partner.example/hook", "ftp://127.0.0.1/x", "https://", "not a url", "https://u:p@partner.example/"],
)
async def test_url_rules_in_test_mode(client, principals, url) -> None:
    body = await gql(client, CREATE, {"input": {"url": url}}, headers=principals.holder_a.headers)
    assert body["data"]["createWebhookEndpoint"]["userErrors"][0]["code"] == "INVALID", url


async def test_unknown_event_type_is_refused(client, principals) -> None:
    body = await gql(
        client,
        CREATE,
        {"input": {"url": "http://127.0.0.1:9/", "events": ["bill.eaten"]}},
        headers=principals.holder_a.headers,
    )
    assert body["data"]["createWebhookEndpoint"]["userErrors"][0]["field"] == ["events"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",  # http, and loopback
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://[::1]/hook",
        "https://10.1.2.3/hook",
        "https://192.168.1.1/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::ffff:127.0.0.1]/hook",
        "https://rebind.partner.example/hook",  # resolves to 127.0.0.1
    ],
)
async def test_ssrf_production_refuses_private_destinations(session, principals, url) -> None:
    async def resolve(host: str, port: int) -> list[str]:
        return {"rebind.partner.example": ["127.0.0.1"]}.get(host, ["93.184.216.34"])

    account = await session.get(__import__("models").Account, principals.account_a.id)
    with pytest.raises(InvalidInput):
        await endpoints.create(
            session,
            account=account,
            url=url,
            events=None,
            data_key=b"k" * 32,
            production=True,
            created_by="test",
            sender=Sender(production=True, resolve=resolve),
        )


async def test_production_accepts_a_public_https_name(session, principals) -> None:
    async def resolve(host: str, port: int) -> list[str]:
        return ["93.184.216.34"]

    account = await session.get(__import__("models").Account, principals.account_a.id)
    made = await endpoints.create(
        session,
        account=account,
        url="https://hooks.partner.example/accord",
        events=None,
        data_key=b"k" * 32,
        production=True,
        created_by="test",
        sender=Sender(production=True, resolve=resolve),
    )
    assert made.endpoint.url == "https://hooks.partner.example/accord"
