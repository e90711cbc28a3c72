"""What the database holds, for asserting that a refusal changed nothing."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

import models

# Refusals are audited, and budgets and lock-outs count attempts: those tables may grow.
ALLOWED_TO_GROW = {"audit_records", "rate_events", "login_failures", "data_keys", "oauth_signing_keys"}


async def state(session: AsyncSession) -> dict[str, list[tuple]]:
    # Logging in writes codes and tokens: a test's principals (tests/principals.py) log in
    # before the first snapshot, as if all had been used, so a lazy login between two snapshots
    # cannot look like a change the test's own request made.
    if principals := session.info.get("principals"):
        await principals.login_everyone()
    await session.rollback()  # read what is committed now
    result = {}
    for name, table in models.metadata.tables.items():
        if name in ALLOWED_TO_GROW:
            continue
        rows = (await session.execute(select(table))).all()
        result[name] = sorted(tuple(map(repr, row)) for row in rows)
    await session.rollback()
    return result
