"""BIL-1 usage in batches (``reportUsageBatch``): up to 1,000 records in one call, each
idempotent on its own key exactly like ``reportUsage``, with one result per record.

Set-based: the AppIDs in one query, the products in one, and the new records in one
``INSERT … ON CONFLICT (idempotency_key) DO NOTHING RETURNING`` (on PostgreSQL from arrays
through ``unnest``, so the statement is the same whatever the batch size). A key the INSERT
did not write (reported before, or by a concurrent call) is read back with the others in one
query and answered ``duplicate`` (same content) or ``IDEMPOTENCY_CONFLICT``. A record refused
by a rule (unknown AppID or product, bad quantity…) is answered with its code; the others are
still recorded. APP-3: out-of-scope records are kept, flagged, and open (at most) one
AUTOMATIC case per AppID, as a single report does.
"""

import functools
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from models import App, Product, UsageRecord
from models.base import new_ids
from services.apps import service as apps
from services.batch import insert_for
from services.billing import usage
from services.billing.usage import _open_scope_case, validate
from services.errors import DomainError, IdempotencyConflict, InvalidInput, NotFound

MAX_BATCH = 1000


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ costs 4x, 1,000 times a call
class UsageItem:
    """One record as the metering client sent it; ``app_key`` is the decoded global ID, if any."""

    app: str
    app_key: uuid.UUID | None
    product: str
    quantity: Decimal
    terminal: str
    scenario: str
    occurred_at: datetime
    idempotency_key: str


class _AppView:
    """What a batch asks of one AppID for each of its records, read from the ORM object once."""

    __slots__ = ("_within", "account_id", "app", "id", "stopped", "text")

    def __init__(self, app: App, stopped: Callable[[datetime], bool]) -> None:
        self.app, self.id, self.account_id, self.text = app, app.id, app.account_id, str(app.id)
        self.stopped = stopped  # ENF-5 (usage.stop_check)
        self._within: dict[tuple[str, str], bool] = {}

    def within(self, terminal: str, scenario: str) -> bool:
        """APP-3, once per terminal and scenario."""
        found = self._within.get((terminal, scenario))
        if found is None:
            found = self._within[terminal, scenario] = apps.usage_within_scope(
                self.app, terminal=terminal, scenario=scenario
            )
        return found


@dataclass(frozen=True, slots=True)
class ItemResult:
    idempotency_key: str
    accepted: bool = False
    duplicate: bool = False
    error: DomainError | None = None


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    results: list[ItemResult]

    def count(self, kind: str) -> int:
        match kind:
            case "accepted":
                return sum(r.accepted and not r.duplicate for r in self.results)
            case "duplicate":
                return sum(r.duplicate for r in self.results)
            case _:
                return sum(r.error is not None and r.error.code.value == kind for r in self.results)

    def summary(self) -> str:
        refused = sum(r.error is not None for r in self.results)
        return (
            f"{len(self.results)} records: {self.count('accepted')} accepted, {self.count('duplicate')} duplicate, "
            f"{self.count('IDEMPOTENCY_CONFLICT')} conflict, {refused - self.count('IDEMPOTENCY_CONFLICT')} refused"
        )


async def _apps(session: AsyncSession, items: Sequence[UsageItem]) -> tuple[dict, dict]:
    keys = {i.app_key for i in items if i.app_key is not None}
    refs = {i.app for i in items if i.app_key is None}
    by_key: dict[uuid.UUID, App] = {}
    by_ref: dict[str, App] = {}
    if keys:
        by_key = {a.id: a for a in (await session.execute(select(App).where(App.id.in_(keys)))).scalars()}
    if refs:
        by_ref = {a.app_id: a for a in (await session.execute(select(App).where(App.app_id.in_(refs)))).scalars()}
    return by_key, by_ref


@functools.cache
def _unnest_insert(dialect: Any, columns: tuple[str, ...]) -> Any:
    """PostgreSQL: one INSERT from one array per column, the same statement (prepared once
    per connection) whatever the batch size. Names come from the model; values are bound."""
    arrays = ", ".join(f"CAST(:{c} AS {UsageRecord.__table__.c[c].type.compile(dialect=dialect)}[])" for c in columns)
    statement = text(
        f"INSERT INTO usage_records ({', '.join(columns)}) SELECT * FROM unnest({arrays}) "  # noqa: S608
        "ON CONFLICT (idempotency_key) DO NOTHING RETURNING idempotency_key"
    )
    return statement


async def _insert(session: AsyncSession, rows: list[dict]) -> set[str]:
    """The keys the INSERT wrote (the others existed already)."""
    if not rows:
        return set()
    dialect = session.bind.dialect
    if dialect.name == "postgresql":
        columns = tuple(rows[0])
        statement = _unnest_insert(dialect, columns)
        written = await session.execute(statement, {c: [row[c] for row in rows] for c in columns})
    else:
        statement = (
            insert_for(session, UsageRecord)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["idempotency_key"])
            .returning(UsageRecord.idempotency_key)
        )
        written = await session.execute(statement)
    return set(written.scalars())


async def report_usage_batch(
    session: AsyncSession, *, items: Sequence[UsageItem], reported_by: str, now: datetime
) -> BatchOutcome:
    if len(items) > MAX_BATCH:
        raise InvalidInput(f"at most {MAX_BATCH} records per call", field=["records"])
    products = set((await session.execute(select(Product.code))).scalars())
    by_key, by_ref = await _apps(session, items)
    # ENF-5: usage for a time its AppID was suspended is kept and flagged, as reportUsage does.
    stops = await usage.stops_of(session, {app.account_id for app in (*by_key.values(), *by_ref.values())})
    results: list[ItemResult | None] = [None] * len(items)
    rows: dict[str, dict] = {}  # first record of each key in the batch → its row
    pending: list[tuple[int, str, str]] = []  # (position, key, digest) of every valid record
    scope_apps: dict[uuid.UUID, tuple[App, dict]] = {}
    views: dict[uuid.UUID, _AppView] = {}
    ids = iter(new_ids(len(items)))
    for position, item in enumerate(items):
        key = item.idempotency_key
        app = by_key.get(item.app_key) if item.app_key is not None else by_ref.get(item.app)
        try:
            if app is None:
                raise NotFound("no such AppID", field=["app"])
            micros, key = validate(
                product_known=item.product in products,
                product=item.product,
                quantity=item.quantity,
                terminal=item.terminal,
                scenario=item.scenario,
                idempotency_key=item.idempotency_key,
                occurred_at=item.occurred_at,
                now=now,
            )
        except DomainError as error:
            results[position] = ItemResult(key, error=error)
            continue
        view = views.get(app.id)
        if view is None:
            view = views[app.id] = _AppView(app, usage.stop_check(app, stops.get(app.account_id, [])))
        frame = usage.digest_frame(view.text, item.product, item.terminal, item.scenario)
        digest = usage.digest_in(frame, micros, item.occurred_at)
        pending.append((position, key, digest))
        if key in rows:
            continue
        within = view.within(item.terminal, item.scenario)
        rows[key] = row = {  # services.batch.new_row's columns written out: up to 1,000 rows a call
            "id": next(ids),
            "created_at": now,
            "updated_at": now,
            "account_id": view.account_id,
            "app_id": view.id,
            "product_code": item.product,
            "quantity_micros": micros,
            "terminal": item.terminal,
            "scenario": item.scenario,
            "occurred_at": item.occurred_at,
            "idempotency_key": key,
            "content_digest": digest,
            "within_scope": within,
            "flagged_for_review": view.stopped(item.occurred_at),
            "reported_by": reported_by,
            "reported_at": now,
        }
        if not within:
            scope_apps.setdefault(view.id, (app, row))
    written = await _insert(session, list(rows.values()))
    stored: dict[str, str] = {}  # key → digest, of every key the batch did not write
    unwritten = [key for key in rows if key not in written]
    if unwritten:
        query = select(UsageRecord.idempotency_key, UsageRecord.content_digest)
        stored = {k: d for k, d in (await session.execute(query.where(UsageRecord.idempotency_key.in_(unwritten))))}
    first_of: set[str] = set()
    for position, key, digest in pending:
        if key in written and key not in first_of:
            first_of.add(key)
            results[position] = ItemResult(key, accepted=True)
            continue
        existing = rows[key]["content_digest"] if key in written else stored[key]
        if existing != digest:
            conflict = IdempotencyConflict(
                "this idempotency key was reported with other content", field=["idempotencyKey"]
            )
            results[position] = ItemResult(key, error=conflict)
        else:
            results[position] = ItemResult(key, accepted=True, duplicate=True)
    for app, row in scope_apps.values():
        if row["idempotency_key"] in written:
            await _open_scope_case(session, app=app, record=UsageRecord(**row), now=now)
    return BatchOutcome([r for r in results if r is not None])
