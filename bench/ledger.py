"""Ledger benchmark (issue 5): deductions per second on one hot account with 8 concurrent
clients, through Accord's posting function (one UPDATE … RETURNING on the balance plus the
immutable entry, one transaction each), next to a raw SQL UPDATE … RETURNING loop.

    ACCORD_BENCH_POSTGRES_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/test \
        .venv/bin/python bench/ledger.py [--clients 8] [--per-client 250]

Creates and drops its own database. Prints both figures and their ratio (goal >= 0.5).
"""

import argparse
import asyncio
import time
import uuid
from datetime import UTC, datetime

import asyncpg
from scratch_db import migrated_database

from api.db import create_engine, session_factory
from models import Account, HolderType, LedgerKind
from services.ledger import entries


async def accord_deductions(url: str, account_id: uuid.UUID, clients: int, per_client: int) -> float:
    engine = create_engine(url, pool_size=clients, max_overflow=0)
    factory = session_factory(engine)
    now = datetime.now(UTC)

    async def client() -> None:
        for _ in range(per_client):
            async with factory() as session, session.begin():
                await entries.post(
                    session,
                    account_id=account_id,
                    kind=LedgerKind.BILL_DEDUCTION,
                    amount_fen=-1,
                    reference="bench",
                    now=now,
                )

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    await engine.dispose()
    return clients * per_client / elapsed


async def raw_updates(raw_dsn: str, account_id: uuid.UUID, clients: int, per_client: int) -> float:
    pool = await asyncpg.create_pool(raw_dsn, min_size=clients, max_size=clients)

    async def client() -> None:
        async with pool.acquire() as conn:
            for _ in range(per_client):
                await conn.fetchval(
                    "UPDATE accounts SET balance_fen = balance_fen - 1 WHERE id = $1 RETURNING balance_fen", account_id
                )

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    await pool.close()
    return clients * per_client / elapsed


async def main(clients: int, per_client: int) -> None:
    async with migrated_database() as (url, raw_dsn):
        engine = create_engine(url)
        async with session_factory(engine)() as session:
            account = Account(
                holder_type=HolderType.ENTERPRISE,
                name="bench",
                contact_person="b",
                email="b@x.cn",
                phone="13800138000",
                address="a",
                balance_fen=0,
            )
            session.add(account)
            await session.commit()
            account_id = account.id
        await engine.dispose()

        accord = await accord_deductions(url, account_id, clients, per_client)
        raw = await raw_updates(raw_dsn, account_id, clients, per_client)
        print(f"clients={clients} deductions={clients * per_client} on one account")
        print(f"accord ledger postings (entry + balance, one transaction each): {accord:8.1f}/s")
        print(f"raw UPDATE ... RETURNING loop (balance only, autocommit):        {raw:8.1f}/s")
        print(f"ratio: {accord / raw:.2f} (goal >= 0.5)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--per-client", type=int, default=250)
    args = parser.parse_args()
    asyncio.run(main(args.clients, args.per_client))
