"""The demo's enforcement (issue 12): an account in each standing, each reached the way staff
reach it: a case, a delivered notice of it (ENF-2), then the measure.

- 深圳 (holder@shenzhen-rtc.demo): NORMAL.
- 杭州 (holder@hangzhou-edu.demo): RESTRICTED: apps:write taken by a RESTRICT measure.
- 李娜 (li.na@individual.demo): SUSPENDED: every AppID suspended.
- 武汉 (holder@wuhan-social.demo): FROZEN, on a regulator's order (ENF-3).
- 孙丽 (sun.li@individual.demo): TERMINATED: an immediate ground (Art. 7.5, TRM-5).
"""

from sqlalchemy.ext.asyncio import AsyncSession

from models import Account, CaseSource, MeasureKind
from services import notices
from services.clock import Clock
from services.enforcement import cases, measures

COMPLIANCE = "staff:compliance@accord.demo"

STANDINGS = {
    "holder@hangzhou-edu.demo": (MeasureKind.RESTRICT, CaseSource.SELF_DISCOVERED, ["2.11"], ["apps:write"]),
    "li.na@individual.demo": (MeasureKind.SUSPEND, CaseSource.RIGHTS_HOLDER_COMPLAINT, ["2.13"], []),
    "holder@wuhan-social.demo": (MeasureKind.FREEZE_ACCOUNT, CaseSource.REGULATOR, ["3.4"], []),
    "sun.li@individual.demo": (MeasureKind.TERMINATE, CaseSource.SELF_DISCOVERED, ["7.5"], []),
}


async def seed_standings(session: AsyncSession, made: dict[str, Account], *, clock: Clock) -> None:
    now = clock.now()
    for login, (kind, source, clauses, capabilities) in STANDINGS.items():
        account = made.get(login)
        if account is None:
            continue  # seeded before: idempotent
        regulator = source == CaseSource.REGULATOR
        case = await cases.open_case(
            session,
            account=account,
            source=source,
            clauses=clauses,
            description=f"演示：{kind} 措施",
            admin_order_authority="武汉市网信办" if regulator else None,
            admin_order_number="武网信〔2026〕8号" if regulator else None,
            opened_by=COMPLIANCE,
            now=now,
        )
        notice = await notices.send_electronic(
            session,
            account_id=account.id,
            addressee=account.email,
            subject="处理措施通知",
            body=f"依据第 {', '.join(clauses)} 条，将对您的账户采取 {kind} 措施。",
            sent_by=COMPLIANCE,
            now=now,
        )
        notice.case_id = case.id
        await session.flush()
        await measures.apply_measure(
            session,
            measures.NewMeasure(
                case_id=case.id,
                kind=kind,
                notice_id=notice.id,
                reason=f"演示：{kind}",
                capabilities=capabilities,
            ),
            actor=COMPLIANCE,
            now=now,
        )
