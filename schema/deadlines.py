"""Every deadline explains itself (issue 12; ENF-6, T-4, FM-1)."""

from datetime import date, datetime

import strawberry

from schema.context import AccordInfo
from schema.errors import query_error
from services.calendar import deadlines
from services.calendar.deadline_spec import DayCount as DayCountValue
from services.calendar.deadline_spec import DeadlineSpec
from services.errors import DomainError

DayCount = strawberry.enum(DayCountValue, name="DayCount")


@strawberry.type(
    description="How a deadline was counted, so that support staff can answer 'why this day?' (ENF-6, T-4)."
)
class Deadline:
    what: str
    due: datetime = strawberry.field(description="The end (23:59:59.999999 Asia/Shanghai) of the last counted day.")
    rule: str = strawberry.field(description="The rule that sets it, e.g. BIL-5.")
    clause: str | None = strawberry.field(description="The agreement's article, e.g. 4.4.3.")
    from_: datetime = strawberry.field(
        name="from", description="The event it counts from (a delivery, a notice, a due date)."
    )
    counted: DayCount
    days: int
    skipped: list[date] = strawberry.field(
        description="Days passed over because they were holidays or weekends inside a holiday period."
    )
    adjusted_workdays: list[date] = strawberry.field(
        description="Weekend days that counted because they were adjusted working days."
    )
    paused_by: list[str] = strawberry.field(
        description=(
            "Force-majeure events that paused it: the days they touched did not count, so the due moved later (FM-1)."
        )
    )
    paused_days: list[date] = strawberry.field(description="The days force majeure took out of the count (FM-1).")

    @staticmethod
    def of(explained: deadlines.ExplainedDeadline) -> "Deadline":
        spec = explained.spec
        return Deadline(
            what=spec.what,
            due=explained.due,
            rule=spec.rule,
            clause=spec.clause,
            from_=spec.start,
            counted=spec.counted,
            days=spec.days,
            skipped=list(explained.skipped),
            adjusted_workdays=list(explained.adjusted_workdays),
            paused_by=list(explained.paused_by),
            paused_days=list(explained.paused_days),
        )


async def explained(info: AccordInfo, spec: DeadlineSpec) -> Deadline:
    """The deadline of ``spec`` with its reasons, counted with the request's calendar and
    force-majeure events (one load per request). A year with no arrangement (T-3) is an error at
    the field's path."""
    facts = await info.context.loaders.deadline_facts.load(0)
    try:
        return Deadline.of(deadlines.count(spec, facts.calendar, facts.pauses))
    except DomainError as error:
        raise query_error(error) from None
