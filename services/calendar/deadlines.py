"""Every deadline explains itself (issue 12; T-4, NTC-1, FM-1).

A ``DeadlineSpec`` says what a deadline counts: the rule, the event it counts from, and how
many working or calendar days. ``count`` turns it into the due instant together with the why:
the holiday days passed over, the adjusted weekend working days that counted, and the
force-majeure events that paused it. Every deadline the service enforces (BIL-5's dispute
window, PRE-3/PRE-4's pay-by) is computed by ``count`` from its spec, and its explanation is the
same call again, so the explanation and the enforced date cannot disagree.

Counting (T-4): days strictly after the Shanghai date of ``start``. A working-day deadline
counts working days (``WorkingCalendar.is_working_day``); a calendar-day one counts every day.
The deadline ends at 23:59:59.999999 Asia/Shanghai of the last counted day.

Force majeure (FM-1), as decided here: for a deadline that runs against the customer, every
Shanghai calendar day that a force-majeure event touches (from the date it started to the date
it ended, both included, however short the event was on those days) does not count: the count
stops while the event lasts and resumes the day after it, so the due moves later by the counted
days the event took out of the running period. Events that touch no day of the running period
change nothing and are not listed. An event still going on pauses through today (``now``), so
the due it shows moves on each day while the event lasts. Deadlines that run against the vendor
(``against_customer=False``) never pause.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import ForceMajeureEvent
from services.calendar.deadline_spec import DayCount, DeadlineSpec
from services.calendar.service import calendar as load_calendar
from services.calendar.working import MAX_RANGE_DAYS, MAX_WORKING_DAYS, WorkingCalendar
from services.clock import end_of_day, local_date
from services.errors import InvalidInput

# A bound on the days one count walks (counted days plus paused ones).
MAX_WALK_DAYS = 4 * MAX_RANGE_DAYS


@dataclass(frozen=True, slots=True)
class Pause:
    """A force-majeure event as deadlines see it (FM-1): the Shanghai days it touches."""

    label: str
    first_day: date
    last_day: date

    def covers(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day


@dataclass(frozen=True, slots=True)
class ExplainedDeadline:
    """A deadline with its reasons: what the ``Deadline`` GraphQL type shows."""

    spec: DeadlineSpec
    due: datetime  # aware UTC: 23:59:59.999999 Asia/Shanghai of the last counted day
    skipped: tuple[date, ...]  # official holiday days passed over (not ordinary weekends)
    adjusted_workdays: tuple[date, ...]  # weekend days that counted as working days (调休)
    paused_by: tuple[str, ...]  # the force-majeure events that took days out of the count
    paused_days: tuple[date, ...]  # the days they took out

    @property
    def due_date(self) -> date:
        return local_date(self.due)


def pause_of(event: ForceMajeureEvent, *, now: datetime) -> Pause:
    first = local_date(event.started_at)
    if event.ended_at is None:
        last = max(first, local_date(now))
        label = f"{event.kind}: from {first.isoformat()} (ongoing)"
    else:
        last = max(first, local_date(event.ended_at))
        label = f"{event.kind}: {first.isoformat()} to {last.isoformat()}"
    return Pause(label=label, first_day=first, last_day=last)


async def pauses(session: AsyncSession, *, now: datetime) -> list[Pause]:
    """Every recorded force-majeure event, as pauses (a handful of rows: one query)."""
    rows = (await session.execute(select(ForceMajeureEvent).order_by(ForceMajeureEvent.started_at))).scalars()
    return [pause_of(row, now=now) for row in rows]


def _check(spec: DeadlineSpec) -> None:
    limit = MAX_WORKING_DAYS if spec.counted == DayCount.WORKING_DAYS else MAX_RANGE_DAYS
    if not 1 <= spec.days <= limit:
        raise InvalidInput(f"a deadline counts between 1 and {limit} days", field=["days"])


def count(spec: DeadlineSpec, calendar: WorkingCalendar, pauses: Sequence[Pause] = ()) -> ExplainedDeadline:
    """The due instant of ``spec`` and why (pure: no I/O). Raises ``CalendarUnknown`` (T-3) when
    the count reaches a year with no official arrangement."""
    _check(spec)
    active = pauses if spec.against_customer else ()
    working = spec.counted == DayCount.WORKING_DAYS
    day, counted = local_date(spec.start), 0
    skipped: list[date] = []
    adjusted: list[date] = []
    paused_days: list[date] = []
    paused_by: list[str] = []
    for _ in range(MAX_WALK_DAYS):
        if counted == spec.days:
            break
        day += timedelta(days=1)
        pausing = [p for p in active if p.covers(day)]
        if pausing:
            paused_days.append(day)
            paused_by.extend(p.label for p in pausing if p.label not in paused_by)
            continue
        if not working:
            counted += 1
        elif calendar.is_working_day(day):
            counted += 1
            if day.weekday() >= 5:
                adjusted.append(day)
        elif calendar.is_official_holiday(day):
            skipped.append(day)
    else:
        raise InvalidInput(f"a deadline cannot be counted across more than {MAX_WALK_DAYS} days", field=["days"])
    return ExplainedDeadline(
        spec=spec,
        due=end_of_day(day),
        skipped=tuple(skipped),
        adjusted_workdays=tuple(adjusted),
        paused_by=tuple(paused_by),
        paused_days=tuple(paused_days),
    )


async def explain(
    session: AsyncSession,
    spec: DeadlineSpec,
    *,
    now: datetime,
    calendar: WorkingCalendar | None = None,
    force_majeure: Sequence[Pause] | None = None,
) -> ExplainedDeadline:
    """``count`` with the database's calendar (package years plus loaded ones) and recorded
    force-majeure events; pass ``calendar``/``force_majeure`` when already loaded (a list of deadlines
    then costs no further query). ``now`` only matters for an event still going on."""
    if calendar is None:
        calendar = await load_calendar(session)
    if force_majeure is None:
        force_majeure = await pauses(session, now=now) if spec.against_customer else []
    return count(spec, calendar, force_majeure)


@dataclass(frozen=True, slots=True)
class Facts:
    """What counting needs from the database, loaded once per request (a list of deadlines then
    costs no further query)."""

    calendar: WorkingCalendar
    pauses: tuple[Pause, ...]


async def facts(session: AsyncSession, *, now: datetime) -> Facts:
    return Facts(await load_calendar(session), tuple(await pauses(session, now=now)))


async def facts_by_key(session: AsyncSession, keys: Sequence[object], *, now: datetime) -> dict[object, Facts]:
    """DataLoader batch: the same ``Facts`` for every key."""
    loaded = await facts(session, now=now)
    return {key: loaded for key in keys}
