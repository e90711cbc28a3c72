"""The demo seed has an account in each standing (issue 12), reached through cases, delivered
notices and measures, and seeding again changes nothing."""

from sqlalchemy import func, select

from api import demo
from models import Account, Measure, Standing


async def test_enf6_the_demo_has_an_account_in_each_standing(session, clock) -> None:
    await demo.seed(session, clock=clock)
    await session.commit()
    standings = dict((await session.execute(select(Account.name, Account.standing))).all())
    assert set(standings.values()) == set(Standing)
    assert standings["孙丽"] == Standing.TERMINATED and standings["武汉示例社交科技有限公司"] == Standing.FROZEN
    measures = await session.scalar(select(func.count()).select_from(Measure))
    await demo.seed(session, clock=clock)
    await session.commit()
    assert await session.scalar(select(func.count()).select_from(Measure)) == measures == 4
