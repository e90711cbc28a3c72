from datetime import datetime

import strawberry

from models import CaseSource as CaseSourceValue
from models import EnforcementCase as CaseRow
from schema.errors import UserError
from schema.relay import Node, encode_id, node_fetcher
from services.enforcement import cases
from services.errors import NotFound

CaseSource = strawberry.enum(CaseSourceValue, name="CaseSource")


@strawberry.type(description="ENF-1")
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


@node_fetcher("EnforcementCase")
async def fetch_case(context, key):
    from schema.accounts.types import HOLDER_OR_STAFF, scope_of

    if not HOLDER_OR_STAFF.allows(context.principal):
        return None
    from schema.accounts.reads import record_staff_read

    try:
        row = await cases.get_case(context.session, key, account_id=scope_of(context))
    except NotFound:
        return None
    await record_staff_read(context, account_id=row.account_id, target=f"case:{row.id}")
    return EnforcementCase.from_model(row)


@strawberry.type
class CasePayload:
    case: EnforcementCase | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class OpenCaseInput:
    account_id: strawberry.ID
    source: CaseSource
    clauses: list[str]
    description: str
    apps: list[strawberry.ID] | None = None
    admin_order_authority: str | None = None
    admin_order_number: str | None = None
