"""APP-1 declared scope, APP-2 secrets, APP-3 the in-scope check, APP-4 brand use.

Secrets are generated and hashed by the caller (the auth layer owns credential handling);
this module stores and compares digests only, in constant time.
"""

import hmac
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Account, App, BrandUseRequest, RealNameState, RequestState, ScopeExtensionRequest, Standing
from services import events
from services.accounts import validation
from services.batch import rows_by
from services.errors import InvalidInput, InvalidState, NotFound, RealNameRequired
from services.events import iso
from services.pagination import Page, keyset_page, keyset_pages
from services.scoped import one_in_scope

TERMINALS = ("IOS", "ANDROID", "WEB", "WINDOWS", "MACOS", "LINUX", "MINI_PROGRAM")
SCENARIOS = ("LIVE_STREAMING", "VIDEO_CALL", "VOICE_CALL", "EDUCATION", "GAMING", "SOCIAL", "OTHER")
MAX_GRACE_SECONDS = 24 * 60 * 60  # APP-2: 0-24 h


def _vocabulary(values: Sequence[str], allowed: Sequence[str], field: str) -> list[str]:
    if not values:
        raise InvalidInput(f"declare at least one value for {field}", field=[field])
    if unknown := [v for v in values if v not in allowed]:
        raise InvalidInput(f"{unknown[0]} is not one of {', '.join(allowed)}", field=[field])
    return sorted(set(values))


async def create_app(
    session: AsyncSession,
    *,
    account: Account,
    name: str,
    terminals: Sequence[str],
    scenarios: Sequence[str],
    secret_digest: str,
) -> App:
    """APP-1: only a VERIFIED account creates AppIDs, each with its declared scope."""
    if account.real_name_state != RealNameState.VERIFIED:
        raise RealNameRequired("real-name verification must be complete before creating an AppID")
    app = App(
        account_id=account.id,
        app_id=uuid.uuid4().hex,
        name=validation.single_line(name, "name", max_length=100),
        terminals=_vocabulary(terminals, TERMINALS, "terminals"),
        scenarios=_vocabulary(scenarios, SCENARIOS, "scenarios"),
        secret_digest=secret_digest,
    )
    session.add(app)
    await session.flush()
    return app


async def app_in_scope(session: AsyncSession, *, app_id: uuid.UUID, account_id: uuid.UUID | None) -> App:
    """SEC-1: the app if it belongs to ``account_id`` (None: staff), else NOT_FOUND."""
    app = await one_in_scope(session, App, app_id, account_id=account_id)
    if app is None:
        raise NotFound("no such app", field=["id"])
    return app


async def scope_request_in_scope(
    session: AsyncSession, key: uuid.UUID, *, account_id: uuid.UUID | None
) -> ScopeExtensionRequest | None:
    return await one_in_scope(session, ScopeExtensionRequest, key, account_id=account_id)


async def brand_request_in_scope(
    session: AsyncSession, key: uuid.UUID, *, account_id: uuid.UUID | None
) -> BrandUseRequest | None:
    return await one_in_scope(session, BrandUseRequest, key, account_id=account_id)


async def rotate_secret(session: AsyncSession, *, app: App, grace_seconds: int, new_digest: str, now: datetime) -> App:
    """APP-2: the new secret works at once; the old one for ``grace_seconds`` more."""
    if not 0 <= grace_seconds <= MAX_GRACE_SECONDS:
        raise InvalidInput(f"graceSeconds must be between 0 and {MAX_GRACE_SECONDS}", field=["graceSeconds"])
    if app.standing in (Standing.SUSPENDED, Standing.TERMINATED):
        raise InvalidState(f"a {app.standing.lower()} AppID's secret cannot be rotated", field=["id"])
    if grace_seconds:
        app.previous_secret_digest = app.secret_digest
        app.previous_secret_valid_until = now + timedelta(seconds=grace_seconds)
    else:
        app.previous_secret_digest = app.previous_secret_valid_until = None
    app.secret_digest = new_digest
    await session.flush()
    await events.record(
        session,
        account_id=app.account_id,
        type="app.secret_rotated",
        at=now,
        data={
            "appId": app.app_id,
            "app": events.global_id("App", app.id),
            "previousSecretValidUntil": iso(app.previous_secret_valid_until),
        },
    )
    return app


def secret_matches(app: App, presented_digest: str, now: datetime) -> bool:
    """APP-2: constant-time comparison with the current secret, or the previous one during
    its grace period."""
    current = hmac.compare_digest(presented_digest, app.secret_digest)
    previous = (
        app.previous_secret_digest is not None
        and app.previous_secret_valid_until is not None
        and now < app.previous_secret_valid_until
        and hmac.compare_digest(presented_digest, app.previous_secret_digest)
    )
    return current or previous


async def check_secret(session: AsyncSession, *, app_id: str, presented_digest: str, now: datetime) -> bool:
    """APP-2, for the RTC platform (the metering client) when a customer's server presents an
    AppID and its AppSecret: the current secret, or the previous one within its grace, compared
    in constant time (``secret_matches``). An unknown AppID is simply not valid."""
    app = (await session.execute(select(App).where(App.app_id == app_id))).scalar_one_or_none()
    return app is not None and secret_matches(app, presented_digest, now)


def usage_within_scope(app: App, *, terminal: str, scenario: str) -> bool:
    """APP-3: usage on an undeclared terminal or scenario violates Art. 2.8 (the usage
    pipeline opens an enforcement case when this is False)."""
    return terminal in app.terminals and scenario in app.scenarios


async def request_scope_extension(
    session: AsyncSession, *, app: App, terminals: Sequence[str], scenarios: Sequence[str], reason: str
) -> ScopeExtensionRequest:
    """APP-1: the holder asks for a wider scope; nothing widens until staff grant it."""
    wanted_terminals = _vocabulary(terminals, TERMINALS, "terminals") if terminals else []
    wanted_scenarios = _vocabulary(scenarios, SCENARIOS, "scenarios") if scenarios else []
    if not set(wanted_terminals) - set(app.terminals) and not set(wanted_scenarios) - set(app.scenarios):
        raise InvalidInput("the request adds nothing to the declared scope", field=["terminals"])
    request = ScopeExtensionRequest(
        app_id=app.id,
        account_id=app.account_id,
        terminals=wanted_terminals,
        scenarios=wanted_scenarios,
        reason=validation.text(reason, "reason", max_length=5000),
    )
    session.add(request)
    await session.flush()
    return request


async def decide_scope_extension(
    session: AsyncSession,
    *,
    request_id: uuid.UUID,
    approve: bool,
    permission_reference: str | None,
    actor: str,
    now: datetime,
) -> ScopeExtensionRequest:
    """Staff grant with a reference to their written permission, or reject."""
    request = await session.get(ScopeExtensionRequest, request_id)
    if request is None:
        raise NotFound("no such scope-extension request", field=["id"])
    if request.state != RequestState.PENDING:
        raise InvalidState("the request is decided already", field=["id"])
    if approve:
        if not permission_reference or not permission_reference.strip():
            raise InvalidInput("a grant cites the written permission", field=["permissionReference"])
        permission_reference = validation.single_line(permission_reference, "permissionReference")
        app = await session.get(App, request.app_id)
        assert app is not None
        app.terminals = sorted(set(app.terminals) | set(request.terminals))
        app.scenarios = sorted(set(app.scenarios) | set(request.scenarios))
        request.permission_reference = permission_reference
    request.state = RequestState.APPROVED if approve else RequestState.REJECTED
    request.decided_by, request.decided_at = actor, now
    await session.flush()
    return request


async def request_brand_use(
    session: AsyncSession, *, account: Account, material: str, description: str
) -> BrandUseRequest:
    request = BrandUseRequest(
        account_id=account.id,
        material=validation.text(material, "material", max_length=20000),
        description=validation.text(description, "description", max_length=5000),
    )
    session.add(request)
    await session.flush()
    return request


async def decide_brand_use(
    session: AsyncSession, *, request_id: uuid.UUID, approve: bool, note: str | None, actor: str, now: datetime
) -> BrandUseRequest:
    request = await session.get(BrandUseRequest, request_id)
    if request is None:
        raise NotFound("no such brand-use request", field=["id"])
    if request.state != RequestState.PENDING:
        raise InvalidState("the request is decided already", field=["id"])
    request.state = RequestState.APPROVED if approve else RequestState.REJECTED
    request.decided_by, request.decided_at, request.decision_note = actor, now, note
    await session.flush()
    return request


async def page_apps(session: AsyncSession, *, account_id: uuid.UUID, first: int, after: uuid.UUID | None) -> Page[App]:
    return await keyset_page(session, select(App).where(App.account_id == account_id), App.id, first=first, after=after)


async def pages_of_apps(
    session: AsyncSession, account_ids: Sequence[uuid.UUID], *, first: int
) -> dict[uuid.UUID, Page[App]]:
    """The first page of apps of each account, in one query."""
    return await keyset_pages(session, App, App.account_id, account_ids, first=first)


async def requests_of_apps(
    session: AsyncSession, app_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[ScopeExtensionRequest]]:
    return await rows_by(session, ScopeExtensionRequest, ScopeExtensionRequest.app_id, app_ids)


async def brand_requests_of(
    session: AsyncSession, account_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[BrandUseRequest]]:
    return await rows_by(session, BrandUseRequest, BrandUseRequest.account_id, account_ids)
