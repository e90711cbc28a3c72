"""HTTP surface: health, readiness, metrics, request ids, GraphiQL, limits, error masking."""

import pytest
from sqlalchemy import func, select

from api import assets
from api.app import create_app
from api.settings import Environment, Settings
from models import CalendarYear
from services import calendar
from tests.conftest import gql


@pytest.fixture(autouse=True)
def _as_admin(client, admin) -> None:
    """These tests are about the calendar and HTTP surface, asked by a signed-in ADMIN."""
    client.headers.update(admin)


async def test_healthz(client) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_when_migrated(client) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "ready"


async def test_readyz_when_not_migrated(databases, clock) -> None:
    import httpx

    app = create_app(Settings(database_url=await databases.empty(), env=Environment.TEST), clock=clock)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["reason"] == "database not migrated to head"


async def test_request_id_is_echoed_or_made(client) -> None:
    given = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    made = await client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert made.headers["x-request-id"] not in ("", "bad id with spaces")


async def test_metrics_count_requests_by_operation_name(client) -> None:
    for _ in range(3):
        await gql(client, "query MetricsProbe { knownCalendarYears }")
    text = (await client.get("/metrics")).text
    assert 'accord_requests_total{operation="MetricsProbe",status="200"} 3.0' in text
    assert 'accord_request_duration_seconds_count{operation="MetricsProbe"} 3.0' in text


async def test_graphiql_is_served_from_local_assets(client) -> None:
    if not assets.present():
        pytest.fail("GraphiQL assets are not installed: run `python -m api.assets` (make does)")
    page = await client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "/static/graphiql/graphiql.min.js" in page.text
    assert "unpkg" not in page.text and "jsdelivr" not in page.text
    script = await client.get("/static/graphiql/graphiql.min.js")
    assert script.status_code == 200 and len(script.content) > 100_000


async def test_graphiql_pages_cannot_be_framed_like_the_login_page(client) -> None:
    from api.oauth import PAGE_HEADERS
    from tests.principals import authorize_params, pkce_pair

    login_page = await client.get("/oauth/authorize", params=authorize_params(pkce_pair()[1]))
    assert login_page.headers["x-frame-options"] == PAGE_HEADERS["X-Frame-Options"] == "DENY"
    for path in ("/graphql", "/graphql/callback?code=abc&state=xyz"):
        page = await client.get(path, headers={"Accept": "text/html"})
        assert page.status_code == 200 and "<html" in page.text
        assert page.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in login_page.headers["content-security-policy"]
        assert page.headers["referrer-policy"] == "no-referrer"  # the callback URL carries the code


async def test_malformed_json_is_400(client) -> None:
    response = await client.post("/graphql", content=b"{nope", headers={"content-type": "application/json"})
    assert response.status_code == 400


async def test_malformed_graphql_is_a_syntax_error(client) -> None:
    body = await gql(client, "{ workingDays(from: ")
    assert "Syntax Error" in body["errors"][0]["message"]


async def test_wrong_variable_type(client) -> None:
    body = await gql(
        client, "query Q($n: Int) { holidayCalendars(first: $n) { pageInfo { hasNextPage } } }", {"n": "ten"}
    )
    assert "Int cannot represent" in body["errors"][0]["message"]


async def test_first_over_the_cap_is_refused(client) -> None:
    body = await gql(client, "{ holidayCalendars(first: 101) { pageInfo { hasNextPage } } }")
    assert body["errors"][0]["extensions"]["code"] == "INVALID"
    assert "100" in body["errors"][0]["message"]


async def test_depth_limit(session) -> None:
    # The real schema's deepest path today is 4 levels, so prove the limiter is wired in with
    # a lowered limit; introspection (GraphiQL's own deep query) is exempt by design.
    from schema import build_schema

    schema = build_schema(max_depth=2)
    query = "{ holidayCalendars { edges { node { holidays } } } }"
    result = await schema.execute(query, context_value=None)
    assert "exceeds maximum operation depth of 2" in result.errors[0].message
    assert result.data is None


async def test_alias_limit(client) -> None:
    many = "{ " + " ".join(f"a{i}: knownCalendarYears" for i in range(31)) + " }"
    body = await gql(client, many)
    assert "aliases found" in body["errors"][0]["message"]


async def test_token_limit(client) -> None:
    huge = "{ " + " ".join("knownCalendarYears" for _ in range(6000)) + " }"
    body = await gql(client, huge)
    assert "tokens" in body["errors"][0]["message"]


async def test_unexpected_errors_are_masked_and_roll_back(client, monkeypatch, session) -> None:
    async def broken(*args, **kwargs):
        raise RuntimeError('relation "secret" does not exist: SELECT password FROM users')

    monkeypatch.setattr(calendar, "calendar", broken)
    body = await gql(client, '{ workingDays(from: "2026-10-01", to: "2026-10-02") }')
    assert body["errors"][0]["message"] == "Unexpected error."
    assert "SELECT" not in str(body) and "Traceback" not in str(body)
    assert await session.scalar(select(func.count()).select_from(CalendarYear)) == 0


async def test_an_unexpected_error_in_a_mutation_returns_no_data_and_keeps_nothing(
    client, monkeypatch, session
) -> None:
    """Two mutations in one document: the second fails unexpectedly, so the first's success
    must not be reported either (the whole transaction is rolled back)."""
    from services.calendar import service as calendar_service

    real = calendar_service.load_year
    calls = []

    async def second_call_breaks(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return await real(*args, **kwargs)

    monkeypatch.setattr(calendar, "load_year", second_call_breaks)
    body = await gql(
        client,
        """mutation {
          a: loadHolidayCalendar(input: {year: 2027, holidays: ["2027-01-01"], adjustedWorkdays: []}) { year }
          b: loadHolidayCalendar(input: {year: 2028, holidays: ["2028-01-01"], adjustedWorkdays: []}) { year }
        }""",
    )
    assert body["data"] is None and body["errors"][0]["message"] == "Unexpected error."
    assert await session.scalar(select(func.count()).select_from(CalendarYear)) == 0
