"""No string holding NUL or a lone surrogate reaches a service or the database, on either
database (schema/input_strings.py): a mutation's own arguments give an audited userError
INVALID naming the field; any other argument refuses the operation with a top-level INVALID.
Also the cap on Query.accounts(search:)."""

import json

from sqlalchemy import select

from models import AuditRecord
from tests.conftest import gql
from tests.snapshots import state

TOP_UP = """
mutation T($input: TopUpInput!) { topUp(input: $input) { entry { amount } userErrors { code field message } } }
"""
REPORT = """mutation C($evidence: String) {
  reportCompromise(input: {what: [PASSWORD], description: "leaked", evidence: $evidence}) { userErrors { code field } } }"""
SEARCH = "query S($s: String) { accounts(search: $s) { edges { node { id } } } }"


def top_up(reference: str, key: str = "k-1") -> dict:
    return {"input": {"amount": "100.00", "method": "ONLINE", "reference": reference, "idempotencyKey": key}}


async def post_raw(client, query: str, variables: dict, headers: dict) -> dict:
    """JSON with \\u escapes (a lone surrogate cannot be sent as UTF-8)."""
    body = json.dumps({"query": query, "variables": variables}, ensure_ascii=True).encode()
    response = await client.post("/graphql", content=body, headers={"content-type": "application/json", **headers})
    assert response.status_code == 200, response.text
    return response.json()


async def test_nul_and_lone_surrogates_in_mutation_input_are_invalid_user_errors(client, principals, session) -> None:
    holder = principals.holder_a.headers
    before = await state(session)
    for variables in (top_up("支付宝\x00123"), top_up("ok", key="k\x00"), top_up("支付宝\ud800")):
        body = await post_raw(client, TOP_UP, variables, holder)
        (error,) = body["data"]["topUp"]["userErrors"]
        field = "idempotencyKey" if "\x00" in variables["input"]["idempotencyKey"] else "reference"
        assert (error["code"], error["field"]) == ("INVALID", [field])
    inline = 'mutation { topUp(input: {amount: "1.00", method: ONLINE, reference: "a\\u0000b", idempotencyKey: "k"}) { userErrors { code field } } }'
    assert (await gql(client, inline, headers=holder))["data"]["topUp"]["userErrors"] == [
        {"code": "INVALID", "field": ["reference"]}
    ]
    # A field no service validates (stored as it came) is covered all the same.
    report = await post_raw(client, REPORT, {"evidence": "截图\x00"}, holder)
    assert report["data"]["reportCompromise"]["userErrors"] == [{"code": "INVALID", "field": ["evidence"]}]
    assert await state(session) == before
    refusals = (await session.execute(select(AuditRecord.outcome).where(AuditRecord.action == "topUp"))).scalars()
    assert list(refusals) == ["INVALID"] * 4  # audited like every refusal

    fine = await gql(client, TOP_UP, top_up("支付宝 2026093000001"), headers=holder)
    assert fine["data"]["topUp"] == {"entry": None, "userErrors": []}  # PRE-2: pending until paid


async def test_nul_in_a_query_argument_is_a_top_level_invalid(client, principals) -> None:
    staff = principals.staff["SUPPORT"].headers
    for query, variables in (
        (SEARCH, {"s": "甲\x00"}),
        (SEARCH, {"s": "\udfff"}),
        ('{ accounts(search: "a\\u0000") { edges { node { id } } } }', {}),
        ('query S($s: String = "\\u0000") { accounts(search: $s) { edges { node { id } } } }', {}),
        (
            "query S($s: String) { ...F } fragment F on Query { accounts(search: $s) { edges { node { id } } } }",
            {"s": "\x00"},
        ),
    ):
        body = await post_raw(client, query, variables, staff)
        assert body["data"] is None, query
        (error,) = body["errors"]
        assert error["extensions"] == {"code": "INVALID", "field": ["search"]}
        assert "NUL" in error["message"] or "surrogate" in error["message"]
    found = await gql(client, SEARCH, {"s": "甲"}, headers=staff)
    assert len(found["data"]["accounts"]["edges"]) == 1


async def test_nul_below_a_mutations_root_refuses_the_whole_mutation(client, principals, session) -> None:
    """The NUL sits in a field of the payload, not in the mutation's input: nothing runs."""
    before = await state(session)
    query = """mutation R($after: String) {
      revokeAllTokens(input: {}) { userErrors { code } account { auditLog(after: $after) { edges { cursor } } } }
    }"""
    body = await post_raw(client, query, {"after": "\x00"}, principals.holder_a.headers)
    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {"code": "INVALID", "field": ["after"]}
    assert await state(session) == before


async def test_search_is_at_most_100_characters(client, principals) -> None:
    staff = principals.staff["SUPPORT"].headers
    refused = await gql(client, SEARCH, {"s": "甲" * 101}, headers=staff)
    assert refused["data"] == {"accounts": None}  # the error stays at its field
    assert refused["errors"][0]["extensions"] == {"code": "INVALID", "field": ["search"]}
    assert "100" in refused["errors"][0]["message"]
    assert (await gql(client, SEARCH, {"s": "甲" * 100}, headers=staff))["data"]["accounts"]["edges"] == []
