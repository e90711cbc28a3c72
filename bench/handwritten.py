"""The baseline of bench/console.py: a hand-written Starlette endpoint that answers the
console dashboard's JSON for one account with hand-written SQL (asyncpg, no ORM, no GraphQL,
no token check), from the same database. Served by uvicorn with as many workers as Accord.

    ACCORD_BENCH_DSN=postgresql://postgres@127.0.0.1:5432/db uvicorn --factory handwritten:create_app
"""

import os
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

ACCOUNT = (
    "SELECT id, holder_type, standing, name, contact_person, email, phone, address, balance_fen"
    " FROM accounts WHERE id = $1"
)
APPS = "SELECT id, app_id, name, terminals, scenarios, standing FROM apps WHERE account_id = $1 ORDER BY id LIMIT 20"
BILLS = (
    "SELECT id, period, state, total_fen, paid_fen, pay_by FROM bills"
    " WHERE account_id = $1 AND delivered_at IS NOT NULL ORDER BY id LIMIT 12"
)
LINES = (
    "SELECT bill_id, product_code, quantity_micros, unit_price_fen, discount_fen, amount_fen FROM bill_lines"
    " WHERE bill_id = ANY($1::uuid[]) ORDER BY id"
)
LEDGER = (
    "SELECT id, kind, amount_fen, balance_after_fen, created_at FROM ledger_entries"
    " WHERE account_id = $1 ORDER BY id LIMIT 20"
)
OWED = (
    "SELECT coalesce(sum(total_fen - paid_fen), 0) AS principal, min(pay_by) AS oldest FROM bills"
    " WHERE account_id = $1 AND delivered_at IS NOT NULL AND paid_fen < total_fen"
)
PENALTIES = "SELECT coalesce(sum(amount_fen), 0) FROM penalty_accruals WHERE account_id = $1"
# enforcementStatus: the measures in force, the open cases, and the bills whose dispute window or
# payment term is still running (the bench's data has none of them: the same empty lists).
MEASURES = (
    "SELECT id, kind, reason, effective_at FROM measures WHERE account_id = $1 AND lifted_at IS NULL"
    " ORDER BY effective_at"
)
CASES = (
    "SELECT id, source, opened_at FROM enforcement_cases WHERE account_id = $1 AND closed_at IS NULL ORDER BY opened_at"
)
RUNNING = (
    "SELECT id, period, dispute_deadline, pay_by FROM bills WHERE account_id = $1 AND ("
    "(confirmed_at IS NULL AND settled_at IS NULL AND dispute_deadline > now())"
    " OR (paid_fen < total_fen AND pay_by > now()))"
)


def yuan(fen: int) -> str:
    return str((Decimal(fen) / 100).quantize(Decimal("0.01")))


def micros(value: int) -> str:
    return str((Decimal(value) / 1_000_000).normalize())


async def dashboard(request: Request) -> JSONResponse:
    account_id = request.path_params["account"]
    async with request.app.state.pool.acquire() as conn:
        account = await conn.fetchrow(ACCOUNT, account_id)
        apps = await conn.fetch(APPS, account_id)
        bills = await conn.fetch(BILLS, account_id)
        lines = await conn.fetch(LINES, [b["id"] for b in bills])
        ledger = await conn.fetch(LEDGER, account_id)
        owed = await conn.fetchrow(OWED, account_id)
        penalties = await conn.fetchval(PENALTIES, account_id)
        measures = await conn.fetch(MEASURES, account_id)
        cases = await conn.fetch(CASES, account_id)
        running = await conn.fetch(RUNNING, account_id)
    by_bill: dict = {}
    for line in lines:
        by_bill.setdefault(line["bill_id"], []).append(
            {
                "product": line["product_code"],
                "quantity": micros(line["quantity_micros"]),
                "unitPrice": yuan(line["unit_price_fen"]),
                "discount": yuan(line["discount_fen"]),
                "amount": yuan(line["amount_fen"]),
            }
        )
    oldest = owed["oldest"]
    days = max(0, (datetime.now(UTC) - oldest).days) if oldest else 0
    body = {
        "data": {
            "viewer": {"kind": "HOLDER", "permissions": []},
            "account": {
                "id": str(account["id"]),
                "holderType": account["holder_type"],
                "standing": account["standing"],
                "profile": {k: account[k] for k in ("name", "email", "phone", "address")}
                | {"contactPerson": account["contact_person"]},
                "balance": yuan(account["balance_fen"]),
                "paymentStanding": {
                    "arrears": yuan(owed["principal"]),
                    "accruedPenalties": yuan(penalties),
                    "daysOverdue": days,
                    "eligibleForTermination": days > 15,
                },
                "apps": {
                    "edges": [
                        {
                            "node": {
                                "id": str(a["id"]),
                                "appId": a["app_id"],
                                "name": a["name"],
                                "terminals": a["terminals"],
                                "scenarios": a["scenarios"],
                                "standing": a["standing"],
                            }
                        }
                        for a in apps
                    ]
                },
                "bills": {
                    "edges": [
                        {
                            "node": {
                                "id": str(b["id"]),
                                "period": b["period"].isoformat(),
                                "state": b["state"],
                                "total": yuan(b["total_fen"]),
                                "paid": yuan(b["paid_fen"]),
                                "payBy": b["pay_by"].isoformat() if b["pay_by"] else None,
                                "lines": by_bill.get(b["id"], []),
                            }
                        }
                        for b in bills
                    ]
                },
                "ledger": {
                    "edges": [
                        {
                            "node": {
                                "id": str(e["id"]),
                                "kind": e["kind"],
                                "amount": yuan(e["amount_fen"]),
                                "balanceAfter": yuan(e["balance_after_fen"]),
                                "createdAt": e["created_at"].isoformat(),
                            }
                        }
                        for e in ledger
                    ]
                },
            },
        }
    }
    body["data"]["enforcementStatus"] = {
        "standing": account["standing"],
        "terminationEligible": days > 15,
        "dataDeletionEligible": days > 15,
        "measures": [
            {"id": str(m["id"]), "kind": m["kind"], "reason": m["reason"], "effectiveAt": m["effective_at"].isoformat()}
            for m in measures
        ],
        "openCases": [
            {"id": str(c["id"]), "source": c["source"], "openedAt": c["opened_at"].isoformat()} for c in cases
        ],
        "nextDeadlines": sorted(
            [
                {
                    "what": f"dispute window of the bill for {b['period']:%Y-%m}",
                    "due": b["dispute_deadline"].isoformat(),
                    "rule": "BIL-5",
                }
                for b in running
                if b["dispute_deadline"] is not None
            ]
            + [
                {
                    "what": f"payment of the bill for {b['period']:%Y-%m}",
                    "due": b["pay_by"].isoformat(),
                    "rule": "PRE-4",
                }
                for b in running
                if b["pay_by"] is not None
            ],
            key=lambda deadline: deadline["due"],
        ),
    }
    return JSONResponse(body)


def create_app() -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette):
        app.state.pool = await asyncpg.create_pool(os.environ["ACCORD_BENCH_DSN"], min_size=2, max_size=10)
        yield
        await app.state.pool.close()

    return Starlette(routes=[Route("/dashboard/{account}", dashboard)], lifespan=lifespan)
