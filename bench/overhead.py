"""Per-request overhead (issue 15): `{ __typename }` with a bearer token next to `/healthz`,
side by side in one run, on `accord serve --workers 2` and PostgreSQL, from a separate load
process at fixed concurrency for a fixed time.

    ACCORD_BENCH_POSTGRES_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/test \
        .venv/bin/python bench/overhead.py [--concurrency 16] [--seconds 10] [--simulated-clock]
            [--before DIR]   # also measure the code in DIR (e.g. `git archive main` unpacked)
            [--redis URL]    # also measure with ACCORD_REDIS_URL=URL (the query-cost budget in Redis)

Goal: `{ __typename }` with a token >= 50 % of `/healthz`'s throughput.
"""

import argparse
import asyncio
import json

from load import drive
from scratch_db import migrated_database
from server import client_token, serving


def measure(url: str, source: str | None, concurrency: int, seconds: float, extra: dict) -> tuple:
    with serving(url, workers=2, source=source, **extra) as base:
        token = client_token(base, url)
        body = json.dumps({"query": "{ __typename }"}).encode()
        auth = {"Authorization": f"Bearer {token}"}
        drive(f"{base}/graphql", body=body, headers=auth, concurrency=concurrency, seconds=1)  # warm up
        health = drive(f"{base}/healthz", concurrency=concurrency, seconds=seconds)
        typename = drive(f"{base}/graphql", body=body, headers=auth, concurrency=concurrency, seconds=seconds)
    return health, typename


async def main(concurrency: int, seconds: float, simulated: bool, before: str | None, redis: str | None) -> None:
    async with migrated_database() as (url, _):
        extra = {"ACCORD_SIMULATED_CLOCK": "1"} if simulated else {}
        runs = [("this checkout", None, extra)]
        if redis:
            runs.append((f"this checkout, ACCORD_REDIS_URL={redis}", None, extra | {"ACCORD_REDIS_URL": redis}))
        if before:
            runs.append((f"before ({before})", before, extra))
        results = [(name, *measure(url, source, concurrency, seconds, env)) for name, source, env in runs]
    clock = "simulated clock on" if simulated else "simulated clock off"
    print(f"accord serve --workers 2, PostgreSQL, {concurrency} connections, {seconds:g} s each, {clock}")
    for name, health, typename in results:
        print(f"-- {name}")
        print(health.line("GET /healthz"))
        print(typename.line("{ __typename } with a token"))
        print(f"ratio: {typename.rps / health.rps:.2f} of /healthz (goal >= 0.5)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--simulated-clock", action="store_true")
    parser.add_argument("--before", help="a checkout of the code to compare with (its directory)")
    parser.add_argument("--redis", help="also measure with this ACCORD_REDIS_URL (e.g. redis://127.0.0.1:6379/0)")
    args = parser.parse_args()
    asyncio.run(main(args.concurrency, args.seconds, args.simulated_clock, args.before, args.redis))
