from datetime import date
from typing import Annotated

import strawberry

from schema.calendar.types import CalendarPayload, HolidayCalendar, HolidayCalendarInput
from schema.context import AccordInfo
from schema.errors import query_error
from schema.grants import ADMIN
from schema.mutations import run_mutation
from schema.permissions import Requires, authenticated
from schema.relay import Connection, paginate
from services import calendar
from services.errors import DomainError


@strawberry.type
class CalendarQuery:
    @strawberry.field(
        description="Working days between two dates; CALENDAR_UNKNOWN is a top-level error here (T-2).",
        extensions=authenticated(),
    )
    async def working_days(
        self, info: AccordInfo, from_: Annotated[date, strawberry.argument(name="from")], to: date
    ) -> list[date]:
        try:
            return (await calendar.calendar(info.context.session)).working_days(from_, to)
        except DomainError as error:
            raise query_error(error) from None

    @strawberry.field(
        description="Years whose official arrangement is known (package or loaded).",
        extensions=authenticated(),
    )
    async def known_calendar_years(self, info: AccordInfo) -> list[int]:
        return (await calendar.calendar(info.context.session)).known_years()

    @strawberry.field(
        description="Years staff loaded into the database (they win over the package).",
        extensions=authenticated(),
    )
    async def holiday_calendars(
        self, info: AccordInfo, first: int | None = 20, after: str | None = None
    ) -> Connection[HolidayCalendar]:
        return await paginate(first, after, calendar.page_years, HolidayCalendar.from_model, info.context.session)


@strawberry.type
class CalendarMutation:
    @strawberry.mutation(
        description="Load or replace a year's official holiday arrangement (T-2, T-3).",
        extensions=[Requires(ADMIN)],
    )
    async def load_holiday_calendar(self, info: AccordInfo, input: HolidayCalendarInput) -> CalendarPayload:
        context = info.context
        return await run_mutation(
            info,
            payload=CalendarPayload,
            target=f"calendar:{input.year}",
            call=lambda: calendar.load_year(
                context.session,
                clock=context.clock,
                actor=context.actor,
                year=input.year,
                holidays=input.holidays,
                adjusted_workdays=input.adjusted_workdays,
            ),
            ok=lambda row: CalendarPayload(year=row.year),
        )
