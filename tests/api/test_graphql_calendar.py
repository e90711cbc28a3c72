"""The workingDays query end to end, and how bad input is answered (never a 500 or a stack)."""

import pytest

from tests.conftest import gql


@pytest.fixture(autouse=True)
def _as_admin(client, admin) -> None:
    """These tests are about the calendar and HTTP surface, asked by a signed-in ADMIN."""
    client.headers.update(admin)


WORKING_DAYS = """
query WorkingDays($from: Date!, $to: Date!) { workingDays(from: $from, to: $to) }
"""

LOAD_CALENDAR = """
mutation Load($input: HolidayCalendarInput!) {
  loadHolidayCalendar(input: $input) { year userErrors { code field message } }
}
"""


async def test_t2_working_days_over_national_day_2026(client) -> None:
    body = await gql(client, WORKING_DAYS, {"from": "2026-09-28", "to": "2026-10-12"})
    assert body["data"]["workingDays"] == [
        "2026-09-28",
        "2026-09-29",
        "2026-09-30",
        "2026-10-08",
        "2026-10-09",
        "2026-10-10",
        "2026-10-12",
    ]


async def test_t2_working_days_over_spring_festival_2026(client) -> None:
    body = await gql(client, WORKING_DAYS, {"from": "2026-02-13", "to": "2026-03-01"})
    assert body["data"]["workingDays"] == [
        "2026-02-13",
        "2026-02-14",
        "2026-02-24",
        "2026-02-25",
        "2026-02-26",
        "2026-02-27",
        "2026-02-28",
    ]


async def test_t3_working_days_in_2027_is_calendar_unknown(client) -> None:
    body = await gql(client, WORKING_DAYS, {"from": "2026-12-30", "to": "2027-01-05"})
    assert body["data"] == {"workingDays": None}  # the error stays at its field (schema/execution.py)
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "CALENDAR_UNKNOWN"
    assert "2027" in error["message"]


@pytest.mark.parametrize(
    ("variables", "fragment"),
    [
        ({"from": "2026-02-30", "to": "2026-03-01"}, "not a calendar date"),
        ({"from": "yesterday", "to": "2026-03-01"}, "not a calendar date"),
        ({"from": 20260101, "to": "2026-03-01"}, "ISO 8601"),
    ],
)
async def test_bad_dates_are_clear_errors(client, variables, fragment) -> None:
    body = await gql(client, WORKING_DAYS, variables)
    assert "data" not in body or body["data"] is None
    assert fragment in body["errors"][0]["message"]
    assert "Traceback" not in str(body)


async def test_a_reversed_range_is_invalid(client) -> None:
    body = await gql(client, WORKING_DAYS, {"from": "2026-10-12", "to": "2026-10-01"})
    assert body["errors"][0]["extensions"] == {"code": "INVALID", "field": ["to"]}


async def test_known_years_include_the_package_years_and_not_2027(client) -> None:
    body = await gql(client, "{ knownCalendarYears }")
    years = body["data"]["knownCalendarYears"]
    assert 2026 in years
    assert 2027 not in years


async def test_t3_admin_loads_2027_then_its_working_days_answer(client) -> None:
    calendar_2027 = {"year": 2027, "holidays": ["2027-01-01"], "adjustedWorkdays": []}
    body = await gql(client, LOAD_CALENDAR, {"input": calendar_2027})
    assert body["data"]["loadHolidayCalendar"] == {"year": 2027, "userErrors": []}
    days = await gql(client, WORKING_DAYS, {"from": "2026-12-31", "to": "2027-01-05"})
    assert days["data"]["workingDays"] == ["2026-12-31", "2027-01-04", "2027-01-05"]


async def test_load_holiday_calendar_refusals_are_user_errors(client) -> None:
    bad = {"year": 2027, "holidays": ["2027-01-01"], "adjustedWorkdays": ["2027-01-04"]}
    body = await gql(client, LOAD_CALENDAR, {"input": bad})
    (error,) = body["data"]["loadHolidayCalendar"]["userErrors"]
    assert error["code"] == "INVALID" and error["field"] == ["adjustedWorkdays"]
    after = await gql(client, "{ holidayCalendars { edges { node { year } } } }")
    assert after["data"]["holidayCalendars"]["edges"] == []


async def test_load_holiday_calendar_is_for_admin_only(client, principals) -> None:
    calendar_2027 = {"input": {"year": 2027, "holidays": ["2027-01-01"], "adjustedWorkdays": []}}
    for who in (principals.staff["FINANCE"], principals.holder_a):
        body = await gql(client, LOAD_CALENDAR, calendar_2027, headers=who.headers)
        assert body["data"]["loadHolidayCalendar"]["userErrors"][0]["code"] == "INSUFFICIENT_PERMISSION"
    del client.headers["authorization"]
    anonymous = await gql(client, LOAD_CALENDAR, calendar_2027)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    after = await gql(
        client, "{ holidayCalendars { edges { node { year } } } }", headers=principals.staff["ADMIN"].headers
    )
    assert after["data"]["holidayCalendars"]["edges"] == []
