"""BIL-1, BIL-2, BIL-3, BIL-8: the bill run in chunks of one account, committing after each (as
the sweep runs it), writes what the run in one chunk and one transaction writes: late lines,
time-weighted storage, discounts, holds and usage marks alike."""

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import func, select

from api.db import create_engine, session_factory
from models import (
    Account,
    AccountEvent,
    App,
    Bill,
    BillHold,
    BillLine,
    BillRun,
    Discount,
    DiscountCondition,
    Notice,
    Product,
    UsageRecord,
)
from services.billing.run import has_run, run_monthly_billing
from tests.factories import add_usage

PERIOD = date(2026, 8, 1)
NOW = datetime(2026, 9, 1, 2, 0, tzinfo=UTC)
JULY = datetime(2026, 7, 20, 4, 0, tzinfo=UTC)
AUGUST = datetime(2026, 8, 20, 4, 0, tzinfo=UTC)
# Per account: (product, quantity, when) — late usage, storage held since July, an unpriced
# product (held, BIL-2), a discount's account, and one with no usage at all.
USAGE = [
    [("RTC_AUDIO_MINUTES", "12.5", AUGUST), ("BANDWIDTH_GB", "40", AUGUST)],
    [("RTC_AUDIO_MINUTES", "3", JULY), ("RTC_AUDIO_MINUTES", "4", AUGUST)],
    [("RECORDING_STORAGE_GB_MONTH", "100", JULY)],
    [("SIP_TRUNK_MINUTES", "100", AUGUST), ("RTC_AUDIO_MINUTES", "2", AUGUST)],
    [("RTC_VIDEO_HD_MINUTES", "1000", AUGUST)],
    [],
]


async def _seed(url: str, ids: list[uuid.UUID]) -> None:
    engine = create_engine(url)
    async with session_factory(engine)() as session:
        session.add(Product(code="SIP_TRUNK_MINUTES", unit="minute"))  # no price
        for n, (account_id, usage) in enumerate(zip(ids, USAGE, strict=True)):
            session.add(
                Account(
                    id=account_id,
                    holder_type="ENTERPRISE",
                    name=f"乙{n}",
                    contact_person="李四",
                    email=f"chunk{n}@example.cn",
                    phone="13800138000",
                    address="北京",
                    created_at=datetime(2025, 1, 1, tzinfo=UTC),
                )
            )
            app = App(account_id=account_id, app_id=uuid.uuid4().hex, name="课堂", terminals=["IOS"])
            app.scenarios, app.secret_digest = ["LIVE_STREAMING"], "0" * 64
            session.add(app)
            await session.flush()
            for product, quantity, at in usage:
                await add_usage(session, app, product=product, quantity=quantity, at=at, commit=False)
        session.add(
            Discount(
                account_id=ids[4],
                product_code="RTC_VIDEO_HD_MINUTES",
                basis_points=1500,
                condition=DiscountCondition.MIN_MONTHLY_QUANTITY,
                threshold=500_000_000,
                valid_from=date(2026, 1, 1),
                reference="SA-7",
                granted_by="test",
            )
        )
        await session.commit()
    await engine.dispose()


async def _written(url: str) -> dict:
    """Everything the run wrote, keyed by account (ids and times left out)."""
    engine = create_engine(url)
    async with session_factory(engine)() as session:
        lines = await session.execute(
            select(Bill.account_id, Bill.total_fen, BillLine.product_code, BillLine.quantity_micros)
            .add_columns(BillLine.unit_price_fen, BillLine.discount_fen, BillLine.amount_fen, BillLine.description)
            .add_columns(BillLine.service_period)
            .join(BillLine, BillLine.bill_id == Bill.id)
        )
        notices = await session.execute(
            select(Notice.account_id, Notice.subject, Notice.body, Notice.bill_id.is_(None))
        )
        events = await session.execute(select(AccountEvent.account_id, AccountEvent.type, AccountEvent.data["total"]))
        holds = await session.execute(select(BillHold.account_id, BillHold.products))
        marks = await session.execute(
            select(UsageRecord.account_id, UsageRecord.product_code, UsageRecord.bill_run_id.is_(None))
        )
        runs = await session.execute(select(BillRun.issued, BillRun.held, BillRun.finished_at))
        found = {
            "lines": sorted(map(tuple, lines), key=str),
            "notices": sorted(map(tuple, notices), key=str),
            "events": sorted(map(tuple, events), key=str),
            "holds": sorted(map(tuple, holds), key=str),
            "marks": sorted(map(tuple, marks), key=str),
            "runs": list(map(tuple, runs)),
            "done": await has_run(session, PERIOD),
            "bills": await session.scalar(select(func.count()).select_from(Bill)),
        }
    await engine.dispose()
    return found


async def _run(url: str, **chunking) -> None:
    engine = create_engine(url)
    async with session_factory(engine)() as session:
        await run_monthly_billing(session, period=PERIOD, ran_by="test", now=NOW, **chunking)
        await session.commit()
    await engine.dispose()


async def test_bil1_bil2_bil3_bil8_chunks_of_one_account_write_what_one_chunk_writes(databases) -> None:
    ids = sorted(uuid.uuid4() for _ in USAGE)
    chunked, whole = await databases.migrated(), await databases.migrated()
    for url in (chunked, whole):
        await _seed(url, ids)
    await _run(whole)
    engine = create_engine(chunked)
    async with session_factory(engine)() as session:
        await run_monthly_billing(
            session, period=PERIOD, ran_by="test", now=NOW, chunk_accounts=1, checkpoint=session.commit
        )
        await session.commit()
    await engine.dispose()

    written = await _written(chunked)
    assert written == await _written(whole)
    assert written["bills"] == 4 and written["done"] and len(written["holds"]) == 1
    assert written["runs"] == [(4, 1, NOW)]
    assert {line[8] for line in written["lines"]} == {date(2026, 7, 1), PERIOD}  # a late line (BIL-1)
    assert any(line[5] > 0 for line in written["lines"])  # a discount (BIL-3)
    assert any(line[2] == "RECORDING_STORAGE_GB_MONTH" for line in written["lines"])  # BIL-8
