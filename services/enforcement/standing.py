"""ENF-5 / ENF-6: the standing of an account and of each AppID, derived from the measures in
force. ``accounts.standing`` and ``apps.standing`` keep the result beside the rows that cause
it (they are what the bearer-token check, the metering client and every reader see), and are
rewritten here, in the transaction that applies or lifts a measure, and nowhere else.

- TERMINATE (or a termination that took effect): the account and every AppID TERMINATED; final.
- FREEZE_ACCOUNT: the account FROZEN (its principals read, never change); AppIDs keep running.
- SUSPEND: the named AppIDs SUSPENDED and the account RESTRICTED; without AppIDs, the account
  and every AppID SUSPENDED.
- RESTRICT: the named AppIDs RESTRICTED; the account RESTRICTED.
- REQUIRE_CONTENT_CHANGE, FORFEIT_PREPAYMENT, OTHER_LIABILITY change no standing.
"""

import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Account, App, Measure, MeasureKind, Standing

RANK = [Standing.NORMAL, Standing.RESTRICTED, Standing.SUSPENDED, Standing.FROZEN, Standing.TERMINATED]


def worst(*standings: Standing) -> Standing:
    return max(standings, key=RANK.index, default=Standing.NORMAL)


def derive(
    *, terminated: bool, in_force: Iterable[Measure], app_ids: Sequence[uuid.UUID]
) -> tuple[Standing, dict[uuid.UUID, Standing]]:
    """(the account's standing, each AppID's) from the measures in force."""
    if terminated:
        return Standing.TERMINATED, dict.fromkeys(app_ids, Standing.TERMINATED)
    account = Standing.NORMAL
    apps = dict.fromkeys(app_ids, Standing.NORMAL)
    for measure in in_force:
        named = [uuid.UUID(a) for a in measure.app_ids]
        match measure.kind:
            case MeasureKind.TERMINATE:
                return derive(terminated=True, in_force=(), app_ids=app_ids)
            case MeasureKind.FREEZE_ACCOUNT:
                account = worst(account, Standing.FROZEN)
            case MeasureKind.SUSPEND | MeasureKind.RESTRICT:
                level = Standing.SUSPENDED if measure.kind == MeasureKind.SUSPEND else Standing.RESTRICTED
                account = worst(account, level if not named else Standing.RESTRICTED)
                for app in named or app_ids:
                    if app in apps:
                        apps[app] = worst(apps[app], level)
    return account, apps


async def in_force(session: AsyncSession, account_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Measure]]:
    found: dict[uuid.UUID, list[Measure]] = {key: [] for key in account_ids}
    query = select(Measure).where(Measure.account_id.in_(account_ids), Measure.lifted_at.is_(None)).order_by(Measure.id)
    for measure in (await session.execute(query)).scalars():
        found[measure.account_id].append(measure)
    return found


async def refresh(session: AsyncSession, account: Account) -> Standing:
    """Rewrite the stored standing of ``account`` and its AppIDs from the measures in force."""
    apps = list((await session.execute(select(App).where(App.account_id == account.id))).scalars())
    measures = (await in_force(session, [account.id]))[account.id]
    standing, of_apps = derive(
        terminated=account.standing == Standing.TERMINATED, in_force=measures, app_ids=[a.id for a in apps]
    )
    account.standing = standing
    for app in apps:
        app.standing = of_apps[app.id]
    await session.flush()
    return standing
