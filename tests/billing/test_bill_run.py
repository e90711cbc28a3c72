"""BIL-2, BIL-3, BIL-4, BIL-8: the monthly bill run, through the API."""

import asyncio
import email
import email.policy
from datetime import UTC, datetime

from sqlalchemy import func, select

from models import Bill, BillHold, BillLine, Notice, Product
from schema.relay import encode_id
from tests.accounts.helpers import errors
from tests.billing.helpers import RUN, bills_of, move_to, run_month, sweep
from tests.conftest import gql, requires_postgres
from tests.factories import add_usage, make_app
from tests.snapshots import state

SHANGHAI_AUG_31_2330 = datetime(2026, 8, 31, 15, 30, tzinfo=UTC)
SHANGHAI_SEP_1_0010 = datetime(2026, 8, 31, 16, 10, tzinfo=UTC)
AUGUST = datetime(2026, 8, 15, 4, 0, tzinfo=UTC)
AGREEMENT_PRICE = """
mutation P($input: AgreementPriceInput!) { setAgreementPrice(input: $input) { id userErrors { code field } } }
"""
HELD = '{ heldBills(period: "2026-08-01") { accountId period unpricedProducts } }'
DISCOUNT = "mutation D($input: DiscountInput!) { grantDiscount(input: $input) { id userErrors { code field } } }"


async def test_bil4_one_bill_per_account_and_month_with_lines_sent_by_email(client, principals, session, outbox):
    app = await make_app(session, account_id=principals.account_a.id)
    await add_usage(session, app, product="RTC_VIDEO_HD_MINUTES", quantity="1000", at=AUGUST)
    await add_usage(
        session, app, product="RTC_VIDEO_HD_MINUTES", quantity="234.5678", at=SHANGHAI_AUG_31_2330
    )  # T-1: still August
    await add_usage(
        session, app, product="RTC_VIDEO_HD_MINUTES", quantity="999", at=SHANGHAI_SEP_1_0010
    )  # September in Shanghai
    await add_usage(session, app, product="BANDWIDTH_GB", quantity="10.5", at=AUGUST)

    first = await run_month(client, principals)
    assert first == {"issued": 1, "held": 0, "heldBills": [], "userErrors": []}
    assert await bills_of(client, principals.holder_a) == []  # not delivered yet (NTC-1)
    assert (await sweep(client, principals))["deliver_notices"] == 1

    (bill,) = await bills_of(client, principals.holder_a)
    # 1234.5678 × 28.00 = 34567.8984 → 34567.90 (half-up to the fen); 10.5 × 0.80 = 8.40
    assert bill["lines"] == [
        {"product": "BANDWIDTH_GB", "quantity": "10.50", "unitPrice": "0.80", "discount": "0.00",
         "amount": "8.40", "description": None},
        {"product": "RTC_VIDEO_HD_MINUTES", "quantity": "1234.5678", "unitPrice": "28.00", "discount": "0.00",
         "amount": "34567.90", "description": None},
    ]  # fmt: skip
    assert bill["total"] == "34576.30" and bill["period"] == "2026-08-01" and bill["state"] == "ISSUED"
    assert bill["deliveredAt"] == "2026-09-30T02:00:00+00:00"

    (sent,) = sorted(outbox.glob("*.eml"))
    message = email.message_from_bytes(sent.read_bytes(), policy=email.policy.default)
    account_email = (await gql(client, "{ account { profile { email } } }", headers=principals.holder_a.headers))[
        "data"
    ]["account"]["profile"]["email"]
    assert message["To"] == account_email and "2026-08" in message["Subject"]
    assert "34576.30" in message.get_content()

    again = await run_month(client, principals)
    assert again["issued"] == 0  # BIL-4: idempotent
    assert await session.scalar(select(func.count()).select_from(Bill)) == 1
    assert await session.scalar(select(func.count()).select_from(BillLine)) == 2
    assert (await sweep(client, principals))["deliver_notices"] == 0
    assert len(list(outbox.glob("*.eml"))) == 1


async def test_bil4_only_finance_or_admin_run_it_and_only_for_an_ended_month(client, principals, session):
    app = await make_app(session, account_id=principals.account_a.id)
    await add_usage(session, app, product="RTC_AUDIO_MINUTES", quantity="1", at=AUGUST)
    before = await state(session)
    for who in (principals.holder_a, principals.staff["SUPPORT"]):
        body = await gql(client, RUN, {"period": "2026-08-01"}, headers=who.headers)
        assert errors(body)[0]["code"] == "INSUFFICIENT_PERMISSION"
    for period in ("2026-08-02", "2026-09-01"):
        body = await gql(client, RUN, {"period": period}, headers=principals.staff["FINANCE"].headers)
        assert errors(body) == [{"code": "INVALID", "field": ["period"], "message": errors(body)[0]["message"]}]
    assert await state(session) == before


async def test_bil2_unpriced_usage_holds_the_bill_until_an_agreement_price_exists(client, principals, session):
    session.add(Product(code="SIP_TRUNK_MINUTES", unit="minute"))  # no list price
    await session.commit()
    app = await make_app(session, account_id=principals.account_a.id)
    await add_usage(session, app, product="SIP_TRUNK_MINUTES", quantity="100", at=AUGUST)
    await add_usage(session, app, product="RTC_AUDIO_MINUTES", quantity="2", at=AUGUST)

    held = await run_month(client, principals)
    assert held["issued"] == 0 and held["held"] == 1
    expected = {
        "accountId": encode_id("Account", principals.account_a.id),
        "period": "2026-08-01",
        "unpricedProducts": ["SIP_TRUNK_MINUTES"],
    }
    assert held["heldBills"] == [expected]
    listed = await gql(client, HELD, headers=principals.staff["FINANCE"].headers)
    assert listed["data"]["heldBills"] == [expected]
    assert "errors" in await gql(client, HELD, headers=principals.holder_a.headers)
    assert await session.scalar(select(func.count()).select_from(Bill)) == 0  # never priced at zero
    assert await session.scalar(select(func.count()).select_from(BillHold)) == 1

    price = {
        "accountId": encode_id("Account", principals.account_a.id),
        "product": "SIP_TRUNK_MINUTES",
        "unitPrice": "0.05",
        "effectiveFrom": "2026-08-01T00:00:00+08:00",
    }
    refused = await gql(client, AGREEMENT_PRICE, {"input": price}, headers=principals.holder_a.headers)
    assert errors(refused)[0]["code"] == "INSUFFICIENT_PERMISSION"
    set_price = await gql(client, AGREEMENT_PRICE, {"input": price}, headers=principals.staff["FINANCE"].headers)
    assert set_price["data"]["setAgreementPrice"]["userErrors"] == []

    released = await run_month(client, principals)
    assert released["issued"] == 1 and released["held"] == 0
    await sweep(client, principals)
    (bill,) = await bills_of(client, principals.holder_a)
    assert [(line["product"], line["unitPrice"], line["amount"]) for line in bill["lines"]] == [
        ("RTC_AUDIO_MINUTES", "7.00", "14.00"),
        ("SIP_TRUNK_MINUTES", "0.05", "5.00"),
    ]
    await session.rollback()  # a fresh snapshot
    assert await session.scalar(select(func.count()).select_from(BillHold)) == 0


async def test_bil2_agreement_price_wins_over_the_list_price_in_force_when_used(client, principals, session):
    app = await make_app(session, account_id=principals.account_a.id)
    await add_usage(session, app, product="RTC_AUDIO_MINUTES", quantity="10", at=datetime(2026, 8, 5, tzinfo=UTC))
    await add_usage(session, app, product="RTC_AUDIO_MINUTES", quantity="10", at=datetime(2026, 8, 25, tzinfo=UTC))
    price = {
        "accountId": encode_id("Account", principals.account_a.id),
        "product": "RTC_AUDIO_MINUTES",
        "unitPrice": "5.00",
        "effectiveFrom": "2026-08-20T00:00:00+08:00",
    }
    await gql(client, AGREEMENT_PRICE, {"input": price}, headers=principals.staff["FINANCE"].headers)
    await run_month(client, principals)
    await sweep(client, principals)
    (bill,) = await bills_of(client, principals.holder_a)
    assert [(line["unitPrice"], line["amount"]) for line in bill["lines"]] == [("5.00", "50.00"), ("7.00", "70.00")]
    assert bill["total"] == "120.00"


async def test_bil3_discount_only_when_its_condition_is_met(client, principals, session):
    app_a = await make_app(session, account_id=principals.account_a.id)
    app_b = await make_app(session, account_id=principals.account_b.id)
    await add_usage(session, app_a, product="RTC_VIDEO_HD_MINUTES", quantity="1234.5678", at=AUGUST)
    await add_usage(session, app_b, product="RTC_VIDEO_HD_MINUTES", quantity="100", at=AUGUST)
    for account, reference in ((principals.account_a, "SA-2026-001"), (principals.account_b, "SA-2026-002")):
        granted = await gql(
            client,
            DISCOUNT,
            {
                "input": {
                    "accountId": encode_id("Account", account.id),
                    "product": "RTC_VIDEO_HD_MINUTES",
                    "percent": "12.5",
                    "condition": "MIN_MONTHLY_QUANTITY",
                    "threshold": "1000",
                    "validFrom": "2026-01-01",
                    "reference": reference,
                }
            },
            headers=principals.staff["FINANCE"].headers,
        )
        assert granted["data"]["grantDiscount"]["userErrors"] == []
    await run_month(client, principals)
    await sweep(client, principals)
    (bill_a,) = await bills_of(client, principals.holder_a)
    (bill_b,) = await bills_of(client, principals.holder_b)
    # A: 34567.90 gross, 12.5 % = 4320.9875 → 4320.99 off → 30246.91
    assert bill_a["lines"][0] | {"description": None} == {
        "product": "RTC_VIDEO_HD_MINUTES", "quantity": "1234.5678", "unitPrice": "28.00",
        "discount": "4320.99", "amount": "30246.91", "description": None,
    }  # fmt: skip
    assert "SA-2026-001" in bill_a["lines"][0]["description"]
    # B: 100 < 1000, the condition is unmet: the list price, and the line says why.
    assert bill_b["lines"][0]["discount"] == "0.00" and bill_b["lines"][0]["amount"] == "2800.00"
    assert "not met" in bill_b["lines"][0]["description"]


async def test_bil8_held_storage_is_billed_every_month_without_new_use(client, principals, session, clock):
    app = await make_app(session, account_id=principals.account_a.id)
    await add_usage(
        session, app, product="RECORDING_STORAGE_GB_MONTH", quantity="100", at=datetime(2026, 7, 10, tzinfo=UTC)
    )
    await run_month(client, principals, "2026-08-01")
    clock.set(datetime(2026, 10, 9, 2, 0, tzinfo=UTC))
    await principals.relogin()
    await add_usage(
        session, app, product="RECORDING_STORAGE_GB_MONTH", quantity="0", at=datetime(2026, 9, 20, tzinfo=UTC)
    )  # released
    await run_month(client, principals, "2026-09-01")
    await sweep(client, principals)
    bills = await bills_of(client, principals.holder_a)
    # 100 GB × 0.15, no new use; September time-weighted (BIL-8): 464 of 720 hours held → 9.67
    assert [(b["period"], b["total"]) for b in bills] == [("2026-08-01", "15.00"), ("2026-09-01", "9.67")]
    assert bills[0]["lines"][0]["product"] == "RECORDING_STORAGE_GB_MONTH"


@requires_postgres
async def test_bil4_two_concurrent_bill_runs_give_one_bill_per_account_and_month(client, principals, session):
    for account in (principals.account_a, principals.account_b):
        app = await make_app(session, account_id=account.id)
        await add_usage(session, app, product="RTC_AUDIO_MINUTES", quantity="5", at=AUGUST)
    runs = await asyncio.gather(*(run_month(client, principals) for _ in range(4)))
    assert sum(r["issued"] for r in runs) == 2 and all(r["userErrors"] == [] for r in runs)
    await session.rollback()
    per_account = await session.execute(select(Bill.account_id, func.count()).group_by(Bill.account_id))
    assert sorted(count for _, count in per_account) == [1, 1]
    assert await session.scalar(select(func.count()).select_from(BillLine)) == 2
    assert await session.scalar(select(func.count()).select_from(Notice).where(Notice.bill_id.is_not(None))) == 2


async def test_bil4_the_sweep_bills_last_month_on_the_first_working_day(client, principals, session, clock):
    """T-2: 1–7 Oct 2026 are holidays, so September is billed on Thu 8 Oct, once."""
    app = await make_app(session, account_id=principals.account_a.id)
    await add_usage(session, app, product="RTC_AUDIO_MINUTES", quantity="4", at=datetime(2026, 9, 10, tzinfo=UTC))
    for day in (1, 7):
        await move_to(clock, principals, datetime(2026, 10, day, 2, 0, tzinfo=UTC))
        assert (await sweep(client, principals))["issue_monthly_bills"] == 0, day
    await move_to(clock, principals, datetime(2026, 10, 8, 1, 0, tzinfo=UTC))  # 09:00 in Shanghai
    assert (await sweep(client, principals))["issue_monthly_bills"] == 1
    assert (await sweep(client, principals))["issue_monthly_bills"] == 0
    (bill,) = await bills_of(client, principals.holder_a)
    assert (bill["period"], bill["total"], bill["deliveredAt"]) == ("2026-09-01", "28.00", "2026-10-08T01:00:00+00:00")
