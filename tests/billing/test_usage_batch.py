"""BIL-1 reportUsageBatch: up to 1,000 records per call, each idempotent on its key like
reportUsage, a result per record in order; set-based (the statement count does not grow with
the batch); concurrent batches with the same keys store each key once (PostgreSQL)."""

import asyncio
import hashlib
import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import func, select

from api.db import create_engine, session_factory
from models import App, AuditRecord, EnforcementCase, UsageRecord
from services.billing import usage as usage_module
from services.billing import usage_batch
from tests.accounts.helpers import errors
from tests.billing.test_usage import REPORT, live_app, metering_headers, usage
from tests.conftest import gql, requires_postgres
from tests.factories import make_account, make_app
from tests.snapshots import state
from tests.test_query_counts import statements

BATCH = """
mutation B($input: ReportUsageBatchInput!) {
  reportUsageBatch(input: $input) {
    results { idempotencyKey accepted duplicate error { code field } }
    userErrors { code field }
  }
}
"""


def records(app: dict, *specs: tuple[str, dict]) -> dict:
    return {"input": {"records": [usage(app, key)["input"] | change for key, change in specs]}}


async def test_bil1_batch_answers_each_record_in_order(client, principals, session, database_url) -> None:
    app = await live_app(client, principals)
    meter = await metering_headers(client, database_url)
    single = await gql(client, REPORT, usage(app, "old"), headers=meter)
    assert single["data"]["reportUsage"]["accepted"] is True
    body = await gql(
        client,
        BATCH,
        records(
            app,
            ("n-1", {}),
            ("old", {}),  # reported before with the same content
            ("old", {"quantity": "1"}),  # reported before with other content
            ("n-1", {}),  # twice in one batch, same content
            ("n-1", {"quantity": "2"}),  # twice in one batch, other content
            ("bad-product", {"product": "RTC_HOLOGRAM"}),
            ("bad-quantity", {"quantity": "1.0000001"}),
            ("bad-terminal", {"terminal": "SYMBIAN"}),
            ("no-app", {"app": "f" * 32}),
            ("by-id", {"app": app["id"]}),
            ("out", {"terminal": "WEB"}),
            ("out-2", {"scenario": "GAMING"}),
            ("future", {"occurredAt": "8999-01-01T00:00:00Z"}),  # not yet happened: never billable
        ),
        headers=meter,
    )
    payload = body["data"]["reportUsageBatch"]
    assert payload["userErrors"] == []
    ok = {"accepted": True, "duplicate": False, "error": None}
    dup = {"accepted": True, "duplicate": True, "error": None}

    def refused(code: str, field: str) -> dict:
        return {"accepted": False, "duplicate": False, "error": {"code": code, "field": [field]}}

    conflict = refused("IDEMPOTENCY_CONFLICT", "idempotencyKey")
    expected = [
        ("n-1", ok),
        ("old", dup),
        ("old", conflict),
        ("n-1", dup),
        ("n-1", conflict),
        ("bad-product", refused("INVALID", "product")),
        ("bad-quantity", refused("INVALID", "quantity")),
        ("bad-terminal", refused("INVALID", "terminal")),
        ("no-app", refused("NOT_FOUND", "app")),
        ("by-id", ok),
        ("out", ok),
        ("out-2", ok),
        ("future", refused("INVALID", "occurredAt")),
    ]
    assert payload["results"] == [{"idempotencyKey": key} | result for key, result in expected]
    stored = dict((await session.execute(select(UsageRecord.idempotency_key, UsageRecord.within_scope))).all())
    assert stored == {"old": True, "n-1": True, "by-id": True, "out": False, "out-2": False}
    quantity = await session.scalar(select(UsageRecord.quantity_micros).where(UsageRecord.idempotency_key == "n-1"))
    assert quantity == 12_345_678  # the first of the key's records, not the conflicting one
    # APP-3: out-of-scope usage opens one AUTOMATIC case for the AppID, as a single report does.
    assert await session.scalar(select(func.count()).select_from(EnforcementCase)) == 1
    audit = (await session.execute(select(AuditRecord).where(AuditRecord.action == "reportUsageBatch"))).scalars()
    assert [(a.outcome, a.target) for a in audit] == [("OK", "usage-batch:13 records")]

    again = await gql(client, BATCH, records(app, ("n-1", {}), ("out", {"terminal": "WEB"})), headers=meter)
    assert [r["duplicate"] for r in again["data"]["reportUsageBatch"]["results"]] == [True, True]


async def test_bil1_batch_only_for_metering_and_at_most_1000(client, principals, session, database_url) -> None:
    app = await live_app(client, principals)
    meter = await metering_headers(client, database_url)
    before = await state(session)
    for who in (principals.holder_a, principals.staff["FINANCE"]):
        body = await gql(client, BATCH, records(app, ("k", {})), headers=who.headers)
        assert errors(body)[0]["code"] == "INSUFFICIENT_PERMISSION"
    too_many = records(app, *((f"k-{i}", {}) for i in range(usage_batch.MAX_BATCH + 1)))
    body = await gql(client, BATCH, too_many, headers=meter)
    assert body["data"]["reportUsageBatch"] == {
        "results": [],
        "userErrors": [{"code": "INVALID", "field": ["records"]}],
    }
    after = await state(session)
    assert {k: v for k, v in after.items() if k != "audit_records"} == {
        k: v for k, v in before.items() if k != "audit_records"
    }
    assert await session.scalar(select(func.count()).select_from(UsageRecord)) == 0


async def test_bil1_batch_statements_do_not_grow_with_its_size(app, client, principals, database_url) -> None:
    """Set-based: 10 records and 200 records cost the same number of SQL statements."""
    the_app = await live_app(client, principals)
    meter = await metering_headers(client, database_url)
    counts = []
    for size, prefix in ((10, "a"), (200, "b")):
        batch = records(the_app, *((f"{prefix}-{i}", {}) for i in range(size)))
        with statements(app) as seen:
            body = await gql(client, BATCH, batch, headers=meter)
        assert all(r["accepted"] for r in body["data"]["reportUsageBatch"]["results"])
        counts.append(len(seen))
    assert counts[0] == counts[1], counts


@requires_postgres
async def test_bil1_concurrent_batches_store_each_key_once(database_url, session) -> None:
    """A held transaction forces the overlap: the second batch waits on the first one's keys,
    then answers them as duplicates (or conflicts), never storing a key twice."""
    account = await make_account(session)
    app = await make_app(session, account_id=account.id)
    await session.commit()
    now = datetime(2026, 9, 30, tzinfo=UTC)

    def items(keys, quantity="1"):
        return [
            usage_batch.UsageItem(
                app=app.app_id,
                app_key=None,
                product="RTC_VIDEO_HD_MINUTES",
                quantity=Decimal(quantity),
                terminal="IOS",
                scenario="LIVE_STREAMING",
                occurred_at=now,
                idempotency_key=key,
            )
            for key in keys
        ]

    engine = create_engine(database_url)
    sessions = session_factory(engine)
    try:
        async with sessions() as first, sessions() as second:
            one = await usage_batch.report_usage_batch(first, items=items(["a", "b", "c"]), reported_by="m", now=now)
            assert [r.accepted and not r.duplicate for r in one.results] == [True, True, True]
            later = asyncio.create_task(
                usage_batch.report_usage_batch(
                    second, items=items(["c", "d"]) + items(["b"], quantity="2"), reported_by="m", now=now
                )
            )
            await asyncio.sleep(0.3)
            assert not later.done()  # waiting on the first batch's uncommitted keys
            await first.commit()
            two = await later
            await second.commit()
        assert [(r.idempotency_key, r.accepted, r.duplicate) for r in two.results] == [
            ("c", True, True),
            ("d", True, False),
            ("b", False, False),
        ]
        assert two.results[2].error is not None and two.results[2].error.code == "IDEMPOTENCY_CONFLICT"
        keys = (await session.execute(select(UsageRecord.idempotency_key).order_by(UsageRecord.idempotency_key))).all()
        assert [k for (k,) in keys] == ["a", "b", "c", "d"]
    finally:
        await engine.dispose()


def test_bil1_digest_text_is_the_json_it_always_was() -> None:
    """Stored digests are compared with later reports of the same key: the text hashed must stay
    exactly ``json.dumps`` of the content, whatever writes it."""
    app = App(id=uuid.uuid4(), account_id=uuid.uuid4(), app_id="x", name="x", secret_digest="0")
    for product, micros, terminal, scenario, occurred_at in [
        ("RTC_VIDEO_HD_MINUTES", 12_345_678, "IOS", "LIVE_STREAMING", datetime(2026, 9, 15, 4, tzinfo=UTC)),
        ("P", 0, "WEB", "GAMING", datetime(2026, 9, 15, 4, 0, 0, 123457, tzinfo=UTC)),
        ('"é\\\u2028', 10**15, "ANDROID", "x y", datetime(1900, 1, 1, tzinfo=UTC)),
    ]:
        content = [str(app.id), product, micros, terminal, scenario, occurred_at.timestamp()]
        expected = hashlib.sha256(json.dumps(content).encode()).hexdigest()
        assert usage_module._digest(app, product, micros, terminal, scenario, occurred_at) == expected
