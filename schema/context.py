"""The per-request GraphQL context: DB session, clock, principal and DataLoaders."""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from auth.principal import Principal
from services import calendar, notices
from services.accounts import cases, personal_data, real_name
from services.accounts import service as account_service
from services.apps import service as apps
from services.audit import Actor
from services.billing import repository as bill_repository
from services.calendar import deadlines
from services.clock import Clock, OffsetClock
from services.enforcement import cases as enforcement_cases
from services.invoices import invoices
from services.invoices import profile as invoice_profiles
from services.ledger import arrears
from services.ledger import repository as ledger_repository
from services.mail import Mailer
from services.webhooks import endpoints as webhook_endpoints


class TransactionHandle(Protocol):
    """What the GraphQL layer needs from the request's transaction (api.middleware's
    RequestTransaction owns it)."""

    session: AsyncSession

    def mark_rollback_only(self) -> None: ...

    def mark_busy(self) -> None: ...


def _loader(
    session: AsyncSession, batch: Callable[[AsyncSession, list[Any]], Awaitable[dict]], empty: Any
) -> DataLoader:
    """A DataLoader over a service function that maps keys to results in one query."""

    async def load(keys: list[Any]) -> list[Any]:
        found = await batch(session, keys)
        return [found.get(key, empty) for key in keys]

    return DataLoader(load_fn=load)


class Loaders:
    """Per-request DataLoaders, so list fields cost a constant number of queries."""

    def __init__(self, session: AsyncSession, now: datetime) -> None:
        self.calendar_days = _loader(session, calendar.year_days, [])
        self.real_name = _loader(session, real_name.latest_submissions, None)
        self.ownership_disputes = _loader(session, cases.ownership_disputes_of, [])
        self.compromise_reports = _loader(session, cases.reports_of, [])
        self.brand_requests = _loader(session, apps.brand_requests_of, [])
        self.scope_requests = _loader(session, apps.requests_of_apps, [])
        self.enforcement_cases = _loader(session, enforcement_cases.cases_of, [])
        # The balance and what is owed come from one statement per batch (arrears.account_facts).
        self.account_facts = _loader(session, arrears.account_facts, None)
        self.pending_top_ups = _loader(session, ledger_repository.pending_of, [])
        self.partner_clients = _loader(session, account_service.partner_clients_of, [])
        self.bill_lines = _loader(session, bill_repository.lines_of, [])
        self.bill_disputes = _loader(session, bill_repository.disputes_of, None)
        self.invoice_profiles = _loader(session, invoice_profiles.profiles_of, None)
        self.invoiceable = _loader(session, invoices.invoiceable_fen, 0)
        self.invoice_history = _loader(session, invoices.histories_of, [])
        self.webhook_endpoints = _loader(session, webhook_endpoints.endpoints_of_accounts, [])
        self.owed = _loader(session, self._owed(now), None)
        # Issue 12: the calendar and force-majeure events every explained deadline counts with.
        self.deadline_facts = _loader(session, lambda s, keys: deadlines.facts_by_key(s, keys, now=now), None)
        self.payment_notices = _loader(session, notices.payment_notices_delivered, None)
        self._session = session
        self._first_pages: dict[tuple[Any, int], DataLoader] = {}

    def _owed(self, now: datetime) -> Callable[[AsyncSession, list[Any]], Awaitable[dict]]:
        async def batch(session: AsyncSession, keys: list[Any]) -> dict:
            facts = dict(zip(keys, await self.account_facts.load_many(keys), strict=True))
            return await arrears.owed(session, keys, now=now, facts=facts)

        return batch

    def first_pages(self, pages_of: Callable[..., Awaitable[dict]], first: int) -> DataLoader:
        """The loader of the first pages (of ``first`` items) of many accounts' connections."""
        key = (pages_of, first)
        if key not in self._first_pages:
            self._first_pages[key] = _loader(self._session, lambda s, ids: pages_of(s, ids, first=first), None)
        return self._first_pages[key]


@dataclass
class Context:
    transaction: TransactionHandle
    clock: Clock
    principal: Principal | None
    request_id: str
    simulated_clock: bool = False
    # ACC-4: the configured data key (None in development: generated per database).
    configured_data_key: bytes | None = None
    client_address: str | None = None
    # Where emailed notices go (the deadline sweep delivers them).
    mailer: Mailer | None = None
    # ACCORD_ENV=production: webhook URLs get the SSRF rules (issue 14).
    production: bool = False
    # Subscriptions (issue 14): the process's live feed (api/live.py), the connection_init
    # payload strawberry fills in, and a re-check that the token still holds.
    live: Any = None
    connection_params: dict | None = None
    recheck: Callable[[], Awaitable[bool]] | None = None
    # The request's state (Starlette), where the middleware reads the operation name.
    request_state: Any = None
    # The clock's reading when the request arrived (api/middleware.py); None outside a request.
    arrived_at: datetime | None = None
    # The per-principal query-cost budget (services/cost_budget.py); None: not counted.
    cost_budget: Any = None
    _loaders: Loaders | None = field(default=None, repr=False)
    _data_key_task: "asyncio.Future[bytes] | None" = field(default=None, repr=False)

    @property
    def session(self) -> AsyncSession:
        return self.transaction.session

    @property
    def loaders(self) -> Loaders:
        if self._loaders is None:
            self._loaders = Loaders(self.session, self.clock.now())
        return self._loaders

    @property
    def received_at(self) -> datetime:
        """BIL-5: when the request was received: its arrival, however long it then waited for a
        lock (another request, a sweep) before the rule could be checked."""
        if self.arrived_at is None:
            return self.clock.now()
        # The arrival was read on the base clock; the simulated offset (T-5) applies to it too.
        return self.arrived_at + (self.clock.offset if isinstance(self.clock, OffsetClock) else timedelta(0))

    @property
    def actor(self) -> Actor:
        if self.principal is None:
            raise RuntimeError("an unauthenticated request has no actor")
        return Actor(
            kind=self.principal.kind,
            principal=self.principal.name,
            account_id=self.principal.account_id,
            request_id=self.request_id,
        )

    @property
    def operation_name(self) -> str | None:
        return getattr(self.request_state, "operation", None)

    @operation_name.setter
    def operation_name(self, name: str | None) -> None:
        if self.request_state is not None:
            self.request_state.operation = name

    async def data_key(self) -> bytes:
        if self.configured_data_key is not None:
            return self.configured_data_key
        # Development: the per-database key, read once per request even when many resolvers
        # ask at the same moment.
        if self._data_key_task is None:
            self._data_key_task = asyncio.ensure_future(personal_data.development_key(self.session))
        return await self._data_key_task

    def rollback_only(self) -> None:
        if self.transaction is not None:  # a WebSocket subscription reads through its own sessions
            self.transaction.mark_rollback_only()


# What every resolver and node fetcher of this schema receives (no root value).
AccordInfo = Info[Context, None]
