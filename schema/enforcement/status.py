"""ENF-6 enforcementStatus (the holder's own account, any account for staff) and ENF-5
appStandings (what the metering client reads to stop serving a suspended AppID)."""

import uuid

import strawberry
from sqlalchemy import select

from models import App as AppRow
from schema.apps.types import App
from schema.context import AccordInfo
from schema.deadlines import Deadline, explained
from schema.enforcement.measure_types import Measure
from schema.enforcement.types import EnforcementCase
from schema.enums import Standing
from schema.errors import query_error
from schema.grants import HOLDER_OR_STAFF, USAGE_WRITERS
from schema.ids import key_of
from schema.permissions import allowed
from schema.scoped import record_staff_read, scope_of
from services.enforcement import deadlines, status
from services.errors import DomainError, InvalidInput, NotFound


@strawberry.type(description="The standing of one AppID (ENF-5, ENF-6).")
class AppStanding:
    app: App
    standing: Standing


@strawberry.type(description="An AppID's standing as the RTC platform reads it (ENF-5).")
class AppIdStanding:
    app_id: str = strawberry.field(description="The public AppID.")
    standing: Standing


@strawberry.type(description="Where an account stands with enforcement, in one query (ENF-6).")
class EnforcementStatus:
    standing: Standing
    measures: list[Measure] = strawberry.field(description="The measures in force, with reason and basis (ENF-4).")
    apps: list[AppStanding]
    open_cases: list[EnforcementCase]
    termination_eligible: bool = strawberry.field(
        description="More than 15 days overdue: terminable without notice (PRE-5, TRM-6)."
    )
    data_deletion_eligible: bool = strawberry.field(
        description="More than 15 days overdue: stored data may be deleted (PRE-5)."
    )
    account_key: strawberry.Private[uuid.UUID]

    @strawberry.field(
        description=(
            "The deadlines still running for the account (cure periods, termination dates, dispute "
            "windows, payment due dates), soonest first, each explained (ENF-6, T-4)."
        )
    )
    async def next_deadlines(self, info: AccordInfo) -> list[Deadline]:
        context = info.context
        specs = await deadlines.upcoming(context.session, self.account_key, context.clock.now())
        now = context.clock.now()
        found = [await explained(info, spec) for spec in specs]
        return sorted((d for d in found if d.due > now), key=lambda deadline: deadline.due)


@strawberry.type
class EnforcementQuery:
    @strawberry.field(
        description="ENF-6. The viewer's own account when accountId is omitted; staff name any account.",
        extensions=allowed(HOLDER_OR_STAFF),
    )
    async def enforcement_status(self, info: AccordInfo, account_id: strawberry.ID | None = None) -> EnforcementStatus:
        context = info.context
        try:
            scope = scope_of(context)
            if account_id is None:
                if scope is None:
                    raise InvalidInput("staff name the account", field=["accountId"])
                key = scope
            else:
                key = key_of(account_id, "Account", "accountId")
                if scope is not None and key != scope:
                    raise NotFound("no such account", field=["accountId"])  # SEC-1
            found = await status.status(context.session, account_id=key, now=context.clock.now())
        except DomainError as error:
            raise query_error(error) from None
        await record_staff_read(context, account_id=key, target=f"enforcement:{key}")
        return EnforcementStatus(
            standing=found.standing,
            measures=[Measure.from_model(m) for m in found.measures],
            apps=[AppStanding(app=App.from_model(a), standing=a.standing) for a in found.apps],
            open_cases=[EnforcementCase.from_model(c) for c in found.open_cases],
            termination_eligible=found.termination_eligible,
            data_deletion_eligible=found.data_deletion_eligible,
            account_key=key,
        )

    @strawberry.field(
        description="The standing of AppIDs by their public AppID, for the RTC platform (ENF-5).",
        extensions=allowed(USAGE_WRITERS),
    )
    async def app_standings(self, info: AccordInfo, app_ids: list[str]) -> list[AppIdStanding]:
        if len(app_ids) > 100:
            raise query_error(InvalidInput("at most 100 AppIDs at once", field=["appIds"]))
        rows = await info.context.session.execute(
            select(AppRow.app_id, AppRow.standing).where(AppRow.app_id.in_(app_ids)).order_by(AppRow.app_id)
        )
        return [AppIdStanding(app_id=app_id, standing=standing) for app_id, standing in rows]
