"""Ledger entries and top-ups of the prepaid balance (PRE-1, PRE-2)."""

from datetime import datetime
from decimal import Decimal

import strawberry

from models import LedgerEntry as EntryRow
from models import LedgerKind as LedgerKindValue
from models import TopUp as TopUpRow
from models import TopUpMethod as TopUpMethodValue
from models import TopUpState as TopUpStateValue
from schema.grants import BILLING_READERS
from schema.payloads import Payload
from schema.relay import Node, encode_id
from schema.scoped import owned_node
from services.ledger import repository as ledger_repository
from services.money import fen_to_yuan

LedgerKind = strawberry.enum(LedgerKindValue, name="LedgerKind")
TopUpMethod = strawberry.enum(TopUpMethodValue, name="TopUpMethod")
TopUpState = strawberry.enum(TopUpStateValue, name="TopUpState")


@strawberry.type(description="An immutable ledger entry; amounts are signed, credits positive (PRE-1).")
class LedgerEntry(Node):
    kind: LedgerKind
    amount: Decimal
    balance_after: Decimal
    created_at: datetime
    reference: str | None

    @staticmethod
    def from_model(row: EntryRow) -> "LedgerEntry":
        return LedgerEntry(
            id=encode_id("LedgerEntry", row.id),
            kind=row.kind,
            amount=fen_to_yuan(row.amount_fen),
            balance_after=fen_to_yuan(row.balance_after_fen),
            created_at=row.at,
            reference=row.reference,
        )


@strawberry.type(
    description=(
        "A top-up waiting for its money (ONLINE until the provider confirms, BANK_TRANSFER until "
        "FINANCE does); node(id:) still finds it once credited (PRE-2)."
    )
)
class PendingTopUp(Node):
    method: TopUpMethod
    amount: Decimal
    reference: str
    requested_at: datetime
    expires_at: datetime | None = strawberry.field(
        description="An ONLINE top-up unpaid by then can no longer be confirmed (24 hours); none for transfers (PRE-2)."
    )
    state: TopUpState = strawberry.field(description="PENDING until the money is confirmed, then CREDITED.")

    @staticmethod
    def from_model(row: TopUpRow) -> "PendingTopUp":
        return PendingTopUp(
            id=encode_id("TopUp", row.id),
            method=row.method,
            amount=fen_to_yuan(row.amount_fen),
            reference=row.reference,
            requested_at=row.requested_at,
            expires_at=row.expires_at,
            state=row.state,
        )


# node(id:) asks for the grant of the list that shows each type (Account.ledger, .pendingTopUps).
owned_node(
    "LedgerEntry",
    find=ledger_repository.entry_in_scope,
    grant=BILLING_READERS,
    to_node=LedgerEntry.from_model,
    target=lambda row: f"ledger-entry:{row.id}",
)
owned_node(
    "TopUp",
    find=ledger_repository.top_up_in_scope,
    grant=BILLING_READERS,
    to_node=PendingTopUp.from_model,
    target=lambda row: f"top-up:{row.id}",
)


@strawberry.type
class LedgerPayload(Payload):
    entry: LedgerEntry | None = None
    pending: bool | None = None
    top_up_id: strawberry.ID | None = strawberry.field(
        default=None, description="The top-up this call made or confirmed; the id the payment gateway confirms."
    )
    refund_id: strawberry.ID | None = strawberry.field(default=None, description="The refund requestRefund made.")


@strawberry.input
class TopUpInput:
    amount: Decimal
    method: TopUpMethod
    reference: str
    idempotency_key: str


@strawberry.input(description="The payment provider's confirmation of an ONLINE top-up (PRE-2).")
class ConfirmOnlinePaymentInput:
    top_up_id: strawberry.ID
    provider_transaction_id: str = strawberry.field(description="the provider's id; a repeat credits once")
    amount: Decimal = strawberry.field(description="exactly the top-up's amount")
    paid_at: datetime


@strawberry.input
class RequestRefundInput:
    amount: Decimal
    reason: str
    idempotency_key: str
