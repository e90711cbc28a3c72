"""The ``accord`` command line (CONTRACT.md). Bad input: one line on stderr, exit non-zero,
nothing changed."""

import argparse
import asyncio
import contextlib
import getpass
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TypeVar

from api import demo
from api.db import create_engine, session_factory
from api.migrate import current_revision, head_revision, upgrade
from api.settings import Settings
from auth import keys
from auth.passwords import hash_password, password_problem
from auth.secrets import digest, new_secret
from models import ClientKind
from services import audit, calendar, staff
from services.accounts import service
from services.accounts.personal_data import key_from_setting
from services.clock import Clock, SystemClock
from services.errors import DomainError

T = TypeVar("T")


class CommandError(Exception):
    """A one-line reason to stop with exit status 1."""


async def _ensure_schema(settings: Settings) -> None:
    """The embedded default migrates itself; a server database must be upgraded explicitly."""
    engine = create_engine(settings.database_url)
    try:
        if settings.is_sqlite:
            await upgrade(engine)
        elif await current_revision(engine) != head_revision():
            raise CommandError("the database is not at the latest migration: run `accord db upgrade`")
    finally:
        await engine.dispose()


async def _in_transaction(settings: Settings, work: Callable[[Any], Awaitable[Any]]) -> Any:
    await _ensure_schema(settings)
    engine = create_engine(settings.database_url)
    try:
        async with session_factory(engine)() as session:
            try:
                result = await work(session)
            except DomainError:
                # Keep the refusal's audit record; the savepoint already undid everything else.
                await session.commit()
                raise
            await session.commit()
            return result
    finally:
        await engine.dispose()


def _audited_command(
    action: str, work: Callable[[Any, Clock, audit.Actor], Awaitable[T]], target: str | None = None
) -> T:
    """Run one change as the operator at the keyboard, audited (ACC-3) in its own transaction."""
    operator = audit.Actor.operator(getpass.getuser())
    clock = SystemClock()

    async def audited(session: Any) -> T:
        return await audit.audited(
            session,
            clock=clock,
            actor=operator,
            action=action,
            target=target,
            call=lambda: work(session, clock, operator),
        )

    return asyncio.run(_in_transaction(Settings(), audited))


SHUTDOWN_GRACE_SECONDS = 5


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api import logs

    settings = Settings()
    logs.configure()
    if settings.is_sqlite:
        asyncio.run(_ensure_schema(settings))
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_config=None,
        access_log=False,
        # The app decides alone whom to believe about X-Forwarded-For (ACCORD_FORWARDED_ALLOW_IPS,
        # api/addresses.py); uvicorn's own handling would believe any local peer.
        proxy_headers=False,
        # Shutdown is bounded: requests still running this long after SIGTERM are cancelled.
        timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
    )
    return 0


def cmd_db_upgrade(_: argparse.Namespace) -> int:
    settings = Settings()

    async def run() -> None:
        engine = create_engine(settings.database_url)
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    asyncio.run(run())
    print(f"database at {head_revision()}")
    return 0


def cmd_staff_create(args: argparse.Namespace) -> int:
    if not args.password_stdin:
        raise CommandError("give the password on standard input with --password-stdin")
    password = sys.stdin.readline().rstrip("\n")
    if (problem := password_problem(password)) is not None:
        raise CommandError(problem)
    user = _audited_command(
        "staff.create",
        lambda session, clock, operator: staff.create_staff(
            session, login=args.login, password_hash=hash_password(password), roles=args.role
        ),
        target=f"user:{args.login}",
    )
    print(f"staff user {user.login} created with roles {', '.join(user.staff_roles)}")
    return 0


def _read_calendar_file(path: str) -> tuple[int, list[date], list[date]]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise CommandError(f"cannot read {path}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise CommandError(f"{path} is not JSON: {error.msg} at line {error.lineno}") from None
    if not isinstance(data, dict) or not isinstance(data.get("year"), int):
        raise CommandError(f"{path} must hold {{year, holidays: [...], adjustedWorkdays: [...]}}")
    lists = []
    for key in ("holidays", "adjustedWorkdays"):
        values = data.get(key)
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise CommandError(f"{path}: {key} must be a list of YYYY-MM-DD strings")
        try:
            lists.append([date.fromisoformat(v) for v in values])
        except ValueError as error:
            raise CommandError(f"{path}: {key}: {error}") from None
    return data["year"], lists[0], lists[1]


def cmd_calendar_load(args: argparse.Namespace) -> int:
    year, holidays, workdays = _read_calendar_file(args.file)
    _audited_command(
        "loadHolidayCalendar",
        lambda session, clock, operator: calendar.load_year(
            session, clock=clock, actor=operator, year=year, holidays=holidays, adjusted_workdays=workdays
        ),
        target=f"calendar:{year}",
    )
    print(f"calendar {year} loaded: {len(holidays)} holidays, {len(workdays)} adjusted working days")
    return 0


def _create_internal_client(kind: ClientKind, name: str) -> int:
    """An internal client of the vendor's (BIL-1 metering, PRE-2 payments): one vendor scope,
    the secret printed once."""
    name = name.strip()
    if not 1 <= len(name) <= 200:
        raise CommandError("a client name is 1-200 characters")
    secret, client_id = new_secret(), f"{kind.lower()}_{new_secret(12)}"
    _audited_command(
        f"clients.create-{kind.lower()}",
        lambda session, clock, operator: service.create_internal_client(
            session,
            kind=kind,
            client_id=client_id,
            name=name,
            secret_digest=digest(secret),
            created_by=operator.principal,
        ),
        target=f"client:{client_id}",
    )
    print(f"client_id={client_id}")
    print(f"client_secret={secret}")
    print("The secret is shown once; use it with grant_type=client_credentials at /oauth/token.")
    return 0


def cmd_create_metering(args: argparse.Namespace) -> int:
    """BIL-1: the vendor's usage pipeline, an internal client holding usage:write only."""
    return _create_internal_client(ClientKind.METERING, args.name)


def cmd_create_payments(args: argparse.Namespace) -> int:
    """PRE-2: the vendor's payment gateway, an internal client holding payments:confirm only."""
    return _create_internal_client(ClientKind.PAYMENTS, args.name)


def cmd_keys_rotate(_: argparse.Namespace) -> int:
    kid = _audited_command("keys.rotate", lambda session, clock, operator: keys.rotate(session, now=clock.now()))
    print(f"new signing key {kid}; the previous one keeps verifying its tokens until they expire")
    return 0


def cmd_demo_seed(_: argparse.Namespace) -> int:
    settings = Settings()
    key = key_from_setting(settings.data_key) if settings.data_key else None
    from services.mail import mailer_for

    mailer = mailer_for(settings.smtp_url, Path(settings.outbox_dir))
    created = asyncio.run(_in_transaction(settings, lambda session: demo.seed(session, data_key=key, mailer=mailer)))
    print(f"demo data: {created} new records" if created else "demo data: already present")
    return 0


def cmd_jobs_run(args: argparse.Namespace) -> int:
    """The deadline sweep as its own process: once, or every ACCORD_SWEEP_SECONDS until stopped."""
    from api import logs, scheduler
    from services.mail import mailer_for

    settings = Settings()
    logs.configure()

    async def run() -> None:
        await _ensure_schema(settings)
        if settings.redis_url:
            from api.live import publish_after_commit

            publish_after_commit(settings.redis_url)  # the sweep's events reach every server's subscribers
        engine = create_engine(settings.database_url)
        state = SimpleNamespace(
            settings=settings,
            clock=SystemClock(),
            session_factory=session_factory(engine),
            mailer=mailer_for(settings.smtp_url, Path(settings.outbox_dir)),
            data_key=key_from_setting(settings.data_key) if settings.data_key else None,
        )
        try:
            if args.once:
                for result in await scheduler.sweep_once(state):
                    print(f"{result.job}: {result.changed}")
            else:
                await scheduler.sweep_forever(state, settings.sweep_seconds or 60)
        finally:
            await engine.dispose()

    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C ends the loop; each sweep is its own transaction
        asyncio.run(run())
    return 0


def cmd_schema_export(_: argparse.Namespace) -> int:
    from schema import build_schema

    sys.stdout.write(build_schema().as_str() + "\n")
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="accord", description="Accord customer-account backend")
    sub = top.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="migrate (embedded default only), then serve")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(run=cmd_serve)

    db = sub.add_parser("db").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="alembic upgrade head").set_defaults(run=cmd_db_upgrade)

    staff_cmd = sub.add_parser("staff").add_subparsers(dest="staff_command", required=True)
    create = staff_cmd.add_parser("create", help="create a staff user")
    create.add_argument("--login", required=True)
    create.add_argument("--role", action="append", required=True, choices=staff.STAFF_ROLES)
    create.add_argument("--password-stdin", action="store_true")
    create.set_defaults(run=cmd_staff_create)

    clients = sub.add_parser("clients").add_subparsers(dest="clients_command", required=True)
    metering = clients.add_parser("create-metering", help="internal usage:write client")
    metering.add_argument("--name", required=True)
    metering.set_defaults(run=cmd_create_metering)
    payments = clients.add_parser("create-payments", help="internal payments:confirm client (payment gateway)")
    payments.add_argument("--name", required=True)
    payments.set_defaults(run=cmd_create_payments)

    keys_cmd = sub.add_parser("keys").add_subparsers(dest="keys_command", required=True)
    keys_cmd.add_parser("rotate", help="make a new token signing key").set_defaults(run=cmd_keys_rotate)

    demo_cmd = sub.add_parser("demo").add_subparsers(dest="demo_command", required=True)
    demo_cmd.add_parser("seed", help="idempotent demo data").set_defaults(run=cmd_demo_seed)

    jobs = sub.add_parser("jobs").add_subparsers(dest="jobs_command", required=True)
    run = jobs.add_parser("run", help="the deadline sweep")
    run.add_argument("--once", action="store_true")
    run.set_defaults(run=cmd_jobs_run)

    cal = sub.add_parser("calendar").add_subparsers(dest="calendar_command", required=True)
    load = cal.add_parser("load", help="load a year's official holiday arrangement")
    load.add_argument("file", metavar="FILE.json")
    load.set_defaults(run=cmd_calendar_load)

    schema_cmd = sub.add_parser("schema").add_subparsers(dest="schema_command", required=True)
    schema_cmd.add_parser("export", help="print the SDL").set_defaults(run=cmd_schema_export)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except CommandError as error:
        print(f"accord: {error}", file=sys.stderr)
    except DomainError as error:
        field = f" ({'.'.join(error.field)})" if error.field else ""
        print(f"accord: {error.message}{field}", file=sys.stderr)
    except Exception as error:  # a one-line reason, never a traceback at the operator
        print(f"accord: failed: {type(error).__name__}: {error}".splitlines()[0], file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
