import strawberry

from schema.accounts.common import named_account
from schema.context import AccordInfo
from schema.enforcement.types import CasePayload, EnforcementCase, OpenCaseInput
from schema.grants import COMPLIANCE
from schema.ids import key_of, key_or_none
from schema.mutations import run_mutation
from schema.permissions import Requires
from services.enforcement import cases


@strawberry.type
class EnforcementMutation:
    @strawberry.mutation(
        description="Open an enforcement case citing the clauses violated, e.g. 2.11 or 2.14 (ENF-1, APP-5).",
        extensions=[Requires(COMPLIANCE)],
    )
    async def open_enforcement_case(self, info: AccordInfo, input: OpenCaseInput) -> CasePayload:
        context = info.context

        async def call():
            account = await named_account(context, input.account_id)
            return await cases.open_case(
                context.session,
                account=account,
                source=input.source,
                clauses=input.clauses,
                description=input.description,
                app_ids=[key_of(app, "App", "apps") for app in input.apps or []],
                admin_order_authority=input.admin_order_authority,
                admin_order_number=input.admin_order_number,
                opened_by=context.actor.principal,
                now=context.clock.now(),
            )

        return await run_mutation(
            info,
            payload=CasePayload,
            call=call,
            target=str(input.account_id),
            account_id=key_or_none(input.account_id, "Account"),
            ok=lambda row: CasePayload(case=EnforcementCase.from_model(row)),
        )
