"""T-5 (as amended): business timestamps come from the business clock. An account registered
while the simulated clock reads January is created in January, and a BIL-3 tenure discount
counts its months from there."""

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

SET_CLOCK = "mutation S($now: DateTime!) { setClock(input: {now: $now}) { now userErrors { code } } }"
JANUARY = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


@pytest.fixture
def settings(database_url: str, outbox) -> Settings:
    return Settings(
        database_url=database_url, env=Environment.TEST, outbox_dir=str(outbox), sweep_seconds=0, simulated_clock=True
    )


async def set_clock(client, principals, to: datetime) -> None:
    body = await gql(client, SET_CLOCK, {"now": to.isoformat()}, headers=principals.staff["ADMIN"].headers)
    assert body["data"]["setClock"]["userErrors"] == [], body


async def test_t5_an_account_registered_under_set_clock_is_created_at_simulated_time(
    client, principals, session, clock
) -> None:
    await set_clock(client, principals, JANUARY)
    body = await gql(client, REGISTER, {"input": NEW_ACCOUNT})
    assert body["data"]["registerAccount"]["userErrors"] == []
    created = await session.scalar(select(Account.created_at).where(Account.name == NEW_ACCOUNT["name"]))
    assert created == JANUARY  # not the real clock's 2026-09-30


async def test_t5_bil3_tenure_discount_counts_from_the_simulated_creation(client, principals, session, clock) -> None:
    await set_clock(client, principals, JANUARY)
    body = await gql(client, REGISTER, {"input": NEW_ACCOUNT})
    account_key = body["data"]["registerAccount"]["account"]["id"]
    await set_clock(client, principals, clock.now())  # back to the real 30 September

    granted = await gql(
        client,
        DISCOUNT,
        {
            "input": {
                "accountId": account_key,
                "product": "RTC_VIDEO_HD_MINUTES",
                "percent": "10",
                "condition": "MIN_TENURE_MONTHS",
                "threshold": "6",  # January 5 to the end of August: 7 whole months
                "validFrom": "2026-01-01",
                "reference": "SA-T5-TENURE",
            }
        },
        headers=principals.staff["FINANCE"].headers,
    )
    assert granted["data"]["grantDiscount"]["userErrors"] == []
    account_id = await session.scalar(select(Account.id).where(Account.name == NEW_ACCOUNT["name"]))
    assert encode_id("Account", account_id) == account_key
    app = await make_app(session, account_id=account_id)
    await add_usage(
        session, app, product="RTC_VIDEO_HD_MINUTES", quantity="1000", at=datetime(2026, 8, 15, 4, 0, tzinfo=UTC)
    )
    assert (await run_month(client, principals))["issued"] == 1

    line = (await session.execute(select(BillLine))).scalar_one()
    # 1000 × 28.00 = 28000.00; 10 % off. A created_at from the real clock (30 September) would
    # have left the tenure condition unmet and the list price in place.
    assert (line.discount_fen, line.amount_fen) == (280000, 2520000)
    assert "SA-T5-TENURE" in line.description and "not met" not in line.description
