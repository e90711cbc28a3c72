"""ENF-2 to ENF-5, ENF-7, TRM-4 to TRM-6: measures taken on an enforcement case.

- ENF-2: a measure cites a notice of its case, delivered by now (a measure may follow an
  electronic notice in the same minute); otherwise ``NOTICE_REQUIRED``.
- ENF-3: a REGULATOR case without its administrative order takes no measure.
- ENF-4: TERMINATE needs its ground: the case cites Art. 7.5 (TRM-5, at once), or Art. 4.7.2
  and the account is more than 15 days overdue (TRM-6, PRE-5), or else it is a breach whose
  14-day cure period, from the case's first delivered notice, has ended (ENF-7, TRM-4).
  FORFEIT_PREPAYMENT only on a terminated account or a case citing Art. 2.8; it posts the
  balance as a FORFEITURE ledger entry (PRE-1) under the ledger's lock order.
- Every measure and every lifting is audited by ``run_mutation`` (staff member, reason) and
  recorded as an account event in the same transaction (``measure.applied``/``measure.lifted``,
  and ``termination.scheduled`` for TERMINATE).

Decisions: a measure takes effect when applied (its notice is delivered by then). TERMINATE
and FORFEIT_PREPAYMENT are final and cannot be lifted. Omitting AppIDs means the whole account.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Account, App, CaseSource, EnforcementCase, LedgerKind, Measure, MeasureKind, Notice, Standing
from models.vocabulary import CUSTOMER_SCOPES
from services import events, notices
from services.accounts import validation
from services.batch import locked
from services.calendar import deadlines
from services.calendar.deadline_spec import DayCount, DeadlineSpec
from services.clock import local_date
from services.enforcement import cases, standing
from services.errors import (
    AdminOrderRequired,
    CurePeriodRunning,
    GroundNotMet,
    InvalidInput,
    InvalidState,
    NotFound,
    NoticeRequired,
)
from services.ledger import arrears, entries
from services.scoped import one_in_scope

CURE_PERIOD_DAYS = 14  # ENF-7: calendar days from the breach notice's delivery
IMMEDIATE_TERMINATION = "7.5"  # TRM-5
OVERDUE_TERMINATION = "4.7.2"  # TRM-6 / PRE-5
FINAL = frozenset({MeasureKind.TERMINATE, MeasureKind.FORFEIT_PREPAYMENT})


@dataclass(frozen=True, slots=True)
class NewMeasure:
    case_id: uuid.UUID
    kind: MeasureKind
    notice_id: uuid.UUID
    reason: str
    app_ids: Sequence[uuid.UUID] = ()
    capabilities: Sequence[str] = ()
    deadline: datetime | None = None
    dispute_id: uuid.UUID | None = None


def regulator_order_missing(case: EnforcementCase) -> bool:
    """ENF-3: a REGULATOR case must cite the issuing authority and the document number."""
    return case.source == CaseSource.REGULATOR and not (case.admin_order_authority and case.admin_order_number)


def basis_of(case: EnforcementCase) -> list[str]:
    """ENF-6: what a measure rests on: the clauses its case cites, and a regulator's order."""
    basis = [f"Art. {clause}" for clause in case.clauses]
    if case.admin_order_authority and case.admin_order_number:
        basis.append(f"{case.admin_order_authority} {case.admin_order_number}")
    return basis


def cure_period(case_id: uuid.UUID, clauses: Sequence[str], delivered: datetime) -> DeadlineSpec:
    """ENF-7: 14 calendar days from the delivery of the case's first delivered notice. One spec
    for the enforced end and its explanation (enforcementStatus.nextDeadlines), so they agree."""
    case = events.global_id("EnforcementCase", case_id)  # the ID the API shows, not the row key
    return DeadlineSpec(
        what=f"cure period of enforcement case {case} (Art. {', '.join(clauses)})",
        rule="ENF-7",
        clause="7.4",
        start=delivered,
        counted=DayCount.CALENDAR_DAYS,
        days=CURE_PERIOD_DAYS,
    )


async def cure_period_end(session: AsyncSession, case: EnforcementCase, *, now: datetime) -> datetime | None:
    """The last instant of the cure period (the end of its 14th day, Asia/Shanghai), later by
    the days force majeure paused it (FM-1: it runs against the customer)."""
    first = await session.scalar(
        select(func.min(Notice.delivered_at)).where(
            Notice.case_id == case.id, Notice.delivered_at.is_not(None), Notice.delivered_at <= now
        )
    )
    if first is None:
        return None
    return (await deadlines.explain(session, cure_period(case.id, case.clauses, first), now=now)).due


async def _termination_ground(session: AsyncSession, case: EnforcementCase, *, now: datetime) -> None:
    if IMMEDIATE_TERMINATION in case.clauses:
        return  # TRM-5: money laundering, gambling, fraud, ... terminate at once
    if OVERDUE_TERMINATION in case.clauses:
        owed = (await arrears.owed(session, [case.account_id], now=now))[case.account_id]
        if not owed.eligible_for_termination(now):  # TRM-6 / PRE-5
            raise GroundNotMet("the account is not more than 15 days overdue (TRM-6)", field=["caseId"])
        return
    end = await cure_period_end(session, case, now=now)  # TRM-4 after ENF-7
    if end is None or now <= end:
        raise CurePeriodRunning(
            "the 14-day cure period after the breach notice has not ended"
            + ("" if end is None else f" (it ends {end.isoformat()})"),
            field=["kind"],
        )


async def _apps(session: AsyncSession, account_id: uuid.UUID, app_ids: Sequence[uuid.UUID]) -> list[App]:
    if not app_ids:
        return []
    apps = list((await session.execute(select(App).where(App.id.in_(app_ids)))).scalars())
    if len(apps) != len(set(app_ids)) or any(a.account_id != account_id for a in apps):
        raise NotFound("no such app on this account", field=["apps"])
    return apps


async def _check_kind(
    session: AsyncSession, new: NewMeasure, case: EnforcementCase, account: Account, apps: list[App], now: datetime
) -> list[str]:
    """Refusals particular to the kind; returns the capabilities a RESTRICT names."""
    if account.standing == Standing.TERMINATED and new.kind != MeasureKind.FORFEIT_PREPAYMENT:
        raise InvalidState("the agreement has ended: no further measure but forfeiture", field=["kind"])
    capabilities = sorted(set(new.capabilities))
    if capabilities and new.kind != MeasureKind.RESTRICT:
        raise InvalidInput("capabilities are named by a RESTRICT measure only", field=["capabilities"])
    if new.deadline is not None and new.kind != MeasureKind.REQUIRE_CONTENT_CHANGE:
        raise InvalidInput("a deadline belongs to REQUIRE_CONTENT_CHANGE only", field=["deadline"])
    if apps and new.kind not in (MeasureKind.SUSPEND, MeasureKind.RESTRICT, MeasureKind.REQUIRE_CONTENT_CHANGE):
        raise InvalidInput(f"{new.kind} applies to the whole account, not to AppIDs", field=["apps"])
    match new.kind:
        case MeasureKind.REQUIRE_CONTENT_CHANGE:
            if new.deadline is None or new.deadline <= now:
                raise InvalidInput("a content change needs a deadline in the future", field=["deadline"])
        case MeasureKind.RESTRICT:
            if bad := [c for c in capabilities if c not in CUSTOMER_SCOPES]:
                raise InvalidInput(f"{bad[0]!r} is not a permission of the vocabulary", field=["capabilities"])
            if not capabilities and not apps:
                raise InvalidInput("name the capabilities or the AppIDs restricted", field=["capabilities"])
        case MeasureKind.TERMINATE:
            await _termination_ground(session, case, now=now)
        case MeasureKind.FORFEIT_PREPAYMENT:
            if account.standing != Standing.TERMINATED and cases.SCOPE_VIOLATION not in case.clauses:
                raise InvalidState(
                    "the prepayment is forfeited only together with TERMINATE or for an Art. 2.8 violation",
                    field=["kind"],
                )
            forfeited = await session.execute(
                select(Measure.id).where(
                    Measure.account_id == account.id, Measure.kind == MeasureKind.FORFEIT_PREPAYMENT
                )
            )
            if forfeited.first() is not None:
                raise InvalidState("the prepayment is forfeited already", field=["kind"])
    return capabilities


async def apply_measure(session: AsyncSession, new: NewMeasure, *, actor: str, now: datetime) -> Measure:
    case = await cases.get_case(session, new.case_id, account_id=None)
    if case.closed_at is not None:
        raise InvalidState("the case is closed", field=["caseId"])
    if regulator_order_missing(case):
        raise AdminOrderRequired("a REGULATOR case must cite the administrative order", field=["caseId"])
    reason = validation.text(new.reason, "reason", max_length=5000)
    notice = await session.get(Notice, new.notice_id)
    if notice is None or notice.account_id != case.account_id:
        raise NotFound("no such notice on this account", field=["noticeId"])
    if notice.case_id != case.id or not notices.delivered_by(notice, now):
        raise NoticeRequired("no delivered notice of this case announces the measure yet", field=["noticeId"])
    # The ledger's lock order: the account row before anything that refers to it.
    account = await locked(session, Account, case.account_id)
    apps = await _apps(session, account.id, new.app_ids)
    capabilities = await _check_kind(session, new, case, account, apps, now)
    measure = Measure(
        account_id=account.id,
        case_id=case.id,
        notice_id=notice.id,
        kind=new.kind,
        app_ids=sorted(str(a.id) for a in apps),
        capabilities=capabilities,
        reason=reason,
        basis=basis_of(case),
        deadline=new.deadline,
        dispute_id=new.dispute_id,
        effective_at=now,
        applied_by=actor,
    )
    session.add(measure)
    await session.flush()
    if new.kind == MeasureKind.FORFEIT_PREPAYMENT:
        await _forfeit(session, account, measure, now=now)
    if new.kind == MeasureKind.TERMINATE:
        account.standing = Standing.TERMINATED
    await standing.refresh(session, account)
    await events.record(session, account_id=account.id, type="measure.applied", at=now, data=event_data(measure))
    if new.kind == MeasureKind.TERMINATE:
        await events.record(
            session,
            account_id=account.id,
            type="termination.scheduled",
            at=now,
            data={"effectiveOn": local_date(now).isoformat(), "ground": "MEASURE", "caseId": str(case.id)},
        )
    return measure


async def _forfeit(session: AsyncSession, account: Account, measure: Measure, *, now: datetime) -> None:
    """ENF-4 / PRE-1: the whole prepaid balance becomes liquidated damages, as one entry."""
    locked_account = await arrears.before_balance_change(session, account.id, now=now)
    amount = max(locked_account.balance_fen, 0)
    measure.amount_fen = amount
    if amount:
        await entries.post(
            session,
            account_id=account.id,
            kind=LedgerKind.FORFEITURE,
            amount_fen=-amount,
            reference=f"measure {measure.id}",
            now=now,
        )
    await session.refresh(account, ["balance_fen"])


async def lift_measure(
    session: AsyncSession, *, measure_id: uuid.UUID, reason: str, actor: str, now: datetime
) -> Measure:
    measure = await session.get(Measure, measure_id)
    if measure is None:
        raise NotFound("no such measure", field=["id"])
    reason = validation.text(reason, "reason", max_length=5000)
    account = await locked(session, Account, measure.account_id)
    if measure.lifted_at is not None:
        raise InvalidState("the measure is lifted already", field=["id"])
    if measure.kind in FINAL:
        raise InvalidState(f"a {measure.kind} measure is final and cannot be lifted", field=["id"])
    measure.lifted_at, measure.lifted_by, measure.lift_reason = now, actor, reason
    await session.flush()
    await standing.refresh(session, account)
    await events.record(session, account_id=account.id, type="measure.lifted", at=now, data=event_data(measure))
    return measure


def event_data(measure: Measure) -> dict:
    return {
        "measureId": str(measure.id),
        "caseId": str(measure.case_id),
        "kind": measure.kind.value if isinstance(measure.kind, MeasureKind) else str(measure.kind),
        "reason": measure.lift_reason if measure.lifted_at else measure.reason,
        "apps": list(measure.app_ids),
        "effectiveAt": measure.effective_at.isoformat(),
        "liftedAt": measure.lifted_at.isoformat() if measure.lifted_at else None,
    }


async def measure_in_scope(session: AsyncSession, key: uuid.UUID, *, account_id: uuid.UUID | None) -> Measure | None:
    return await one_in_scope(session, Measure, key, account_id=account_id)


async def measures_of(session: AsyncSession, account_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Measure]]:
    found: dict[uuid.UUID, list[Measure]] = {key: [] for key in account_ids}
    for measure in (
        await session.execute(select(Measure).where(Measure.account_id.in_(account_ids)).order_by(Measure.id))
    ).scalars():
        found[measure.account_id].append(measure)
    return found
