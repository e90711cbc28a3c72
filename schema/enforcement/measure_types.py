"""GraphQL for ENF-4 measures: what staff applied on a case, and its lifting."""

from datetime import datetime
from decimal import Decimal

import strawberry

from models import Measure as MeasureRow
from models import MeasureKind as MeasureKindValue
from schema.grants import HOLDER_OR_STAFF
from schema.payloads import Payload
from schema.relay import Node, encode_id
from schema.scoped import owned_node
from services.enforcement import measures
from services.money import fen_to_yuan

MeasureKind = strawberry.enum(MeasureKindValue, name="MeasureKind")


@strawberry.type(description="A measure taken on an enforcement case, after its notice was delivered (ENF-2, ENF-4).")
class Measure(Node):
    kind: MeasureKind
    reason: str
    effective_at: datetime
    lifted_at: datetime | None
    lift_reason: str | None = strawberry.field(description="Why staff lifted it (ENF-4).")
    case_id: strawberry.ID = strawberry.field(description="The enforcement case it was taken on (ENF-1).")
    notice_id: strawberry.ID = strawberry.field(description="The delivered notice that announced it (ENF-2).")
    apps: list[strawberry.ID] = strawberry.field(description="The AppIDs it concerns; empty means every AppID.")
    capabilities: list[str] = strawberry.field(description="RESTRICT: the permissions it takes from the account.")
    deadline: datetime | None = strawberry.field(description="REQUIRE_CONTENT_CHANGE: by when (ENF-4).")
    basis: list[str] = strawberry.field(
        description="The clauses its case cites, and the administrative order of a REGULATOR case (ENF-3)."
    )
    forfeited: Decimal | None = strawberry.field(description="FORFEIT_PREPAYMENT: the amount forfeited (PRE-1).")

    @staticmethod
    def from_model(row: MeasureRow) -> "Measure":
        return Measure(
            id=encode_id("Measure", row.id),
            kind=row.kind,
            reason=row.reason,
            effective_at=row.effective_at,
            lifted_at=row.lifted_at,
            lift_reason=row.lift_reason,
            case_id=encode_id("EnforcementCase", row.case_id),
            notice_id=encode_id("Notice", row.notice_id),
            apps=[encode_id("App", a) for a in row.app_ids],
            capabilities=list(row.capabilities),
            deadline=row.deadline,
            basis=list(row.basis),
            forfeited=None if row.amount_fen is None else fen_to_yuan(row.amount_fen),
        )


owned_node(
    "Measure",
    find=measures.measure_in_scope,
    grant=HOLDER_OR_STAFF,
    to_node=Measure.from_model,
    target=lambda row: f"measure:{row.id}",
)


@strawberry.type
class MeasurePayload(Payload):
    measure: Measure | None = None


@strawberry.input
class ApplyMeasureInput:
    case_id: strawberry.ID
    kind: MeasureKind
    notice_id: strawberry.ID
    reason: str
    apps: list[strawberry.ID] | None = None
    deadline: datetime | None = None
    capabilities: list[str] | None = strawberry.field(
        default=None, description="RESTRICT: permissions of the vocabulary the account's principals lose."
    )


@strawberry.input
class LiftMeasureInput:
    id: strawberry.ID
    reason: str
