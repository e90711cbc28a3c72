"""The per-request GraphQL context: DB session, clock, principal and DataLoaders."""

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from auth.principal import Principal
from services import calendar
from services.audit import Actor
from services.clock import Clock


class RequestTransaction:
    """What the GraphQL layer needs from the request's transaction (owned by middleware)."""

    session: AsyncSession

    def mark_rollback_only(self) -> None: ...


class Loaders:
    """Per-request DataLoaders, so list fields cost a constant number of queries."""

    def __init__(self, session: AsyncSession) -> None:
        async def calendar_days(keys: list[Any]) -> list[Any]:
            found = await calendar.year_days(session, keys)
            return [found[key] for key in keys]

        self.calendar_days = DataLoader(load_fn=calendar_days)


@dataclass
class Context:
    transaction: RequestTransaction
    clock: Clock
    principal: Principal | None
    request_id: str
    simulated_clock: bool = False
    # The request's state (Starlette), where the middleware reads the operation name.
    request_state: Any = None
    _loaders: Loaders | None = field(default=None, repr=False)

    @property
    def session(self) -> AsyncSession:
        return self.transaction.session

    @property
    def loaders(self) -> Loaders:
        if self._loaders is None:
            self._loaders = Loaders(self.session)
        return self._loaders

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

    def rollback_only(self) -> None:
        self.transaction.mark_rollback_only()
