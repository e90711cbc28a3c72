"""NTC-2: a price change's 7 days run from each account's delivery of the email (NTC-1). An
account whose email was delivered late keeps the old price until 7 days after its delivery;
one never delivered keeps the old price. ``priceList(at:)`` stays the list as published."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from models import Account, Bill, BillLine
from services import notices
from services.calendar import calendar as load_calendar
from services.mail import Email, MailError
from tests.billing.helpers import move_to, run_month
from tests.billing.test_prices import CHANGE, PRICE_LIST, change
from tests.conftest import gql
from tests.factories import add_usage, make_account, make_app


class OnlyTo:
    """A mail server that accepts mail for some addresses only."""

    def __init__(self, *accepted: str) -> None:
        self.accepted = set(accepted)

    async def send(self, email: Email) -> None:
        if email.to not in self.accepted:
            raise MailError(f"mailbox of {email.to} unavailable")


async def _deliver(session, clock, *accepted: str) -> None:
    await session.rollback()  # a fresh snapshot: the app committed the emails meanwhile
    await notices.deliver_queued(session, mailer=OnlyTo(*accepted), calendar=await load_calendar(session), clock=clock)
    await session.commit()


def shanghai(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 10, day, hour - 8, tzinfo=UTC)


async def test_ntc2_price_applies_seven_days_after_each_accounts_delivery(client, principals, session, clock):
    late = await make_account(session, name="丙公司", email="ops@bing.cn")  # never delivered
    await session.commit()
    a, b = (await session.get(Account, principals.account_a.id)), (await session.get(Account, principals.account_b.id))
    ids = {"a": a.id, "b": b.id, "late": late.id}
    emails = {"a": a.email, "b": b.email}
    done = await gql(client, CHANGE, change(clock, 7), headers=principals.staff["ADMIN"].headers)  # 7.00 → 8.00
    assert done["data"]["schedulePriceChange"]["userErrors"] == []
    effective = clock.now() + timedelta(days=7)  # Wed 7 Oct 2026, 10:00 in Shanghai
    await _deliver(session, clock, emails["a"])  # A on time; B's and C's mailboxes fail
    clock.set(clock.now() + timedelta(days=5))
    await _deliver(session, clock, emails["b"])  # B five days late: 8.00 only from 12 Oct, 10:00

    for account_id in ids.values():
        app = await make_app(session, account_id=account_id)
        for day in (9, 13):
            await add_usage(session, app, product="RTC_AUDIO_MINUTES", quantity="1", at=shanghai(day))
    await move_to(clock, principals, datetime(2026, 11, 3, 2, 0, tzinfo=UTC))
    assert (await run_month(client, principals, "2026-10-01"))["issued"] == 3

    lines = await session.execute(
        select(Bill.account_id, BillLine.unit_price_fen, BillLine.quantity_micros)
        .join(Bill, Bill.id == BillLine.bill_id)
        .order_by(BillLine.unit_price_fen)
    )
    billed: dict = {}
    for account_id, price, micros in lines:
        billed.setdefault(account_id, []).append((price, micros // 1_000_000))
    assert billed[ids["a"]] == [(800, 2)]  # delivered at once: the new price from its date
    assert billed[ids["b"]] == [(700, 1), (800, 1)]  # 9 Oct at the old price, 13 Oct at the new
    assert billed[ids["late"]] == [(700, 2)]  # never delivered: the old price stays

    # The published list still changes on its date.
    at = {"at": (effective + timedelta(days=2)).isoformat()}
    prices = (await gql(client, PRICE_LIST, at, headers=principals.holder_a.headers))["data"]["priceList"]
    assert next(p for p in prices if p["product"] == "RTC_AUDIO_MINUTES")["unitPrice"] == "8.00"
