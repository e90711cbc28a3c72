"""Abuse limits (issue 15, OWASP GraphQL cheat sheet): each probe is refused before anything
executes (no SQL statement at all for an anonymous probe), and the cost is reported."""

import asyncio
from types import SimpleNamespace

from schema import build_schema
from schema.abuse import MAX_COST
from tests.test_query_counts import statements

EXPENSIVE = "{ accounts(first: 100) { edges { node { apps(first: 100) { edges { node { id appId name } } } } } } }"


async def probe(client, app, body: dict) -> tuple[dict, list[str]]:
    with statements(app) as seen:
        answer = await client.post("/graphql", json=body)
    assert answer.status_code == 200, answer.text
    return answer.json(), seen


async def test_several_operations_without_a_name_are_refused_not_the_first_run(client, app) -> None:
    body, seen = await probe(client, app, {"query": "query A { __typename } query B { __typename }"})
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "INVALID" and seen == []
    named, _ = await probe(
        client, app, {"query": "query A { __typename } query B { x: __typename }", "operationName": "B"}
    )
    assert named["data"] == {"x": "Query"}


async def test_query_cost_over_the_maximum_is_refused_before_it_runs(client, app) -> None:
    body, seen = await probe(client, app, {"query": EXPENSIVE})
    assert body["data"] is None and seen == []
    assert body["errors"][0]["extensions"]["cost"] > MAX_COST
    cheap, _ = await probe(client, app, {"query": "{ __typename }"})
    assert cheap == {"data": {"__typename": "Query"}}


async def test_directive_repetition_is_bounded(client, app) -> None:
    skips = " ".join(["@include(if: true)"] * 4)
    body, seen = await probe(client, app, {"query": f"{{ ... on Query {skips} {{ __typename }} }}"})
    assert body["data"] is None and seen == []


def test_production_hides_field_suggestions_and_anonymous_introspection() -> None:
    production, development = build_schema(production=True), build_schema()
    typo = "{ acount { id } }"
    assert "Did you mean" in asyncio.run(development.execute(typo)).errors[0].message
    assert "Did you mean" not in asyncio.run(production.execute(typo)).errors[0].message
    introspect = "{ __schema { queryType { name } } }"
    anonymous = asyncio.run(production.execute(introspect, context_value=SimpleNamespace(principal=None)))
    assert anonymous.data is None and anonymous.errors[0].extensions["code"] == "UNAUTHENTICATED"
    for hidden in (
        "{ ... on Query { __schema { queryType { name } } } }",
        'query { ...F } fragment F on Query { __type(name: "Account") { name } }',
    ):
        refused = asyncio.run(production.execute(hidden, context_value=SimpleNamespace(principal=None)))
        assert refused.data is None and refused.errors[0].extensions["code"] == "UNAUTHENTICATED", hidden
    signed_in = asyncio.run(production.execute(introspect, context_value=SimpleNamespace(principal=object())))
    assert signed_in.data == {"__schema": {"queryType": {"name": "Query"}}}
    assert asyncio.run(development.execute(introspect)).data is not None


def test_over_the_websocket_only_subscriptions_are_answered() -> None:
    """graphql-transport-ws carries queries and mutations too; the socket's context has no request
    transaction, so they are refused cleanly instead of failing inside a resolver."""
    socket = SimpleNamespace(transaction=None, principal=object())
    answer = asyncio.run(build_schema().execute("{ __typename }", context_value=socket))
    assert answer.data is None and "only subscriptions" in answer.errors[0].message
