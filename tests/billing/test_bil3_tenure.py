"""BIL-3, the minimum-tenure discount: met when the account has existed for the whole number of
months by the end of the month billed (settlement), not met one day short of it. The account's
creation is stamped by the business clock (T-5): both accounts register through the API while
the simulated clock reads March 2026, just after midnight in Shanghai (still the previous day in
UTC, so a tenure counted from the UTC date would be wrong too, T-1)."""

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from api.settings import Environment, Settings
from models import Account, BillLine
from schema.relay import encode_id
from tests.accounts.queries import REGISTER
from tests.accounts.test_registration_and_profile import NEW_ACCOUNT
from tests.billing.helpers import run_month
from tests.billing.test_bill_run import DISCOUNT
from tests.conftest import gql
from tests.factories import add_usage, make_app
from tests.services.test_business_time import set_clock

AUGUST = datetime(2026, 8, 15, 4, 0, tzinfo=UTC)
# Six whole months by the end of August (1 Sep 00:00 in Shanghai): created on 1 March.
AT_THE_THRESHOLD = datetime(2026, 2, 28, 16, 30, tzinfo=UTC)  # 1 Mar 00:30 in Shanghai
ONE_DAY_SHORT = datetime(2026, 3, 1, 16, 30, tzinfo=UTC)  # 2 Mar 00:30 in Shanghai


@pytest.fixture
def settings(database_url: str, outbox) -> Settings:
    return Settings(
        database_url=database_url, env=Environment.TEST, outbox_dir=str(outbox), sweep_seconds=0, simulated_clock=True
    )


async def _registered_at(client, principals, session, at: datetime, who: str) -> uuid.UUID:
    await set_clock(client, principals, at)
    person = NEW_ACCOUNT | {"login": f"{who}@example.cn", "email": f"{who}@example.cn", "name": who}
    body = await gql(client, REGISTER, {"input": person})
    assert body["data"]["registerAccount"]["userErrors"] == []
    await session.rollback()  # a fresh snapshot
    account_id, created_at = (
        await session.execute(select(Account.id, Account.created_at).where(Account.name == who))
    ).one()
    assert created_at == at  # the business clock's, not the real clock's
    await session.rollback()  # hold no snapshot while the app writes
    return account_id


async def test_bil3_tenure_discount_at_the_threshold_and_one_day_before(client, principals, session, clock) -> None:
    at_threshold = await _registered_at(client, principals, session, AT_THE_THRESHOLD, "tenure-six")
    day_short = await _registered_at(client, principals, session, ONE_DAY_SHORT, "tenure-short")
    await set_clock(client, principals, clock.now())  # back to 30 September: August is billed
    for account_id, reference in ((at_threshold, "SA-TENURE-6"), (day_short, "SA-TENURE-SHORT")):
        granted = await gql(
            client,
            DISCOUNT,
            {
                "input": {
                    "accountId": encode_id("Account", account_id),
                    "product": "RTC_VIDEO_HD_MINUTES",
                    "percent": "10",
                    "condition": "MIN_TENURE_MONTHS",
                    "threshold": "6",
                    "validFrom": "2026-01-01",
                    "reference": reference,
                }
            },
            headers=principals.staff["FINANCE"].headers,
        )
        assert granted["data"]["grantDiscount"]["userErrors"] == []
        app = await make_app(session, account_id=account_id)
        await add_usage(session, app, product="RTC_VIDEO_HD_MINUTES", quantity="100", at=AUGUST)
    assert (await run_month(client, principals))["issued"] == 2

    lines = {
        line.description.split("(")[-1].rstrip(")"): line
        for line in (await session.execute(select(BillLine))).scalars()
    }
    # 100 × 28.00 = 2800.00. Six whole months on the last day of August: 10 % off.
    met = lines["SA-TENURE-6"]
    assert (met.discount_fen, met.amount_fen) == (28000, 252000) and "not met" not in met.description
    # Created a day later: six months less a day. The list price, and the line says why.
    unmet = lines["SA-TENURE-SHORT"]
    assert (unmet.discount_fen, unmet.amount_fen) == (0, 280000) and "not met" in unmet.description
