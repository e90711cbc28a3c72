import uuid
from datetime import date, datetime

import strawberry

from models import CalendarDayKind, CalendarYear
from schema.context import AccordInfo, Context
from schema.payloads import Payload
from schema.relay import Node, encode_id, node_fetcher
from services import calendar


@strawberry.type(description="A year of the official holiday arrangement that staff loaded (T-2).")
class HolidayCalendar(Node):
    year: int
    loaded_at: datetime

    @staticmethod
    def from_model(row: CalendarYear) -> "HolidayCalendar":
        calendar_year = HolidayCalendar(id=encode_id("HolidayCalendar", row.id), year=row.year, loaded_at=row.loaded_at)
        calendar_year._key = row.id
        return calendar_year

    @strawberry.field(description="Days off inside official holiday periods.")
    async def holidays(self, info: AccordInfo) -> list[date]:
        days = await info.context.loaders.calendar_days.load(self._key)
        return [d.day for d in days if d.kind == CalendarDayKind.HOLIDAY]

    @strawberry.field(description="Weekend days made working days (调休上班).")
    async def adjusted_workdays(self, info: AccordInfo) -> list[date]:
        days = await info.context.loaders.calendar_days.load(self._key)
        return [d.day for d in days if d.kind == CalendarDayKind.WORKDAY]


@node_fetcher("HolidayCalendar")
async def fetch_holiday_calendar(context: Context, key: uuid.UUID) -> HolidayCalendar | None:
    # The official arrangement is public information: no account scope applies.
    row = await calendar.get_year(context.session, key)
    return None if row is None else HolidayCalendar.from_model(row)


@strawberry.input
class HolidayCalendarInput:
    year: int
    holidays: list[date]
    adjusted_workdays: list[date]


@strawberry.type
class CalendarPayload(Payload):
    year: int | None = None
