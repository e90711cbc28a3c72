"""INV-5: the four reversal paths, DOCUMENT_REQUIRED naming what is missing, no refund before
the path is complete, and the corrected invoice issued in the next month. Months are
Asia/Shanghai months."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from models import AccountEvent, Bill
from tests.billing.helpers import move_to
from tests.conftest import gql
from tests.factories import credited_online_top_up
from tests.invoices.helpers import (
    CERTIFY,
    DELIVER,
    INVOICES,
    ISSUE,
    PDF,
    PNG,
    REVERSE,
    TEXT,
    b64,
    delivered,
    finance,
    payload_of,
    ready_to_invoice,
    requested,
)
from tests.ledger.test_refunds import REFUND, TERMINATE, refund
from tests.snapshots import state


def reversal(invoice_id: str, **fields) -> dict:
    return {"input": {"id": invoice_id, "reason": "销售折让", **fields}}


async def reverse(client, principals, invoice_id: str, **fields) -> dict:
    body = await gql(client, REVERSE, reversal(invoice_id, **fields), headers=principals.holder_a.headers)
    return payload_of(body)


async def invoices_of(client, principals) -> list[dict]:
    body = await gql(client, INVOICES, headers=principals.holder_a.headers)
    return [edge["node"] for edge in body["data"]["account"]["invoices"]["edges"]]


async def test_inv5_cancel_before_issue(client, principals, session) -> None:
    await ready_to_invoice(client, principals, session)
    invoice = await requested(client, principals, "1000.00")
    done = await reverse(client, principals, invoice["id"])
    assert done["userErrors"] == []
    assert (done["invoice"]["state"], done["invoice"]["reversalPath"]) == ("VOIDED", "CANCEL")
    # Nothing was issued: nothing to correct, and the amount is invoiceable again.
    assert [i["id"] for i in await invoices_of(client, principals)] == [invoice["id"]]
    assert (await gql(client, INVOICES, headers=principals.holder_a.headers))["data"]["account"]["invoiceable"] == (
        "1000.00"
    )
    again = await reverse(client, principals, invoice["id"])
    assert again["userErrors"][0]["code"] == "INVALID_STATE"


async def test_inv5_cancel_issued_not_delivered_and_correct_in_the_next_month(client, principals, session, clock):
    await ready_to_invoice(client, principals, session)
    invoice = await requested(client, principals, "1000.00")
    await finance(client, principals, ISSUE, invoice["id"])
    done = await reverse(client, principals, invoice["id"])  # no documents needed (5.4.3)
    assert (done["invoice"]["state"], done["invoice"]["reversalPath"]) == ("VOIDED", "CANCEL")

    _, corrected = await invoices_of(client, principals)
    assert (corrected["state"], corrected["amount"], corrected["corrects"]) == ("REQUESTED", "1000.00", invoice["id"])
    assert corrected["notBefore"] == "2026-10-01"  # the month after the reversal (30 Sep, Shanghai)
    early = payload_of(await gql(client, ISSUE, {"id": corrected["id"]}, headers=principals.staff["FINANCE"].headers))
    assert early["userErrors"][0]["code"] == "INVALID_STATE"
    # 1 Oct 00:30 Shanghai is still 30 Sep in UTC: the next month has begun.
    await move_to(clock, principals, datetime(2026, 9, 30, 16, 30, tzinfo=UTC))
    issued = await finance(client, principals, ISSUE, corrected["id"])
    assert issued["state"] == "ISSUED"


async def test_inv5_void_after_the_paper_is_returned_within_the_month(client, principals, session) -> None:
    await ready_to_invoice(client, principals, session)
    invoice = await delivered(client, principals, "1000.00")
    before = await state(session)
    waiting = await reverse(client, principals, invoice["id"])
    assert waiting["userErrors"][0]["code"] == "DOCUMENT_REQUIRED"
    assert waiting["userErrors"][0]["field"] == ["paperReturned"]
    assert "paper invoice" in waiting["userErrors"][0]["message"]
    assert await state(session) == before  # refused: nothing changed, nothing reversed, no event

    done = await reverse(client, principals, invoice["id"], paperReturned=True)
    assert (done["invoice"]["state"], done["invoice"]["reversalPath"]) == ("VOIDED", "VOID")
    await session.rollback()
    events = (await session.execute(select(AccountEvent).where(AccountEvent.type == "invoice.reversed"))).scalars()
    assert [(e.data["path"], e.data["state"]) for e in events] == [("VOID", "VOIDED")]


async def test_inv5_red_letter_form_when_certified(client, principals, session) -> None:
    await ready_to_invoice(client, principals, session)
    invoice = await delivered(client, principals, "1000.00")
    certified = payload_of(await gql(client, CERTIFY, {"id": invoice["id"]}, headers=principals.holder_a.headers))
    assert certified["userErrors"] == []

    # Returning the paper is not enough once it is certified for deduction.
    waiting = await reverse(client, principals, invoice["id"], paperReturned=True)
    assert waiting["userErrors"][0]["code"] == "DOCUMENT_REQUIRED"
    assert waiting["userErrors"][0]["field"] == ["document"]
    assert "开具红字增值税专用发票信息表" in waiting["userErrors"][0]["message"]
    wrong = await reverse(client, principals, invoice["id"], document="LOSS_REPORT", documentBase64=b64(PDF))
    assert wrong["userErrors"][0]["code"] == "DOCUMENT_REQUIRED"
    empty = await reverse(client, principals, invoice["id"], document="RED_LETTER_INFO_FORM")
    assert empty["userErrors"][0] == {
        "code": "DOCUMENT_REQUIRED",
        "field": ["documentBase64"],
        "message": empty["userErrors"][0]["message"],
    }
    not_a_scan = await reverse(
        client, principals, invoice["id"], document="RED_LETTER_INFO_FORM", documentBase64=b64(TEXT)
    )
    assert not_a_scan["userErrors"][0]["code"] == "INVALID"

    done = await reverse(client, principals, invoice["id"], document="RED_LETTER_INFO_FORM", documentBase64=b64(PDF))
    assert (done["invoice"]["state"], done["invoice"]["reversalPath"]) == ("REVERSED", "RED_LETTER")
    _, corrected = await invoices_of(client, principals)
    assert (corrected["state"], corrected["amount"], corrected["notBefore"]) == ("REQUESTED", "1000.00", "2026-10-01")


async def test_inv5_month_boundary_is_shanghai(client, principals, session, clock) -> None:
    """Issued at 23:30 Shanghai on 31 October: October's invoice. At 23:50 it can still be
    voided; at 00:10 on 1 November (still 31 October in UTC) the month has passed."""
    await ready_to_invoice(client, principals, session)
    invoice = await requested(client, principals, "1000.00")
    await move_to(clock, principals, datetime(2026, 10, 31, 15, 30, tzinfo=UTC))  # 23:30 Shanghai
    issued = await finance(client, principals, ISSUE, invoice["id"])
    assert issued["issuedAt"].startswith("2026-10-31T15:30")
    await finance(client, principals, DELIVER, invoice["id"])

    await move_to(clock, principals, datetime(2026, 10, 31, 15, 50, tzinfo=UTC))  # 23:50 Shanghai, same month
    same_month = await reverse(client, principals, invoice["id"])
    assert same_month["userErrors"][0]["field"] == ["paperReturned"]
    await move_to(clock, principals, datetime(2026, 10, 31, 16, 10, tzinfo=UTC))  # 00:10 on 1 November, Shanghai
    next_month = await reverse(client, principals, invoice["id"], paperReturned=True)
    assert next_month["userErrors"][0]["code"] == "DOCUMENT_REQUIRED"
    assert "RED_LETTER_INFO_FORM" in next_month["userErrors"][0]["message"]
    done = await reverse(client, principals, invoice["id"], document="RED_LETTER_INFO_FORM", documentBase64=b64(PNG))
    assert done["invoice"]["reversalPath"] == "RED_LETTER"
    _, corrected = await invoices_of(client, principals)
    assert corrected["notBefore"] == "2026-12-01"  # reversed in November (Shanghai): corrected in December


async def test_inv5_loss_report_when_lost(client, principals, session) -> None:
    await ready_to_invoice(client, principals, session)
    invoice = await delivered(client, principals, "1000.00")
    waiting = await reverse(client, principals, invoice["id"], lost=True, paperReturned=True)
    assert waiting["userErrors"][0]["code"] == "DOCUMENT_REQUIRED"
    assert "挂失/损毁发票清单" in waiting["userErrors"][0]["message"]
    done = await reverse(client, principals, invoice["id"], lost=True, document="LOSS_REPORT", documentBase64=b64(PNG))
    assert (done["invoice"]["state"], done["invoice"]["reversalPath"]) == ("REVERSED", "LOSS_REPORT")


async def test_inv5_no_refund_until_the_reversal_is_complete(client, principals, session, clock) -> None:
    await ready_to_invoice(client, principals, session, settled_fen=100_000)
    await credited_online_top_up(client, principals, amount="300.00", key="t-1")
    invoice = await delivered(client, principals, "1000.00")
    await gql(client, TERMINATE, headers=principals.holder_a.headers)
    await move_to(clock, principals, clock.now() + timedelta(days=31))  # the agreement has ended (PRE-6)
    # A sales discount after invoicing: the actual consumption is now 600.00, the invoice says 1000.00.
    await session.execute(update(Bill).where(Bill.account_id == principals.account_a.id).values(total_fen=60_000))
    await session.commit()

    before = await state(session)
    refused = payload_of(await gql(client, REFUND, refund("300.00"), headers=principals.holder_a.headers))
    assert refused["userErrors"][0]["code"] == "DOCUMENT_REQUIRED"
    assert await state(session) == before
    body = await gql(client, REVERSE, reversal(invoice["id"]), headers=principals.holder_a.headers)
    message = payload_of(body)["userErrors"][0]["message"]
    assert "RED_LETTER_INFO_FORM" in message  # the month of issue has passed

    done = await reverse(client, principals, invoice["id"], document="RED_LETTER_INFO_FORM", documentBase64=b64(PDF))
    assert done["invoice"]["state"] == "REVERSED"
    _, corrected = await invoices_of(client, principals)
    assert (corrected["amount"], corrected["corrects"]) == ("600.00", invoice["id"])  # the actual consumption
    paid = payload_of(await gql(client, REFUND, refund("300.00"), headers=principals.holder_a.headers))
    assert paid["userErrors"] == [] and paid["pending"] is True
