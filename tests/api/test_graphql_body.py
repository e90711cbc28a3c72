"""CONTRACT.md limits: a POST /graphql body that is not a JSON object, not UTF-8 or nested too
deep is a 400 with a GraphQL error, never a 500 (api/graphql_body.py)."""

import pytest

DEEP_ARRAYS = b"[" * 100_000 + b"]" * 100_000
DEEP_VARIABLES = b'{"query":"{ __typename }","variables":{"a":' + b"[" * 40 + b"]" * 40 + b"}}"


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b'"hello"', "JSON object"),
        (b"12", "JSON object"),
        (b"null", "JSON object"),
        (b"[]", "JSON object"),
        (b'[{"query": "{ __typename }"}]', "JSON object"),  # no batching
        (DEEP_ARRAYS, "nests deeper"),
        (DEEP_VARIABLES, "nests deeper"),
        (b"\xff\xfe", "not UTF-8"),
        ('{"query": "{ __typename }"}'.encode("utf-16"), "not UTF-8"),
        (b"{nope", "not valid JSON"),
        (b'{"query": "{ __typename }", "variables": {"n": ' + b"9" * 5000 + b"}}", "not valid JSON"),
        (b"", "not valid JSON"),
        (b'{"query": 5}', "query"),
        (b'{"query": ["{ __typename }"]}', "query"),
        (b'{"query": "{ __typename }", "variables": [1]}', "variables"),
        (b'{"query": "{ __typename }", "variables": "x"}', "variables"),
        (b'{"query": "{ __typename }", "operationName": 5}', "operationName"),
        (b'{"query": "{ __typename }", "operationName": {"a": 1}}', "operationName"),
        (b'{"query": "{ __typename }", "extensions": 3}', "extensions"),
        (b'{"variables": {}}', "query"),
    ],
)
async def test_a_malformed_body_is_a_400_with_a_graphql_error(client, body, says) -> None:
    response = await client.post("/graphql", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400, response.text[:300]
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "INVALID"
    assert says in error["message"]


async def test_a_body_that_is_not_json_at_all_is_a_400_with_a_graphql_error(client) -> None:
    response = await client.post("/graphql", content=b"query { __typename }", headers={"content-type": "text/plain"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "INVALID"


async def test_a_wellformed_body_still_runs(client) -> None:
    body = b'{"query": "query Q($n: String!) { __type(name: $n) { name } }", "variables": {"n": "Query"}, "operationName": "Q"}'
    response = await client.post("/graphql", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 200
    assert response.json()["data"] == {"__type": {"name": "Query"}}
