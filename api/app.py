"""The Starlette application."""

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from starlette.applications import Starlette
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from api import assets, scheduler
from api.db import create_engine, session_factory
from api.documents import download
from api.graphql import AccordGraphQL
from api.health import healthz, metrics_endpoint, readyz
from api.limits import BodyLimit
from api.live import LiveFeed, publish_after_commit
from api.middleware import RequestMiddleware
from api.oauth import ROUTES as OAUTH_ROUTES
from api.settings import Environment, ProductionRefused, Settings, production_problems
from auth import keys
from models import User
from schema import build_schema
from services.accounts.personal_data import development_key, key_from_setting
from services.clock import Clock, SystemClock
from services.cost_budget import cost_budget
from services.mail import Mailer, mailer_for

log = logging.getLogger("accord")


async def demo_logins(app: Starlette) -> list[str]:
    try:
        async with app.state.session_factory() as session:
            return list((await session.execute(select(User.login).where(User.demo))).scalars())
    except DBAPIError:
        return []  # not migrated yet: then no demo user exists either


async def signing_key_generated(app: Starlette) -> bool | None:
    try:
        async with app.state.session_factory() as session:
            return await keys.current_key_was_generated(session)
    except DBAPIError:
        return None


async def check_production(app: Starlette) -> None:
    problems = production_problems(
        app.state.settings,
        demo_logins=await demo_logins(app),
        signing_key_generated=await signing_key_generated(app),
    )
    if problems:
        raise ProductionRefused("refusing to start in production: " + "; ".join(problems))


async def ensure_development_key(app: Starlette) -> None:
    """Make the per-database development data key at start-up, before requests race for it."""
    try:
        async with app.state.session_factory() as session:
            await development_key(session)
            await session.commit()
    except DBAPIError:
        pass  # not migrated yet: the first request that needs it makes it


_frozen = False


def _freeze_start_up_objects() -> None:
    """Everything built by the first start-up (the schema, the ORM's mappers, the app) lives as
    long as the process: out of the collector's sight, a full collection no longer walks it,
    which a request allocating tens of thousands of objects otherwise triggers (issue 15).
    Once per process: later apps (tests make many) are collected as usual."""
    global _frozen
    if not _frozen:
        _frozen = True
        gc.freeze()


def create_app(
    settings: Settings | None = None, *, clock: Clock | None = None, mailer: Mailer | None = None
) -> Starlette:
    settings = settings or Settings()
    engine = create_engine(settings.database_url)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await check_production(app)
        if app.state.data_key is None:
            await ensure_development_key(app)
        _freeze_start_up_objects()
        sweeper = None
        if settings.sweep_seconds > 0:
            sweeper = asyncio.create_task(scheduler.sweep_forever(app.state, settings.sweep_seconds))
        yield
        await app.state.live.close()
        await app.state.cost_budget.close()
        if sweeper is not None:
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper
        await engine.dispose()

    graphql = AccordGraphQL(build_schema(production=settings.env == Environment.PRODUCTION))
    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),  # subscriptions (graphql-transport-ws)
            # Where the console client's login lands in GraphiQL (the page finishes the flow).
            Route("/graphql/callback", graphql, methods=["GET"]),
            *OAUTH_ROUTES,
            # INV-3 / INV-5: stored documents, for the holder and FINANCE with a bearer token.
            Route("/documents/{sha256}", download, methods=["GET"]),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_endpoint),
            Mount("/static/graphiql", StaticFiles(directory=assets.ASSET_DIR, check_dir=False)),
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = session_factory(engine)
    app.state.clock = clock or SystemClock()
    app.state.mailer = mailer or mailer_for(settings.smtp_url, Path(settings.outbox_dir))
    app.state.live = LiveFeed(
        database_url=settings.database_url,
        session_factory=app.state.session_factory,
        redis_url=settings.redis_url,
        idle_seconds=settings.live_idle_seconds,
    )
    if settings.redis_url:
        publish_after_commit(settings.redis_url)
    app.state.cost_budget = cost_budget(settings.cost_budget_per_minute, settings.redis_url)
    app.state.data_key = key_from_setting(settings.data_key) if settings.data_key else None
    # Inside RequestMiddleware (added first = innermost): a 413 still gets a request id and a log line.
    app.add_middleware(BodyLimit)
    app.add_middleware(RequestMiddleware)
    return app
