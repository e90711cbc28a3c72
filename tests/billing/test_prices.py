"""NTC-2 price changes with 7 days' email notice; BIL-2 the standard list in force; NTC-1/NTC-4
the announcement is kept with its deemed delivery and listed for the holder."""

from datetime import timedelta

from tests.accounts.helpers import errors
from tests.billing.helpers import sweep
from tests.conftest import gql
from tests.services.test_mail import parsed
from tests.snapshots import state

PRICE_LIST = "query P($at: DateTime) { priceList(at: $at) { product unit unitPrice effectiveFrom } }"
CHANGE = """
mutation C($input: PriceChangeInput!) {
  schedulePriceChange(input: $input) { notice { id channel subject sentAt deliveredAt } userErrors { code field } }
}
"""
NOTICES = "{ account { notices { edges { node { channel subject sentAt deliveredAt } } } } }"


def change(clock, days: float, price: str = "8.00") -> dict:
    return {
        "input": {
            "product": "RTC_AUDIO_MINUTES",
            "unitPrice": price,
            "effectiveFrom": (clock.now() + timedelta(days=days)).isoformat(),
            "legalBasis": "国家发展改革委 2026 年第 12 号公告",
        }
    }


async def test_bil2_the_standard_price_list_in_force(client, principals) -> None:
    prices = (await gql(client, PRICE_LIST, headers=principals.holder_a.headers))["data"]["priceList"]
    assert len(prices) == 7
    audio = next(p for p in prices if p["product"] == "RTC_AUDIO_MINUTES")
    assert audio == {
        "product": "RTC_AUDIO_MINUTES",
        "unit": "1,000 minutes",
        "unitPrice": "7.00",
        "effectiveFrom": "2025-12-31T16:00:00+00:00",
    }
    before = await gql(client, PRICE_LIST, {"at": "2025-06-01T00:00:00+08:00"}, headers=principals.holder_a.headers)
    assert before["data"]["priceList"] == []


async def test_ntc2_less_than_7_days_notice_is_refused(client, principals, session, clock) -> None:
    before = await state(session)
    short = await gql(client, CHANGE, change(clock, 6.99), headers=principals.staff["ADMIN"].headers)
    assert errors(short) == [{"code": "NOTICE_TOO_SHORT", "field": ["effectiveFrom"]}]
    for who in (principals.staff["FINANCE"], principals.holder_a):
        assert (
            errors(await gql(client, CHANGE, change(clock, 30), headers=who.headers))[0]["code"]
            == "INSUFFICIENT_PERMISSION"
        )
    assert await state(session) == before


async def test_ntc2_announced_change_applies_from_its_date(client, principals, clock, outbox) -> None:
    done = await gql(client, CHANGE, change(clock, 7), headers=principals.staff["ADMIN"].headers)
    notice = done["data"]["schedulePriceChange"]["notice"]
    assert notice["channel"] == "ELECTRONIC"
    assert notice["deliveredAt"] == notice["sentAt"]  # NTC-1: electronic notices arrive when sent

    holder = principals.holder_a.headers
    at = (clock.now() + timedelta(days=7)).isoformat()
    just_before = (clock.now() + timedelta(days=7) - timedelta(seconds=1)).isoformat()
    audio = lambda body: next(p for p in body["data"]["priceList"] if p["product"] == "RTC_AUDIO_MINUTES")  # noqa: E731
    assert audio(await gql(client, PRICE_LIST, {"at": just_before}, headers=holder))["unitPrice"] == "7.00"
    assert audio(await gql(client, PRICE_LIST, {"at": at}, headers=holder))["unitPrice"] == "8.00"
    # NTC-4: every customer can list the announcement.
    for who in (principals.holder_a, principals.holder_b):
        listed = (await gql(client, NOTICES, headers=who.headers))["data"]["account"]["notices"]["edges"]
        assert [n["node"]["subject"] for n in listed] == [notice["subject"]]
    # NTC-2 by email: the sweep sends one to each customer's contact address.
    assert (await sweep(client, principals))["deliver_notices"] == 2
    sent = [parsed(path.read_bytes()) for path in sorted(outbox.glob("*.eml"))]
    assert sorted(m["To"] for m in sent) == sorted(
        [await contact_email(client, principals.holder_a), await contact_email(client, principals.holder_b)]
    )
    assert {m["Subject"] for m in sent} == {notice["subject"]}


async def contact_email(client, who) -> str:
    body = await gql(client, "{ account { profile { email } } }", headers=who.headers)
    return body["data"]["account"]["profile"]["email"]


async def test_m1_prices_are_exact_to_the_fen(client, principals, clock) -> None:
    too_fine = await gql(client, CHANGE, change(clock, 10, "7.001"), headers=principals.staff["ADMIN"].headers)
    assert errors(too_fine) == [{"code": "INVALID", "field": ["unitPrice"]}]
