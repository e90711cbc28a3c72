"""TRM-1 to TRM-8, ACC-7: requestTermination's grounds need their facts (GROUND_NOT_MET), count
their notice periods in the rule's days (across National Day 2026 and its adjusted Saturday),
and the sweep ends the agreement on the stored effective date."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from models import AccountEvent, ForceMajeureEvent, Outage
from tests.accounts.helpers import errors, verify
from tests.accounts.queries import CREATE_APP, TERMINATE
from tests.billing.helpers import sweep
from tests.conftest import gql
from tests.enforcement.helpers import PROFILE_CHANGE, UPDATE_PROFILE, status_of
from tests.snapshots import state


def ground(name: str, **extra) -> dict:
    return {"input": {"ground": name, "reason": "终止合作"} | extra}


async def scheduled(session, account_key) -> list[dict]:
    rows = await session.execute(
        select(AccountEvent.data).where(
            AccountEvent.account_id == account_key, AccountEvent.type == "termination.scheduled"
        )
    )
    return list(rows.scalars())


async def test_trm2_service_failure_needs_an_outage_longer_than_5_days(client, principals, session, clock) -> None:
    now = clock.now()
    session.add(
        Outage(
            started_at=now - timedelta(days=20),
            ended_at=now - timedelta(days=15),
            description="5 × 24 h exactly",
            recorded_by="staff:a",
        )
    )
    await session.commit()
    before = await state(session)
    refused = await gql(client, TERMINATE, ground("SERVICE_FAILURE"), headers=principals.holder_a.headers)
    assert errors(refused)[0]["code"] == "GROUND_NOT_MET"
    assert await state(session) == before
    session.add(Outage(started_at=now - timedelta(days=5, seconds=1), description="still down", recorded_by="staff:a"))
    await session.commit()
    accepted = await gql(client, TERMINATE, ground("SERVICE_FAILURE"), headers=principals.holder_a.headers)
    # 5 working days after Wed 30 Sep 2026: 8, 9, 10 (the adjusted Saturday), 12, 13 October.
    assert accepted["data"]["requestTermination"] == {"effectiveOn": "2026-10-13", "late": False, "userErrors": []}
    assert await scheduled(session, principals.account_a.id) == [
        {"effectiveOn": "2026-10-13", "ground": "SERVICE_FAILURE", "late": False}
    ]


async def test_trm7_force_majeure_lasting_more_than_a_month_ends_the_agreement_at_once(
    client, principals, session, clock
) -> None:
    now = clock.now()  # 30 Sep 2026 10:00 in Shanghai
    session.add(
        ForceMajeureEvent(
            kind="FLOOD",
            started_at=datetime(2026, 8, 30, 2, 0, tzinfo=UTC),  # exactly one month before now
            description="洪水",
            recorded_by="staff:a",
        )
    )
    await session.commit()
    refused = await gql(client, TERMINATE, ground("FORCE_MAJEURE"), headers=principals.holder_a.headers)
    assert errors(refused)[0]["code"] == "GROUND_NOT_MET"
    session.add(
        ForceMajeureEvent(
            kind="EPIDEMIC",
            started_at=datetime(2026, 7, 1, tzinfo=UTC),
            ended_at=now - timedelta(days=1),
            description="疫情",
            recorded_by="staff:a",
        )
    )
    await session.commit()
    accepted = await gql(client, TERMINATE, ground("FORCE_MAJEURE"), headers=principals.holder_a.headers)
    assert accepted["data"]["requestTermination"]["effectiveOn"] == "2026-09-30"
    assert (await status_of(client, principals.holder_a.headers))["standing"] == "TERMINATED"


async def test_trm1_the_sweep_ends_the_agreement_on_its_effective_date(client, principals, session, clock) -> None:
    await verify(client, principals)
    app = await gql(
        client,
        CREATE_APP,
        {"input": {"name": "直播", "terminals": ["IOS"], "scenarios": ["LIVE_STREAMING"]}},
        headers=principals.holder_a.headers,
    )
    assert errors(app) == []
    body = await gql(client, TERMINATE, ground("CONVENIENCE"), headers=principals.holder_a.headers)
    assert body["data"]["requestTermination"]["effectiveOn"] == "2026-10-30"  # TRM-1: + 30 calendar days
    assert await scheduled(session, principals.account_a.id) == [
        {"effectiveOn": "2026-10-30", "ground": "CONVENIENCE", "late": False}
    ]
    clock.set(datetime(2026, 10, 29, 15, 59, tzinfo=UTC))  # 23:59 on 29 October in Shanghai
    await principals.relogin()
    assert (await sweep(client, principals))["apply_terminations"] == 0
    assert (await status_of(client, principals.holder_a.headers))["standing"] == "NORMAL"
    clock.set(datetime(2026, 10, 29, 16, 0, tzinfo=UTC))  # midnight: 30 October
    await principals.relogin()
    assert (await sweep(client, principals))["apply_terminations"] == 1
    status = await status_of(client, principals.holder_a.headers)
    assert status["standing"] == "TERMINATED" and [a["standing"] for a in status["apps"]] == ["TERMINATED"]
    assert (await sweep(client, principals))["apply_terminations"] == 0  # idempotent
    refused = await gql(client, UPDATE_PROFILE, PROFILE_CHANGE, headers=principals.holder_a.headers)
    assert errors(refused)[0]["code"] == "INVALID_STATE"


async def test_acc7_dissolution_takes_effect_on_the_dissolution_date(client, principals, clock) -> None:
    body = await gql(
        client, TERMINATE, ground("DISSOLUTION", dissolutionDate="2026-10-09"), headers=principals.holder_a.headers
    )
    # 5 working days after 30 Sep end on 13 Oct: a 9 Oct dissolution is filed late, and accepted.
    assert body["data"]["requestTermination"] == {"effectiveOn": "2026-10-09", "late": True, "userErrors": []}
    clock.set(datetime(2026, 10, 8, 16, 0, tzinfo=UTC))
    await principals.relogin()
    assert (await sweep(client, principals))["apply_terminations"] == 1
    assert (await status_of(client, principals.holder_a.headers))["standing"] == "TERMINATED"


async def test_trm3_reputation_counts_10_working_days(client, principals) -> None:
    body = await gql(client, TERMINATE, ground("REPUTATION"), headers=principals.holder_a.headers)
    assert body["data"]["requestTermination"]["effectiveOn"] == "2026-10-20"


async def test_trm8_pre3_the_agreement_end_is_the_first_termination_on_file(client, principals, session, clock) -> None:
    from services.enforcement import termination
    from tests.enforcement.helpers import measure_on_a

    assert await termination.agreement_end(session, principals.account_a.id) is None
    await session.rollback()  # a fresh snapshot for what the app writes next
    await gql(client, TERMINATE, ground("CONVENIENCE"), headers=principals.holder_a.headers)
    assert str(await termination.agreement_end(session, principals.account_a.id)) == "2026-10-30"
    await session.rollback()
    ended = await measure_on_a(client, principals, session, clock, "TERMINATE", case={"clauses": ["7.5"]})
    assert ended["userErrors"] == []
    assert str(await termination.agreement_end(session, principals.account_a.id)) == "2026-09-30"
