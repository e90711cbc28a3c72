"""``accord demo seed``: idempotent demo data for exploring every capability that exists.

Every demo user is marked ``demo``: its password is published in the README, so production
refuses to start while any exists (api/settings.py).
"""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.passwords import hash_password
from models import Account, HolderType, User, UserKind
from services import staff

DEMO_PASSWORD = "accord-demo-2026"  # noqa: S105 - published in the README on purpose

STAFF = {
    "admin@accord.demo": ["ADMIN"],
    "finance@accord.demo": ["FINANCE"],
    "compliance@accord.demo": ["COMPLIANCE"],
    "support@accord.demo": ["SUPPORT"],
}

ACCOUNTS = [
    {
        "login": "holder@shenzhen-rtc.demo",
        "holder_type": HolderType.ENTERPRISE,
        "name": "深圳示例音视频科技有限公司",
        "contact_person": "李华",
        "email": "billing@shenzhen-rtc.demo",
        "phone": "13800138000",
        "address": "广东省深圳市南山区科技园一路1号",
    },
    {
        "login": "wang.fang@individual.demo",
        "holder_type": HolderType.INDIVIDUAL,
        "name": "王芳",
        "contact_person": "王芳",
        "email": "wang.fang@individual.demo",
        "phone": "13912345678",
        "address": "北京市海淀区中关村大街27号",
    },
]


async def seed(session: AsyncSession) -> int:
    """Create what is missing; return how many records were created."""
    created = 0
    password_hash = hash_password(DEMO_PASSWORD)
    for login, roles in STAFF.items():
        if not await staff.login_taken(session, login):
            await staff.create_staff(session, login=login, password_hash=password_hash, roles=roles, demo=True)
            created += 1
    for spec in ACCOUNTS:
        spec = dict(spec)
        login = spec.pop("login")
        exists = await session.execute(select(User.id).where(User.login == login))
        if exists.first() is not None:
            continue
        account = Account(**spec, demo=True)
        session.add(account)
        await session.flush()
        session.add(
            User(account_id=account.id, kind=UserKind.HOLDER, login=login, password_hash=password_hash, demo=True)
        )
        await session.flush()
        created += 2
    return created
