"""BIL-5, the last second: a dispute received before the deadline stands, even when a sweep
that started after the deadline is inside its transaction when the dispute arrives, and even
when the dispute only gets to the bill after the deadline. The time of receipt is the request's
clock reading at arrival (api/middleware.py), not when it got the lock.

The overlap is forced, not timed: the sweep is held open in its transaction (tests/overlap.py)
while the dispute arrives; the test moves the clock past the deadline once the request has read
its arrival, and lets the sweep commit only then."""

import asyncio
from datetime import timedelta

import pytest
from pydantic import ValidationError

from api.settings import Settings
from services.billing.bills import RECEIPT_GRACE
from services.clock import FixedClock
from tests.accounts.helpers import errors
from tests.billing.helpers import DISPUTE, bills_of, move_to, sweep
from tests.billing.test_bill_cycle import END_OF_OCT_9
from tests.conftest import DEFAULT_NOW, gql
from tests.databases import POSTGRES_URL
from tests.factories import delivered_bill
from tests.overlap import finished_or_waiting, held_sweep, release


class ArrivalClock(FixedClock):
    """The app's clock, which tells the test when a request has read it (its arrival)."""

    def __init__(self, at) -> None:
        super().__init__(at)
        self.read = asyncio.Event()

    def now(self):
        self.read.set()
        return super().now()


@pytest.fixture
def clock() -> ArrivalClock:
    return ArrivalClock(DEFAULT_NOW)


def _dispute(bill: dict) -> dict:
    return {"input": {"id": bill["id"], "amount": "10.00", "reason": "最后一秒提出的异议"}}


async def test_bil5_a_dispute_received_in_the_last_second_stands_while_a_later_sweep_runs(
    app, client, principals, session, clock
) -> None:
    bill = await delivered_bill(client, principals, session, support_months="0.5")
    assert bill["disputeDeadline"] == END_OF_OCT_9.isoformat()
    await move_to(clock, principals, END_OF_OCT_9 - timedelta(seconds=1))
    await bills_of(client, principals.holder_a)  # logged in now, before the sweep holds anything

    # A sweep that started one second after the deadline, still inside its transaction (on
    # SQLite it holds the database's write lock: the dispute cannot even begin until it commits).
    held, swept = await held_sweep(app, at=END_OF_OCT_9 + timedelta(seconds=1))
    clock.read.clear()
    disputed = asyncio.ensure_future(gql(client, DISPUTE, _dispute(bill), headers=principals.holder_a.headers))
    try:
        await clock.read.wait()  # the request has arrived, one second before the deadline
        clock.set(END_OF_OCT_9 + timedelta(seconds=2))  # ...and time passes while it waits
        if POSTGRES_URL:
            await finished_or_waiting(disputed, session)  # it got to the bill, or waits for it
    finally:
        await release(held, disputed)
    assert swept["deem_bills_accepted"] == 0 and swept["settle_bills"] == 0

    body = disputed.result()
    assert errors(body) == []
    assert body["data"]["disputeBill"]["bill"]["state"] == "DISPUTED"
    assert body["data"]["disputeBill"]["bill"]["dispute"]["amount"] == "10.00"
    # Later sweeps leave the disputed bill to FINANCE (BIL-7).
    await move_to(clock, principals, END_OF_OCT_9 + RECEIPT_GRACE + timedelta(hours=1))
    assert (await sweep(client, principals))["settle_bills"] == 0
    (read,) = await bills_of(client, principals.holder_a)
    assert read["state"] == "DISPUTED"


async def test_bil5_the_sweep_deems_a_bill_accepted_once_requests_received_in_time_are_over(
    client, principals, session, clock
) -> None:
    await delivered_bill(client, principals, session, support_months="0.5")
    await move_to(clock, principals, END_OF_OCT_9 + RECEIPT_GRACE)
    # The window has closed: a dispute arriving now is refused (test_bill_cycle.py), yet one
    # that arrived in time may still be running, so the sweep leaves the bill alone...
    assert (await sweep(client, principals))["deem_bills_accepted"] == 0
    (read,) = await bills_of(client, principals.holder_a)
    assert read["state"] == "DEEMED_ACCEPTED" and read["settledAt"] is None
    # ...until no request received before the deadline can still be running.
    await move_to(clock, principals, END_OF_OCT_9 + RECEIPT_GRACE + timedelta(microseconds=1))
    jobs = await sweep(client, principals)
    assert jobs["deem_bills_accepted"] == 1 and jobs["settle_bills"] == 1


def test_bil5_no_request_may_outlive_the_sweeps_grace() -> None:
    assert Settings(request_timeout_seconds=60).request_timeout_seconds == 60
    for seconds in (0, 61, RECEIPT_GRACE.total_seconds()):
        with pytest.raises(ValidationError, match="ACCORD_REQUEST_TIMEOUT_SECONDS"):
            Settings(request_timeout_seconds=seconds)
