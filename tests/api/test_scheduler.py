"""The in-process deadline sweep that `accord serve` runs (every ACCORD_SWEEP_SECONDS)."""

import asyncio

from sqlalchemy import select

from api.app import create_app
from models import Notice
from tests.factories import queued_email


async def test_serve_sweeps_in_process_and_delivers_queued_email(settings, clock, session, outbox) -> None:
    await queued_email(session)
    app = create_app(settings.model_copy(update={"sweep_seconds": 0.05}), clock=clock)
    async with app.router.lifespan_context(app):
        for _ in range(100):
            await session.rollback()
            if await session.scalar(select(Notice.delivered_at)) is not None:
                break
            await asyncio.sleep(0.05)
    await session.rollback()
    assert await session.scalar(select(Notice.delivered_at)) == clock.now()
    assert len(list(outbox.glob("*.eml"))) == 1
