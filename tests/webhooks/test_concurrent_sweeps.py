"""Issue 14: several sweep processes at once (PostgreSQL): the fan-out and the deliveries are
claimed with SKIP LOCKED, so each event reaches each endpoint once, while the two sweeps
really overlap (the receiver sees two requests in flight together)."""

import asyncio
import json

from api.db import create_engine, session_factory
from services.accounts.personal_data import development_key
from services.clock import FixedClock
from services.webhooks import delivery
from tests.conftest import requires_postgres
from tests.factories import requested_online_top_up
from tests.webhooks.helpers import LOCAL, create_endpoint
from tests.webhooks.receiver import Receiver


@requires_postgres
async def test_two_sweeps_deliver_each_event_to_each_endpoint_once(client, principals, database_url, clock) -> None:
    receiver = await Receiver(delay=0.5).start()
    try:
        await create_endpoint(client, principals.holder_a, receiver.url("/one"))
        await create_endpoint(client, principals.holder_a, receiver.url("/two"))
        for n in range(3):
            await requested_online_top_up(client, principals.holder_a, amount=f"1{n}.00", key=f"k{n}")
        engines = [create_engine(database_url) for _ in range(2)]
        try:
            sessions = [session_factory(engine)() for engine in engines]
            key = await development_key(sessions[0])
            await sessions[0].commit()

            async def fan_out(session) -> int:
                written = await delivery.fan_out(session, now=clock.now())
                await session.commit()
                return written

            # Both fan out at once: each event is claimed by one of them.
            assert sum(await asyncio.gather(*(fan_out(s) for s in sessions))) == 6
            results = await asyncio.gather(
                *(
                    delivery.deliver_due(
                        s, sender=LOCAL, data_key=key, clock=FixedClock(clock.now()), checkpoint=s.commit
                    )
                    for s in sessions
                )
            )
            for s in sessions:
                await s.close()
        finally:
            for engine in engines:
                await engine.dispose()
        assert sum(r.delivered for r in results) == 6
        sent = sorted((r.path, json.loads(r.body)["data"]["amount"]) for r in receiver.received)
        assert sent == sorted((path, f"1{n}.00") for path in ("/one", "/two") for n in range(3))
        assert receiver.most_in_flight == 2  # the sweeps overlapped
        # Per endpoint, in event order.
        for path in ("/one", "/two"):
            amounts = [json.loads(r.body)["data"]["amount"] for r in receiver.received if r.path == path]
            assert amounts == ["10.00", "11.00", "12.00"]
    finally:
        await receiver.close()
