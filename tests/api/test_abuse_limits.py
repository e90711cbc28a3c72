"""Abuse limits (issue 15, OWASP GraphQL cheat sheet): each probe, sent over HTTP to the real
app, is refused with its code and before anything executes.

"Before anything executes" is shown with the SQL statements the request runs: an anonymous
probe runs none at all; a signed-in probe runs exactly what ``{ __typename }`` with the same
token runs (the bearer check), although each probe asks for fields that read the database
when they run (``accounts``: shown by ``test_the_probes_fields_do_read_the_database``). The
query-cost budget has its own tests (tests/api/test_cost_budget.py)."""

import httpx
import pytest

from api.app import create_app
from api.settings import Environment
from schema.abuse import MAX_COST, MAX_DIRECTIVES
from schema.build import MAX_ALIASES, MAX_TOKENS
from tests.test_query_counts import statements

ACCOUNTS = "accounts(first: 1) { edges { node { id holderType } } }"
EXPENSIVE = "{ accounts(first: 100) { edges { node { apps(first: 100) { edges { node { id appId name } } } } } } }"


async def probe(client, app, body, headers=None, status: int = 200) -> tuple[dict, list[str]]:
    with statements(app) as seen:
        answer = await client.post("/graphql", json=body, headers=headers or {})
    assert answer.status_code == status, answer.text
    return answer.json(), seen


async def bearer_check(client, app, headers) -> list[str]:
    """What a signed-in request runs when it executes nothing (asked twice: caches warm)."""
    await probe(client, app, {"query": "{ __typename }"}, headers)
    body, seen = await probe(client, app, {"query": "{ __typename }"}, headers)
    assert body["data"] == {"__typename": "Query"}
    return seen


def refused(body: dict, code: str) -> dict:
    """The first error (a validation may report one per place), every one carrying ``code``."""
    assert body.get("data") is None and body["errors"], body
    assert all(error["extensions"]["code"] == code for error in body["errors"]), body
    return body["errors"][0]


async def test_the_probes_fields_do_read_the_database(client, app, admin) -> None:
    baseline = await bearer_check(client, app, admin)
    body, seen = await probe(client, app, {"query": f"{{ {ACCOUNTS} }}"}, admin)
    assert "errors" not in body and len(seen) > len(baseline)


async def test_query_cost_over_the_maximum_is_refused_before_it_runs(client, app, admin) -> None:
    baseline = await bearer_check(client, app, admin)
    body, seen = await probe(client, app, {"query": EXPENSIVE}, admin)
    error = refused(body, "INVALID")
    assert error["extensions"]["cost"] > MAX_COST and seen == baseline
    anonymous, seen = await probe(client, app, {"query": EXPENSIVE})
    assert refused(anonymous, "INVALID")["extensions"]["cost"] > MAX_COST and seen == []


async def test_answered_operations_report_their_cost(client, app) -> None:
    body, _ = await probe(client, app, {"query": "{ __typename }"})
    assert body["data"] == {"__typename": "Query"}
    cost = body["extensions"]["cost"]
    assert cost["requested"] == 1 and cost["limit"] == MAX_COST and cost["budgetRemaining"] > 0
    refusal, _ = await probe(client, app, {"query": EXPENSIVE})
    assert refusal["extensions"]["cost"]["requested"] > MAX_COST


async def test_several_operations_without_a_name_are_refused_not_the_first_run(client, app, admin) -> None:
    baseline = await bearer_check(client, app, admin)
    document = f"query A {{ {ACCOUNTS} }} query B {{ x: {ACCOUNTS} }}"
    body, seen = await probe(client, app, {"query": document}, admin)
    assert "operationName" in refused(body, "INVALID")["message"] and seen == baseline
    named, _ = await probe(client, app, {"query": document, "operationName": "B"}, admin)
    assert set(named["data"]) == {"x"}


async def test_a_batch_of_operations_in_one_body_is_refused(client, app, admin) -> None:
    baseline = await bearer_check(client, app, admin)
    batch = [{"query": f"{{ {ACCOUNTS} }}"}, {"query": f"{{ {ACCOUNTS} }}"}]
    body, seen = await probe(client, app, batch, admin, status=400)
    assert "JSON object" in refused(body, "INVALID")["message"] and seen == baseline


async def test_directive_repetition_is_bounded(client, app, admin) -> None:
    """The schema's directives are not repeatable, so validation allows each once on a node;
    unknown ones are refused by name (and the token limit bounds how many a probe can send).
    schema/abuse.py's MAX_DIRECTIVES would bound a repeatable directive, should one be added."""
    baseline = await bearer_check(client, app, admin)
    for repeated in (
        "@include(if: true) " * (MAX_DIRECTIVES + 1),
        "@skip(if: false) @include(if: true) " * 2,
        "@a " * 1000,
    ):
        query = f"{{ accounts {repeated} {{ edges {{ node {{ id }} }} }} }}"
        body, seen = await probe(client, app, {"query": query}, admin)
        message = refused(body, "INVALID")["message"]
        assert "only be used once" in message or "Unknown directive" in message, message
        assert seen == baseline
    once, _ = await probe(
        client, app, {"query": "{ accounts @skip(if: false) @include(if: true) { edges { node { id } } } }"}, admin
    )
    assert "errors" not in once


async def test_too_many_aliases_are_refused(client, app, admin) -> None:
    baseline = await bearer_check(client, app, admin)
    many = "{ " + " ".join(f"a{i}: {ACCOUNTS}" for i in range(MAX_ALIASES + 1)) + " }"
    body, seen = await probe(client, app, {"query": many}, admin)
    assert "aliases" in refused(body, "INVALID")["message"] and seen == baseline


async def test_too_many_tokens_are_refused(client, app, admin) -> None:
    baseline = await bearer_check(client, app, admin)
    huge = "{ " + " ".join(ACCOUNTS for _ in range(MAX_TOKENS // 10)) + " }"
    body, seen = await probe(client, app, {"query": huge}, admin)
    assert "tokens" in refused(body, "INVALID")["message"] and seen == baseline


async def test_too_deep_a_query_is_refused(settings, clock, admin, monkeypatch) -> None:
    """The real schema's deepest path (outside introspection, which is exempt) is well under
    the limit, so an app built with a lowered limit shows that the limiter is wired in."""
    import api.app
    from schema import build_schema

    monkeypatch.setattr(api.app, "build_schema", lambda **kw: build_schema(max_depth=3, **kw))
    shallow = create_app(settings, clock=clock)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=shallow), base_url="http://127.0.0.1:8000") as c:
        baseline = await bearer_check(c, shallow, admin)
        body, seen = await probe(
            c, shallow, {"query": "{ accounts { edges { node { apps { edges { node { id } } } } } } }"}, admin
        )
        assert "depth" in refused(body, "INVALID")["message"] and seen == baseline
    await shallow.state.engine.dispose()


@pytest.fixture
async def production(settings, clock):
    """The app as ACCORD_ENV=production answers, on the test's database (its start-up checks
    are tests/api/test_settings.py's: a token from the test app is valid here)."""
    app = create_app(settings.model_copy(update={"env": Environment.PRODUCTION}), clock=clock)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8000") as c:
        yield app, c
    await app.state.engine.dispose()


async def test_production_hides_field_suggestions(client, app, production) -> None:
    typo = {"query": "{ acount { id } }"}
    development, _ = await probe(client, app, typo)
    assert "Did you mean" in refused(development, "INVALID")["message"]
    prod_app, prod = production
    body, seen = await probe(prod, prod_app, typo)
    assert "Did you mean" not in refused(body, "INVALID")["message"] and seen == []


@pytest.mark.parametrize(
    "introspection",
    [
        "{ __schema { queryType { name } } }",
        "{ ... on Query { __schema { queryType { name } } } }",
        'query { ...F } fragment F on Query { __type(name: "Account") { name } }',
    ],
)
async def test_production_answers_introspection_only_with_a_token(
    client, app, admin, production, introspection
) -> None:
    prod_app, prod = production
    body, seen = await probe(prod, prod_app, {"query": introspection})
    assert refused(body, "UNAUTHENTICATED") and seen == []
    signed_in, _ = await probe(prod, prod_app, {"query": introspection}, admin)
    assert signed_in["data"] and "errors" not in signed_in
    development, _ = await probe(client, app, {"query": introspection})
    assert development["data"] and "errors" not in development


def test_over_the_websocket_only_subscriptions_are_answered() -> None:
    """graphql-transport-ws carries queries and mutations too; the socket's context has no request
    transaction, so they are refused cleanly instead of failing inside a resolver."""
    import asyncio
    from types import SimpleNamespace

    from schema import build_schema

    socket = SimpleNamespace(transaction=None, principal=object())
    answer = asyncio.run(build_schema().execute("{ __typename }", context_value=socket))
    assert answer.data is None and "only subscriptions" in answer.errors[0].message
