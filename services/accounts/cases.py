"""ACC-5 ownership disputes, ACC-6 compromise reports, ACC-7 (and TRM-1/2/3/7) termination
requests."""

import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    Account,
    CaseSource,
    CompromiseReport,
    DisputeState,
    EnforcementCase,
    Ground,
    HolderType,
    Measure,
    MeasureKind,
    OwnershipDispute,
    ReportState,
    Standing,
    SubmissionState,
    TerminationRequest,
)
from services import calendar, events, incidents, notices
from services.accounts import real_name, validation
from services.batch import rows_by
from services.clock import local_date
from services.enforcement import cases as enforcement_cases
from services.enforcement import measures, termination
from services.errors import GroundNotMet, InvalidInput, InvalidState, NotFound
from services.scoped import one_in_scope

# ACC-7 interpretation: a dissolution is announced at least this many working days before it.
DISSOLUTION_NOTICE_WORKING_DAYS = 5
CONVENIENCE_NOTICE_DAYS = 30  # TRM-1
REPUTATION_NOTICE_WORKING_DAYS = 10  # TRM-3
SERVICE_FAILURE_NOTICE_WORKING_DAYS = 5  # TRM-2
OWNERSHIP_CLAUSE = "2.5"  # ACC-5: the article an ownership dispute's freeze rests on


class Credential(StrEnum):  # names of credentials, not secrets
    """ACC-6: what a holder can report as leaked."""

    PASSWORD = "PASSWORD"
    APP_SECRET = "APP_SECRET"
    CLIENT_SECRET = "CLIENT_SECRET"


# ACC-5 -------------------------------------------------------------------------------------


async def open_dispute(
    session: AsyncSession, *, account: Account, complaint: str, freeze: bool, actor: str, now: datetime
) -> OwnershipDispute:
    """A freeze goes through ENF like any measure (ENF-2): the dispute opens an enforcement case,
    a notice of it goes to the account's console (an electronic notice, delivered when written,
    NTC-1), and the FREEZE_ACCOUNT measure cites that delivered notice."""
    if freeze and account.standing == Standing.TERMINATED:
        raise InvalidState("a terminated account is not frozen (it must stay able to pay what it owes)")
    earlier = await _open_freezing(session, account.id)
    dispute = OwnershipDispute(
        account_id=account.id,
        complaint=validation.text(complaint, "complaint", max_length=5000),
        froze_account=freeze,
        standing_before=earlier[0].standing_before if earlier else account.standing,
        opened_by=actor,
        opened_at=now,
    )
    session.add(dispute)
    await session.flush()
    if freeze:
        case = await enforcement_cases.open_case(
            session,
            account=account,
            source=CaseSource.SELF_DISCOVERED,
            clauses=[OWNERSHIP_CLAUSE],
            description=f"ownership dispute: {dispute.complaint}",
            opened_by=actor,
            now=now,
        )
        notice = await notices.send_electronic(
            session,
            account_id=account.id,
            addressee=account.email,
            subject="账户冻结通知 / Account freeze notice",
            body=(
                "An ownership dispute was opened on this account (Art. 2.5). The account is frozen while it is "
                "open: it can be read but not changed."
            ),
            sent_by=actor,
            now=now,
        )
        notice.case_id = case.id
        await session.flush()
        await measures.apply_measure(
            session,
            measures.NewMeasure(
                case_id=case.id,
                kind=MeasureKind.FREEZE_ACCOUNT,
                notice_id=notice.id,
                reason="ownership dispute (ACC-5)",
                dispute_id=dispute.id,
            ),
            actor=actor,
            now=now,
        )
        await session.refresh(account, ["standing"])
    return dispute


async def resolve_dispute(
    session: AsyncSession, *, dispute_id: uuid.UUID, winner: str | None, note: str, actor: str, now: datetime
) -> OwnershipDispute:
    """The holder recorded in the verified real-name subject wins unless staff name another.
    The freeze the dispute caused is lifted with the resolution as its reason, and its case
    closes; the account stays frozen while another measure freezes it."""
    dispute = await session.get(OwnershipDispute, dispute_id)
    if dispute is None:
        raise NotFound("no such ownership dispute", field=["id"])
    if dispute.state != DisputeState.OPEN:
        raise InvalidState("the dispute is resolved already", field=["id"])
    account = await session.get(Account, dispute.account_id)
    assert account is not None
    if winner is None or not winner.strip():
        verified = (await real_name.latest_submissions(session, [account.id])).get(account.id)
        if verified is None or verified.state != SubmissionState.VERIFIED:
            raise InvalidInput("no verified real-name subject: name the winner", field=["winner"])
        winner = verified.subject_name
    dispute.state = DisputeState.RESOLVED
    dispute.winner = validation.single_line(winner, "winner")
    dispute.resolution_note = validation.text(note, "note", max_length=5000)
    dispute.resolved_by, dispute.resolved_at = actor, now
    await session.flush()
    freezes = await session.execute(
        select(Measure).where(Measure.dispute_id == dispute.id, Measure.lifted_at.is_(None))
    )
    for freeze in freezes.scalars().all():
        await measures.lift_measure(
            session,
            measure_id=freeze.id,
            reason=f"ownership dispute resolved for {dispute.winner}: {dispute.resolution_note}",
            actor=actor,
            now=now,
        )
        case = await session.get(EnforcementCase, freeze.case_id)
        if case is not None and case.closed_at is None:
            case.closed_at = now
    await session.flush()
    await session.refresh(account, ["standing"])
    return dispute


async def _open_freezing(session: AsyncSession, account_id: uuid.UUID) -> list[OwnershipDispute]:
    found = await session.execute(
        select(OwnershipDispute)
        .where(
            OwnershipDispute.account_id == account_id,
            OwnershipDispute.state == DisputeState.OPEN,
            OwnershipDispute.froze_account.is_(True),
        )
        .order_by(OwnershipDispute.id)
    )
    return list(found.scalars())


async def ownership_disputes_of(
    session: AsyncSession, account_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[OwnershipDispute]]:
    return await rows_by(session, OwnershipDispute, OwnershipDispute.account_id, account_ids)


async def dispute_in_scope(
    session: AsyncSession, key: uuid.UUID, *, account_id: uuid.UUID | None
) -> OwnershipDispute | None:
    return await one_in_scope(session, OwnershipDispute, key, account_id=account_id)


# ACC-6 -------------------------------------------------------------------------------------


async def report_compromise(
    session: AsyncSession,
    *,
    account: Account,
    what: Sequence[str],
    description: str,
    evidence: str | None,
    requested_actions: str | None,
    actor: str,
    now: datetime,
) -> CompromiseReport:
    """Stored even without its materials (as INCOMPLETE), so the report time is on record."""
    if not what or any(w not in Credential.__members__ for w in what):
        raise InvalidInput("name what leaked: PASSWORD, APP_SECRET or CLIENT_SECRET", field=["what"])
    complete = bool(evidence and evidence.strip() and requested_actions and requested_actions.strip())
    report = CompromiseReport(
        account_id=account.id,
        what=sorted(set(what)),
        description=validation.text(description, "description", max_length=5000),
        evidence=evidence,
        requested_actions=requested_actions,
        state=ReportState.SUBMITTED if complete else ReportState.INCOMPLETE,
        reported_by=actor,
        reported_at=now,
    )
    session.add(report)
    await session.flush()
    return report


async def advance_report(
    session: AsyncSession, *, report_id: uuid.UUID, to: ReportState, actor: str, now: datetime
) -> CompromiseReport:
    """SUBMITTED → IDENTITY_VERIFIED → HANDLED; an INCOMPLETE report can do neither."""
    report = await session.get(CompromiseReport, report_id)
    if report is None:
        raise NotFound("no such compromise report", field=["id"])
    allowed_from = {
        ReportState.IDENTITY_VERIFIED: ReportState.SUBMITTED,
        ReportState.HANDLED: ReportState.IDENTITY_VERIFIED,
    }
    if report.state != allowed_from[to]:
        raise InvalidState(f"a {report.state} report cannot become {to}", field=["id"])
    report.state = to
    if to == ReportState.IDENTITY_VERIFIED:
        report.identity_verified_at = now
    else:
        report.handled_at, report.handled_by = now, actor
    await session.flush()
    return report


async def reports_of(
    session: AsyncSession, account_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[CompromiseReport]]:
    return await rows_by(session, CompromiseReport, CompromiseReport.account_id, account_ids)


async def report_in_scope(
    session: AsyncSession, key: uuid.UUID, *, account_id: uuid.UUID | None
) -> CompromiseReport | None:
    return await one_in_scope(session, CompromiseReport, key, account_id=account_id)


# ACC-7 and the termination grounds that need nothing from enforcement ------------------------


async def request_termination(
    session: AsyncSession,
    *,
    account: Account,
    ground: Ground,
    reason: str,
    dissolution_date: date | None,
    actor: str,
    now: datetime,
) -> TerminationRequest:
    existing = await session.execute(select(TerminationRequest.id).where(TerminationRequest.account_id == account.id))
    if existing.first() is not None:
        raise InvalidState("a termination request is on file already")
    reason = validation.text(reason, "reason", max_length=5000)
    today = local_date(now)
    working = await calendar.calendar(session)
    late = False
    match ground:
        case Ground.DISSOLUTION:
            if account.holder_type != HolderType.ENTERPRISE:
                raise InvalidInput("only an enterprise account dissolves", field=["ground"])
            if dissolution_date is None:
                raise InvalidInput("name the dissolution date", field=["dissolutionDate"])
            if dissolution_date <= today:
                raise InvalidInput("the dissolution date must be after today", field=["dissolutionDate"])
            # ACC-7: filed at least 5 working days before the date (the date may be the 5th
            # working day after filing), else accepted and marked late. Only those 5 days need
            # a calendar.
            late = working.nth_working_day_after(today, DISSOLUTION_NOTICE_WORKING_DAYS) > dissolution_date
            effective_on = dissolution_date
        case _ if dissolution_date is not None:
            raise InvalidInput("dissolutionDate is for DISSOLUTION only", field=["dissolutionDate"])
        case Ground.CONVENIENCE:
            effective_on = today + timedelta(days=CONVENIENCE_NOTICE_DAYS)  # TRM-1
        case Ground.REPUTATION:
            effective_on = working.nth_working_day_after(today, REPUTATION_NOTICE_WORKING_DAYS)  # TRM-3
        case Ground.SERVICE_FAILURE:
            # TRM-2: a recorded outage longer than 5 × 24 h, then 5 working days' notice.
            if not await incidents.outage_over_five_days(session, now=now):
                raise GroundNotMet("no recorded outage of the service lasted more than 5 days", field=["ground"])
            effective_on = working.nth_working_day_after(today, SERVICE_FAILURE_NOTICE_WORKING_DAYS)
        case Ground.FORCE_MAJEURE:
            # TRM-7: a force-majeure event lasting more than a month; the rule sets no notice
            # period, so the termination takes effect on the day it is filed.
            if await termination.long_force_majeure(session, now=now) is None:
                raise GroundNotMet("no recorded force-majeure event has lasted more than one month", field=["ground"])
            effective_on = today
        case _:
            raise InvalidInput(f"unknown ground {ground}", field=["ground"])
    request = TerminationRequest(
        account_id=account.id,
        ground=ground,
        reason=reason,
        dissolution_date=dissolution_date,
        effective_on=effective_on,
        late=late,
        filed_by=actor,
        filed_at=now,
    )
    session.add(request)
    await session.flush()
    await events.record(
        session,
        account_id=account.id,
        type="termination.scheduled",
        at=now,
        data={"effectiveOn": effective_on.isoformat(), "ground": str(ground), "late": late},
    )
    await termination.apply_due(session, now=now, account_id=account.id)  # a ground effective today
    return request
