"""T-1 to T-4: the working-day calendar (package years plus years staff loaded)."""

from services.calendar.service import calendar, get_year, load_year, page_years, year_days
from services.calendar.working import WorkingCalendar, YearArrangement

__all__ = [
    "WorkingCalendar",
    "YearArrangement",
    "calendar",
    "get_year",
    "load_year",
    "page_years",
    "year_days",
]
