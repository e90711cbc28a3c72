"""The bearer check runs before the request's transaction begins (issue 15): on PostgreSQL a
`{ __typename }` with a token costs one round trip, not BEGIN, statement and COMMIT; whatever
else the request reads or writes still runs in one transaction, and no connection goes back to
the pool in autocommit."""

import asyncpg.transaction
import pytest

from tests.conftest import answered, gql
from tests.databases import POSTGRES_URL

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="round trips to PostgreSQL (ACCORD_TEST_POSTGRES_URL)")


@pytest.fixture
def transactions(monkeypatch) -> list[object]:
    """Every database transaction the driver begins (asyncpg's own, counted as it runs)."""
    started: list[object] = []
    original = asyncpg.transaction.Transaction.start

    async def start(self) -> None:
        started.append(self)
        await original(self)

    monkeypatch.setattr(asyncpg.transaction.Transaction, "start", start)
    return started


async def test_a_token_checked_query_that_reads_nothing_else_begins_no_transaction(
    app, client, principals, transactions
) -> None:
    await principals.login(principals.holder_a)
    transactions.clear()
    body = await gql(client, "{ __typename }", headers=principals.holder_a.headers)
    assert answered(body) == {"data": {"__typename": "Query"}}  # its extensions report the query cost
    assert transactions == []
    query = "{ account { balance ledger(first: 5) { edges { node { id } } } } }"
    body = await gql(client, query, headers=principals.holder_a.headers)
    assert "errors" not in body, body
    assert len(transactions) == 1  # the rest of the request: one transaction
    async with app.state.engine.connect() as connection:
        raw = await connection.get_raw_connection()
        assert raw.dbapi_connection.autocommit is False


async def test_a_revoked_token_is_refused_on_the_next_request(client, principals) -> None:
    await principals.login(principals.holder_a)
    assert (await gql(client, "{ __typename }", headers=principals.holder_a.headers))["data"]
    revoke = "mutation { revokeAllTokens(input: {}) { userErrors { code } } }"
    assert (await gql(client, revoke, headers=principals.holder_a.headers))["data"]["revokeAllTokens"][
        "userErrors"
    ] == []
    response = await client.post("/graphql", json={"query": "{ __typename }"}, headers=principals.holder_a.headers)
    assert response.status_code == 401
