"""ACC-1 registration and ACC-2 profile changes (with the late flag across real holidays)."""

from datetime import UTC, datetime

from sqlalchemy import select

from models import ProfileChange
from tests.accounts.helpers import account_id, errors
from tests.accounts.queries import PROFILE_CHANGES, REGISTER, UPDATE_PROFILE
from tests.conftest import gql
from tests.principals import token_for
from tests.snapshots import state

NEW_ACCOUNT = {
    "holderType": "INDIVIDUAL",
    "login": "li.lei@example.cn",
    "password": "a-long-password",
    "name": "李雷",
    "contactPerson": "李雷",
    "email": "li.lei@example.cn",
    "phone": "13912345678",
    "address": "上海市浦东新区世纪大道100号",
}


async def test_acc1_register_without_a_token_then_log_in_as_the_one_holder(client) -> None:
    body = await gql(client, REGISTER, {"input": NEW_ACCOUNT})
    account = body["data"]["registerAccount"]["account"]
    assert account["holderType"] == "INDIVIDUAL" and account["realName"] == {"state": "UNVERIFIED"}
    token = await token_for(client, "li.lei@example.cn", "a-long-password")
    viewer = await gql(
        client, "{ viewer { kind account { id } } }", headers={"Authorization": f"Bearer {token['access_token']}"}
    )
    assert viewer["data"]["viewer"] == {"kind": "HOLDER", "account": {"id": account["id"]}}


async def test_acc1_refused_registrations_store_nothing(client, session) -> None:
    await gql(client, REGISTER, {"input": NEW_ACCOUNT})
    before = await state(session)
    cases = [
        # (A taken login is not refused: test_registration_enumeration.py.)
        ({"login": "x@example.cn", "email": "not-an-email"}, "INVALID", ["email"]),
        ({"login": "y@example.cn", "phone": "555-0100"}, "INVALID", ["phone"]),
        ({"login": "z@example.cn", "password": "short"}, "INVALID", ["password"]),
        ({"login": "w@example.cn", "name": "  "}, "INVALID", ["name"]),
    ]
    for change, code, field in cases:
        body = await gql(client, REGISTER, {"input": NEW_ACCOUNT | change})
        assert [(e["code"], e["field"]) for e in errors(body)] == [(code, field)]
    assert await state(session) == before


async def test_registration_is_rate_limited_per_client_address(client) -> None:
    for i in range(10):
        body = await gql(client, REGISTER, {"input": NEW_ACCOUNT | {"login": f"u{i}@example.cn", "phone": "bad"}})
        assert errors(body)[0]["code"] == "INVALID"
    limited = await gql(client, REGISTER, {"input": NEW_ACCOUNT})
    assert limited["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert limited["data"] == {"registerAccount": None}


async def test_acc2_changes_are_recorded_with_effective_date_and_late_flag(client, principals, session, clock) -> None:
    holder = principals.holder_a.headers
    # "Now" is Wed 2026-09-30 10:00 in Shanghai; Fri 25 Sep is the Mid-Autumn holiday.
    # Changed Tue 22 Sep: 23, 24, 28, 29, 30 are the 5 working days -> reported in time.
    on_time = await gql(
        client,
        UPDATE_PROFILE,
        {"input": {"email": "new@a.example.cn", "phone": "0755-86013388", "effectiveOn": "2026-09-22"}},
        headers=holder,
    )
    assert on_time["data"]["updateAccountProfile"]["account"]["profile"] == {
        "email": "new@a.example.cn",
        "phone": "0755-86013388",
    }
    # Changed Mon 21 Sep: the 5th working day after it was Tue 29 Sep -> late.
    late = await gql(
        client, UPDATE_PROFILE, {"input": {"address": "深圳市福田区1号", "effectiveOn": "2026-09-21"}}, headers=holder
    )
    assert errors(late) == []

    changes = (await gql(client, PROFILE_CHANGES, {"id": None}, headers=holder))["data"]["account"]["profileChanges"]
    got = [(e["node"]["field"], e["node"]["effectiveOn"], e["node"]["late"]) for e in changes["edges"]]
    assert got == [
        ("email", "2026-09-22", False),
        ("phone", "2026-09-22", False),
        ("address", "2026-09-21", True),
    ]
    assert {e["node"]["reportedAt"] for e in changes["edges"]} == {clock.now().isoformat()}
    # Staff see the late flag too.
    staff = await gql(
        client,
        PROFILE_CHANGES,
        {"id": account_id(principals.account_a)},
        headers=principals.staff["SUPPORT"].headers,
    )
    assert [e["node"]["late"] for e in staff["data"]["account"]["profileChanges"]["edges"]] == [False, False, True]


async def test_acc2_late_flag_counts_working_days_across_national_day(client, principals, clock, session) -> None:
    clock.set(datetime(2026, 10, 9, 8, 0, tzinfo=UTC))  # Fri 9 Oct, Shanghai afternoon
    await principals.relogin()
    # Changed Tue 29 Sep: Sep 30, Oct 8, 9, 10 (adjusted Saturday), 12 -> still in time on 9 Oct.
    # (Counting plain weekdays would have ended on Tue 6 Oct and called it late.)
    body = await gql(
        client,
        UPDATE_PROFILE,
        {"input": {"email": "oct@a.example.cn", "effectiveOn": "2026-09-29"}},
        headers=principals.holder_a.headers,
    )
    assert errors(body) == []
    clock.set(datetime(2026, 10, 12, 16, 30, tzinfo=UTC))  # Tue 13 Oct 00:30 Shanghai: too late
    await principals.relogin()
    body = await gql(
        client,
        UPDATE_PROFILE,
        {"input": {"phone": "13700000000", "effectiveOn": "2026-09-29"}},
        headers=principals.holder_a.headers,
    )
    assert errors(body) == []
    lates = (await session.execute(select(ProfileChange.field, ProfileChange.late).order_by(ProfileChange.id))).all()
    assert lates == [("email", False), ("phone", True)]


async def test_acc2_invalid_values_store_nothing(client, principals, session) -> None:
    before = await state(session)
    for change, field in (
        ({"email": "nope"}, "email"),
        ({"phone": "12345"}, "phone"),
        ({"email": "ok@a.example.cn", "phone": "bad"}, "phone"),  # one bad field: nothing at all
        ({"email": "ok@a.example.cn", "effectiveOn": "2026-10-30"}, "effectiveOn"),  # the future
    ):
        body = await gql(
            client,
            UPDATE_PROFILE,
            {"input": {"effectiveOn": "2026-09-29"} | change},
            headers=principals.holder_a.headers,
        )
        assert [e["field"] for e in errors(body)] == [[field]]
    assert await state(session) == before


async def test_acc2_a_change_in_an_unknown_year_is_calendar_unknown(client, principals, clock) -> None:
    clock.set(datetime(2026, 12, 31, 2, 0, tzinfo=UTC))
    await principals.relogin()
    body = await gql(
        client,
        UPDATE_PROFILE,
        {"input": {"email": "d@a.example.cn", "effectiveOn": "2026-12-30"}},
        headers=principals.holder_a.headers,
    )
    assert errors(body)[0]["code"] == "CALENDAR_UNKNOWN"


async def test_acc8_sub_accounts_cannot_change_the_profile(client, principals) -> None:
    body = await gql(
        client,
        UPDATE_PROFILE,
        {"input": {"email": "s@a.example.cn", "effectiveOn": "2026-09-29"}},
        headers=principals.sub_a.headers,
    )
    assert errors(body)[0]["code"] == "INSUFFICIENT_PERMISSION"
