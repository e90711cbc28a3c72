"""ENF-6: the next deadlines of an account, as specs (what counts, from when, how many days).
``services.calendar.deadlines`` turns each into the explained ``Deadline`` (due instant,
skipped holidays, force-majeure pauses); this module only says which deadlines run now.

- ENF-7 cure periods: 14 calendar days from the first delivered notice of each open case that
  has not ended in a termination yet (against the customer).
- Termination effective dates (TRM-1/2/3/7, ACC-7): counted from the request's filing, in the
  rule's days (not against the customer: the customer asked for it).
- BIL-5 dispute windows of delivered bills not yet accepted, and PRE-3/PRE-4 payment
  deadlines of settled bills that still owe principal, from their notices' delivery.

A constant number of queries, whatever the number of cases, bills or requests.
"""

import uuid
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import (
    Account,
    Bill,
    BillState,
    EnforcementCase,
    Ground,
    Measure,
    MeasureKind,
    Notice,
    NoticePurpose,
    Standing,
    TerminationRequest,
)
from services.accounts import cases as account_cases
from services.calendar.deadline_spec import DayCount, DeadlineSpec
from services.calendar.working import MAX_RANGE_DAYS
from services.clock import local_date
from services.enforcement.measures import CURE_PERIOD_DAYS, IMMEDIATE_TERMINATION, OVERDUE_TERMINATION, cure_period
from services.notices import DISPUTE_WORKING_DAYS, PAY_WORKING_DAYS

NO_CURE_PERIOD = frozenset({IMMEDIATE_TERMINATION, OVERDUE_TERMINATION})
# Each ground's notice period: (rule, clause, counted, days); DISSOLUTION counts to its date.
_TERMINATION_PERIODS = {
    Ground.CONVENIENCE: ("TRM-1", "7.1", DayCount.CALENDAR_DAYS, account_cases.CONVENIENCE_NOTICE_DAYS),
    Ground.SERVICE_FAILURE: (
        "TRM-2",
        "7.2",
        DayCount.WORKING_DAYS,
        account_cases.SERVICE_FAILURE_NOTICE_WORKING_DAYS,
    ),
    Ground.REPUTATION: ("TRM-3", "7.3", DayCount.WORKING_DAYS, account_cases.REPUTATION_NOTICE_WORKING_DAYS),
    Ground.FORCE_MAJEURE: ("TRM-7", "6.2", DayCount.CALENDAR_DAYS, 0),
    Ground.DISSOLUTION: ("ACC-7", "2.7", DayCount.CALENDAR_DAYS, None),
}


async def upcoming(session: AsyncSession, account_id: uuid.UUID, now: datetime) -> list[DeadlineSpec]:
    specs = [
        *await _cure_periods(session, account_id, now),
        *await _terminations(session, account_id, now),
        *await _bills(session, account_id, now),
    ]
    return sorted(specs, key=lambda spec: (spec.start, spec.rule, spec.what))


async def _cure_periods(session: AsyncSession, account_id: uuid.UUID, now: datetime) -> list[DeadlineSpec]:
    terminated = select(Measure.case_id).where(Measure.kind == MeasureKind.TERMINATE)
    first_delivery = (
        select(Notice.case_id, func.min(Notice.delivered_at).label("delivered"))
        .where(Notice.account_id == account_id, Notice.case_id.is_not(None), Notice.delivered_at.is_not(None))
        .group_by(Notice.case_id)
        .subquery()
    )
    query = (
        select(EnforcementCase.id, EnforcementCase.clauses, first_delivery.c.delivered)
        .join(first_delivery, first_delivery.c.case_id == EnforcementCase.id)
        .where(
            EnforcementCase.account_id == account_id,
            EnforcementCase.closed_at.is_(None),
            EnforcementCase.id.not_in(terminated),
        )
        .order_by(EnforcementCase.id)
    )
    specs = []
    for case_id, clauses, delivered in await session.execute(query):
        if delivered + timedelta(days=CURE_PERIOD_DAYS + 1) <= now:
            continue  # ended (its 14th day is over): termination for the breach may follow (TRM-4)
        if NO_CURE_PERIOD & set(clauses) or set(clauses) <= {account_cases.OWNERSHIP_CLAUSE}:
            continue  # TRM-5 / TRM-6 grounds need none; an ownership dispute is no breach
        specs.append(cure_period(case_id, clauses, delivered))
    return specs


async def _terminations(session: AsyncSession, account_id: uuid.UUID, now: datetime) -> list[DeadlineSpec]:
    query = (
        select(TerminationRequest)
        .join(Account, Account.id == TerminationRequest.account_id)
        .where(
            TerminationRequest.account_id == account_id,
            TerminationRequest.effective_on > local_date(now),
            Account.standing != Standing.TERMINATED,
        )
    )
    specs = []
    for request in (await session.execute(query)).scalars():
        rule, clause, counted, days = _TERMINATION_PERIODS[Ground(request.ground)]
        if days is None:
            days = (request.effective_on - local_date(request.filed_at)).days
            if days > MAX_RANGE_DAYS:
                continue  # a dissolution years ahead: no "next" deadline, and beyond any count
        specs.append(
            DeadlineSpec(
                what=f"termination ({request.ground}) takes effect",
                rule=rule,
                clause=clause,
                start=request.filed_at,
                counted=counted,
                days=days,
                against_customer=False,
            )
        )
    return specs


async def _bills(session: AsyncSession, account_id: uuid.UUID, now: datetime) -> list[DeadlineSpec]:
    pay_notices = (
        select(Notice.bill_id, func.max(Notice.delivered_at).label("delivered"))
        .where(Notice.purpose == NoticePurpose.PAYMENT_DUE, Notice.delivered_at.is_not(None))
        .group_by(Notice.bill_id)
        .subquery()
    )
    query = (
        select(Bill, pay_notices.c.delivered)
        .outerjoin(pay_notices, pay_notices.c.bill_id == Bill.id)
        .where(
            Bill.account_id == account_id,
            ((Bill.state == BillState.ISSUED) & (Bill.dispute_deadline > now))
            | ((Bill.pay_by > now) & (Bill.paid_fen < Bill.total_fen) & Bill.settled_at.is_not(None)),
        )
        .order_by(Bill.period)
    )
    specs = []
    for bill, paid_notice_delivered in await session.execute(query):
        month = f"{bill.period:%Y-%m}"
        if bill.state == BillState.ISSUED and bill.dispute_deadline and bill.dispute_deadline > now:
            specs.append(
                DeadlineSpec(
                    what=f"confirm or dispute the bill for {month}",
                    rule="BIL-5",
                    clause="4.4.3",
                    start=bill.delivered_at,
                    counted=DayCount.WORKING_DAYS,
                    days=DISPUTE_WORKING_DAYS,
                )
            )
        unpaid = bill.settled_at is not None and bill.paid_fen < bill.total_fen
        if bill.pay_by and bill.pay_by > now and unpaid and paid_notice_delivered is not None:
            specs.append(
                DeadlineSpec(
                    what=f"pay the arrears of the bill for {month}",
                    rule="PRE-4",
                    clause="4.7.1",
                    start=paid_notice_delivered,
                    counted=DayCount.WORKING_DAYS,
                    days=PAY_WORKING_DAYS,
                )
            )
    return specs
