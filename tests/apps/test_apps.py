"""APP-1 declared scope, APP-2 secrets, APP-3 the in-scope check, APP-4 brand use."""

from datetime import timedelta

from sqlalchemy import select

from auth.secrets import digest
from models import App
from services.apps import service as apps
from tests.accounts.helpers import errors, verify
from tests.accounts.queries import APPS, BRAND, CREATE_APP, DECIDE_BRAND, DECIDE_EXTENSION, EXTEND, ROTATE
from tests.api.test_cli import accord
from tests.conftest import gql
from tests.snapshots import state

LIVE = {"input": {"name": "直播间", "terminals": ["IOS", "ANDROID"], "scenarios": ["LIVE_STREAMING"]}}


async def create(client, principals, variables=LIVE) -> dict:
    return (await gql(client, CREATE_APP, variables, headers=principals.holder_a.headers))["data"]["createApp"]


async def test_app1_creation_needs_a_verified_account(client, principals, session) -> None:
    before = await state(session)
    refused = await create(client, principals)
    assert [e["code"] for e in refused["userErrors"]] == ["REAL_NAME_REQUIRED"]
    assert refused["appSecret"] is None
    assert await state(session) == before
    await verify(client, principals)
    made = await create(client, principals)
    assert made["userErrors"] == [] and len(made["app"]["appId"]) == 32
    assert made["app"]["terminals"] == ["ANDROID", "IOS"] and made["app"]["standing"] == "NORMAL"


async def test_app1_terminals_and_scenarios_come_from_the_vocabularies(client, principals, session) -> None:
    await verify(client, principals)
    before = await state(session)
    for change, field in (
        ({"terminals": ["SYMBIAN"]}, "terminals"),
        ({"terminals": []}, "terminals"),
        ({"scenarios": ["MINING"]}, "scenarios"),
    ):
        body = await create(client, principals, {"input": LIVE["input"] | change})
        assert [(e["code"], e["field"]) for e in body["userErrors"]] == [("INVALID", [field])]
    assert await state(session) == before


async def test_app1_scope_widens_only_with_staff_written_permission(client, principals, session) -> None:
    await verify(client, principals)
    app_id = (await create(client, principals))["app"]["id"]
    holder = principals.holder_a.headers
    asked = await gql(
        client,
        EXTEND,
        {"input": {"id": app_id, "terminals": ["WEB"], "scenarios": [], "reason": "网页版"}},
        headers=holder,
    )
    app = asked["data"]["requestScopeExtension"]["app"]
    assert app["terminals"] == ["ANDROID", "IOS"]  # nothing widens yet
    (request,) = app["scopeExtensionRequests"]
    assert request["state"] == "PENDING"

    # The holder cannot grant it; staff must cite their written permission.
    assert (
        errors(
            await gql(
                client,
                DECIDE_EXTENSION,
                {"input": {"id": request["id"], "approve": True, "permissionReference": "x"}},
                headers=holder,
            )
        )[0]["code"]
        == "INSUFFICIENT_PERMISSION"
    )
    staff = principals.staff["COMPLIANCE"].headers
    no_reference = await gql(client, DECIDE_EXTENSION, {"input": {"id": request["id"], "approve": True}}, headers=staff)
    assert errors(no_reference)[0]["field"] == ["permissionReference"]
    granted = await gql(
        client,
        DECIDE_EXTENSION,
        {"input": {"id": request["id"], "approve": True, "permissionReference": "函〔2026〕12号"}},
        headers=staff,
    )
    assert granted["data"]["decideScopeExtension"]["request"] == {
        "state": "APPROVED",
        "permissionReference": "函〔2026〕12号",
    }
    apps_now = (await gql(client, APPS, headers=holder))["data"]["account"]["apps"]["edges"]
    assert apps_now[0]["node"]["terminals"] == ["ANDROID", "IOS", "WEB"]


SECRET_VALID = "query V($appId: String!, $secret: String!) { appSecretValid(appId: $appId, appSecret: $secret) }"


async def test_app2_secret_shown_once_stored_hashed_rotated_with_grace(
    client, principals, session, clock, database_url, monkeypatch
) -> None:
    await verify(client, principals)
    made = await create(client, principals)
    first_secret, app_id = made["appSecret"], made["app"]["appId"]
    row = (await session.execute(select(App))).scalar_one()
    assert row.secret_digest == digest(first_secret) and first_secret not in row.secret_digest
    # Listing never shows a secret again.
    assert "appSecret" not in str(await gql(client, APPS, headers=principals.holder_a.headers))

    too_long = await gql(
        client, ROTATE, {"input": {"id": made["app"]["id"], "graceSeconds": 86401}}, headers=principals.holder_a.headers
    )
    assert errors(too_long)[0]["field"] == ["graceSeconds"]
    rotated = await gql(
        client, ROTATE, {"input": {"id": made["app"]["id"], "graceSeconds": 3600}}, headers=principals.holder_a.headers
    )
    second_secret = rotated["data"]["rotateAppSecret"]["appSecret"]

    # The path that checks a presented secret: the RTC platform's metering client, logged in at
    # the token endpoint, asks whether an AppID's secret is valid.
    credentials = metering_client(database_url)
    compared: list[tuple[str, str]] = []
    constant_time = apps.hmac.compare_digest

    def spy(a, b):
        compared.append((a, b))
        return constant_time(a, b)

    monkeypatch.setattr(apps.hmac, "compare_digest", spy)

    async def valid(secret: str) -> bool:
        headers = await metering_token(client, credentials)  # security time follows the test clock
        body = await gql(client, SECRET_VALID, {"appId": app_id, "secret": secret}, headers=headers)
        assert "errors" not in body, body
        return body["data"]["appSecretValid"]

    rotated_at = clock.now()
    assert await valid(second_secret) and await valid(first_secret)
    # Both the current and the previous secret were compared in constant time.
    assert {(digest(second_secret),) * 2, (digest(first_secret),) * 2} <= set(compared)
    assert not await valid("guess") and not await valid(first_secret + "x")
    clock.set(rotated_at + timedelta(minutes=59, seconds=59))
    assert await valid(first_secret) and await valid(second_secret)
    clock.set(rotated_at + timedelta(minutes=60))  # the grace is over
    assert not await valid(first_secret) and await valid(second_secret)
    await principals.relogin()
    refused = await gql(
        client, SECRET_VALID, {"appId": app_id, "secret": second_secret}, headers=principals.holder_a.headers
    )
    assert refused["errors"][0]["extensions"]["code"] == "INSUFFICIENT_PERMISSION"


async def test_app3_usage_outside_the_declared_scope_is_detected(client, principals, session) -> None:
    await verify(client, principals)
    await create(client, principals)
    row = (await session.execute(select(App))).scalar_one()
    assert apps.usage_within_scope(row, terminal="IOS", scenario="LIVE_STREAMING")
    assert not apps.usage_within_scope(row, terminal="WEB", scenario="LIVE_STREAMING")
    assert not apps.usage_within_scope(row, terminal="IOS", scenario="GAMING")


async def test_app4_brand_use_needs_staff_approval(client, principals) -> None:
    holder = principals.holder_a.headers
    asked = await gql(client, BRAND, {"input": {"material": "海报.pdf", "description": "展会宣传"}}, headers=holder)
    request = asked["data"]["requestBrandUse"]["request"]
    assert request["state"] == "PENDING"
    assert (
        errors(await gql(client, DECIDE_BRAND, {"input": {"id": request["id"], "approve": True}}, headers=holder))[0][
            "code"
        ]
        == "INSUFFICIENT_PERMISSION"
    )
    decided = await gql(
        client,
        DECIDE_BRAND,
        {"input": {"id": request["id"], "approve": True, "note": "同意"}},
        headers=principals.staff["COMPLIANCE"].headers,
    )
    assert decided["data"]["decideBrandUse"]["request"]["state"] == "APPROVED"
    listed = await gql(client, "{ account { brandUseRequests { state } } }", headers=holder)
    assert listed["data"]["account"]["brandUseRequests"] == [{"state": "APPROVED"}]


async def test_sec1_apps_of_another_account_are_not_found(client, principals, session) -> None:
    await verify(client, principals)
    made = await create(client, principals)
    before = await state(session)
    other = principals.holder_b.headers
    assert (await gql(client, "query($id: ID!) { node(id: $id) { id } }", {"id": made["app"]["id"]}, headers=other))[
        "data"
    ]["node"] is None
    rotated = await gql(client, ROTATE, {"input": {"id": made["app"]["id"]}}, headers=other)
    assert errors(rotated)[0]["code"] == "NOT_FOUND"
    extend = await gql(
        client,
        EXTEND,
        {"input": {"id": made["app"]["id"], "terminals": ["WEB"], "scenarios": [], "reason": "x"}},
        headers=other,
    )
    assert errors(extend)[0]["code"] == "NOT_FOUND"
    assert await state(session) == before


def metering_client(database_url) -> tuple[str, str]:
    created = accord(database_url, "clients", "create-metering", "--name", "RTC platform")
    assert created.returncode == 0, created.stderr
    fields = dict(line.split("=", 1) for line in created.stdout.splitlines() if "=" in line)
    return fields["client_id"], fields["client_secret"]


async def metering_token(client, credentials: tuple[str, str]) -> dict:
    token = await client.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=credentials)
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}
