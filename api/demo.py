"""``accord demo seed``: idempotent demo data for exploring every capability in GraphiQL.

Everything is made through the same service functions the API uses. Every demo user is marked
``demo``: its password is published in the README, so production refuses to start while any
exists (api/settings.py).
"""

import contextlib
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api import demo_billing, demo_enforcement, demo_invoices, demo_notices
from api.settings import Settings
from auth.passwords import hash_password
from auth.secrets import digest, new_secret
from models import (
    Account,
    App,
    DeliveryState,
    HolderType,
    PrincipalKind,
    TopUpMethod,
    User,
    WebhookDelivery,
    WebhookEndpoint,
)
from services import staff
from services.accounts import cases, personal_data, profile, real_name, service, validation
from services.apps import service as apps
from services.audit import Actor
from services.billing import usage
from services.clock import Clock, SystemClock, bind_clock, local_date
from services.errors import CalendarUnknown
from services.ledger import online, topups
from services.mail import Mailer, mailer_for
from services.webhooks import delivery as webhook_delivery
from services.webhooks import endpoints as webhook_endpoints

DEMO_PASSWORD = "accord-demo-2026"  # noqa: S105 - published in the README on purpose

STAFF = {
    "admin@accord.demo": ["ADMIN"],
    "finance@accord.demo": ["FINANCE"],
    "compliance@accord.demo": ["COMPLIANCE"],
    "support@accord.demo": ["SUPPORT"],
}


@dataclass(frozen=True)
class DemoAccount:
    login: str
    holder_type: HolderType
    name: str
    contact: str
    real_name: str  # the state to reach: UNVERIFIED, PENDING, VERIFIED or REJECTED
    number_base: str  # the first 17 characters; the check character is computed


ACCOUNTS = [
    DemoAccount(
        "holder@shenzhen-rtc.demo",
        HolderType.ENTERPRISE,
        "深圳示例音视频科技有限公司",
        "李华",
        "VERIFIED",
        "91440300MA5FXK1R3",
    ),
    DemoAccount(
        "holder@hangzhou-edu.demo",
        HolderType.ENTERPRISE,
        "杭州示例在线教育有限公司",
        "陈静",
        "PENDING",
        "91330100MA2B7Q8W6",
    ),
    DemoAccount(
        "holder@chengdu-game.demo",
        HolderType.ENTERPRISE,
        "成都示例互娱网络有限公司",
        "刘洋",
        "REJECTED",
        "91510100MA6C9D2P1",
    ),
    DemoAccount(
        "holder@wuhan-social.demo",
        HolderType.ENTERPRISE,
        "武汉示例社交科技有限公司",
        "赵敏",
        "UNVERIFIED",
        "91420100MA4K3L7N2",
    ),
    DemoAccount("wang.fang@individual.demo", HolderType.INDIVIDUAL, "王芳", "王芳", "VERIFIED", "11010519900307002"),
    DemoAccount("zhang.wei@individual.demo", HolderType.INDIVIDUAL, "张伟", "张伟", "PENDING", "31011519850612003"),
    DemoAccount("li.na@individual.demo", HolderType.INDIVIDUAL, "李娜", "李娜", "REJECTED", "44030519921120004"),
    DemoAccount("sun.li@individual.demo", HolderType.INDIVIDUAL, "孙丽", "孙丽", "UNVERIFIED", "51010719880815005"),
]

SEEDER = Actor.operator("demo-seed")


def subject_number(spec: DemoAccount) -> str:
    check = (
        validation.uscc_check_char(spec.number_base)
        if spec.holder_type == HolderType.ENTERPRISE
        else validation.resident_id_check_char(spec.number_base)
    )
    return spec.number_base + check


async def seed(
    session: AsyncSession, *, clock: Clock | None = None, data_key: bytes | None = None, mailer: Mailer | None = None
) -> int:
    """Create what is missing; return how many accounts and staff users were created."""
    clock = clock or SystemClock()
    bind_clock(session, clock)
    mailer = mailer or mailer_for(None, Path(Settings().outbox_dir))
    made: dict[str, Account] = {}
    live: App | None = None
    key = data_key or await personal_data.development_key(session)
    password_hash = hash_password(DEMO_PASSWORD)
    created = 0
    for login, roles in STAFF.items():
        if not await staff.login_taken(session, login):
            await staff.create_staff(session, login=login, password_hash=password_hash, roles=roles, demo=True)
            created += 1
    for spec in ACCOUNTS:
        if await staff.login_taken(session, spec.login):
            continue
        account = made[spec.login] = await _account(session, spec, password_hash, key, clock)
        if spec.login == "holder@shenzhen-rtc.demo":
            live = await _enterprise_extras(session, account, password_hash, clock)
        if spec.login == "wang.fang@individual.demo":
            await cases.report_compromise(
                session,
                account=account,
                what=["PASSWORD"],
                description="疑似在公共电脑上泄露了登录密码",
                evidence=None,
                requested_actions=None,
                actor=f"user:{spec.login}",
                now=clock.now(),
            )
        if spec.login == "holder@chengdu-game.demo":
            await cases.open_dispute(
                session,
                account=account,
                complaint="前员工声称此账号归其个人所有",
                freeze=False,
                actor="staff:compliance@accord.demo",
                now=clock.now(),
            )
        created += 1
    await demo_enforcement.seed_standings(session, made, clock=clock)
    shenzhen, wang = made.get("holder@shenzhen-rtc.demo"), made.get("wang.fang@individual.demo")
    if shenzhen is not None and wang is not None and live is not None:
        # Billing needs the working days of the last two months; without them (T-3) the demo
        # has no bills rather than guessed deadlines.
        with contextlib.suppress(CalendarUnknown):
            async with session.begin_nested():
                await demo_billing.seed_bills(
                    session, shenzhen=shenzhen, live=live, wang=wang, clock=clock, mailer=mailer
                )
        # Issue 13: an invoice in each state, of the settled consumption the bills left.
        async with session.begin_nested():
            await demo_invoices.seed_invoices(
                session,
                shenzhen=shenzhen,
                actor=Actor(kind=PrincipalKind.HOLDER, principal=demo_invoices.HOLDER, account_id=shenzhen.id),
                clock=clock,
            )
        # Issue 12: a letter deemed delivered after the National Day break, a deadline whose
        # explanation skips it, an outage and a maintenance announcement.
        with contextlib.suppress(CalendarUnknown):
            async with session.begin_nested():
                await demo_notices.seed_notices(
                    session, shenzhen=shenzhen, live=live, wang=wang, clock=clock, mailer=mailer
                )
        await _webhook_endpoint(session, shenzhen, key, clock)
    await session.execute(update(User).where(User.login.in_(_demo_logins())).values(demo=True))
    return created


async def _webhook_endpoint(session: AsyncSession, account: Account, key: bytes, clock: Clock) -> None:
    """Issue 14: an endpoint that has received the account's events so far (its log shows them
    DELIVERED), the latest one still being retried after a 503. The host does not exist, so
    the running sweep's further attempts fail until the endpoint is disabled after 3 days."""
    now = clock.now()
    endpoint = WebhookEndpoint(
        account_id=account.id,
        url="https://hooks.shenzhen-rtc.demo/accord/events",
        events=[],
        secret_encrypted=personal_data.encrypt(key, webhook_endpoints.new_secret()),
        created_by="user:holder@shenzhen-rtc.demo",
        created_at=now - timedelta(days=120),
    )
    session.add(endpoint)
    await session.flush()
    await webhook_delivery.fan_out(session, now=now)
    rows = (
        (
            await session.execute(
                select(WebhookDelivery)
                .where(WebhookDelivery.endpoint_id == endpoint.id)
                .order_by(WebhookDelivery.event_id)
            )
        )
        .scalars()
        .all()
    )
    for n, row in enumerate(rows):
        row.attempts, row.last_attempt_at = 1, now
        if n < len(rows) - 1:
            row.state, row.last_status_code, row.delivered_at, row.next_attempt_at = (
                DeliveryState.DELIVERED,
                200,
                now,
                None,
            )
        else:
            row.attempts, row.last_status_code, row.last_error = 2, 503, "answered 503"
            row.next_attempt_at = now + webhook_delivery.backoff(2)
    await session.flush()


async def _money_and_usage(session: AsyncSession, account: Account, live: App, clock: Clock) -> None:
    """PRE-2: an online top-up the payment gateway confirmed and a bank transfer waiting for
    FINANCE; BIL-1 / APP-3: a few days of metered usage, one report outside the AppID's scope
    (it opened an AUTOMATIC case)."""
    now = clock.now()
    paid = await topups.top_up(
        session,
        account=account,
        amount=Decimal("20000.00"),
        method=TopUpMethod.ONLINE,
        reference="支付宝 2026-demo-0001",
        idempotency_key="demo-online-1",
        now=now,
    )
    await online.confirm_online_payment(
        session,
        top_up_id=paid.top_up.id,
        provider_transaction_id="alipay-2026-demo-0001",
        amount=Decimal("20000.00"),
        paid_at=now,
        confirmed_by="client:demo-payments",
        now=now,
    )
    await topups.top_up(
        session,
        account=account,
        amount=Decimal("50000.00"),
        method=TopUpMethod.BANK_TRANSFER,
        reference="招商银行电汇 2026-demo-0002",
        idempotency_key="demo-transfer-1",
        now=now,
    )
    for day, reports in _DEMO_USAGE.items():
        for product, quantity, terminal, scenario in reports:
            await usage.report_usage(
                session,
                app=live,
                product=product,
                quantity=quantity,
                terminal=terminal,
                scenario=scenario,
                occurred_at=now - timedelta(days=day),
                idempotency_key=f"demo-usage-{day}-{product}",
                reported_by="client:demo-metering",
                now=now,
            )


# Three days of usage of the live-streaming app; on the third, web/education traffic that the
# app never declared (APP-3).
_DEMO_USAGE = {
    day: [
        ("RTC_VIDEO_HD_MINUTES", Decimal("431.25"), "IOS", "LIVE_STREAMING"),
        ("RTC_AUDIO_MINUTES", Decimal("96.5"), "ANDROID", "LIVE_STREAMING"),
    ]
    + ([("BANDWIDTH_GB", Decimal("1280.125"), "WEB", "EDUCATION")] if day == 3 else [])
    for day in (1, 2, 3)
}


def _demo_logins() -> list[str]:
    return [
        *STAFF,
        *(a.login for a in ACCOUNTS),
        "ops@shenzhen-rtc.demo",
        "billing@shenzhen-rtc.demo",
        "intern@shenzhen-rtc.demo",
    ]


async def _account(session: AsyncSession, spec: DemoAccount, password_hash: str, key: bytes, clock: Clock) -> Account:
    slug = spec.login.split("@")[1].split(".")[0]
    registration = await profile.register_account(
        session,
        new=profile.NewAccount(
            holder_type=spec.holder_type,
            login=spec.login,
            password_hash=password_hash,
            name=spec.name,
            contact_person=spec.contact,
            email=f"billing@{slug}.demo.cn",
            phone="13800138000",
            address="广东省深圳市南山区科技园一路1号",
        ),
        now=clock.now(),
    )
    account = registration.account
    account.demo = True
    if spec.real_name == "UNVERIFIED":
        return account
    await real_name.submit(
        session,
        account=account,
        subject_type=spec.holder_type,
        subject_name=spec.name,
        subject_number=subject_number(spec),
        data_key=key,
        now=clock.now(),
    )
    if spec.real_name != "PENDING":
        approve = spec.real_name == "VERIFIED"
        await real_name.review(
            session,
            account=account,
            approve=approve,
            reason=None if approve else "营业执照/身份证照片不清晰",
            reviewer="staff:compliance@accord.demo",
            now=clock.now(),
        )
    return account


async def _enterprise_extras(session: AsyncSession, account: Account, password_hash: str, clock: Clock) -> App:
    """Sub-accounts, apps, a pending scope extension and brand-use request, profile changes."""
    for login, permissions in (
        ("ops@shenzhen-rtc.demo", ["account:read", "apps:read", "apps:write"]),
        ("billing@shenzhen-rtc.demo", ["billing:read", "billing:topup", "bills:confirm", "invoices:read"]),
        ("intern@shenzhen-rtc.demo", ["apps:read"]),
    ):
        user = await service.create_sub_account(
            session, account_id=account.id, login=login, password_hash=password_hash, permissions=permissions
        )
        if login.startswith("intern"):
            await service.disable_sub_account(session, account_id=account.id, user_id=user.id, now=clock.now())
    live = await apps.create_app(
        session,
        account=account,
        name="秀场直播",
        terminals=["IOS", "ANDROID"],
        scenarios=["LIVE_STREAMING"],
        secret_digest=digest(new_secret()),
    )
    await apps.create_app(
        session,
        account=account,
        name="1对1 视频客服",
        terminals=["WEB", "MINI_PROGRAM"],
        scenarios=["VIDEO_CALL"],
        secret_digest=digest(new_secret()),
    )
    await apps.request_scope_extension(
        session,
        app=live,
        terminals=["WEB"],
        scenarios=["EDUCATION"],
        reason="网页端直播课程",
    )
    await apps.request_brand_use(session, account=account, material="展会海报.pdf", description="2026 深圳展会宣传物料")
    await _money_and_usage(session, account, live, clock)
    # ACC-2: one change reported long after it happened (late), one reported the same day.
    now = clock.now()
    for changes, effective_on in (
        ({"address": "深圳市南山区粤海街道2号"}, date(2026, 1, 5)),
        ({"email": "finance@shenzhen-rtc.demo.cn"}, local_date(now)),
    ):
        # A deadline that runs into a year nobody loaded yet skips that change (it checks first,
        # writes after); the other change still shows.
        with contextlib.suppress(CalendarUnknown):
            await profile.update_profile(
                session, account=account, changes=changes, effective_on=effective_on, now=now, actor=SEEDER
            )
    return live
