"""Bills, their lines and disputes (BIL-4, BIL-5, BIL-7), and arrears (PRE-4, PRE-5)."""

import uuid
from datetime import date, datetime
from decimal import Decimal

import strawberry
from sqlalchemy import Row

from models import Bill as BillRow
from models import BillDispute as DisputeRow
from models import BillDisputeState as DisputeStateValue
from models import BillLine as LineRow
from models import BillState as BillStateValue
from schema.context import AccordInfo
from schema.deadlines import Deadline, explained
from schema.payloads import Payload
from schema.relay import Node, encode_id
from services import notices
from services.billing import bills
from services.ledger.arrears import Owed, unpaid_fen
from services.money import fen_to_yuan, micros_to_quantity

BillState = strawberry.enum(BillStateValue, name="BillState")
DisputeState = strawberry.enum(DisputeStateValue, name="DisputeState")


@strawberry.type
class BillLine:
    product: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    discount: Decimal = strawberry.field(description="Taken off before `amount`; zero when none applies (BIL-3).")
    description: str | None
    service_period: date = strawberry.field(
        description="The month the usage belongs to (its first day); a late line names an earlier month (BIL-1)."
    )

    @staticmethod
    def from_model(row: LineRow | Row) -> "BillLine":
        return BillLine(
            product=row.product_code,
            quantity=micros_to_quantity(row.quantity_micros),
            unit_price=fen_to_yuan(row.unit_price_fen),
            amount=fen_to_yuan(row.amount_fen),
            discount=fen_to_yuan(row.discount_fen),
            description=row.description,
            service_period=row.service_period,
        )


@strawberry.type(description="A dispute of a bill's amount (BIL-7).")
class BillDispute(Node):
    state: DisputeState
    reason: str
    amount: Decimal
    adjustment: Decimal | None
    note: str | None
    opened_at: datetime
    resolved_at: datetime | None

    @staticmethod
    def from_model(row: DisputeRow) -> "BillDispute":
        return BillDispute(
            id=encode_id("BillDispute", row.id),
            state=row.state,
            reason=row.reason,
            amount=fen_to_yuan(row.amount_fen),
            adjustment=None if row.adjustment_fen is None else fen_to_yuan(row.adjustment_fen),
            note=row.note,
            opened_at=row.opened_at,
            resolved_at=row.resolved_at,
        )


@strawberry.type(description="One account's bill for one month (BIL-4).")
class Bill(Node):
    period: date = strawberry.field(description="First day of the billed month.")
    total: Decimal
    issued_at: datetime
    delivered_at: datetime
    dispute_deadline: datetime = strawberry.field(description="The end of the 2nd working day after delivery (BIL-5).")
    settled_at: datetime | None
    paid: Decimal = strawberry.field(description="What the balance has paid of it so far (PRE-4).")
    pay_by: datetime | None = strawberry.field(
        description="The end of the 5th working day after notice (PRE-3, PRE-4)."
    )
    row: strawberry.Private[BillRow]

    @staticmethod
    def from_model(row: BillRow) -> "Bill":
        assert row.delivered_at is not None and row.dispute_deadline is not None  # only delivered bills are shown
        return Bill(
            id=encode_id("Bill", row.id),
            period=row.period,
            total=fen_to_yuan(row.total_fen),
            issued_at=row.issued_at,
            delivered_at=row.delivered_at,
            dispute_deadline=row.dispute_deadline,
            settled_at=row.settled_at,
            paid=fen_to_yuan(row.paid_fen),
            pay_by=row.pay_by,
            row=row,
        )

    @strawberry.field(
        description=(
            "Derived from the time, so correct on read even before the sweep runs. Confirming settles at "
            "once, so a confirmed bill reads SETTLED (see confirmedAt) (BIL-5)."
        )
    )
    def state(self, info: AccordInfo) -> BillState:
        return bills.state_at(self.row, info.context.clock.now())

    @strawberry.field(description="Accepted by silence when the window closed (not confirmed) (BIL-5).")
    def deemed_accepted(self, info: AccordInfo) -> bool:
        state = bills.state_at(self.row, info.context.clock.now())
        return state == BillState.DEEMED_ACCEPTED or (state == BillState.SETTLED and self.row.confirmed_at is None)

    @strawberry.field(description="How disputeDeadline was counted (BIL-5, T-4, FM-1).")
    async def dispute_deadline_explained(self, info: AccordInfo) -> Deadline:
        assert self.row.delivered_at is not None
        spec = notices.dispute_window(
            self.row.delivered_at, what=f"window to confirm or dispute the bill for {self.row.period:%Y-%m}"
        )
        return await explained(info, spec)

    @strawberry.field(description="How payBy was counted, from the payment notice's delivery (PRE-3, PRE-4, FM-1).")
    async def pay_by_explained(self, info: AccordInfo) -> Deadline | None:
        if self.row.pay_by is None:
            return None
        delivered = await info.context.loaders.payment_notices.load(self.row.id)
        if delivered is None:
            return None
        return await explained(info, notices.payment_window(delivered, arrears=unpaid_fen(self.row) > 0))

    @strawberry.field
    def confirmed_at(self) -> datetime | None:
        return self.row.confirmed_at

    @strawberry.field
    async def lines(self, info: AccordInfo) -> list[BillLine]:
        return [BillLine.from_model(r) for r in await info.context.loaders.bill_lines.load(self.row.id)]

    @strawberry.field
    async def dispute(self, info: AccordInfo) -> BillDispute | None:
        row = await info.context.loaders.bill_disputes.load(self.row.id)
        return None if row is None else BillDispute.from_model(row)


@strawberry.type(description="What is owed beside the balance, as of now (PRE-4, PRE-5).")
class PaymentStanding:
    arrears: Decimal
    accrued_penalties: Decimal
    oldest_due_at: datetime | None
    days_overdue: int
    eligible_for_termination: bool = strawberry.field(
        description="Over 15 days overdue (also data deletion); acting on it is a staff measure (PRE-5, TRM-6)."
    )

    @staticmethod
    def of(owed: Owed, now: datetime) -> "PaymentStanding":
        return PaymentStanding(
            arrears=fen_to_yuan(owed.principal_fen),
            accrued_penalties=fen_to_yuan(owed.penalties_fen),
            oldest_due_at=owed.oldest_due,
            days_overdue=owed.overdue_days(now),
            eligible_for_termination=owed.eligible_for_termination(now),
        )


@strawberry.type
class HeldBill:
    account_id: strawberry.ID
    period: date
    unpriced_products: list[str]


@strawberry.type
class BillPayload(Payload):
    bill: Bill | None = None


@strawberry.type
class RunMonthlyBillingPayload(Payload):
    issued: int = 0
    held: int = 0
    held_bills: list[HeldBill] = strawberry.field(
        default_factory=list, description="Accounts whose bill waits for a price (BIL-2)."
    )


@strawberry.type
class JobResult:
    job: str
    changed: int


@strawberry.type
class RunDueJobsPayload(Payload):
    results: list[JobResult] = strawberry.field(default_factory=list)


@strawberry.input
class RunMonthlyBillingInput:
    period: date = strawberry.field(description="first day of the month to bill")


@strawberry.input
class DisputeBillInput:
    id: strawberry.ID
    amount: Decimal
    reason: str


@strawberry.input
class ResolveDisputeInput:
    id: strawberry.ID
    accept: bool
    adjustment: Decimal | None = None
    note: str


def held_bill(account_id: uuid.UUID, products: list[str], period: date) -> HeldBill:
    return HeldBill(account_id=encode_id("Account", account_id), period=period, unpriced_products=products)
