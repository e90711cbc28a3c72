"""Notices on every channel (NTC-1, NTC-4), maintenance (NTC-3), outages (TRM-2) and force
majeure (FM-1): staff mutations, each one call into a service."""

import strawberry

from schema.accounts.common import named_account
from schema.context import AccordInfo
from schema.grants import ADMIN, NOTICE_SENDERS
from schema.ids import key_of, key_or_none
from schema.incidents.types import (
    EndForceMajeureInput,
    ForceMajeureInput,
    ForceMajeurePayload,
    MaintenanceInput,
    OutageInput,
    OutagePayload,
    SendNoticeInput,
)
from schema.mutations import run_mutation
from schema.notices import Notice, NoticePayload
from schema.permissions import Requires
from schema.relay import encode_id
from services import incidents, notice_channels
from services.calendar import calendar as load_calendar


def _sent(sent: notice_channels.Sent) -> NoticePayload:
    return NoticePayload(
        notice=None if sent.notice is None else Notice.from_model(sent.notice),
        queued=sent.queued,
        queued_notice_id=None if sent.queued_id is None else encode_id("Notice", sent.queued_id),
    )


@strawberry.type
class IncidentMutation:
    @strawberry.mutation(
        description=(
            "Send a notice on any channel, deemed delivered as NTC-1 says: in person and on the web when "
            "recorded, by email when the mail server accepts it, by mail on the 3rd day after posting "
            "(moved past an official holiday period) (NTC-1, NTC-4)."
        ),
        extensions=[Requires(NOTICE_SENDERS)],
    )
    async def send_notice(self, info: AccordInfo, input: SendNoticeInput) -> NoticePayload:
        context = info.context

        async def call() -> notice_channels.Sent:
            account = None if input.account_id is None else await named_account(context, input.account_id)
            return await notice_channels.send_notice(
                context.session,
                account=account,
                channel=input.channel,
                subject=input.subject,
                body=input.body,
                case_id=None if input.case_id is None else key_of(input.case_id, "EnforcementCase", "caseId"),
                posted_at=input.posted_at,
                sent_by=context.actor.principal,
                calendar=await load_calendar(context.session),
                now=context.clock.now(),
            )

        return await run_mutation(
            info,
            payload=NoticePayload,
            call=call,
            target=str(input.account_id) if input.account_id is not None else "notice:every-customer",
            account_id=key_or_none(input.account_id, "Account"),
            ok=_sent,
        )

    @strawberry.mutation(
        description=(
            "Announce maintenance on the web: routine work at least 24 hours ahead (NOTICE_TOO_SHORT), "
            "unscheduled work with its cause (NTC-3)."
        ),
        extensions=[Requires(ADMIN)],
    )
    async def schedule_maintenance(self, info: AccordInfo, input: MaintenanceInput) -> NoticePayload:
        context = info.context
        return await run_mutation(
            info,
            payload=NoticePayload,
            target="maintenance",
            call=lambda: notice_channels.schedule_maintenance(
                context.session,
                starts_at=input.starts_at,
                ends_at=input.ends_at,
                scheduled=input.scheduled,
                cause=input.cause,
                sent_by=context.actor.principal,
                now=context.clock.now(),
            ),
            ok=lambda row: NoticePayload(notice=Notice.from_model(row)),
        )

    @strawberry.mutation(
        description="Record an RTC outage; one longer than 5 × 24 hours lets customers terminate (TRM-2).",
        extensions=[Requires(ADMIN)],
    )
    async def record_outage(self, info: AccordInfo, input: OutageInput) -> OutagePayload:
        context = info.context
        return await run_mutation(
            info,
            payload=OutagePayload,
            target="outage",
            call=lambda: incidents.record_outage(
                context.session,
                started_at=input.started_at,
                ended_at=input.ended_at,
                description=input.description,
                recorded_by=context.actor.principal,
                now=context.clock.now(),
            ),
            ok=lambda row: OutagePayload(id=encode_id("Outage", row.id)),
        )

    @strawberry.mutation(
        description=(
            "Record a force-majeure event: deadlines against customers pause while it lasts, and the "
            "running ones are re-counted at once (FM-1); over a month, TRM-7 applies."
        ),
        extensions=[Requires(ADMIN)],
    )
    async def record_force_majeure(self, info: AccordInfo, input: ForceMajeureInput) -> ForceMajeurePayload:
        context = info.context
        return await run_mutation(
            info,
            payload=ForceMajeurePayload,
            target="force-majeure",
            call=lambda: incidents.record_force_majeure(
                context.session,
                kind=input.kind,
                started_at=input.started_at,
                ended_at=input.ended_at,
                description=input.description,
                recorded_by=context.actor.principal,
                now=context.clock.now(),
            ),
            ok=lambda recorded: ForceMajeurePayload(
                id=encode_id("ForceMajeureEvent", recorded[0].id), deadlines_moved=recorded[1]
            ),
        )

    @strawberry.mutation(
        description=(
            "Record the end of a force-majeure event that was still going on; running deadlines are re-counted (FM-1)."
        ),
        extensions=[Requires(ADMIN)],
    )
    async def end_force_majeure(self, info: AccordInfo, input: EndForceMajeureInput) -> ForceMajeurePayload:
        context = info.context
        return await run_mutation(
            info,
            payload=ForceMajeurePayload,
            target=f"force-majeure:{input.id}",
            call=lambda: incidents.end_force_majeure(
                context.session,
                event_id=key_of(input.id, "ForceMajeureEvent", "id"),
                ended_at=input.ended_at,
                now=context.clock.now(),
            ),
            ok=lambda recorded: ForceMajeurePayload(
                id=encode_id("ForceMajeureEvent", recorded[0].id), deadlines_moved=recorded[1]
            ),
        )
