"""PRE-2: an online top-up is credited when the payment provider's confirmation arrives, from
the vendor's payment gateway (an internal client with payments:confirm) or from FINANCE
reconciling by hand: at once, for exactly the confirmed amount, once per provider transaction.

- The same provider transaction confirming the same top-up again answers the same entry and
  credits nothing more; used for another top-up it is refused (IDEMPOTENCY_CONFLICT).
- A different amount is refused (INVALID on ``amount``) and changes nothing: the gateway must
  not credit what the customer did not pay, nor keep what they did.
- An expired top-up (``topups.ONLINE_EXPIRY`` after the request, business clock) is refused
  (INVALID_STATE): the payer is refunded by the provider, not credited late.
"""

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models import TopUp, TopUpMethod, TopUpState
from services import events
from services.accounts import validation
from services.errors import IdempotencyConflict, InvalidInput, InvalidState, NotFound
from services.ledger import topups
from services.money import amount_to_fen, fen_to_yuan


def _used_elsewhere() -> IdempotencyConflict:
    return IdempotencyConflict("this provider transaction confirmed another top-up", field=["providerTransactionId"])


async def confirm_online_payment(
    session: AsyncSession,
    *,
    top_up_id: uuid.UUID,
    provider_transaction_id: str,
    amount: Decimal,
    paid_at: datetime,
    confirmed_by: str,
    now: datetime,
) -> topups.TopUpResult:
    fen = amount_to_fen(amount, "amount")
    transaction = validation.text(provider_transaction_id, "providerTransactionId", max_length=200)
    found = await topups.locked_top_up(session, top_up_id)
    if found is None or found[1].method != TopUpMethod.ONLINE:
        raise NotFound("no such online top-up", field=["topUpId"])
    account, row = found
    used_by = await session.scalar(select(TopUp.id).where(TopUp.provider_transaction_id == transaction))
    if used_by is not None and used_by != row.id:
        raise _used_elsewhere()
    if fen != row.amount_fen:
        raise InvalidInput("the confirmed amount is not the top-up's amount", field=["amount"])
    if row.state == TopUpState.CREDITED:
        if row.provider_transaction_id == transaction:
            return await topups.result(session, row, now)  # a repeat: the same entry, no new credit
        raise InvalidState("the top-up was paid by another transaction", field=["topUpId"])
    if topups.expired(row, now):
        raise InvalidState(f"the top-up expired unpaid at {row.expires_at.isoformat()}", field=["topUpId"])
    row.provider_transaction_id, row.paid_at = transaction, paid_at
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        # Another top-up (of another account, so not behind our lock) took this transaction
        # concurrently and committed first: the unique key refuses the second.
        raise _used_elsewhere() from None
    await events.record(
        session,
        account_id=row.account_id,
        type="payment.confirmed",
        at=now,
        data={
            "topUp": events.global_id("TopUp", row.id),
            "amount": str(fen_to_yuan(fen)),
            "providerTransactionId": transaction,
            "paidAt": events.iso(paid_at),
        },
    )
    return await topups.credit(session, account, row, now=now, confirmed_by=confirmed_by)
