"""The deadline sweep outside a request: `accord jobs run` and the in-process loop that
`accord serve` starts (every ACCORD_SWEEP_SECONDS, 60 by default; 0 turns it off).

Each sweep is one transaction. Several processes may sweep at once: the jobs claim rows with
SKIP LOCKED and lean on unique keys (services/jobs.py), so nothing happens twice.
"""

import asyncio
import logging
from typing import Any

from sqlalchemy.exc import DBAPIError

from api.middleware import request_clock
from api.settings import Environment, Settings
from services import jobs
from services.clock import bind_clock
from services.webhooks.network import Sender

log = logging.getLogger("accord.jobs")


def webhook_sender(settings: Settings) -> Sender:
    """Production refuses loopback, private and link-local destinations (issue 14, SSRF)."""
    return Sender(production=settings.env is Environment.PRODUCTION)


async def sweep_once(app_state: Any) -> list[jobs.JobResult]:
    clock = await request_clock(app_state)  # T-5: the simulated clock too, when it is on
    async with app_state.session_factory() as session:
        bind_clock(session, clock)
        results = await jobs.run_due_jobs(
            session,
            mailer=app_state.mailer,
            clock=clock,
            checkpoint=session.commit,
            sender=webhook_sender(app_state.settings),
            data_key=getattr(app_state, "data_key", None),
        )
        await session.commit()
    changed = {r.job: r.changed for r in results if r.changed}
    if changed:
        log.info("sweep: %s", ", ".join(f"{job}={count}" for job, count in changed.items()))
    return results


async def sweep_forever(app_state: Any, interval: float) -> None:
    """Until cancelled. A failed sweep is logged and retried at the next tick, never fatal."""
    while True:
        try:
            await sweep_once(app_state)
        except asyncio.CancelledError:
            raise
        except DBAPIError:
            log.warning("sweep skipped: database unavailable or not migrated", exc_info=True)
        except Exception:
            log.exception("sweep failed")
        await asyncio.sleep(interval)
