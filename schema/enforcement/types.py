from datetime import datetime

import strawberry

from models import CaseSource as CaseSourceValue
from models import EnforcementCase as CaseRow
from schema.grants import HOLDER_OR_STAFF
from schema.payloads import Payload
from schema.relay import Node, encode_id
from schema.scoped import owned_node
from services.enforcement import cases
from services.errors import NotFound

CaseSource = strawberry.enum(CaseSourceValue, name="CaseSource")


@strawberry.type(description="An enforcement case opened on the account (ENF-1).")
class EnforcementCase(Node):
    source: CaseSource
    clauses: list[str]
    opened_at: datetime
    description: str
    admin_order_authority: str | None
    admin_order_number: str | None

    @staticmethod
    def from_model(row: CaseRow) -> "EnforcementCase":
        return EnforcementCase(
            id=encode_id("EnforcementCase", row.id),
            source=row.source,
            clauses=list(row.clauses),
            opened_at=row.opened_at,
            description=row.description,
            admin_order_authority=row.admin_order_authority,
            admin_order_number=row.admin_order_number,
        )


async def _case_in_scope(session, key, *, account_id):
    try:
        return await cases.get_case(session, key, account_id=account_id)
    except NotFound:
        return None


owned_node(
    "EnforcementCase",
    find=_case_in_scope,
    grant=HOLDER_OR_STAFF,
    to_node=EnforcementCase.from_model,
    target=lambda row: f"case:{row.id}",
)


@strawberry.type
class CasePayload(Payload):
    case: EnforcementCase | None = None


@strawberry.input
class OpenCaseInput:
    account_id: strawberry.ID
    source: CaseSource
    clauses: list[str]
    description: str
    apps: list[strawberry.ID] | None = None
    admin_order_authority: str | None = None
    admin_order_number: str | None = None
