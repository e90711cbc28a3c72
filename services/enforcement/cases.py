"""ENF-1: staff open enforcement cases on an account (optionally on some of its AppIDs).

APP-5: resale, sublicensing (Art. 2.11) and reverse engineering (Art. 2.14) are grounds for a
case; nothing detects them automatically, so staff cite those clauses when they open one.
"""

import re
import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Account, App, CaseSource, EnforcementCase
from services.accounts import validation
from services.batch import rows_by
from services.errors import AdminOrderRequired, InvalidInput, NotFound
from services.scoped import one_in_scope

# Articles of the agreement a case commonly cites.
SCOPE_VIOLATION = "2.8"  # usage outside the declared scope (APP-3)
RESALE_OR_SUBLICENSING = "2.11"  # APP-5
REVERSE_ENGINEERING = "2.14"  # APP-5

_CLAUSE = re.compile(r"^(?:[1-9]|10)(?:\.[1-9][0-9]?){1,2}$")  # Art. 1-10, e.g. 2.8, 3.4.1


async def open_case(
    session: AsyncSession,
    *,
    account: Account,
    source: CaseSource,
    clauses: Sequence[str],
    description: str,
    app_ids: Sequence[uuid.UUID] = (),
    admin_order_authority: str | None = None,
    admin_order_number: str | None = None,
    opened_by: str,
    now: datetime,
) -> EnforcementCase:
    cited = sorted({c.strip() for c in clauses})
    if not cited:
        raise InvalidInput("cite at least one clause of the agreement", field=["clauses"])
    if bad := [c for c in cited if not _CLAUSE.match(c)]:
        raise InvalidInput(f"{bad[0]!r} is not a clause reference such as 2.11 or 3.4.1", field=["clauses"])
    apps = list((await session.execute(select(App).where(App.id.in_(app_ids)))).scalars()) if app_ids else []
    if len(apps) != len(set(app_ids)) or any(a.account_id != account.id for a in apps):
        raise NotFound("no such app on this account", field=["apps"])
    authority = validation.optional_single_line(admin_order_authority, "adminOrderAuthority", max_length=200)
    order_number = validation.optional_single_line(admin_order_number, "adminOrderNumber", max_length=100)
    if source == CaseSource.REGULATOR and not (authority and order_number):  # ENF-3
        missing = "adminOrderAuthority" if not authority else "adminOrderNumber"
        raise AdminOrderRequired(
            "a case brought by a regulator cites the administrative order: issuing authority and document number",
            field=[missing],
        )
    case = EnforcementCase(
        account_id=account.id,
        source=source,
        clauses=cited,
        app_ids=sorted(str(a.id) for a in apps),
        description=validation.text(description, "description", max_length=10000),
        admin_order_authority=authority,
        admin_order_number=order_number,
        opened_by=opened_by,
        opened_at=now,
    )
    session.add(case)
    await session.flush()
    return case


async def get_case(session: AsyncSession, case_id: uuid.UUID, *, account_id: uuid.UUID | None) -> EnforcementCase:
    case = await one_in_scope(session, EnforcementCase, case_id, account_id=account_id)
    if case is None:
        raise NotFound("no such enforcement case", field=["id"])
    return case


async def cases_of(session: AsyncSession, account_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[EnforcementCase]]:
    return await rows_by(session, EnforcementCase, EnforcementCase.account_id, account_ids)
