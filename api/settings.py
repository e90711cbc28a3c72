"""Settings from the environment, exactly as CONTRACT.md lists them."""

import ipaddress
from enum import StrEnum
from functools import cached_property

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# A request may not outlive the sweep's grace after a dispute deadline (BIL-5), with room left
# for a statement that finishes after its request was cancelled (api/db.py LOCK_TIMEOUT_SECONDS).
MAX_REQUEST_TIMEOUT_SECONDS = 60
# Twenty operations at the per-operation maximum (50,000) a minute; a console's own queries
# cost tens to a few thousand each, so people and the test suite never come near it.
DEFAULT_COST_BUDGET = 1_000_000


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ACCORD_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./accord.db"
    env: Environment = Environment.DEVELOPMENT
    issuer: str = "http://127.0.0.1:8000"
    console_redirect_uris: str = "http://127.0.0.1:8000/graphql/callback,http://localhost:5173/callback"
    simulated_clock: bool = False
    data_key: str | None = None
    smtp_url: str | None = None
    outbox_dir: str = "outbox"  # where development mail goes while smtp_url is unset
    redis_url: str | None = None
    # A live subscriber re-reads the outbox at least this often without a wake-up (api/live.py).
    live_idle_seconds: float = 5
    # Bearer token that /metrics requires; unset, /metrics is open (development only).
    metrics_token: str | None = None
    # The deadline sweep inside `accord serve` (0: off, e.g. when `accord jobs run` does it).
    sweep_seconds: float = 60
    # Every request's deadline: past it the work is cancelled and the answer is 504.
    request_timeout_seconds: float = 30
    test_postgres_url: str | None = None
    # Query cost (schema/abuse.py) each principal may spend per minute, across all processes.
    cost_budget_per_minute: int = DEFAULT_COST_BUDGET
    # Proxies whose X-Forwarded-For is believed (comma-separated addresses or networks).
    forwarded_allow_ips: str = ""

    @field_validator("simulated_clock", mode="before")
    @classmethod
    def _blank_is_off(cls, value: object) -> object:
        return False if value in ("", None) else value

    @field_validator("request_timeout_seconds")
    @classmethod
    def _request_deadline(cls, value: float) -> float:
        # BIL-5: the sweep waits this long after a bill's dispute deadline, so that every request
        # received before it has finished (services/billing/bills.py RECEIPT_GRACE).
        if not 0 < value <= MAX_REQUEST_TIMEOUT_SECONDS:
            raise ValueError(
                f"ACCORD_REQUEST_TIMEOUT_SECONDS must be more than 0 and at most {MAX_REQUEST_TIMEOUT_SECONDS}"
            )
        return value

    @field_validator("cost_budget_per_minute")
    @classmethod
    def _budget(cls, value: int) -> int:
        if value < 1:
            raise ValueError("ACCORD_COST_BUDGET_PER_MINUTE must be at least 1")
        return value

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _addresses(cls, value: str) -> str:
        for entry in _entries(value):
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"ACCORD_FORWARDED_ALLOW_IPS: {entry!r} is not an IP address or network") from None
        return value

    @cached_property
    def forwarded_proxies(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        return tuple(ipaddress.ip_network(entry, strict=False) for entry in _entries(self.forwarded_allow_ips))

    @cached_property
    def redirect_uris(self) -> list[str]:
        return [u.strip() for u in self.console_redirect_uris.split(",") if u.strip()]

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _entries(value: str) -> list[str]:
    return [entry.strip() for entry in value.split(",") if entry.strip()]


class ProductionRefused(RuntimeError):
    """Raised at start-up when ACCORD_ENV=production meets a development-only setting."""


def production_problems(settings: Settings, *, demo_logins: list[str], signing_key_generated: bool | None) -> list[str]:
    """Why production must not start with these settings (empty: fine).

    ``demo_logins`` are users that ``accord demo seed`` created with published passwords;
    ``signing_key_generated`` is None without a signing key, True when the server made the
    current one by itself (development), False for one made by `accord keys rotate`.
    """
    if settings.env is not Environment.PRODUCTION:
        return []
    problems = []
    if demo_logins:
        shown = ", ".join(sorted(demo_logins)[:5])
        problems.append(f"demo credentials present in the database ({shown}); remove them")
    if settings.simulated_clock:
        problems.append("ACCORD_SIMULATED_CLOCK is on; production runs on the real clock")
    if not settings.data_key:
        problems.append("ACCORD_DATA_KEY is unset; a generated data key is for development only")
    if not settings.smtp_url:
        problems.append("ACCORD_SMTP_URL is unset; notices would only reach the local outbox")
    if not settings.metrics_token:
        problems.append("ACCORD_METRICS_TOKEN is unset; /metrics would be open to anyone")
    if signing_key_generated is None:
        problems.append("no token signing key: run `accord keys rotate`")
    elif signing_key_generated:
        problems.append("the token signing key was generated automatically; run `accord keys rotate`")
    if not settings.issuer.startswith("https://"):
        problems.append("ACCORD_ISSUER must be an https URL in production")
    return problems
