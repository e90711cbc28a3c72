"""ACC-5 ownership disputes, ACC-6 compromise reports, ACC-7 termination requests."""

from datetime import date

import strawberry

from models import CompromiseReport as CompromiseReportRow
from models import OwnershipDispute as OwnershipDisputeRow
from models import ReportState
from schema.accounts.common import own_account, staff_account_mutation
from schema.accounts.payloads import AccountPayload, ReportPayload, TerminationPayload
from schema.accounts.types import Account
from schema.context import AccordInfo
from schema.enums import CompromisedCredential, TerminationGround
from schema.grants import COMPLIANCE_OR_ADMIN, HOLDER, SUPPORT_COMPLIANCE_OR_ADMIN
from schema.ids import key_of, key_or_none
from schema.inputs import IdInput
from schema.mutations import run_mutation
from schema.permissions import Requires
from schema.relay import encode_id
from services.accounts import cases, service
from services.accounts.repository import owning_account


@strawberry.input
class OwnershipDisputeInput:
    account_id: strawberry.ID
    complaint: str
    freeze: bool


@strawberry.input
class ResolveOwnershipDisputeInput:
    id: strawberry.ID
    note: str
    winner: str | None = strawberry.field(
        default=None, description="Default: the holder recorded in the verified real-name subject."
    )


@strawberry.input
class ReportCompromiseInput:
    what: list[CompromisedCredential]
    description: str
    evidence: str | None = None
    requested_actions: str | None = None


@strawberry.input
class RequestTerminationInput:
    ground: TerminationGround
    reason: str
    dissolution_date: date | None = strawberry.field(
        default=None, description="Given for a DISSOLUTION termination only."
    )


def _report_payload(report) -> ReportPayload:
    return ReportPayload(report_id=encode_id("CompromiseReport", report.id), state=report.state)


@strawberry.type
class CaseMutation:
    @strawberry.mutation(
        description="Open an ownership dispute, optionally freezing the account (ACC-5).",
        extensions=[Requires(COMPLIANCE_OR_ADMIN)],
    )
    async def open_ownership_dispute(self, info: AccordInfo, input: OwnershipDisputeInput) -> AccountPayload:
        context = info.context
        return await staff_account_mutation(
            info,
            input.account_id,
            lambda account: cases.open_dispute(
                context.session,
                account=account,
                complaint=input.complaint,
                freeze=input.freeze,
                actor=context.actor.principal,
                now=context.clock.now(),
            ),
        )

    @strawberry.mutation(
        description="Resolve an ownership dispute naming the winner; a freeze it caused is lifted (ACC-5).",
        extensions=[Requires(COMPLIANCE_OR_ADMIN)],
    )
    async def resolve_ownership_dispute(self, info: AccordInfo, input: ResolveOwnershipDisputeInput) -> AccountPayload:
        context = info.context

        async def call():
            dispute = await cases.resolve_dispute(
                context.session,
                dispute_id=key_of(input.id, "OwnershipDispute"),
                winner=input.winner,
                note=input.note,
                actor=context.actor.principal,
                now=context.clock.now(),
            )
            return await service.account_in_scope(context.session, account_id=dispute.account_id, scope=None)

        return await run_mutation(
            info,
            payload=AccountPayload,
            call=call,
            target=str(input.id),
            account_id=await owning_account(
                context.session, OwnershipDisputeRow, key_or_none(input.id, "OwnershipDispute")
            ),
            ok=lambda a: AccountPayload(account=Account.from_model(a)),
        )

    @strawberry.mutation(
        description="Report leaked credentials; INCOMPLETE without evidence and requests (ACC-6).",
        extensions=[Requires(HOLDER)],
    )
    async def report_compromise(self, info: AccordInfo, input: ReportCompromiseInput) -> ReportPayload:
        context = info.context

        async def call():
            return await cases.report_compromise(
                context.session,
                account=await own_account(context),
                what=[w.value for w in input.what],
                description=input.description,
                evidence=input.evidence,
                requested_actions=input.requested_actions,
                actor=context.actor.principal,
                now=context.clock.now(),
            )

        return await run_mutation(info, payload=ReportPayload, call=call, ok=_report_payload)

    @strawberry.mutation(
        description="Confirm the reporter's identity: SUBMITTED → IDENTITY_VERIFIED (ACC-6).",
        extensions=[Requires(SUPPORT_COMPLIANCE_OR_ADMIN)],
    )
    async def verify_compromise_reporter(self, info: AccordInfo, input: IdInput) -> ReportPayload:
        return await _advance(info, input, ReportState.IDENTITY_VERIFIED)

    @strawberry.mutation(
        description="Mark a verified report handled: IDENTITY_VERIFIED → HANDLED (ACC-6).",
        extensions=[Requires(SUPPORT_COMPLIANCE_OR_ADMIN)],
    )
    async def mark_compromise_handled(self, info: AccordInfo, input: IdInput) -> ReportPayload:
        return await _advance(info, input, ReportState.HANDLED)

    @strawberry.mutation(
        description=(
            "Ask to terminate the agreement; a late dissolution notice is marked (ACC-7, TRM-1, TRM-2, TRM-3, TRM-7)."
        ),
        extensions=[Requires(HOLDER)],
    )
    async def request_termination(self, info: AccordInfo, input: RequestTerminationInput) -> TerminationPayload:
        context = info.context

        async def call():
            return await cases.request_termination(
                context.session,
                account=await own_account(context),
                ground=input.ground,
                reason=input.reason,
                dissolution_date=input.dissolution_date,
                actor=context.actor.principal,
                now=context.clock.now(),
            )

        return await run_mutation(
            info,
            payload=TerminationPayload,
            call=call,
            ok=lambda r: TerminationPayload(effective_on=r.effective_on, late=r.late),
        )


async def _advance(info: AccordInfo, input: IdInput, to: ReportState) -> ReportPayload:
    context = info.context
    return await run_mutation(
        info,
        payload=ReportPayload,
        target=str(input.id),
        call=lambda: cases.advance_report(
            context.session,
            report_id=key_of(input.id, "CompromiseReport"),
            to=to,
            actor=context.actor.principal,
            now=context.clock.now(),
        ),
        account_id=await owning_account(
            context.session, CompromiseReportRow, key_or_none(input.id, "CompromiseReport")
        ),
        ok=_report_payload,
    )
