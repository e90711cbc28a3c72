"""Issue 14: no event is lost when the sweep dies between the commit and the delivery. A real
`accord jobs run --once` process is killed (SIGKILL) while its request is on the wire; the
next sweep sends the same event again (same Accord-Event-Id) once the lease has run out."""

import asyncio
import os
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from models import DeliveryState
from services.clock import FixedClock
from tests.factories import requested_online_top_up
from tests.webhooks.helpers import create_endpoint, deliveries, events_of, sweep
from tests.webhooks.receiver import HANG, Receiver

ACCORD = str(Path(sys.executable).parent / "accord")


@pytest.fixture
async def receiver():
    r = await Receiver().start()
    yield r
    await r.close()


async def test_sigkill_mid_delivery_loses_no_event(client, principals, session, database_url, tmp_path, receiver):
    await create_endpoint(client, principals.holder_a, receiver.url())
    await requested_online_top_up(client, principals.holder_a, amount="10.00", key="k1")
    receiver.answer(HANG)
    env = os.environ | {
        "ACCORD_DATABASE_URL": database_url,
        "ACCORD_ENV": "test",
        "ACCORD_OUTBOX_DIR": str(tmp_path / "mail"),
    }
    sweeper = await asyncio.create_subprocess_exec(
        ACCORD, "jobs", "run", "--once", env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    try:
        await asyncio.wait_for(receiver.arrived.wait(), 90)
    finally:
        sweeper.send_signal(signal.SIGKILL)
        await sweeper.wait()
    assert sweeper.returncode == -signal.SIGKILL

    # The killed sweep had committed its claim (a lease) before sending, and nothing after.
    (row,) = await deliveries(session)
    assert (row.state, row.attempts, row.delivered_at) == (DeliveryState.PENDING, 1, None)
    assert row.leased_until is not None
    first_id = receiver.received[0].headers["accord-event-id"]

    # While the lease runs, another sweep leaves it alone; once it has run out, the event goes again.
    real_now = datetime.now(UTC)
    assert (await sweep(session, FixedClock(real_now))).delivered == 0
    assert (await sweep(session, FixedClock(real_now + timedelta(minutes=5)))).delivered == 1
    (row,) = await deliveries(session)
    assert (row.state, row.attempts, row.last_status_code) == (DeliveryState.DELIVERED, 2, 200)
    assert [r.headers["accord-event-id"] for r in receiver.received] == [first_id, first_id]
    (event,) = await events_of(session, principals.account_a.id)
    assert first_id == f"evt_{event.id.hex}"
