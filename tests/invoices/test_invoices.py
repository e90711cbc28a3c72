"""INV-2 to INV-4 and AUTH-3: invoices for settled consumption only, requested by a real-name
verified account, issued and delivered by FINANCE, certified for deduction by the customer."""

from datetime import date

from sqlalchemy import select

from models import Account, AccountEvent, User
from tests.conftest import gql
from tests.factories import credited_online_top_up
from tests.invoices.helpers import (
    CERTIFY,
    DELIVER,
    INVOICES,
    ISSUE,
    REQUEST,
    delivered,
    finance,
    payload_of,
    ready_to_invoice,
    requested,
    settled_bill,
    verified,
)
from tests.principals import token_for
from tests.snapshots import state


def ask(amount: str, type: str = "VAT_GENERAL") -> dict:
    return {"input": {"type": type, "amount": amount}}


async def test_inv4_prepayments_are_never_invoiceable(client, principals, session) -> None:
    await ready_to_invoice(client, principals, session, settled_fen=0)
    await credited_online_top_up(client, principals, amount="5000.00", key="t-1")
    holder = principals.holder_a.headers
    assert (await gql(client, INVOICES, headers=holder))["data"]["account"]["invoiceable"] == "0.00"
    refused = payload_of(await gql(client, REQUEST, ask("0.01"), headers=holder))
    assert refused["userErrors"][0]["code"] == "EXCEEDS_INVOICEABLE"
    assert refused["userErrors"][0]["field"] == ["amount"]


async def test_inv4_invoiceable_is_settled_consumption_not_yet_invoiced(client, principals, session) -> None:
    await ready_to_invoice(client, principals, session, settled_fen=100_000)
    # A bill not yet settled is not (yet) invoiceable.
    unsettled = await settled_bill(session, principals.account_a.id, 50_000, period=date(2026, 7, 1))
    unsettled.state = "CONFIRMED"
    await session.commit()
    holder = principals.holder_a.headers
    assert (await gql(client, INVOICES, headers=holder))["data"]["account"]["invoiceable"] == "1000.00"

    await requested(client, principals, "600.00", "VAT_GENERAL")
    assert (await gql(client, INVOICES, headers=holder))["data"]["account"]["invoiceable"] == "400.00"
    before = await state(session)
    refused = payload_of(await gql(client, REQUEST, ask("400.01"), headers=holder))
    assert refused["userErrors"][0]["code"] == "EXCEEDS_INVOICEABLE"
    assert await state(session) == before
    await requested(client, principals, "400.00", "VAT_GENERAL")
    assert (await gql(client, INVOICES, headers=holder))["data"]["account"]["invoiceable"] == "0.00"


async def test_auth3_only_a_real_name_verified_account_requests_invoices(client, principals, session) -> None:
    await ready_to_invoice(client, principals, session)
    account = await session.get(Account, principals.account_a.id)
    account.real_name_state = "PENDING"
    await session.commit()
    refused = payload_of(await gql(client, REQUEST, ask("1.00"), headers=principals.holder_a.headers))
    assert refused["userErrors"][0]["code"] == "REAL_NAME_REQUIRED"


async def test_inv3_a_special_invoice_needs_the_taxpayer_certificate(client, principals, session) -> None:
    await ready_to_invoice(client, principals, session, certificate=False)
    holder = principals.holder_a.headers
    refused = payload_of(await gql(client, REQUEST, ask("1.00", "VAT_SPECIAL"), headers=holder))
    assert refused["userErrors"][0]["code"] == "TAXPAYER_CERTIFICATE_REQUIRED"
    # INV-2: a general invoice needs no certificate.
    general = payload_of(await gql(client, REQUEST, ask("1.00", "VAT_GENERAL"), headers=holder))
    assert general["userErrors"] == [] and general["invoice"]["type"] == "VAT_GENERAL"


async def test_inv1_an_invoice_needs_a_profile(client, principals, session) -> None:
    await verified(session, principals.account_a.id)
    await settled_bill(session, principals.account_a.id, 100_000)
    refused = payload_of(await gql(client, REQUEST, ask("1.00"), headers=principals.holder_a.headers))
    assert refused["userErrors"][0]["code"] == "INVALID_STATE"


async def test_inv2_issue_deliver_certify_with_history_and_event(client, principals, session) -> None:
    await ready_to_invoice(client, principals, session)
    invoice = await requested(client, principals, "1000.00", "VAT_SPECIAL")
    assert invoice["state"] == "REQUESTED" and invoice["issuedAt"] is None

    # Only FINANCE issues and delivers.
    for who in (principals.holder_a, principals.staff["SUPPORT"], principals.staff["ADMIN"]):
        body = await gql(client, ISSUE, {"id": invoice["id"]}, headers=who.headers)
        assert payload_of(body)["userErrors"][0]["code"] == "INSUFFICIENT_PERMISSION"
    issued = await finance(client, principals, ISSUE, invoice["id"])
    assert issued["state"] == "ISSUED" and issued["issuedAt"] is not None
    again = payload_of(await gql(client, ISSUE, {"id": invoice["id"]}, headers=principals.staff["FINANCE"].headers))
    assert again["userErrors"][0]["code"] == "INVALID_STATE"
    certify_early = payload_of(await gql(client, CERTIFY, {"id": invoice["id"]}, headers=principals.holder_a.headers))
    assert certify_early["userErrors"][0]["code"] == "INVALID_STATE"

    shipped = await finance(client, principals, DELIVER, invoice["id"])
    assert shipped["state"] == "DELIVERED"
    certified = payload_of(await gql(client, CERTIFY, {"id": invoice["id"]}, headers=principals.holder_a.headers))
    assert certified["invoice"]["certifiedForDeduction"] is True
    assert [h["state"] for h in certified["invoice"]["history"]] == ["REQUESTED", "ISSUED", "DELIVERED", "DELIVERED"]
    assert certified["invoice"]["history"][-1]["note"] == "certified for deduction"

    await session.rollback()
    events = (await session.execute(select(AccountEvent).where(AccountEvent.type == "invoice.issued"))).scalars().all()
    assert [(e.account_id, e.data["amount"], e.data["type"]) for e in events] == [
        (principals.account_a.id, "1000.00", "VAT_SPECIAL")
    ]


async def test_inv2_invoices_are_scoped_and_granted(client, principals, session) -> None:
    await ready_to_invoice(client, principals, session)
    invoice = await delivered(client, principals, "100.00", "VAT_GENERAL")
    node = "query N($id: ID!) { node(id: $id) { ... on Invoice { id amount state } } }"

    # Another account's invoice is simply not found; its holder cannot certify or reverse it.
    assert (await gql(client, node, {"id": invoice["id"]}, headers=principals.holder_b.headers))["data"]["node"] is None
    other = payload_of(await gql(client, CERTIFY, {"id": invoice["id"]}, headers=principals.holder_b.headers))
    assert other["userErrors"][0]["code"] == "NOT_FOUND"

    # A sub-account without invoices:read is refused the field; with the grants it reads and requests.
    body = await gql(client, INVOICES, headers=principals.sub_a.headers)
    assert body["errors"][0]["extensions"]["code"] == "INSUFFICIENT_PERMISSION"
    refused = payload_of(await gql(client, REQUEST, ask("1.00"), headers=principals.sub_a.headers))
    assert refused["userErrors"][0]["code"] == "INSUFFICIENT_PERMISSION"
    user = await session.get(User, principals.sub_a.user_id)
    user.permissions = ["account:read", "invoices:read", "invoices:request"]
    await session.commit()
    token = (await token_for(client, principals.sub_a.login))["access_token"]
    sub = {"Authorization": f"Bearer {token}"}
    listed = (await gql(client, INVOICES, headers=sub))["data"]["account"]
    assert [edge["node"]["id"] for edge in listed["invoices"]["edges"]] == [invoice["id"]]
    assert payload_of(await gql(client, REQUEST, ask("1.00"), headers=sub))["userErrors"] == []
    # Staff read every account's invoices (audited); the node answers for FINANCE.
    found = await gql(client, node, {"id": invoice["id"]}, headers=principals.staff["FINANCE"].headers)
    assert found["data"]["node"] == {"id": invoice["id"], "amount": "100.00", "state": "DELIVERED"}
