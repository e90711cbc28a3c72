"""BIL-5, BIL-6, BIL-7: confirming, disputing and resolving bills; deemed acceptance.

A bill's state is time-derived: an ISSUED bill whose dispute window has closed reads as
DEEMED_ACCEPTED even before the sweep has written that down (``state_at``). Every transition
locks the bill row first, so concurrent requests and sweeps see one another's result.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from models import Bill, BillDispute, BillDisputeState, BillLine, BillState, LineKind
from services import events
from services.accounts import validation
from services.billing import repository
from services.errors import DisputeWindowClosed, InvalidInput, InvalidState, NotFound
from services.ledger import arrears
from services.money import amount_to_fen, fen_to_yuan

# BIL-5: a dispute or confirmation received (arrived) before the deadline stands, even when
# it is still waiting for the bill's lock at the deadline. The sweep therefore deems a bill
# accepted only once every request that arrived before its deadline has finished: a request
# lives at most ACCORD_REQUEST_TIMEOUT_SECONDS (api/settings.py keeps that well below this),
# after which its work is cancelled and rolled back (api/middleware.py).
RECEIPT_GRACE = timedelta(minutes=2)


def state_at(bill: Bill, now: datetime) -> BillState:
    """BIL-5: after the window an issued bill is deemed accepted, whether or not the sweep ran."""
    if bill.state == BillState.ISSUED and bill.dispute_deadline is not None and now > bill.dispute_deadline:
        return BillState.DEEMED_ACCEPTED
    return BillState(bill.state)


async def _delivered_bill(session: AsyncSession, bill_id: uuid.UUID, account_id: uuid.UUID | None) -> Bill:
    """The bill under lock; one not yet delivered does not exist for its customer (NTC-1)."""
    bill = await repository.locked_bill_in_scope(session, bill_id, account_id=account_id)
    if bill is None:
        raise NotFound("no such bill", field=["id"])
    return bill


async def confirm(session: AsyncSession, *, bill_id: uuid.UUID, account_id: uuid.UUID, now: datetime) -> Bill:
    """BIL-5 then BIL-6: confirming settles at once; a second confirmation changes nothing."""
    bill = await _delivered_bill(session, bill_id, account_id)
    state = state_at(bill, now)
    if state == BillState.DEEMED_ACCEPTED:
        raise InvalidState("the bill was deemed accepted when its window closed", field=["id"])
    if state != BillState.ISSUED:
        raise InvalidState(f"the bill is {state.value.lower().replace('_', ' ')}", field=["id"])
    bill.state, bill.confirmed_at = BillState.CONFIRMED, now
    await arrears.settle(session, bill, now=now)
    return bill


async def dispute(
    session: AsyncSession,
    *,
    bill_id: uuid.UUID,
    account_id: uuid.UUID,
    amount: Decimal,
    reason: str,
    opened_by: str,
    now: datetime,
) -> Bill:
    """BIL-5 / BIL-7: within the window, naming an amount (at most the total) and a reason."""
    fen = amount_to_fen(amount, "amount")
    reason = validation.text(reason, "reason", max_length=2000)
    bill = await _delivered_bill(session, bill_id, account_id)
    state = state_at(bill, now)
    if state == BillState.DEEMED_ACCEPTED:
        raise DisputeWindowClosed(
            f"the window to dispute closed at {bill.dispute_deadline.isoformat()}; the bill is deemed accepted",
            field=["id"],
        )
    if state == BillState.DISPUTED:
        raise InvalidState("the bill already has an open dispute", field=["id"])
    if state != BillState.ISSUED:
        raise InvalidState(f"a {state.value.lower()} bill cannot be disputed", field=["id"])
    if fen > bill.total_fen:
        raise InvalidInput("the disputed amount exceeds the bill's total", field=["amount"])
    bill.state = BillState.DISPUTED
    session.add(BillDispute(bill_id=bill.id, amount_fen=fen, reason=reason, opened_by=opened_by, opened_at=now))
    await session.flush()
    return bill


async def resolve(
    session: AsyncSession,
    *,
    bill_id: uuid.UUID,
    accept: bool,
    adjustment: Decimal | None,
    note: str,
    resolved_by: str,
    now: datetime,
) -> Bill:
    """BIL-7: FINANCE rejects (the bill stands) or accepts with a credit line of at most the
    disputed amount; either way the bill is then settled (BIL-6)."""
    note = validation.text(note, "note", max_length=2000)
    bill = await _delivered_bill(session, bill_id, None)
    found = await repository.open_dispute(session, bill.id)
    if bill.state != BillState.DISPUTED or found is None:
        raise InvalidState("the bill has no open dispute", field=["id"])
    if accept:
        if adjustment is None:
            raise InvalidInput("accepting a dispute needs the adjustment", field=["adjustment"])
        fen = amount_to_fen(adjustment, "adjustment")
        if fen > found.amount_fen:
            raise InvalidInput("the adjustment exceeds the disputed amount", field=["adjustment"])
        session.add(
            BillLine(
                bill_id=bill.id,
                kind=LineKind.ADJUSTMENT,
                product_code="ADJUSTMENT",
                quantity_micros=1_000_000,
                unit_price_fen=-fen,
                discount_fen=0,
                amount_fen=-fen,
                description=f"dispute accepted: {note}",
                service_period=bill.period,
            )
        )
        bill.total_fen -= fen
        found.adjustment_fen = fen
    elif adjustment is not None:
        raise InvalidInput("a rejected dispute has no adjustment", field=["adjustment"])
    found.state = BillDisputeState.ACCEPTED if accept else BillDisputeState.REJECTED
    found.note, found.resolved_by, found.resolved_at = note, resolved_by, now
    bill.state, bill.confirmed_at = BillState.CONFIRMED, now
    await events.record(
        session,
        account_id=bill.account_id,
        type="dispute.resolved",
        at=now,
        data={
            "bill": events.global_id("Bill", bill.id),
            "dispute": events.global_id("BillDispute", found.id),
            "accepted": accept,
            "adjustment": str(fen_to_yuan(found.adjustment_fen or 0)),
        },
    )
    await arrears.settle(session, bill, now=now)
    return bill


@dataclass(frozen=True, slots=True)
class Swept:
    deemed: int
    settled: int


async def deem_and_settle(session: AsyncSession, *, now: datetime, limit: int = 500) -> Swept:
    """The sweep's part of BIL-5 / BIL-6: bills whose window closed at least ``RECEIPT_GRACE``
    ago become DEEMED_ACCEPTED and every accepted bill is settled once. SKIP LOCKED lets several
    processes share the work without waiting on (or repeating) each other's bills."""
    deemed = settled = 0
    closed_before = now - RECEIPT_GRACE
    for bill in await repository.due_for_settlement(session, closed_before=closed_before, limit=limit):
        if bill.state == BillState.ISSUED:
            bill.state = BillState.DEEMED_ACCEPTED
            deemed += 1
            await events.record(
                session,
                account_id=bill.account_id,
                type="bill.deemed_accepted",
                at=now,
                data={"bill": events.global_id("Bill", bill.id), "period": bill.period.isoformat()},
            )
        await arrears.settle(session, bill, now=now)
        settled += 1
    return Swept(deemed, settled)
