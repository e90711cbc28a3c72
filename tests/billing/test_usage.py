"""BIL-1 usage comes from the vendor's metering (never a customer), idempotently; APP-3 usage
outside the declared scope is kept, flagged and opens an AUTOMATIC enforcement case."""

from sqlalchemy import func, select

from models import EnforcementCase, UsageRecord
from tests.accounts.helpers import errors, verify
from tests.accounts.queries import CREATE_APP
from tests.api.test_cli import accord
from tests.conftest import gql
from tests.snapshots import state

REPORT = """
mutation U($input: ReportUsageInput!) { reportUsage(input: $input) { accepted duplicate userErrors { code field } } }
"""


async def metering_headers(client, database_url) -> dict:
    created = accord(database_url, "clients", "create-metering", "--name", "RTC metering pipeline")
    assert created.returncode == 0, created.stderr
    fields = dict(line.split("=", 1) for line in created.stdout.splitlines() if "=" in line)
    token = await client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(fields["client_id"], fields["client_secret"])
    )
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


async def live_app(client, principals) -> dict:
    await verify(client, principals)
    body = await gql(
        client,
        CREATE_APP,
        {"input": {"name": "直播", "terminals": ["IOS"], "scenarios": ["LIVE_STREAMING"]}},
        headers=principals.holder_a.headers,
    )
    return body["data"]["createApp"]["app"]


def usage(app: dict, key: str, **change) -> dict:
    return {
        "input": {
            "app": app["appId"],
            "product": "RTC_VIDEO_HD_MINUTES",
            "quantity": "12.345678",
            "terminal": "IOS",
            "scenario": "LIVE_STREAMING",
            "occurredAt": "2026-09-15T12:00:00+08:00",
            "idempotencyKey": key,
        }
        | change
    }


async def test_bil1_only_the_vendors_metering_or_admin_report_usage(client, principals, session, database_url) -> None:
    app = await live_app(client, principals)
    meter = await metering_headers(client, database_url)
    viewer = await gql(client, "{ viewer { kind permissions account { id } } }", headers=meter)
    assert viewer["data"]["viewer"] == {"kind": "METERING_CLIENT", "permissions": ["usage:write"], "account": None}

    before = await state(session)
    for who in (principals.holder_a, principals.sub_a, principals.staff["FINANCE"]):
        assert (
            errors(await gql(client, REPORT, usage(app, "k-x"), headers=who.headers))[0]["code"]
            == "INSUFFICIENT_PERMISSION"
        )
    assert await state(session) == before

    accepted = await gql(client, REPORT, usage(app, "k-1"), headers=meter)
    assert accepted["data"]["reportUsage"] == {"accepted": True, "duplicate": False, "userErrors": []}
    by_global_id = await gql(
        client,
        REPORT,
        usage(app, "k-2") | {"input": usage(app, "k-2")["input"] | {"app": app["id"]}},
        headers=principals.staff["ADMIN"].headers,
    )
    assert by_global_id["data"]["reportUsage"]["accepted"] is True  # an ADMIN correction
    rows = (await session.execute(select(UsageRecord.quantity_micros, UsageRecord.within_scope))).all()
    assert rows == [(12_345_678, True), (12_345_678, True)]


async def test_bil1_idempotent_on_the_key(client, principals, session, database_url) -> None:
    app = await live_app(client, principals)
    meter = await metering_headers(client, database_url)
    await gql(client, REPORT, usage(app, "k-1"), headers=meter)
    repeat = await gql(client, REPORT, usage(app, "k-1"), headers=meter)
    assert repeat["data"]["reportUsage"] == {"accepted": True, "duplicate": True, "userErrors": []}
    before = await state(session)
    conflict = await gql(client, REPORT, usage(app, "k-1", quantity="12.345679"), headers=meter)
    assert errors(conflict) == [{"code": "IDEMPOTENCY_CONFLICT", "field": ["idempotencyKey"]}]
    for change, field in (
        ({"product": "RTC_HOLOGRAM"}, "product"),
        ({"quantity": "1.0000001"}, "quantity"),
        ({"quantity": "-1"}, "quantity"),
        ({"terminal": "SYMBIAN"}, "terminal"),
    ):
        assert errors(await gql(client, REPORT, usage(app, "k-9", **change), headers=meter)) == [
            {"code": "INVALID", "field": [field]}
        ]
    unknown_app = await gql(client, REPORT, usage({"appId": "f" * 32}, "k-10"), headers=meter)
    assert errors(unknown_app) == [{"code": "NOT_FOUND", "field": ["app"]}]
    assert await state(session) == before


async def test_app3_usage_outside_scope_is_kept_flagged_and_opens_one_case(
    client, principals, session, database_url
) -> None:
    app = await live_app(client, principals)
    meter = await metering_headers(client, database_url)
    for key, change in (("o-1", {"terminal": "WEB"}), ("o-2", {"scenario": "GAMING"})):
        body = await gql(client, REPORT, usage(app, key, **change), headers=meter)
        assert body["data"]["reportUsage"]["accepted"] is True  # recorded, never dropped
    flags = (
        await session.execute(select(UsageRecord.idempotency_key, UsageRecord.within_scope).order_by(UsageRecord.id))
    ).all()
    assert flags == [("o-1", False), ("o-2", False)]
    cases = (await session.execute(select(EnforcementCase))).scalars().all()
    assert len(cases) == 1
    assert (
        cases[0].source == "AUTOMATIC"
        and cases[0].clauses == ["2.8"]
        and cases[0].account_id == principals.account_a.id
    )
    in_scope = await gql(client, REPORT, usage(app, "i-1"), headers=meter)
    assert in_scope["data"]["reportUsage"]["accepted"] is True
    assert await session.scalar(select(func.count()).select_from(EnforcementCase)) == 1
