"""What a deadline counts (issue 12, ENF-6 / T-4): the rule and clause that set it, the event it
counts from, and how many working or calendar days. ``services.calendar.deadlines`` turns a spec
into the explained deadline (due instant, skipped holidays, adjusted working days, force-majeure
pauses) that the ``Deadline`` GraphQL type shows."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class DayCount(StrEnum):
    WORKING_DAYS = "WORKING_DAYS"
    CALENDAR_DAYS = "CALENDAR_DAYS"


@dataclass(frozen=True, slots=True)
class DeadlineSpec:
    what: str  # e.g. "dispute window of bill 2026-09"
    rule: str  # e.g. "BIL-5"
    clause: str | None  # the agreement's article, e.g. "4.4.3"
    start: datetime  # the event it counts from (a delivery, a notice, a due date), aware UTC
    counted: DayCount
    days: int
    # Whether force majeure (FM-1) pauses it: only deadlines that run against the customer.
    against_customer: bool = True
