"""Account.invoices (with each invoice's state history), invoiceProfileChanges, and the staff
accounts list with invoiceProfile and invoiceable cost the same number of SQL statements for
1, 10 and 100 items."""

from datetime import UTC, datetime

from models import Invoice, InvoiceProfile, InvoiceProfileChange, InvoiceStateChange
from tests.factories import make_account
from tests.invoices.helpers import settled_bill
from tests.test_query_counts import cost

AT = datetime(2026, 9, 1, tzinfo=UTC)

INVOICES = (
    "{ account { invoiceable invoices(first: 100) { edges { node { id amount state history { state at } } } } } }"
)
CHANGES = "{ account { invoiceProfileChanges(first: 100) { edges { node { id field newValue } } } } }"
ACCOUNTS = (
    "{ accounts(first: 100) { edges { node { id invoiceable invoiceProfile { title taxpayerCertificateOnFile } } } } }"
)


async def add_invoices(session, account_id, n: int) -> None:
    for _ in range(n):
        invoice = Invoice(account_id=account_id, type="VAT_GENERAL", amount_fen=1, requested_at=AT, requested_by="h")
        session.add(invoice)
        await session.flush()
        session.add_all(
            [
                InvoiceStateChange(invoice_id=invoice.id, state="REQUESTED", at=AT, by="h"),
                InvoiceStateChange(invoice_id=invoice.id, state="ISSUED", at=AT, by="f"),
            ]
        )
        session.add(
            InvoiceProfileChange(account_id=account_id, field="title", new_value="t", changed_at=AT, changed_by="h")
        )
    await session.commit()


async def test_inv_invoice_lists_cost_the_same_for_1_10_and_100(client, app, principals, session) -> None:
    await principals.login(principals.holder_a)
    await settled_bill(session, principals.account_a.id, 1_000)
    costs: dict[str, list[int]] = {INVOICES: [], CHANGES: []}
    added = 0
    for total in (1, 10, 100):
        await add_invoices(session, principals.account_a.id, total - added)
        added = total
        for query, seen in costs.items():
            seen.append(await cost(client, app, query, principals.holder_a.headers))
    for query, seen in costs.items():
        assert seen[0] == seen[1] == seen[2], (query, seen)


async def test_inv_accounts_with_invoice_fields_cost_the_same(client, app, principals, session) -> None:
    await principals.login(principals.staff["FINANCE"])
    costs, added = [], 2
    for total in (3, 12, 100):
        for i in range(total - added):
            account = await make_account(session, name=f"公司{added + i}")
            session.add(
                InvoiceProfile(account_id=account.id, title="t", taxpayer_id="x", address_phone="a", bank_account="b")
            )
            await session.flush()
            await settled_bill(session, account.id, 100)
        added = total
        costs.append(await cost(client, app, ACCOUNTS, principals.staff["FINANCE"].headers))
    assert costs[0] == costs[1] == costs[2], costs
