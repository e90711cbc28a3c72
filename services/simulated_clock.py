"""T-5: staff move the simulated clock (ACCORD_SIMULATED_CLOCK=1); the offset lives in the
database, so every process and the deadline sweep see the same "now"."""

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import ClockOffset
from services.clock import Clock, OffsetClock
from services.errors import InvalidInput

# The offset in microseconds (no row: none), for a session's or a connection's execute.
OFFSET = select(ClockOffset.offset_microseconds).where(ClockOffset.name == "simulated")


async def offset(session: AsyncSession) -> timedelta:
    found = await session.scalar(OFFSET)
    return timedelta(microseconds=found or 0)


async def set_clock(session: AsyncSession, *, base: Clock, to: datetime) -> datetime:
    """Make "now" read ``to`` (then flow on from there); returns the new now."""
    if to.tzinfo is None:
        raise InvalidInput("now needs an offset", field=["now"])
    moved = to - base.now()
    micros = moved // timedelta(microseconds=1)
    row = (await session.execute(select(ClockOffset).where(ClockOffset.name == "simulated"))).scalar_one_or_none()
    if row is None:
        session.add(ClockOffset(offset_microseconds=micros))
    else:
        row.offset_microseconds = micros
    await session.flush()
    return OffsetClock(base, timedelta(microseconds=micros)).now()
