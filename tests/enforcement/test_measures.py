"""ENF-1 to ENF-5, ENF-7, TRM-4 to TRM-6, PRE-1: measures on enforcement cases, one story per
measure kind through the API (GraphQL over the real app)."""

from datetime import datetime, timedelta

from sqlalchemy import func, select

from models import AccountEvent, AuditRecord, Bill, BillState, LedgerEntry, LedgerKind, Measure, UsageRecord
from schema.relay import encode_id
from services import incidents
from services.clock import SHANGHAI
from services.ledger import entries
from tests.accounts.helpers import account_id, errors, verify
from tests.accounts.queries import CREATE_APP, ROTATE
from tests.billing.test_usage import metering_headers, usage
from tests.billing.test_usage_batch import BATCH
from tests.conftest import gql
from tests.enforcement.helpers import (
    LIFT,
    OPEN_CASE,
    PROFILE_CHANGE,
    UPDATE_PROFILE,
    apply,
    delivered_notice,
    measure_on_a,
    open_case,
    status_of,
)
from tests.factories import credited_online_top_up
from tests.ledger.helpers import TOP_UP_ONLINE
from tests.ledger.test_refunds import REFUND, refund
from tests.snapshots import state

REPORT = """
mutation U($input: ReportUsageInput!) {
  reportUsage(input: $input) { accepted standing flaggedForReview userErrors { code field } }
}
"""
STANDINGS = "query S($ids: [String!]!) { appStandings(appIds: $ids) { appId standing } }"


async def events_of(session, account_key) -> list[str]:
    """The account's enforcement events in order (the case notice's own ``notice.sent`` comes
    first in every story; tests/webhooks covers it)."""
    rows = await session.execute(
        select(AccountEvent.type)
        .where(AccountEvent.account_id == account_key, AccountEvent.type != "notice.sent")
        .order_by(AccountEvent.id)
    )
    return list(rows.scalars())


async def new_app(client, principals, name="直播") -> dict:
    body = await gql(
        client,
        CREATE_APP,
        {"input": {"name": name, "terminals": ["IOS"], "scenarios": ["LIVE_STREAMING"]}},
        headers=principals.holder_a.headers,
    )
    assert body["data"]["createApp"]["userErrors"] == [], body
    return body["data"]["createApp"]["app"]


# ENF-2 / ENF-3 ----------------------------------------------------------------------------


async def test_enf2_no_measure_without_a_delivered_notice_of_its_case(client, principals, session, clock) -> None:
    case = await open_case(client, principals)
    other_case = await open_case(client, principals)
    undelivered = await delivered_notice(
        session, case, account_key=principals.account_a.id, at=clock.now(), delivered=False
    )
    of_other_case = await delivered_notice(session, other_case, account_key=principals.account_a.id, at=clock.now())
    later = await delivered_notice(
        session, case, account_key=principals.account_a.id, at=clock.now() + timedelta(hours=1)
    )
    before = await state(session)
    for notice in (undelivered, of_other_case, later):
        refused = await apply(client, principals, case, notice, "FREEZE_ACCOUNT")
        assert [e["code"] for e in refused["userErrors"]] == ["NOTICE_REQUIRED"], refused
    assert await state(session) == before
    # In the same minute as an electronic notice delivered now: allowed.
    now_notice = await delivered_notice(session, case, account_key=principals.account_a.id, at=clock.now())
    applied = await apply(client, principals, case, now_notice, "FREEZE_ACCOUNT")
    assert applied["userErrors"] == [] and applied["measure"]["noticeId"] == now_notice


async def test_enf3_a_regulator_case_needs_its_administrative_order(client, principals, session, clock) -> None:
    base = {
        "accountId": account_id(principals.account_a),
        "source": "REGULATOR",
        "clauses": ["3.4"],
        "description": "网信办责令整改",
    }
    before = await state(session)
    staff = principals.staff["COMPLIANCE"].headers
    for extra, field in (
        ({}, "adminOrderAuthority"),
        ({"adminOrderAuthority": "深圳市网信办"}, "adminOrderNumber"),
        ({"adminOrderNumber": "深网信〔2026〕12号"}, "adminOrderAuthority"),
    ):
        body = await gql(client, OPEN_CASE, {"input": base | extra}, headers=staff)
        assert errors(body) == [
            {"code": "ADMIN_ORDER_REQUIRED", "field": [field], "message": errors(body)[0]["message"]}
        ]
    assert await state(session) == before
    ordered = await measure_on_a(
        client,
        principals,
        session,
        clock,
        "OTHER_LIABILITY",
        case={"source": "REGULATOR", "adminOrderAuthority": "深圳市网信办", "adminOrderNumber": "深网信〔2026〕12号"},
    )
    assert ordered["userErrors"] == []
    assert ordered["measure"]["basis"] == ["Art. 3.4", "深圳市网信办 深网信〔2026〕12号"]


async def test_enf3_a_measure_on_an_older_regulator_case_without_its_order_is_refused(
    client, principals, session, clock
) -> None:
    from models import CaseSource, EnforcementCase

    case = EnforcementCase(
        account_id=principals.account_a.id,
        source=CaseSource.REGULATOR,
        clauses=["3.4"],
        description="opened before ENF-3 was checked",
        opened_by="staff:x",
        opened_at=clock.now(),
    )
    session.add(case)
    await session.commit()
    gid = encode_id("EnforcementCase", case.id)
    notice = await delivered_notice(session, gid, account_key=principals.account_a.id, at=clock.now())
    refused = await apply(client, principals, gid, notice, "RESTRICT", capabilities=["apps:write"])
    assert [e["code"] for e in refused["userErrors"]] == ["ADMIN_ORDER_REQUIRED"]


async def test_enf4_only_compliance_applies_and_lifts_and_a_reason_is_required(
    client, principals, session, clock
) -> None:
    case = await open_case(client, principals)
    notice = await delivered_notice(session, case, account_key=principals.account_a.id, at=clock.now())
    variables = {"input": {"caseId": case, "noticeId": notice, "kind": "OTHER_LIABILITY", "reason": "r"}}
    from tests.enforcement.helpers import APPLY

    for who in ("ADMIN", "FINANCE", "SUPPORT"):
        body = await gql(client, APPLY, variables, headers=principals.staff[who].headers)
        assert errors(body)[0]["code"] == "INSUFFICIENT_PERMISSION"
    body = await gql(client, APPLY, variables, headers=principals.holder_a.headers)
    assert errors(body)[0]["code"] == "INSUFFICIENT_PERMISSION"
    blank = await apply(client, principals, case, notice, "OTHER_LIABILITY", reason="  ")
    assert blank["userErrors"][0]["code"] == "INVALID" and blank["userErrors"][0]["field"] == ["reason"]


# One story per kind -------------------------------------------------------------------------


async def test_enf4_freeze_story(client, principals, session, clock) -> None:
    applied = await measure_on_a(client, principals, session, clock, "FREEZE_ACCOUNT")
    assert applied["userErrors"] == [] and applied["measure"]["kind"] == "FREEZE_ACCOUNT"
    refused = await gql(client, UPDATE_PROFILE, PROFILE_CHANGE, headers=principals.holder_a.headers)
    assert errors(refused)[0]["code"] == "ACCOUNT_FROZEN"
    status = await status_of(client, principals.holder_a.headers)
    assert status["standing"] == "FROZEN" and [m["kind"] for m in status["measures"]] == ["FREEZE_ACCOUNT"]

    lifted = await gql(
        client,
        LIFT,
        {"input": {"id": applied["measure"]["id"], "reason": "已整改"}},
        headers=principals.staff["COMPLIANCE"].headers,
    )
    assert lifted["data"]["liftMeasure"]["measure"]["liftReason"] == "已整改"
    assert errors(await gql(client, UPDATE_PROFILE, PROFILE_CHANGE, headers=principals.holder_a.headers)) == []
    assert (await status_of(client, principals.holder_a.headers))["measures"] == []
    again = await gql(
        client,
        LIFT,
        {"input": {"id": applied["measure"]["id"], "reason": "x"}},
        headers=principals.staff["COMPLIANCE"].headers,
    )
    assert errors(again)[0]["code"] == "INVALID_STATE"
    assert await events_of(session, principals.account_a.id) == ["measure.applied", "measure.lifted"]
    audited = await session.execute(
        select(AuditRecord.action, AuditRecord.principal, AuditRecord.outcome)
        .where(AuditRecord.action.in_(["applyMeasure", "liftMeasure"]))
        .order_by(AuditRecord.id)
    )
    compliance = f"staff:{principals.staff['COMPLIANCE'].login}"
    assert audited.all() == [
        ("applyMeasure", compliance, "OK"),
        ("liftMeasure", compliance, "OK"),
        ("liftMeasure", compliance, "INVALID_STATE"),
    ]


async def test_enf5_suspend_story(client, principals, session, clock, database_url) -> None:
    await verify(client, principals)
    app, other = await new_app(client, principals), await new_app(client, principals, "教育")
    meter = await metering_headers(client, database_url)
    before_suspension = usage(app, "u-before", occurredAt=(clock.now() - timedelta(minutes=1)).isoformat())
    applied = await measure_on_a(client, principals, session, clock, "SUSPEND", apps=[app["id"]])
    assert applied["userErrors"] == [] and applied["measure"]["apps"] == [app["id"]]

    status = await status_of(client, principals.holder_a.headers)
    assert status["standing"] == "RESTRICTED"
    assert {(a["app"]["id"], a["standing"]) for a in status["apps"]} == {
        (app["id"], "SUSPENDED"),
        (other["id"], "NORMAL"),
    }
    seen = await gql(client, STANDINGS, {"ids": [app["appId"], other["appId"]]}, headers=meter)
    assert {s["appId"]: s["standing"] for s in seen["data"]["appStandings"]} == {
        app["appId"]: "SUSPENDED",
        other["appId"]: "NORMAL",
    }
    clock.advance(timedelta(minutes=1))
    during = usage(app, "u-after", occurredAt=clock.now().isoformat())
    after = await gql(client, REPORT, during, headers=meter)
    assert after["data"]["reportUsage"] == {
        "accepted": True,
        "standing": "SUSPENDED",
        "flaggedForReview": True,
        "userErrors": [],
    }
    earlier = await gql(client, REPORT, before_suspension, headers=meter)
    assert earlier["data"]["reportUsage"]["flaggedForReview"] is False
    rotate = await gql(client, ROTATE, {"input": {"id": app["id"]}}, headers=principals.holder_a.headers)
    assert errors(rotate)[0]["code"] == "INVALID_STATE"

    clock.advance(timedelta(minutes=10))
    lifted = await gql(
        client,
        LIFT,
        {"input": {"id": applied["measure"]["id"], "reason": "恢复"}},
        headers=principals.staff["COMPLIANCE"].headers,
    )
    assert errors(lifted) == []
    resumed = await gql(client, REPORT, usage(app, "u-resumed", occurredAt=clock.now().isoformat()), headers=meter)
    assert resumed["data"]["reportUsage"]["standing"] == "NORMAL"
    assert resumed["data"]["reportUsage"]["flaggedForReview"] is False
    # Usage for the suspended time that arrives after the lifting is flagged all the same.
    late = usage(app, "u-late", occurredAt=(clock.now() - timedelta(minutes=5)).isoformat())
    assert (await gql(client, REPORT, late, headers=meter))["data"]["reportUsage"]["flaggedForReview"] is True
    # The same in one batch: each record flagged by its own time and AppID (ENF-5, BIL-1).
    suspended_time = (clock.now() - timedelta(minutes=4)).isoformat()
    batch = [
        usage(app, "b-during", occurredAt=suspended_time)["input"],
        usage(app, "b-before", occurredAt=before_suspension["input"]["occurredAt"])["input"],
        usage(app, "b-resumed", occurredAt=clock.now().isoformat())["input"],
        usage(other, "b-other", occurredAt=suspended_time)["input"],
    ]
    answered = await gql(client, BATCH, {"input": {"records": batch}}, headers=meter)
    assert [r["accepted"] for r in answered["data"]["reportUsageBatch"]["results"]] == [True] * 4
    kept = await session.execute(
        select(UsageRecord.idempotency_key, UsageRecord.flagged_for_review).order_by(UsageRecord.idempotency_key)
    )
    assert kept.all() == [
        ("b-before", False),
        ("b-during", True),
        ("b-other", False),
        ("b-resumed", False),
        ("u-after", True),
        ("u-before", False),
        ("u-late", True),
        ("u-resumed", False),
    ]


async def test_enf4_whole_account_suspension_suspends_every_app(client, principals, session, clock) -> None:
    await verify(client, principals)
    app = await new_app(client, principals)
    assert (await measure_on_a(client, principals, session, clock, "SUSPEND"))["userErrors"] == []
    status = await status_of(client, principals.holder_a.headers)
    assert status["standing"] == "SUSPENDED" and [a["standing"] for a in status["apps"]] == ["SUSPENDED"]
    assert status["apps"][0]["app"]["id"] == app["id"]


async def test_enf4_restrict_story(client, principals, session, clock) -> None:
    await verify(client, principals)
    refused_kind = await measure_on_a(client, principals, session, clock, "RESTRICT")
    assert refused_kind["userErrors"][0]["field"] == ["capabilities"]
    applied = await measure_on_a(client, principals, session, clock, "RESTRICT", capabilities=["apps:write"])
    assert applied["userErrors"] == [] and applied["measure"]["capabilities"] == ["apps:write"]
    assert (await status_of(client, principals.holder_a.headers))["standing"] == "RESTRICTED"
    body = await gql(
        client,
        CREATE_APP,
        {"input": {"name": "x", "terminals": ["IOS"], "scenarios": ["LIVE_STREAMING"]}},
        headers=principals.holder_a.headers,
    )
    assert errors(body)[0]["code"] == "INSUFFICIENT_PERMISSION"
    # What the measure does not name still works.
    assert errors(await gql(client, UPDATE_PROFILE, PROFILE_CHANGE, headers=principals.holder_a.headers)) == []
    await gql(
        client,
        LIFT,
        {"input": {"id": applied["measure"]["id"], "reason": "r"}},
        headers=principals.staff["COMPLIANCE"].headers,
    )
    again = await gql(
        client,
        CREATE_APP,
        {"input": {"name": "x", "terminals": ["IOS"], "scenarios": ["LIVE_STREAMING"]}},
        headers=principals.holder_a.headers,
    )
    assert errors(again) == []


async def test_enf4_content_change_and_other_liability_are_recorded_and_shown(
    client, principals, session, clock
) -> None:
    no_deadline = await measure_on_a(client, principals, session, clock, "REQUIRE_CONTENT_CHANGE")
    assert no_deadline["userErrors"][0]["field"] == ["deadline"]
    deadline = (clock.now() + timedelta(days=7)).isoformat()
    change = await measure_on_a(client, principals, session, clock, "REQUIRE_CONTENT_CHANGE", deadline=deadline)
    assert change["userErrors"] == []
    other = await measure_on_a(client, principals, session, clock, "OTHER_LIABILITY", reason="赔偿权利人损失")
    assert other["userErrors"] == []
    status = await status_of(client, principals.staff["SUPPORT"].headers, principals.account_a)
    assert status["standing"] == "NORMAL"  # neither changes the standing
    assert [(m["kind"], m["reason"]) for m in status["measures"]] == [
        ("REQUIRE_CONTENT_CHANGE", "违反 3.4"),
        ("OTHER_LIABILITY", "赔偿权利人损失"),
    ]
    assert status["measures"][0]["deadline"] is not None and status["measures"][0]["basis"] == ["Art. 3.4"]
    assert errors(await gql(client, UPDATE_PROFILE, PROFILE_CHANGE, headers=principals.holder_a.headers)) == []


async def test_enf7_trm4_terminate_waits_for_the_cure_period_then_the_account_is_terminated(
    client, principals, session, clock
) -> None:
    await verify(client, principals)
    case = await open_case(client, principals, clauses=["2.13"])
    # Delivered Wed 30 Sep 2026, 10:00 Shanghai: the 14 calendar days end with Wed 14 Oct, Shanghai.
    breach = await delivered_notice(session, case, account_key=principals.account_a.id, at=clock.now())
    clock.set(datetime(2026, 10, 14, 23, 59, 59, tzinfo=SHANGHAI))
    await principals.relogin()
    before = await state(session)
    running = await apply(client, principals, case, breach, "TERMINATE")
    assert [e["code"] for e in running["userErrors"]] == ["CURE_PERIOD_RUNNING"]
    assert await state(session) == before
    clock.advance(timedelta(seconds=1))  # 15 Oct: the 14th day after the breach notice's delivery is over
    ended = await apply(client, principals, case, breach, "TERMINATE")
    assert ended["userErrors"] == []
    status = await status_of(client, principals.holder_a.headers)
    assert status["standing"] == "TERMINATED"
    assert await events_of(session, principals.account_a.id) == ["measure.applied", "termination.scheduled"]
    refused = await gql(client, UPDATE_PROFILE, PROFILE_CHANGE, headers=principals.holder_a.headers)
    assert errors(refused)[0]["code"] == "INVALID_STATE"
    lift = await gql(
        client,
        LIFT,
        {"input": {"id": ended["measure"]["id"], "reason": "r"}},
        headers=principals.staff["COMPLIANCE"].headers,
    )
    assert errors(lift)[0]["code"] == "INVALID_STATE"  # final


async def test_trm5_immediate_grounds_terminate_at_once(client, principals, session, clock) -> None:
    ended = await measure_on_a(client, principals, session, clock, "TERMINATE", case={"clauses": ["7.5"]})
    assert ended["userErrors"] == []
    assert (await status_of(client, principals.holder_a.headers))["standing"] == "TERMINATED"


async def test_trm6_pre5_more_than_15_days_overdue_makes_termination_eligible(
    client, principals, session, clock
) -> None:
    not_yet = await measure_on_a(client, principals, session, clock, "TERMINATE", case={"clauses": ["4.7.2"]})
    assert [e["code"] for e in not_yet["userErrors"]] == ["GROUND_NOT_MET"]
    status = await status_of(client, principals.holder_a.headers)
    assert status["terminationEligible"] is False and status["dataDeletionEligible"] is False
    bill = Bill(
        account_id=principals.account_a.id,
        period=datetime(2026, 8, 1).date(),
        state=BillState.SETTLED,
        total_fen=10000,
        issued_at=clock.now() - timedelta(days=25),
        settled_at=clock.now() - timedelta(days=23),
        pay_by=clock.now() - timedelta(days=16),
    )
    session.add(bill)
    await session.commit()
    status = await status_of(client, principals.holder_a.headers)
    assert status["terminationEligible"] is True and status["dataDeletionEligible"] is True
    ended = await measure_on_a(client, principals, session, clock, "TERMINATE", case={"clauses": ["4.7.2"]})
    assert ended["userErrors"] == []
    assert (await status_of(client, principals.holder_a.headers))["terminationEligible"] is False  # done


async def test_enf4_pre1_forfeiture_only_with_termination_or_for_art_2_8(client, principals, session, clock) -> None:
    await credited_online_top_up(client, principals, amount="500.00", key="k1")
    refused = await measure_on_a(client, principals, session, clock, "FORFEIT_PREPAYMENT")
    assert refused["userErrors"][0]["code"] == "INVALID_STATE"
    forfeited = await measure_on_a(client, principals, session, clock, "FORFEIT_PREPAYMENT", case={"clauses": ["2.8"]})
    assert forfeited["userErrors"] == [] and forfeited["measure"]["forfeited"] == "500.00"
    (entry,) = (
        await session.execute(
            select(LedgerEntry).where(
                LedgerEntry.account_id == principals.account_a.id, LedgerEntry.kind == LedgerKind.FORFEITURE
            )
        )
    ).scalars()
    assert entry.amount_fen == -50000 and entry.balance_after_fen == 0
    assert (
        await entries.balance_fen(session, principals.account_a.id)
        == await entries.sum_of_entries_fen(session, principals.account_a.id)
        == 0
    )
    await session.rollback()  # end the test's read before the app writes
    twice = await measure_on_a(client, principals, session, clock, "FORFEIT_PREPAYMENT", case={"clauses": ["2.8"]})
    assert twice["userErrors"][0]["code"] == "INVALID_STATE"


async def test_trm8_a_terminated_account_still_pays_and_asks_for_a_refund(client, principals, session, clock) -> None:
    await credited_online_top_up(client, principals, amount="300.00", key="k1")
    ended = await measure_on_a(client, principals, session, clock, "TERMINATE", case={"clauses": ["7.5"]})
    assert ended["userErrors"] == []
    top_up = await gql(
        client,
        TOP_UP_ONLINE,
        {"input": {"amount": "10.00", "method": "ONLINE", "reference": "r", "idempotencyKey": "after"}},
        headers=principals.holder_a.headers,
    )
    assert top_up["data"]["topUp"]["userErrors"] == []  # paying what it owes stays possible
    asked = await gql(client, REFUND, refund("300.00"), headers=principals.holder_a.headers)
    assert asked["data"]["requestRefund"]["userErrors"] == []
    # Forfeiture together with TERMINATE: allowed now, and refunds are then refused.
    forfeit = await measure_on_a(client, principals, session, clock, "FORFEIT_PREPAYMENT")
    assert forfeit["userErrors"] == [] and forfeit["measure"]["forfeited"] == "300.00"
    count = await session.scalar(
        select(func.count()).select_from(Measure).where(Measure.account_id == principals.account_a.id)
    )
    assert count == 2


async def test_fm1_enf7_force_majeure_pauses_the_cure_period(client, principals, session, clock) -> None:
    """FM-1: the cure period runs against the customer, so force majeure pauses it. Delivered
    Wed 30 Sep 2026: without the pause it ends with 14 Oct; an event over 5-7 Oct (3 Shanghai
    days, counted by hand) moves the end to the end of 17 Oct."""
    await verify(client, principals)
    case = await open_case(client, principals, clauses=["2.13"])
    breach = await delivered_notice(session, case, account_key=principals.account_a.id, at=clock.now())
    await incidents.record_force_majeure(
        session,
        kind="earthquake",
        started_at=datetime(2026, 10, 5, 8, tzinfo=SHANGHAI),
        ended_at=datetime(2026, 10, 7, 20, tzinfo=SHANGHAI),
        description="data centre outage after an earthquake",
        recorded_by="staff:admin",
        now=datetime(2026, 10, 8, tzinfo=SHANGHAI),
    )
    await session.commit()
    clock.set(datetime(2026, 10, 17, 23, 59, 59, tzinfo=SHANGHAI))
    await principals.relogin()
    running = await apply(client, principals, case, breach, "TERMINATE")
    assert [e["code"] for e in running["userErrors"]] == ["CURE_PERIOD_RUNNING"]
    clock.advance(timedelta(seconds=1))
    assert (await apply(client, principals, case, breach, "TERMINATE"))["userErrors"] == []
