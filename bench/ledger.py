"""Ledger benchmark (issues 5 and 15): deductions per second on one hot account, through
Accord's posting function (the balance's UPDATE … RETURNING and the immutable entry, one
transaction each, through a session as every request has), next to:

- the same work by hand (issue 15's equal-work baseline): raw asyncpg, one explicit
  transaction per deduction holding the balance's UPDATE … RETURNING and the INSERT of the
  entry with the columns Accord writes. Goal: Accord >= 0.7 of it.
- a one-statement autocommit loop (balance only, no entry; issue 5's figure, goal >= 0.5).

    ACCORD_BENCH_POSTGRES_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/test \
        .venv/bin/python bench/ledger.py [--clients 8] [--per-client 250] [--rounds 1]

Creates and drops its own database. The three run one after another on the same account,
``--rounds`` times (alternating, so that a noisy neighbour hurts all of them alike); the figures
are the best round of each.
"""

import argparse
import asyncio
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
from scratch_db import migrated_database

from api.db import create_engine, session_factory
from models import Account, HolderType, LedgerKind
from services.ledger import entries


@dataclass(frozen=True, slots=True)
class Figure:
    per_second: float
    # This process's CPU per deduction: what the client side costs, which the machine's noise
    # (other processes on its 2 cores) barely moves.
    cpu_us: float


async def timed(client: Callable[[], Awaitable[None]], clients: int, per_client: int) -> Figure:
    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return Figure(clients * per_client / elapsed, cpu / (clients * per_client) * 1e6)


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

    figure = await timed(client, clients, per_client)
    await engine.dispose()
    return figure


# What entries.post writes, by hand: the balance, then the entry with the balance after it.
_BALANCE = "UPDATE accounts SET balance_fen = balance_fen + $2 WHERE id = $1 RETURNING balance_fen"
_ENTRY = """
    INSERT INTO ledger_entries
        (id, created_at, updated_at, account_id, kind, amount_fen, reference, at, balance_after_fen)
    VALUES ($1, $2, $2, $3, $4, $5, $6, $2, $7)
"""


async def raw_transactions(raw_dsn: str, account_id: uuid.UUID, clients: int, per_client: int) -> float:
    pool = await asyncpg.create_pool(raw_dsn, min_size=clients, max_size=clients)
    now = datetime.now(UTC)

    async def client() -> None:
        async with pool.acquire() as conn:
            for _ in range(per_client):
                async with conn.transaction():
                    balance = await conn.fetchval(_BALANCE, account_id, -1)
                    await conn.execute(_ENTRY, uuid.uuid4(), now, account_id, "BILL_DEDUCTION", -1, "bench", balance)

    figure = await timed(client, clients, per_client)
    await pool.close()
    return figure


async def raw_updates(raw_dsn: str, account_id: uuid.UUID, clients: int, per_client: int) -> float:
    pool = await asyncpg.create_pool(raw_dsn, min_size=clients, max_size=clients)

    async def client() -> None:
        async with pool.acquire() as conn:
            for _ in range(per_client):
                await conn.fetchval(
                    "UPDATE accounts SET balance_fen = balance_fen - 1 WHERE id = $1 RETURNING balance_fen", account_id
                )

    figure = await timed(client, clients, per_client)
    await pool.close()
    return figure


async def entries_written(raw_dsn: str, account_id: uuid.UUID) -> tuple[int, int]:
    """(count, sum) of the account's entries: both contenders that write entries must have
    written one of -1 per deduction (a check that the baseline does the same work)."""
    conn = await asyncpg.connect(raw_dsn)
    try:
        count, total = await conn.fetchrow(
            "SELECT count(*), coalesce(sum(amount_fen), 0) FROM ledger_entries WHERE account_id = $1", account_id
        )
    finally:
        await conn.close()
    return count, total


async def main(clients: int, per_client: int, rounds: int) -> None:
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

        runs: dict[str, list[Figure]] = {"accord": [], "by hand": [], "one statement": []}
        for _ in range(rounds):
            runs["accord"].append(await accord_deductions(url, account_id, clients, per_client))
            runs["by hand"].append(await raw_transactions(raw_dsn, account_id, clients, per_client))
            runs["one statement"].append(await raw_updates(raw_dsn, account_id, clients, per_client))
        deductions = clients * per_client
        count, total = await entries_written(raw_dsn, account_id)
        assert (count, total) == (2 * rounds * deductions, -2 * rounds * deductions), (count, total)
        print(f"clients={clients} deductions={deductions} on one account, rounds={rounds} (best of each)")
        labels = {
            "accord": "accord ledger postings (entry + balance, one transaction each)",
            "by hand": "by hand, raw asyncpg (UPDATE … RETURNING + INSERT, one transaction)",
            "one statement": "raw UPDATE ... RETURNING loop (balance only, autocommit)",
        }
        best = {name: max(figure.per_second for figure in figures) for name, figures in runs.items()}
        for name, label in labels.items():
            cpu = statistics.median(figure.cpu_us for figure in runs[name])
            print(f"{label:70} {best[name]:8.1f}/s  client CPU {cpu:5.0f} µs/deduction")
        for name, goal, what in (
            ("by hand", 0.7, "the same work by hand"),
            ("one statement", 0.5, "the one-statement loop"),
        ):
            paired = statistics.median(
                a.per_second / b.per_second for a, b in zip(runs["accord"], runs[name], strict=True)
            )
            print(
                f"ratio to {what}: {best['accord'] / best[name]:.2f} best/best, "
                f"{paired:.2f} median of rounds (goal >= {goal})"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--per-client", type=int, default=250)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    asyncio.run(main(args.clients, args.per_client, args.rounds))
