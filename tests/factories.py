"""What tests start from, in one place (as Polar's tests/fixtures/random_objects.py): keyword
arguments say what matters to the test, and everything else gets a plain default.

Rows a test may simply have (accounts, users, apps, metered usage, a queued email) go straight
into the test database. States the app itself must reach (a pending or credited top-up, a
delivered bill) are reached through the real API, so a test starts where a customer would."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from auth.passwords import hash_password
from models import Account, App, HolderType, Notice, RealNameState, UsageRecord, User, UserKind
from services.ledger import online, topups
from services.money import quantity_to_micros
from services.notices import email_row
from tests.billing.helpers import bills_of, run_month, sweep
from tests.conftest import gql
from tests.ledger.helpers import CONFIRM_ONLINE, TOP_UP_ONLINE, payment

PASSWORD = "test-password-1234"
# Hashed once: argon2 is slow on purpose, and every test user shares the password.
PASSWORD_HASH = hash_password(PASSWORD)
AUGUST_10 = datetime(2026, 8, 10, tzinfo=UTC)


@dataclass
class Who:
    """A user a test made: its login, and its access token once it has logged in."""

    login: str
    user_id: uuid.UUID
    account_id: uuid.UUID | None
    token: str = ""

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass(frozen=True)
class AccountRef:
    """An account's key, safe to use after the test session expired its ORM objects."""

    id: uuid.UUID


async def make_account(
    session: AsyncSession,
    *,
    name: str = "甲公司",
    holder_type: HolderType = HolderType.ENTERPRISE,
    email: str | None = None,
    real_name_state: RealNameState = RealNameState.UNVERIFIED,
) -> Account:
    """An account straight in the database (flushed, not committed). Registration through the
    API is tested in tests/accounts."""
    account = Account(
        holder_type=holder_type,
        name=name,
        contact_person="张三",
        email=email or f"{uuid.uuid4().hex[:8]}@example.cn",
        phone="13800138000",
        address="深圳市南山区",
        real_name_state=real_name_state,
    )
    session.add(account)
    await session.flush()
    return account


async def make_user(
    session: AsyncSession,
    kind: UserKind,
    *,
    account: Account | AccountRef | None = None,
    roles: list[str] | None = None,
    permissions: list[str] | None = None,
) -> Who:
    """A user with the test password (flushed, not committed); log in with tests.principals.token_for."""
    login = f"{kind.value.lower()}-{uuid.uuid4().hex[:8]}@test"
    user = User(
        account_id=account.id if account else None,
        kind=kind,
        login=login,
        password_hash=PASSWORD_HASH,
        staff_roles=roles or [],
        permissions=permissions or [],
    )
    session.add(user)
    await session.flush()
    return Who(login=login, user_id=user.id, account_id=user.account_id)


async def make_app(session: AsyncSession, *, account_id: uuid.UUID) -> App:
    app = App(
        account_id=account_id,
        app_id=uuid.uuid4().hex,
        name="直播",
        terminals=["IOS"],
        scenarios=["LIVE_STREAMING"],
        secret_digest="0" * 64,
    )
    session.add(app)
    await session.flush()
    return app


async def add_usage(
    session: AsyncSession, app: App, *, product: str, quantity: str, at: datetime, commit: bool = True
) -> None:
    """What reportUsage stores (tested through the API in tests/billing/test_usage.py)."""
    session.add(
        UsageRecord(
            account_id=app.account_id,
            app_id=app.id,
            product_code=product,
            quantity_micros=quantity_to_micros(Decimal(quantity)),
            terminal="IOS",
            scenario="LIVE_STREAMING",
            occurred_at=at,
            idempotency_key=uuid.uuid4().hex,
            content_digest="0" * 64,
            within_scope=True,
            reported_by="test:metering",
            reported_at=at,
        )
    )
    if commit:
        await session.commit()


async def queued_email(session: AsyncSession, *, subject: str = "维护通知", account: Account | None = None) -> Account:
    """An account (made when not given) and one email for it waiting in the outbox."""
    if account is None:
        account = await make_account(session, name="甲", email="ops@jia.cn")
    row = email_row(account_id=account.id, email=account.email, subject=subject, body="b", now=datetime.now(UTC))
    session.add(Notice(**row))
    await session.commit()
    return account


async def requested_online_top_up(client: httpx.AsyncClient, who: Who, *, amount: str, key: str) -> str:
    """An ONLINE topUp as the customer asks for it (PRE-2: pending); its global id."""
    input = {"amount": amount, "method": "ONLINE", "reference": f"ref-{key}", "idempotencyKey": key}
    body = await gql(client, TOP_UP_ONLINE, {"input": input}, headers=who.headers)
    assert body["data"]["topUp"]["userErrors"] == [] and body["data"]["topUp"]["pending"] is True, body
    return body["data"]["topUp"]["topUpId"]


async def credited_online_top_up(client, principals, *, amount: str, key: str, holder: Who | None = None) -> dict:
    """An ONLINE top-up the holder (A's unless given) asked for and the money confirmed (FINANCE
    reconciling): ``amount`` is credited, and whatever is owed is paid from it. The ledger entry."""
    top_up_id = await requested_online_top_up(client, holder or principals.holder_a, amount=amount, key=key)
    body = await gql(
        client, CONFIRM_ONLINE, payment(top_up_id, amount, f"txn-{key}"), headers=principals.staff["FINANCE"].headers
    )
    assert body["data"]["confirmOnlinePayment"]["userErrors"] == [], body
    return body["data"]["confirmOnlinePayment"]["entry"]


async def credit_online(session: AsyncSession, *, account: Account, amount: Decimal, key: str, now: datetime) -> None:
    """The same through the services, for tests that drive them directly."""
    asked = await topups.top_up(
        session, account=account, amount=amount, method="ONLINE", reference="r", idempotency_key=key, now=now
    )
    await online.confirm_online_payment(
        session,
        top_up_id=asked.top_up.id,
        provider_transaction_id=f"txn-{account.id}-{key}",
        amount=amount,
        paid_at=now,
        confirmed_by="test:payments",
        now=now,
    )


async def delivered_bill(client, principals, session, *, support_months: str, holder: Who | None = None) -> dict:
    """The holder's (A's unless given) bill for August 2026 of ``support_months`` ×
    TECH_SUPPORT_MONTH (2000.00 each), issued and delivered at the test clock's now."""
    holder = holder or principals.holder_a
    app = await make_app(session, account_id=holder.account_id)
    await add_usage(session, app, product="TECH_SUPPORT_MONTH", quantity=support_months, at=AUGUST_10)
    await run_month(client, principals)
    await sweep(client, principals)
    (bill,) = await bills_of(client, holder)
    return bill
