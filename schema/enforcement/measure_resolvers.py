"""applyMeasure and liftMeasure (ENF-2 to ENF-5, ENF-7): staff COMPLIANCE, a reason each."""

import strawberry

from models import EnforcementCase
from models import Measure as MeasureRow
from schema.context import AccordInfo
from schema.enforcement.measure_types import ApplyMeasureInput, LiftMeasureInput, Measure, MeasurePayload
from schema.grants import COMPLIANCE
from schema.ids import key_of, key_or_none
from schema.mutations import run_mutation
from schema.permissions import Requires
from services.accounts.repository import owning_account
from services.enforcement import measures


def _payload(row: MeasureRow) -> MeasurePayload:
    return MeasurePayload(measure=Measure.from_model(row))


@strawberry.type
class MeasureMutation:
    @strawberry.mutation(
        description=(
            "Take a measure on a case once a notice of the case has been delivered (ENF-2): REGULATOR cases "
            "need their administrative order (ENF-3); TERMINATE waits for the 14-day cure period unless the "
            "case cites Art. 7.5 or 4.7.2 (ENF-7, TRM-4 to TRM-6); FORFEIT_PREPAYMENT only with TERMINATE or "
            "for an Art. 2.8 violation (ENF-4)."
        ),
        extensions=[Requires(COMPLIANCE)],
    )
    async def apply_measure(self, info: AccordInfo, input: ApplyMeasureInput) -> MeasurePayload:
        context = info.context
        case_key = key_or_none(input.case_id, "EnforcementCase")

        async def call():
            return await measures.apply_measure(
                context.session,
                measures.NewMeasure(
                    case_id=key_of(input.case_id, "EnforcementCase", "caseId"),
                    kind=input.kind,
                    notice_id=key_of(input.notice_id, "Notice", "noticeId"),
                    reason=input.reason,
                    app_ids=[key_of(app, "App", "apps") for app in input.apps or []],
                    capabilities=input.capabilities or [],
                    deadline=input.deadline,
                ),
                actor=context.actor.principal,
                now=context.clock.now(),
            )

        return await run_mutation(
            info,
            payload=MeasurePayload,
            call=call,
            target=str(input.case_id),
            account_id=await owning_account(context.session, EnforcementCase, case_key),
            ok=_payload,
        )

    @strawberry.mutation(
        description="Lift a measure, saying why; TERMINATE and FORFEIT_PREPAYMENT are final (ENF-4).",
        extensions=[Requires(COMPLIANCE)],
    )
    async def lift_measure(self, info: AccordInfo, input: LiftMeasureInput) -> MeasurePayload:
        context = info.context
        return await run_mutation(
            info,
            payload=MeasurePayload,
            call=lambda: measures.lift_measure(
                context.session,
                measure_id=key_of(input.id, "Measure"),
                reason=input.reason,
                actor=context.actor.principal,
                now=context.clock.now(),
            ),
            target=str(input.id),
            account_id=await owning_account(context.session, MeasureRow, key_or_none(input.id, "Measure")),
            ok=_payload,
        )
