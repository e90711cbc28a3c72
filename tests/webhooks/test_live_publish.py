"""Issue 14: with Redis, a process PUBLISHes the accounts whose events it recorded only once the
request's transaction has committed. Every audited mutation runs in a SAVEPOINT whose release
also fires SQLAlchemy's after_commit; publishing then woke subscribers that re-read the outbox
before the commit and missed the event until the next wake-up."""

import asyncio
import contextlib
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from api import live
from api.db import create_engine, session_factory
from models import AccountEvent
from services import events, resp
from tests.webhooks.test_subscription import REDIS, redis_running

pytestmark = pytest.mark.skipif(not redis_running(), reason="no Redis on 127.0.0.1:6379")


@contextlib.asynccontextmanager
async def channel_listener():
    """A raw Redis subscriber to the live feed's channel; yields a queue of payloads."""
    reader, writer = await resp.connect(REDIS)
    writer.write(resp.command("SUBSCRIBE", events.CHANNEL))
    await writer.drain()
    await resp.read_reply(reader)  # the subscription's confirmation
    received: asyncio.Queue[str] = asyncio.Queue()

    async def pump() -> None:
        while True:
            reply = await resp.read_reply(reader)
            if isinstance(reply, list) and reply[0] == b"message":
                await received.put(reply[2].decode())

    task = asyncio.create_task(pump())
    try:
        yield received
    finally:
        task.cancel()
        writer.close()


async def published_for(received: asyncio.Queue[str], account: str, seconds: float) -> bool:
    """Whether a payload naming ``account`` arrives within ``seconds`` (other test runs share
    the channel, so payloads for other accounts are skipped)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while (left := deadline - asyncio.get_running_loop().time()) > 0:
        try:
            payload = await asyncio.wait_for(received.get(), left)
        except TimeoutError:
            return False
        if account in payload.split(","):
            return True
    return False


async def test_sec1_an_event_is_published_after_the_commit_not_after_its_savepoint(database_url, principals) -> None:
    account_id = principals.account_a.id
    engine = create_engine(database_url)
    factory = session_factory(engine)
    uninstall = live.publish_after_commit(REDIS)
    try:
        async with channel_listener() as received, factory() as writer, factory() as reader:
            async with writer.begin():
                async with writer.begin_nested():  # as an audited mutation does
                    await events.record(
                        writer, account_id=account_id, type="topup.pending", at=datetime.now(UTC), data={}
                    )
                # The SAVEPOINT is released; the transaction is still open: nobody is woken.
                assert not await published_for(received, str(account_id), 0.5)
            # Committed: the wake-up comes, and what it wakes can read the event.
            assert await published_for(received, str(account_id), 5)
            found = await reader.scalar(select(AccountEvent.id).where(AccountEvent.account_id == account_id))
            assert found is not None
    finally:
        uninstall()
        await engine.dispose()


async def test_sec1_a_rolled_back_savepoint_keeps_the_transactions_earlier_announcement(
    database_url, principals
) -> None:
    account_id = principals.account_a.id
    engine = create_engine(database_url)
    factory = session_factory(engine)
    uninstall = live.publish_after_commit(REDIS)
    try:
        async with channel_listener() as received, factory() as writer:
            async with writer.begin():
                await events.record(writer, account_id=account_id, type="topup.pending", at=datetime.now(UTC), data={})
                with contextlib.suppress(RuntimeError):
                    async with writer.begin_nested():  # a refused step, rolled back to its SAVEPOINT
                        raise RuntimeError("refused")
            assert await published_for(received, str(account_id), 5)
    finally:
        uninstall()
        await engine.dispose()
