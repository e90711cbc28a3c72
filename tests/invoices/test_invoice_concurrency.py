"""INV-4 under concurrency, on PostgreSQL through the real app: requests that each fit the
invoiceable amount but together exceed it never all succeed. Overlap is forced: the requests
are sent while another transaction holds the account's lock, and released once they queue."""

from sqlalchemy import func, select

from models import Invoice
from tests.conftest import gql, requires_postgres
from tests.invoices.helpers import REQUEST, ready_to_invoice
from tests.ledger.test_ledger_concurrency import all_at_once

pytestmark = requires_postgres


async def test_inv4_concurrent_requests_never_exceed_the_invoiceable_amount(
    client, principals, session, database_url
) -> None:
    await ready_to_invoice(client, principals, session, settled_fen=100_000)
    await principals.login(principals.holder_a)
    headers = principals.holder_a.headers
    variables = {"input": {"type": "VAT_GENERAL", "amount": "600.00"}}
    calls = [gql(client, REQUEST, variables, headers=headers) for _ in range(3)]
    bodies = await all_at_once(session, database_url, [principals.account_a.id], calls, queued=3)
    codes = [[e["code"] for e in body["data"]["requestInvoice"]["userErrors"]] for body in bodies]
    assert sorted(codes) == [[], ["EXCEEDS_INVOICEABLE"], ["EXCEEDS_INVOICEABLE"]], codes
    await session.rollback()
    total = await session.scalar(
        select(func.sum(Invoice.amount_fen)).where(Invoice.account_id == principals.account_a.id)
    )
    assert total == 60_000
