"""ENF-6: enforcementStatus for the holder (own account) and staff (any, audited), in a constant
number of SQL statements; and the next deadlines it will show (services/enforcement/deadlines)."""

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from auth.secrets import digest
from models import (
    App,
    AuditRecord,
    Bill,
    BillState,
    CaseSource,
    EnforcementCase,
    Ground,
    Measure,
    MeasureKind,
    Notice,
    NoticeChannel,
    NoticePurpose,
    TerminationRequest,
)
from services.calendar.deadline_spec import DayCount
from services.enforcement import deadlines
from tests.accounts.helpers import account_id
from tests.conftest import gql
from tests.enforcement.helpers import STATUS, delivered_notice, measure_on_a, open_case, status_of
from tests.test_query_counts import statements


async def test_enf6_holder_sees_their_own_and_staff_see_any_audited(client, principals, session, clock) -> None:
    assert (await measure_on_a(client, principals, session, clock, "OTHER_LIABILITY"))["userErrors"] == []
    own = await status_of(client, principals.holder_a.headers)
    assert own["standing"] == "NORMAL" and [m["kind"] for m in own["measures"]] == ["OTHER_LIABILITY"]
    assert [c["clauses"] for c in own["openCases"]] == [["3.4"]]
    assert await status_of(client, principals.holder_a.headers, principals.account_a) == own

    other = await gql(client, STATUS, {"id": account_id(principals.account_a)}, headers=principals.holder_b.headers)
    assert (
        not (other["data"] or {}).get("enforcementStatus") and other["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    )  # SEC-1
    sub = await gql(client, STATUS, {"id": None}, headers=principals.sub_a.headers)
    assert sub["errors"][0]["extensions"]["code"] == "INSUFFICIENT_PERMISSION"
    unnamed = await gql(client, STATUS, {"id": None}, headers=principals.staff["SUPPORT"].headers)
    assert unnamed["errors"][0]["extensions"]["code"] == "INVALID"

    assert await status_of(client, principals.staff["SUPPORT"].headers, principals.account_a) == own
    audited = await session.execute(
        select(AuditRecord.action, AuditRecord.target).where(AuditRecord.target.like("enforcement:%"))
    )
    assert audited.all() == [("account.read", f"enforcement:{principals.account_a.id}")]


async def add_enforcement(session, principals, n: int, at: datetime) -> None:
    account_key = principals.account_a.id
    for i in range(n):
        app = App(
            account_id=account_key,
            app_id=uuid.uuid4().hex,
            name=f"a{i}",
            terminals=["IOS"],
            scenarios=["GAMING"],
            secret_digest=digest("s"),
        )
        case = EnforcementCase(
            account_id=account_key,
            source=CaseSource.SELF_DISCOVERED,
            clauses=["3.4"],
            description="d",
            opened_by="s",
            opened_at=at,
        )
        session.add_all([app, case])
        await session.flush()
        notice = Notice(
            account_id=account_key,
            channel=NoticeChannel.ELECTRONIC,
            addressee="a",
            subject="s",
            body="b",
            sent_at=at,
            delivered_at=at,
            sent_by="s",
            case_id=case.id,
        )
        session.add(notice)
        await session.flush()
        session.add(
            Measure(
                account_id=account_key,
                case_id=case.id,
                notice_id=notice.id,
                kind=MeasureKind.SUSPEND,
                app_ids=[str(app.id)],
                reason="r",
                effective_at=at,
                applied_by="s",
            )
        )
    await session.commit()


async def test_enf6_the_status_costs_the_same_for_1_and_10_of_everything(
    app, client, principals, session, clock
) -> None:
    headers = principals.staff["COMPLIANCE"].headers
    await principals.login(principals.staff["COMPLIANCE"])
    counts = []
    for n in (1, 9):
        await add_enforcement(session, principals, n, clock.now())
        with statements(app) as seen:
            status = await status_of(client, headers, principals.account_a)
        counts.append(len(seen))
        assert len(status["apps"]) == len(status["measures"]) == len(status["openCases"])
    assert len(status["measures"]) == 10 and counts[0] == counts[1], counts


async def test_enf6_enf7_upcoming_deadlines(client, principals, session, clock) -> None:
    now = clock.now()
    account_key = principals.account_a.id
    breach_case = await open_case(client, principals, clauses=["2.13"])
    await delivered_notice(session, breach_case, account_key=account_key, at=now - timedelta(days=3))
    immediate = await open_case(client, principals, clauses=["7.5"])
    await delivered_notice(session, immediate, account_key=account_key, at=now)
    cured_long_ago = await open_case(client, principals, clauses=["2.12"])
    # Delivered 15 Sep: its 14th day (29 Sep, Asia/Shanghai) is over.
    await delivered_notice(session, cured_long_ago, account_key=account_key, at=now - timedelta(days=15))
    session.add(
        TerminationRequest(
            account_id=account_key,
            ground=Ground.REPUTATION,
            reason="r",
            effective_on=datetime(2026, 10, 20).date(),
            late=False,
            filed_by="h",
            filed_at=now,
        )
    )
    delivered = datetime(2026, 9, 29, 1, 0, tzinfo=UTC)
    issued = Bill(
        account_id=account_key,
        period=datetime(2026, 8, 1).date(),
        state=BillState.ISSUED,
        total_fen=100,
        issued_at=delivered,
        delivered_at=delivered,
        dispute_deadline=now + timedelta(days=9),
    )
    owing = Bill(
        account_id=account_key,
        period=datetime(2026, 7, 1).date(),
        state=BillState.SETTLED,
        total_fen=100,
        issued_at=delivered,
        settled_at=delivered,
        pay_by=now + timedelta(days=12),
    )
    session.add_all([issued, owing])
    await session.flush()
    session.add(
        Notice(
            account_id=account_key,
            channel=NoticeChannel.ELECTRONIC,
            addressee="a",
            subject="s",
            body="b",
            sent_at=delivered,
            delivered_at=delivered,
            sent_by="s",
            purpose=NoticePurpose.PAYMENT_DUE,
            bill_id=owing.id,
        )
    )
    await session.commit()

    found = await deadlines.upcoming(session, account_key, now)
    summary = sorted((d.rule, d.clause, d.counted, d.days, d.start, d.against_customer) for d in found)
    assert summary == [
        ("BIL-5", "4.4.3", DayCount.WORKING_DAYS, 2, delivered, True),
        ("ENF-7", "7.4", DayCount.CALENDAR_DAYS, 14, now - timedelta(days=3), True),  # not the 7.5 case
        ("PRE-4", "4.7.1", DayCount.WORKING_DAYS, 5, delivered, True),
        ("TRM-3", "7.3", DayCount.WORKING_DAYS, 10, now, False),
    ]
    # Once its 14 days have passed (delivered 27 Sep, the 14th day is 11 Oct), it is no longer upcoming.
    later = await deadlines.upcoming(session, account_key, now + timedelta(days=12))
    assert "ENF-7" not in {d.rule for d in later}


NEXT_DEADLINES = """
{ enforcementStatus { nextDeadlines { what rule clause from due counted days skipped adjustedWorkdays pausedBy } } }
"""


async def test_enf6_t4_next_deadlines_are_explained_for_the_holder(client, principals, session) -> None:
    """The holder's status lists the bill's dispute window explained: delivered on Tue 29 Sep
    2026 (09:00 Shanghai), 2 working days are Wed 30 Sep and Thu 8 Oct, past the National Day
    break (1-7 Oct, counted by hand)."""
    await principals.login(principals.holder_a)
    delivered = datetime(2026, 9, 29, 1, 0, tzinfo=UTC)
    session.add(
        Bill(
            account_id=principals.account_a.id,
            period=datetime(2026, 8, 1).date(),
            state=BillState.ISSUED,
            total_fen=100,
            issued_at=delivered,
            delivered_at=delivered,
            dispute_deadline=datetime(2026, 10, 8, 15, 59, 59, tzinfo=UTC),
        )
    )
    await session.commit()
    body = await gql(client, NEXT_DEADLINES, headers=principals.holder_a.headers)
    assert "errors" not in body, body
    (window,) = [d for d in body["data"]["enforcementStatus"]["nextDeadlines"] if d["rule"] == "BIL-5"]
    assert window["clause"] == "4.4.3"
    assert window["from"] == "2026-09-29T01:00:00+00:00"
    assert (window["counted"], window["days"]) == ("WORKING_DAYS", 2)
    assert window["skipped"] == [f"2026-10-0{day}" for day in range(1, 8)]
    assert window["due"].startswith("2026-10-08T15:59:59")  # the end of 8 Oct, Asia/Shanghai
    assert window["pausedBy"] == []
