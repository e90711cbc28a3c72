"""T-2: years of the State Council's holiday arrangement that staff loaded into the database.

A loaded year overrides the calendar package for that whole year, so staff can both add a
newly announced year and correct a packaged one.
"""

import uuid
from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field

from models.base import Base, timestamp_field


class CalendarDayKind(StrEnum):
    HOLIDAY = "HOLIDAY"  # a day off inside an official holiday period
    WORKDAY = "WORKDAY"  # an adjusted weekend working day (调休上班)


class CalendarYear(Base, table=True):
    __tablename__ = "calendar_years"

    year: int = Field(unique=True, nullable=False)
    loaded_at: datetime = timestamp_field(nullable=False)
    loaded_by: str = Field(sa_type=sa.String(200), nullable=False)


class CalendarDay(Base, table=True):
    __tablename__ = "calendar_days"
    __table_args__ = (sa.UniqueConstraint("day"),)

    year_id: uuid.UUID = Field(foreign_key="calendar_years.id", index=True, nullable=False)
    day: date = Field(nullable=False)
    kind: CalendarDayKind = Field(sa_type=sa.String(16), nullable=False)
