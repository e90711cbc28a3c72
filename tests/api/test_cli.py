"""The `accord` command line, run as a real process against the test database."""

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import select

from api import demo
from models import Account, AuditRecord, Bill, CalendarYear, Notice, User, WebhookDelivery, WebhookEndpoint
from services.calendar.working import PACKAGE_YEARS
from services.clock import FixedClock, local_date
from services.mail import OutboxMailer
from tests.conftest import DEFAULT_NOW
from tests.factories import queued_email

ACCORD = str(Path(sys.executable).parent / "accord")


def accord(database_url: str, *args: str, stdin: str = "", **settings: str) -> subprocess.CompletedProcess:
    env = os.environ | {"ACCORD_DATABASE_URL": database_url} | settings
    return subprocess.run(
        [ACCORD, *args], input=stdin, capture_output=True, text=True, env=env, timeout=60, check=False
    )


def calendar_file(tmp_path: Path, name: str = "calendar", **data) -> str:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps({"year": 2027, "holidays": ["2027-01-01"], "adjustedWorkdays": []} | data))
    return str(path)


async def test_t2_calendar_load_then_bad_files_change_nothing(database_url, session, tmp_path) -> None:
    done = accord(database_url, "calendar", "load", calendar_file(tmp_path, adjustedWorkdays=["2027-02-06"]))
    assert done.returncode == 0, done.stderr
    assert "calendar 2027 loaded" in done.stdout

    bad_inputs = [
        calendar_file(tmp_path, "other-year", holidays=["2026-12-31"]),
        calendar_file(tmp_path, "not-a-list", holidays="2027-01-01"),
        calendar_file(tmp_path, "bad-date", holidays=["2027-13-01"]),
        str(tmp_path / "missing.json"),
    ]
    for path in bad_inputs:
        refused = accord(database_url, "calendar", "load", path)
        assert refused.returncode == 1
        assert refused.stderr.startswith("accord: ") and refused.stderr.count("\n") == 1
    (tmp_path / "broken.json").write_text("{not json")
    assert accord(database_url, "calendar", "load", str(tmp_path / "broken.json")).returncode == 1

    years = (await session.execute(select(CalendarYear.year))).scalars().all()
    assert years == [2027]
    outcomes = (await session.execute(select(AuditRecord.outcome).order_by(AuditRecord.id))).scalars().all()
    assert outcomes == ["OK", "INVALID"]  # the refused service call is audited too


async def test_staff_create(database_url, session) -> None:
    made = accord(
        database_url,
        "staff",
        "create",
        "--login",
        "Ops@Vendor",
        "--role",
        "ADMIN",
        "--role",
        "FINANCE",
        "--password-stdin",
        stdin="correct horse battery\n",
    )
    assert made.returncode == 0, made.stderr
    again = accord(
        database_url,
        "staff",
        "create",
        "--login",
        "ops@vendor",
        "--role",
        "SUPPORT",
        "--password-stdin",
        stdin="correct horse battery\n",
    )
    assert again.returncode == 1 and "taken" in again.stderr
    weak = accord(
        database_url, "staff", "create", "--login", "x@vendor", "--role", "SUPPORT", "--password-stdin", stdin="short\n"
    )
    assert weak.returncode == 1
    bad_role = accord(
        database_url,
        "staff",
        "create",
        "--login",
        "y@vendor",
        "--role",
        "KING",
        "--password-stdin",
        stdin="correct horse battery\n",
    )
    assert bad_role.returncode != 0
    users = (await session.execute(select(User))).scalars().all()
    assert [(u.login, u.staff_roles) for u in users] == [("ops@vendor", ["ADMIN", "FINANCE"])]
    assert users[0].password_hash.startswith("$argon2id$")


async def test_demo_seed_is_idempotent(database_url, session, tmp_path) -> None:
    first = accord(database_url, "demo", "seed", ACCORD_OUTBOX_DIR=str(tmp_path))
    second = accord(database_url, "demo", "seed", ACCORD_OUTBOX_DIR=str(tmp_path))
    assert first.returncode == second.returncode == 0
    assert "already present" in second.stdout
    users = (await session.execute(select(User.kind, User.demo))).all()
    # Four staff roles, eight holders (each holder type in each real-name state), three sub-accounts.
    assert sorted({(kind, sum(1 for k, _ in users if k == kind)) for kind, _ in users}) == [
        ("HOLDER", 8),
        ("STAFF", 4),
        ("SUB_ACCOUNT", 3),
    ]
    assert all(demo for _, demo in users)  # production refuses to start while any exists
    states = (await session.execute(select(Account.holder_type, Account.real_name_state))).all()
    assert sorted(states) == sorted(
        (holder, state)
        for holder in ("ENTERPRISE", "INDIVIDUAL")
        for state in ("PENDING", "REJECTED", "UNVERIFIED", "VERIFIED")
    )
    # Issue 14: an endpoint with a delivery log (delivered, and one being retried).
    (endpoint,) = (await session.execute(select(WebhookEndpoint))).scalars()
    log = (await session.execute(select(WebhookDelivery.state))).scalars().all()
    assert endpoint.url.startswith("https://") and "DELIVERED" in log and "PENDING" in log


async def test_demo_seed_on_the_simulated_clock_has_bills_in_every_state(database_url, session, tmp_path) -> None:
    """The demo's bills, with its dates pinned to a clock inside the packaged calendar (the CLI
    seeds on the real clock, whose year the calendar may not know yet: T-3)."""
    assert DEFAULT_NOW.year in PACKAGE_YEARS
    await demo.seed(session, clock=FixedClock(DEFAULT_NOW), mailer=OutboxMailer(tmp_path))
    await session.commit()
    await _demo_has_every_bill_state(session, tmp_path)


async def test_t4_demo_seed_has_a_deadline_that_skips_the_national_day_break(database_url, session, tmp_path) -> None:
    """Issue 12's demo: from November 2026 on, August 2026's bill, delivered on 30 Sep, whose
    dispute window (2 working days, counted by hand) skips 1-7 Oct and ends on Fri 9 Oct."""
    await demo.seed(session, clock=FixedClock(datetime(2026, 12, 2, 4, tzinfo=UTC)), mailer=OutboxMailer(tmp_path))
    await session.commit()
    deadline = await session.scalar(select(Bill.dispute_deadline).where(Bill.period == date(2026, 8, 1)))
    assert deadline is not None and local_date(deadline) == date(2026, 10, 9)


async def _demo_has_every_bill_state(session, outbox) -> None:
    """Issue 5's demo: issued, disputed, deemed-accepted and settled bills, an account in arrears."""
    bills = (await session.execute(select(Bill.state, Bill.confirmed_at, Bill.paid_fen, Bill.total_fen))).all()
    assert {state for state, *_ in bills} == {"ISSUED", "DISPUTED", "SETTLED"}
    settled = [(confirmed, paid, total) for state, confirmed, paid, total in bills if state == "SETTLED"]
    assert all(confirmed is None for confirmed, _, _ in settled)  # deemed accepted, not confirmed
    assert any(paid < total for _, paid, total in settled)  # arrears
    # Four bills and two payment notices. (August 2026's National Day bill of issue 12 is seeded
    # only from November 2026 on, after the relative months of the billing demo: not on this clock.)
    assert len(list(outbox.glob("*.eml"))) == 6


async def test_jobs_run_once_sweeps_and_delivers_queued_email(database_url, session, tmp_path) -> None:
    """`accord jobs run --once`: one sweep on the real clock; a queued email goes out once."""
    account = await queued_email(session)
    outbox = tmp_path / "outbox"
    first = accord(database_url, "jobs", "run", "--once", ACCORD_OUTBOX_DIR=str(outbox))
    assert first.returncode == 0, first.stderr
    assert "deliver_notices: 1" in first.stdout.splitlines()
    assert {line.split(":")[0] for line in first.stdout.splitlines()} >= {"issue_monthly_bills", "accrue_penalties"}
    assert len(list(outbox.glob("*.eml"))) == 1
    second = accord(database_url, "jobs", "run", "--once", ACCORD_OUTBOX_DIR=str(outbox))
    assert "deliver_notices: 0" in second.stdout.splitlines()
    await session.rollback()
    delivered = await session.scalar(select(Notice.delivered_at).where(Notice.account_id == account.id))
    assert delivered is not None


def test_schema_export_prints_the_sdl(database_url) -> None:
    from schema import build_schema

    result = accord(database_url, "schema", "export")
    assert result.returncode == 0
    assert result.stdout == build_schema().as_str() + "\n"


async def test_keys_rotate_makes_a_deliberate_key(database_url, session) -> None:
    from models import SigningKey

    first = accord(database_url, "keys", "rotate")
    second = accord(database_url, "keys", "rotate")
    assert first.returncode == second.returncode == 0, first.stderr
    rows = (await session.execute(select(SigningKey).order_by(SigningKey.id))).scalars().all()
    assert [(r.generated, r.retired_at is None) for r in rows] == [(False, False), (False, True)]


async def test_pre2_clients_create_payments_makes_the_gateways_client(database_url, session) -> None:
    from auth.secrets import digest
    from models import OAuthClient

    for bad_name in ("", " " * 3, "x" * 201):
        refused = accord(database_url, "clients", "create-payments", "--name", bad_name)
        assert refused.returncode == 1 and refused.stderr.startswith("accord: ") and refused.stderr.count("\n") == 1
    assert (await session.execute(select(OAuthClient))).first() is None  # nothing changed
    await session.rollback()

    made = accord(database_url, "clients", "create-payments", "--name", "支付网关")
    assert made.returncode == 0, made.stderr
    fields = dict(line.split("=", 1) for line in made.stdout.splitlines() if "=" in line)
    assert fields["client_id"].startswith("payments_") and len(fields["client_secret"]) >= 40
    row = (await session.execute(select(OAuthClient))).scalar_one()
    assert (row.client_id, row.name, row.kind, row.scopes, row.account_id) == (
        fields["client_id"],
        "支付网关",
        "PAYMENTS",
        ["payments:confirm"],
        None,
    )
    assert row.secret_digest == digest(fields["client_secret"])  # shown once, stored as a digest
    assert fields["client_secret"] not in repr(row)
    audited = (await session.execute(select(AuditRecord.action, AuditRecord.target, AuditRecord.outcome))).all()
    assert audited == [("clients.create-payments", f"client:{fields['client_id']}", "OK")]
