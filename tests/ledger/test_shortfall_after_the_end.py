"""PRE-3 is a duty of the agreement's term: no shortfall penalty accrues after the agreement
has ended, also not once the refund has emptied the account. PRE-4 penalties on an unpaid
bill continue (TRM-8)."""

from sqlalchemy import func, select

from models import PenaltyAccrual
from tests.billing.helpers import STANDING, account_of, move_to, sweep
from tests.conftest import gql
from tests.factories import credited_online_top_up
from tests.ledger.after_the_end import PAY, REFUND, billed_then_terminated, refund, shanghai


async def test_pre3_no_shortfall_penalty_accrues_after_the_agreement_ended(client, principals, session, clock):
    await credited_online_top_up(client, principals, amount="1500.00", key="t-1")
    await billed_then_terminated(client, principals, session, clock)
    # balance 500.00 < 1,000.00 consumed: 0.50 a day from 14 Oct through 2 Nov, the last day of the term.
    for month, day, expected in ((11, 1, "9.50"), (11, 2, "10.00"), (11, 3, "10.00"), (11, 20, "10.00")):
        await move_to(clock, principals, shanghai(month, day))
        assert (await account_of(client, principals.holder_a, STANDING))["accruedPenalties"] == expected, day
    # The reproduction: the remainder refunded, the shortfall's base would be the whole month.
    asked = (await gql(client, REFUND, refund("490.00"), headers=principals.holder_a.headers))["data"]
    paid = await gql(
        client, PAY, {"id": asked["requestRefund"]["refundId"]}, headers=principals.staff["FINANCE"].headers
    )
    assert paid["data"]["payRefund"]["entry"]["balanceAfter"] == "10.00", paid
    await move_to(clock, principals, shanghai(11, 30))
    await sweep(client, principals)
    assert (await account_of(client, principals.holder_a, STANDING))["accruedPenalties"] == "10.00"
    await session.rollback()
    after_the_end = select(func.count()).where(PenaltyAccrual.day >= shanghai(11, 3).date())
    assert await session.scalar(after_the_end) == 0


async def test_pre3_ending_does_not_stop_pre4_penalties_on_an_unpaid_bill(client, principals, session, clock):
    await billed_then_terminated(client, principals, session, clock)  # nothing paid: 1,000.00 in arrears
    await move_to(clock, principals, shanghai(11, 10))
    standing = await account_of(client, principals.holder_a, STANDING)
    assert (standing["arrears"], standing["accruedPenalties"]) == ("1000.00", "28.00")  # 1.00 a day, 14 Oct–10 Nov
