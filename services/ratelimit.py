"""Rate budgets shared by every process (rows in the database), e.g. registrations per client
address."""

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import RateEvent
from services.errors import RateLimited


async def spend(session: AsyncSession, *, key: str, limit: int, window: timedelta, now: datetime) -> None:
    """Count one event for ``key``; raise RateLimited when the window already holds ``limit``."""
    await session.execute(delete(RateEvent).where(RateEvent.key == key, RateEvent.at <= now - window))
    used = await session.scalar(
        select(func.count()).select_from(RateEvent).where(RateEvent.key == key, RateEvent.at > now - window)
    )
    if (used or 0) >= limit:
        raise RateLimited(f"too many requests; try again within {int(window.total_seconds() // 60)} minutes")
    session.add(RateEvent(key=key, at=now))
    await session.flush()
