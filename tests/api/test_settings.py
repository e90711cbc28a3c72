"""ACCORD_ENV=production refuses to start with development-only settings, saying which."""

from datetime import UTC, datetime

import pytest

from api.app import create_app
from api.db import create_engine, session_factory
from api.demo import seed
from api.settings import Environment, ProductionRefused, Settings
from auth import keys
from services.mail import OutboxMailer

GOOD = {
    "data_key": "k" * 44,
    "smtp_url": "smtp://127.0.0.1:2525",
    "issuer": "https://accord.example",
    "metrics_token": "m" * 32,
}


async def start(settings: Settings) -> None:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        pass


async def rotate_key(database_url: str) -> None:
    engine = create_engine(database_url)
    async with session_factory(engine)() as session:
        await keys.rotate(session, now=datetime.now(UTC))
        await session.commit()
    await engine.dispose()


async def test_production_starts_with_proper_settings(database_url) -> None:
    await rotate_key(database_url)
    await start(Settings(database_url=database_url, env=Environment.PRODUCTION, **GOOD))


async def test_production_refuses_a_generated_or_missing_signing_key(database_url) -> None:
    settings = Settings(database_url=database_url, env=Environment.PRODUCTION, **GOOD)
    with pytest.raises(ProductionRefused, match="no token signing key"):
        await start(settings)
    engine = create_engine(database_url)
    async with session_factory(engine)() as session:
        await keys.current_key(session, now=datetime.now(UTC))  # what development does by itself
        await session.commit()
    await engine.dispose()
    with pytest.raises(ProductionRefused, match="generated automatically"):
        await start(settings)


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"simulated_clock": True}, "ACCORD_SIMULATED_CLOCK"),
        ({"data_key": None}, "ACCORD_DATA_KEY"),
        ({"smtp_url": None}, "ACCORD_SMTP_URL"),
        ({"issuer": "http://accord.example"}, "ACCORD_ISSUER"),
        ({"metrics_token": None}, "ACCORD_METRICS_TOKEN"),
    ],
)
async def test_production_refuses_development_settings(database_url, overrides, reason) -> None:
    await rotate_key(database_url)
    settings = Settings(database_url=database_url, env=Environment.PRODUCTION, **(GOOD | overrides))
    with pytest.raises(ProductionRefused, match=reason):
        await start(settings)


async def test_production_refuses_demo_credentials(database_url, tmp_path) -> None:
    await rotate_key(database_url)
    engine = create_engine(database_url)
    async with session_factory(engine)() as session:
        await seed(session, mailer=OutboxMailer(tmp_path))
        await session.commit()
    await engine.dispose()
    with pytest.raises(ProductionRefused, match=r"demo credentials.*admin@accord\.demo"):
        await start(Settings(database_url=database_url, env=Environment.PRODUCTION, **GOOD))
    # Development is fine with them.
    await start(Settings(database_url=database_url, env=Environment.DEVELOPMENT))


def test_settings_come_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("ACCORD_DATABASE_URL", "sqlite+aiosqlite:///./x.db")
    monkeypatch.setenv("ACCORD_SIMULATED_CLOCK", "1")
    monkeypatch.setenv("ACCORD_CONSOLE_REDIRECT_URIS", "http://a/cb, http://b/cb")
    settings = Settings()
    assert settings.database_url == "sqlite+aiosqlite:///./x.db"
    assert settings.simulated_clock is True
    assert settings.redirect_uris == ["http://a/cb", "http://b/cb"]
    assert Settings.model_fields.keys() >= {
        "database_url",
        "env",
        "issuer",
        "console_redirect_uris",
        "simulated_clock",
        "data_key",
        "smtp_url",
        "redis_url",
        "test_postgres_url",
        "metrics_token",
    }
