"""BIL-1 usage reports (the vendor's figures are final, Art. 4.4.1) and APP-3: usage outside
an AppID's declared scope is recorded, flagged, and opens an AUTOMATIC enforcement case."""

import functools
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models import Account, App, CaseSource, EnforcementCase, Measure, MeasureKind, Product, Standing, UsageRecord
from services.apps import service as apps
from services.batch import locked
from services.enforcement import cases
from services.errors import IdempotencyConflict, InvalidInput
from services.money import quantity_to_micros


@dataclass(frozen=True, slots=True)
class Reported:
    record: UsageRecord
    duplicate: bool


# What json.dumps writes for a string (ensure_ascii), an int and a float, without its encoder's
# set-up per call: the digest of a batch record is computed 1,000 times a call.
_json_string = json.encoder.encode_basestring_ascii  # type: ignore[attr-defined]


@functools.lru_cache(maxsize=1024)  # validated products, terminals and scenarios: a small vocabulary
def digest_frame(app_id: str, product: str, terminal: str, scenario: str) -> tuple[str, str]:
    """The text of a digest around its quantity and time (the same for a batch's records)."""
    return (
        f"[{_json_string(app_id)}, {_json_string(product)}, ",
        f", {_json_string(terminal)}, {_json_string(scenario)}, ",
    )


def digest_in(frame: tuple[str, str], micros: int, occurred_at: datetime) -> str:
    head, middle = frame
    text = f"{head}{int.__repr__(micros)}{middle}{float.__repr__(occurred_at.timestamp())}]"
    return hashlib.sha256(text.encode()).hexdigest()


def _digest(app: App, product: str, micros: int, terminal: str, scenario: str, occurred_at: datetime) -> str:
    """The content an idempotency key was reported with. Stored with the record and compared
    with later reports of the key, so its text never changes: exactly ``json.dumps([str(app.id),
    product, micros, terminal, scenario, occurred_at.timestamp()])`` (tests/billing/test_usage_batch.py)."""
    return digest_in(digest_frame(str(app.id), product, terminal, scenario), micros, occurred_at)


async def _by_key(session: AsyncSession, key: str) -> UsageRecord | None:
    return (await session.execute(select(UsageRecord).where(UsageRecord.idempotency_key == key))).scalar_one_or_none()


# Metering clocks drift: a report may run this far ahead of ours, never further (usage that has
# not happened yet cannot be billed).
CLOCK_SKEW = timedelta(minutes=5)


def validate(
    *,
    product_known: bool,
    product: str,
    quantity: Decimal,
    terminal: str,
    scenario: str,
    idempotency_key: str,
    occurred_at: datetime,
    now: datetime,
) -> tuple[int, str]:
    """A report's checks, shared with reportUsageBatch: its quantity in micros and its key."""
    if occurred_at > now + CLOCK_SKEW:
        raise InvalidInput("usage cannot be reported before it occurred", field=["occurredAt"])
    if not product_known:
        raise InvalidInput(f"unknown product {product}", field=["product"])
    micros = quantity_to_micros(quantity)
    if terminal not in apps.TERMINALS:
        raise InvalidInput(f"{terminal} is not a terminal of the vocabulary", field=["terminal"])
    if scenario not in apps.SCENARIOS:
        raise InvalidInput(f"{scenario} is not a scenario of the vocabulary", field=["scenario"])
    key = idempotency_key.strip()
    if not 1 <= len(key) <= 200:
        raise InvalidInput("an idempotency key is 1-200 characters", field=["idempotencyKey"])
    return micros, key


async def report_usage(
    session: AsyncSession,
    *,
    app: App,
    product: str,
    quantity: Decimal,
    terminal: str,
    scenario: str,
    occurred_at: datetime,
    idempotency_key: str,
    reported_by: str,
    now: datetime,
) -> Reported:
    known = (await session.execute(select(Product.id).where(Product.code == product))).first() is not None
    micros, key = validate(
        product_known=known,
        product=product,
        quantity=quantity,
        terminal=terminal,
        scenario=scenario,
        idempotency_key=idempotency_key,
        occurred_at=occurred_at,
        now=now,
    )
    digest = _digest(app, product, micros, terminal, scenario, occurred_at)
    existing = await _by_key(session, key)
    if existing is None:
        record = UsageRecord(
            account_id=app.account_id,
            app_id=app.id,
            product_code=product,
            quantity_micros=micros,
            terminal=terminal,
            scenario=scenario,
            occurred_at=occurred_at,
            idempotency_key=key,
            content_digest=digest,
            within_scope=apps.usage_within_scope(app, terminal=terminal, scenario=scenario),
            flagged_for_review=await _while_stopped(session, app, occurred_at),
            reported_by=reported_by,
            reported_at=now,
        )
        try:
            async with session.begin_nested():
                session.add(record)
                await session.flush()
        except IntegrityError:
            existing = await _by_key(session, key)  # a concurrent report with the same key won
            assert existing is not None
        else:
            if not record.within_scope:
                await _open_scope_case(session, app=app, record=record, now=now)
            return Reported(record, duplicate=False)
    if existing.content_digest != digest:
        raise IdempotencyConflict("this idempotency key was reported with other content", field=["idempotencyKey"])
    return Reported(existing, duplicate=True)


async def _while_stopped(session: AsyncSession, app: App, occurred_at: datetime) -> bool:
    """ENF-5: usage for a time when the AppID was suspended or the agreement terminated is kept
    and flagged for review, never dropped (also when it arrives after the measure was lifted)."""
    stops = await stops_of(session, {app.account_id})
    return stopped_at(app, occurred_at, stops.get(app.account_id, []))


Stop = tuple[list[str], datetime, datetime | None]  # (AppIDs, or [] for all; effective; lifted)


async def stops_of(session: AsyncSession, account_ids: set) -> dict:
    """The SUSPEND and TERMINATE measures of these accounts, lifted or not, in one query."""
    found = await session.execute(
        select(Measure.account_id, Measure.app_ids, Measure.effective_at, Measure.lifted_at).where(
            Measure.account_id.in_(account_ids), Measure.kind.in_([MeasureKind.SUSPEND, MeasureKind.TERMINATE])
        )
    )
    stops: dict = {}
    for account_id, app_ids, effective_at, lifted_at in found:
        stops.setdefault(account_id, []).append((app_ids, effective_at, lifted_at))
    return stops


def stopped_at(app: App, occurred_at: datetime, stops: list[Stop]) -> bool:
    """Whether ``occurred_at`` falls while the AppID was suspended or its agreement terminated."""
    return stop_check(app, stops)(occurred_at)


def stop_check(app: App, stops: list[Stop]) -> Callable[[datetime], bool]:
    """``stopped_at`` for one AppID as a function of the time, its standing and measures looked
    at once (a batch asks it for up to 1,000 records)."""
    if app.standing == Standing.TERMINATED:
        return lambda _occurred_at: True
    app_id = str(app.id)
    mine = [(effective_at, lifted_at) for app_ids, effective_at, lifted_at in stops if not app_ids or app_id in app_ids]
    if not mine:
        return lambda _occurred_at: False
    return lambda occurred_at: any(
        effective_at <= occurred_at and (lifted_at is None or occurred_at < lifted_at)
        for effective_at, lifted_at in mine
    )


async def _open_scope_case(session: AsyncSession, *, app: App, record: UsageRecord, now: datetime) -> None:
    """One open AUTOMATIC case per AppID: later out-of-scope usage adds to the same case. The
    AppID's row lock serialises concurrent reports (the second waits, then sees the first's
    case), so concurrent out-of-scope reports open exactly one case."""
    await locked(session, App, app.id)
    open_cases = await session.execute(
        select(EnforcementCase).where(
            EnforcementCase.account_id == app.account_id,
            EnforcementCase.source == CaseSource.AUTOMATIC,
            EnforcementCase.closed_at.is_(None),
        )
    )
    if any(str(app.id) in case.app_ids for case in open_cases.scalars()):
        return
    account = await session.get(Account, app.account_id)
    assert account is not None
    await cases.open_case(
        session,
        account=account,
        source=CaseSource.AUTOMATIC,
        clauses=[cases.SCOPE_VIOLATION],
        description=(
            f"AppID {app.app_id} reported {record.product_code} on {record.terminal}/{record.scenario}, "
            f"outside its declared scope ({', '.join(app.terminals)} / {', '.join(app.scenarios)})"
        ),
        app_ids=[app.id],
        opened_by="system:metering",
        now=now,
    )


async def find_app(session: AsyncSession, reference: str, *, key: object | None) -> App | None:
    """An AppID by its global ID (``key``) or by the public AppID string the SDK uses."""
    if key is not None:
        return await session.get(App, key)
    return (await session.execute(select(App).where(App.app_id == reference))).scalar_one_or_none()
