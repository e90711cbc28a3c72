"""PRE-6: the refundable remainder is the balance less everything still owed (unpaid bills,
accrued penalties, the last bill not issued yet: the refund waits for it), and paying the
refund re-checks that under the account's lock."""

from datetime import UTC, datetime

from tests.accounts.helpers import errors
from tests.billing.helpers import move_to, run_month
from tests.conftest import gql
from tests.factories import add_usage, credited_online_top_up, make_app
from tests.ledger.after_the_end import PAY, REFUND, billed_then_terminated, refund, shanghai
from tests.ledger.test_ledger import BALANCE


async def test_pre6_refund_is_net_of_penalties_owed(client, principals, session, clock):
    await credited_online_top_up(client, principals, amount="1500.00", key="t-1")
    await billed_then_terminated(client, principals, session, clock)
    await move_to(clock, principals, shanghai(11, 10))  # balance 500.00, 10.00 of PRE-3 penalties owed
    holder, finance = principals.holder_a.headers, principals.staff["FINANCE"].headers

    assert errors(await gql(client, REFUND, refund("500.00"), headers=holder)) == [
        {"code": "INVALID", "field": ["amount"]}
    ]
    assert errors(await gql(client, REFUND, refund("490.01", "r-2"), headers=holder))[0]["field"] == ["amount"]
    asked = (await gql(client, REFUND, refund("490.00", "r-3"), headers=holder))["data"]["requestRefund"]
    assert asked["pending"] is True
    paid = await gql(client, PAY, {"id": asked["refundId"]}, headers=finance)
    assert paid["data"]["payRefund"]["entry"] == {"kind": "REFUND", "amount": "-490.00", "balanceAfter": "10.00"}
    assert (await gql(client, BALANCE, headers=holder))["data"]["account"]["balance"] == "10.00"


async def test_pre6_payment_rechecks_and_waits_for_the_last_bill(client, principals, session, clock):
    await credited_online_top_up(client, principals, amount="1500.00", key="t-1")
    await billed_then_terminated(client, principals, session, clock)
    await move_to(clock, principals, shanghai(11, 10))
    holder, finance = principals.holder_a.headers, principals.staff["FINANCE"].headers
    asked = (await gql(client, REFUND, refund("490.00"), headers=holder))["data"]["requestRefund"]

    # Usage of the last weeks of the term arrives: the refund waits until its bill is issued.
    app = await make_app(session, account_id=principals.account_a.id)
    await add_usage(session, app, product="RTC_AUDIO_MINUTES", quantity="100", at=datetime(2026, 10, 20, tzinfo=UTC))
    assert errors(await gql(client, PAY, {"id": asked["refundId"]}, headers=finance)) == [{"code": "INVALID_STATE"}]
    assert errors(await gql(client, REFUND, refund("1.00", "r-2"), headers=holder)) == [
        {"code": "INVALID_STATE", "field": None}
    ]
    # October's bill (700.00, issued, not settled) is owed now: 490.00 is no longer left.
    assert (await run_month(client, principals, "2026-10-01"))["issued"] == 1
    assert errors(await gql(client, PAY, {"id": asked["refundId"]}, headers=finance)) == [{"code": "INVALID_STATE"}]
    assert (await gql(client, BALANCE, headers=holder))["data"]["account"]["balance"] == "500.00"
