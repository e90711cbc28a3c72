"""Notices on every channel (NTC-1, NTC-4), maintenance (NTC-3), outages (TRM-2) and force
majeure (FM-1), through the API. The test clock stands at Wed 30 Sep 2026, 10:00 Shanghai."""

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from models import Account, AuditRecord, EnforcementCase, Notice, Outage
from schema.relay import encode_id
from services import incidents
from services.enforcement import termination
from tests.accounts.helpers import errors
from tests.billing.helpers import bills_of, move_to, sweep
from tests.conftest import gql
from tests.factories import delivered_bill

SEND = """
mutation S($input: SendNoticeInput!) {
  sendNotice(input: $input) {
    notice { id channel subject sentAt deliveredAt } queued queuedNoticeId userErrors { code field message }
  }
}
"""
NOTICES = "{ account { notices(first: 50) { edges { node { id channel subject sentAt deliveredAt } } } } }"
MAINTENANCE = """
mutation M($input: MaintenanceInput!) {
  scheduleMaintenance(input: $input) { notice { id channel subject deliveredAt } userErrors { code field message } }
}
"""
OUTAGE = "mutation O($input: OutageInput!) { recordOutage(input: $input) { id userErrors { code field message } } }"
FORCE_MAJEURE = """
mutation F($input: ForceMajeureInput!) {
  recordForceMajeure(input: $input) { id deadlinesMoved userErrors { code field message } }
}
"""
EXPLAINED = """
{ account { bills { edges { node {
  deliveredAt disputeDeadline
  disputeDeadlineExplained { what due rule clause from counted days skipped adjustedWorkdays pausedBy pausedDays }
} } } } }
"""


def notice(account=None, **fields) -> dict:
    base = {"channel": "WEB_ANNOUNCEMENT", "subject": "通知 / Notice", "body": "正文 / Body"}
    if account is not None:
        base["accountId"] = encode_id("Account", account.id)
    return {"input": base | fields}


async def listed(client, who) -> list[dict]:
    body = await gql(client, NOTICES, headers=who.headers)
    return [edge["node"] for edge in body["data"]["account"]["notices"]["edges"]]


async def notice_count(session) -> int:
    await session.rollback()
    return (await session.execute(select(func.count()).select_from(Notice))).scalar_one()


async def test_ntc1_mail_whose_third_day_is_in_the_national_day_break_is_delivered_on_8_october(
    client, principals, session
):
    """Posted Mon 28 Sep 10:00 Shanghai: the 3rd day, Thu 1 Oct, is inside the 1–7 Oct break,
    so delivery is deemed on the first working day after it, Thu 8 Oct (NTC-1, NTC-4)."""
    posted = "2026-09-28T02:00:00+00:00"
    sent = await gql(
        client,
        SEND,
        notice(principals.account_a, channel="MAIL", subject="违约通知", postedAt=posted),
        headers=principals.staff["COMPLIANCE"].headers,
    )
    payload = sent["data"]["sendNotice"]
    assert payload["userErrors"] == []
    assert payload["notice"]["channel"] == "MAIL"
    assert payload["notice"]["sentAt"] == posted
    assert payload["notice"]["deliveredAt"] == "2026-10-07T16:00:00+00:00"  # 00:00 on 8 Oct, Shanghai
    (row,) = (await session.execute(select(Notice))).scalars()
    assert row.posted_at == datetime(2026, 9, 28, 2, tzinfo=UTC)
    assert row.addressee and row.body == "正文 / Body"
    # NTC-4: the holder lists it with its deemed delivery; B does not see it.
    assert [(n["subject"], n["deliveredAt"]) for n in await listed(client, principals.holder_a)] == [
        ("违约通知", "2026-10-07T16:00:00+00:00")
    ]
    assert await listed(client, principals.holder_b) == []


async def test_ntc1_mail_posted_in_the_future_or_to_everyone_is_refused(client, principals, session):
    compliance = principals.staff["COMPLIANCE"].headers
    future = await gql(
        client, SEND, notice(principals.account_a, channel="MAIL", postedAt="2026-10-01T00:00:00+00:00"),
        headers=compliance,
    )  # fmt: skip
    assert errors(future)[0]["code"] == "INVALID" and errors(future)[0]["field"] == ["postedAt"]
    to_everyone = await gql(client, SEND, notice(channel="MAIL"), headers=compliance)
    assert errors(to_everyone)[0]["field"] == ["accountId"]
    in_person_to_everyone = await gql(client, SEND, notice(channel="IN_PERSON"), headers=compliance)
    assert errors(in_person_to_everyone)[0]["field"] == ["accountId"]
    assert await notice_count(session) == 0


async def test_ntc1_in_person_and_web_announcements_are_delivered_when_recorded(client, principals):
    now = "2026-09-30T02:00:00+00:00"
    handed = await gql(
        client, SEND, notice(principals.account_a, channel="IN_PERSON", subject="当面送达"),
        headers=principals.staff["ADMIN"].headers,
    )  # fmt: skip
    assert handed["data"]["sendNotice"]["notice"]["deliveredAt"] == now
    announced = await gql(client, SEND, notice(subject="公告"), headers=principals.staff["FINANCE"].headers)
    assert announced["data"]["sendNotice"]["notice"]["deliveredAt"] == now
    # An announcement with no account reaches every customer (NTC-4).
    assert {n["subject"] for n in await listed(client, principals.holder_a)} == {"当面送达", "公告"}
    assert [n["subject"] for n in await listed(client, principals.holder_b)] == ["公告"]


async def test_ntc1_electronic_notice_is_delivered_when_the_mail_server_accepts_it(
    client, principals, session, clock, outbox
):
    sent = await gql(
        client, SEND, notice(principals.account_a, channel="ELECTRONIC", subject="电子通知"),
        headers=principals.staff["COMPLIANCE"].headers,
    )  # fmt: skip
    payload = sent["data"]["sendNotice"]
    assert payload["userErrors"] == [] and payload["notice"] is None
    assert payload["queued"] == 1 and payload["queuedNoticeId"]
    assert await listed(client, principals.holder_a) == []  # not delivered yet
    await move_to(clock, principals, datetime(2026, 9, 30, 2, 5, tzinfo=UTC))
    await sweep(client, principals)
    (delivered,) = await listed(client, principals.holder_a)
    assert delivered["id"] == payload["queuedNoticeId"]
    assert delivered["channel"] == "ELECTRONIC" and delivered["deliveredAt"] == "2026-09-30T02:05:00+00:00"
    assert len(list(outbox.glob("*.eml"))) == 1


async def test_ntc4_a_notice_links_to_a_case_of_its_own_account_only(client, principals, session):
    def case_on(account) -> EnforcementCase:
        return EnforcementCase(
            account_id=account.id,
            source="SELF_DISCOVERED",
            clauses=["2.11"],
            description="转售",
            opened_by="staff:compliance",
            opened_at=datetime(2026, 9, 29, tzinfo=UTC),
        )

    own, other = case_on(principals.account_a), case_on(principals.account_b)
    session.add_all([own, other])
    await session.flush()
    own_id, other_id = own.id, other.id
    await session.commit()
    compliance = principals.staff["COMPLIANCE"].headers
    foreign = await gql(
        client, SEND, notice(principals.account_a, channel="IN_PERSON", caseId=encode_id("EnforcementCase", other_id)),
        headers=compliance,
    )  # fmt: skip
    assert errors(foreign)[0]["code"] == "NOT_FOUND" and errors(foreign)[0]["field"] == ["caseId"]
    announcement = await gql(client, SEND, notice(caseId=encode_id("EnforcementCase", own_id)), headers=compliance)
    assert errors(announcement)[0]["code"] == "NOT_FOUND"
    assert await notice_count(session) == 0
    linked = await gql(
        client, SEND, notice(principals.account_a, channel="IN_PERSON", caseId=encode_id("EnforcementCase", own_id)),
        headers=compliance,
    )  # fmt: skip
    assert errors(linked) == []
    await session.rollback()
    assert (await session.execute(select(Notice.case_id))).scalar_one() == own_id


async def test_ntc1_ntc3_trm2_fm1_staff_only_mutations_refuse_customers_and_other_roles(client, principals, session):
    cases = [
        (SEND, notice(principals.account_a, channel="IN_PERSON")),
        (MAINTENANCE, {"input": {"startsAt": "2026-10-02T00:00:00Z", "endsAt": "2026-10-02T02:00:00Z", "scheduled": True, "cause": "升级"}}),
        (OUTAGE, {"input": {"startedAt": "2026-09-29T00:00:00Z", "description": "故障"}}),
        (FORCE_MAJEURE, {"input": {"kind": "typhoon", "startedAt": "2026-09-29T00:00:00Z", "description": "台风"}}),
    ]  # fmt: skip
    for query, variables in cases:
        for who in (principals.holder_a, principals.sub_a, principals.staff["SUPPORT"]):
            refused = await gql(client, query, variables, headers=who.headers)
            assert errors(refused)[0]["code"] == "INSUFFICIENT_PERMISSION", (query, who.login)
    for query, variables in cases[1:]:  # ADMIN only
        refused = await gql(client, query, variables, headers=principals.staff["FINANCE"].headers)
        assert errors(refused)[0]["code"] == "INSUFFICIENT_PERMISSION"
    assert await notice_count(session) == 0
    assert (await session.execute(select(func.count()).select_from(Outage))).scalar_one() == 0


async def test_ntc3_routine_maintenance_needs_24_hours_lead_and_unscheduled_its_cause(client, principals, session):
    admin = principals.staff["ADMIN"].headers
    now = datetime(2026, 9, 30, 2, tzinfo=UTC)

    def window(starts: datetime, *, scheduled: bool, cause: str = "数据库升级") -> dict:
        ends = starts + timedelta(hours=2)
        return {
            "input": {
                "startsAt": starts.isoformat(),
                "endsAt": ends.isoformat(),
                "scheduled": scheduled,
                "cause": cause,
            }
        }

    short = await gql(
        client, MAINTENANCE, window(now + timedelta(hours=24) - timedelta(seconds=1), scheduled=True), headers=admin
    )
    assert errors(short)[0]["code"] == "NOTICE_TOO_SHORT"
    no_cause = await gql(
        client, MAINTENANCE, window(now + timedelta(hours=1), scheduled=False, cause="  "), headers=admin
    )
    assert errors(no_cause)[0]["field"] == ["cause"]
    assert await notice_count(session) == 0

    routine = await gql(client, MAINTENANCE, window(now + timedelta(hours=24), scheduled=True), headers=admin)
    assert errors(routine) == []
    assert routine["data"]["scheduleMaintenance"]["notice"]["channel"] == "WEB_ANNOUNCEMENT"
    assert routine["data"]["scheduleMaintenance"]["notice"]["deliveredAt"] == now.isoformat()
    urgent = await gql(
        client, MAINTENANCE, window(now + timedelta(minutes=5), scheduled=False, cause="运营商光缆故障"), headers=admin
    )
    assert errors(urgent) == []
    assert "Unscheduled" in urgent["data"]["scheduleMaintenance"]["notice"]["subject"]
    assert len(await listed(client, principals.holder_b)) == 2  # announced to every customer
    await session.rollback()
    bodies = (await session.execute(select(Notice.body).order_by(Notice.id))).scalars().all()
    assert "运营商光缆故障" in bodies[1]


async def test_trm2_recorded_outages_feed_the_longest_outage(client, principals, session):
    admin = principals.staff["ADMIN"].headers
    six_days = {"startedAt": "2026-09-01T00:00:00Z", "endedAt": "2026-09-07T00:00:00Z", "description": "机房断电"}
    recorded = await gql(client, OUTAGE, {"input": six_days}, headers=admin)
    assert errors(recorded) == [] and recorded["data"]["recordOutage"]["id"]
    backwards = {"startedAt": "2026-09-10T00:00:00Z", "endedAt": "2026-09-09T00:00:00Z", "description": "x"}
    assert errors(await gql(client, OUTAGE, {"input": backwards}, headers=admin))[0]["field"] == ["endedAt"]
    await session.rollback()
    now = datetime(2026, 9, 30, 2, tzinfo=UTC)
    assert await incidents.longest_outage(session, now=now) == timedelta(hours=144)
    assert await incidents.outage_over_five_days(session, now=now)
    assert not await incidents.outage_over_five_days(session, now=now, since=datetime(2026, 9, 8, tzinfo=UTC))


async def test_fm1_force_majeure_moves_the_running_dispute_window_and_the_bill_explains_it(client, principals, session):
    """Delivered Wed 30 Sep 10:00: BIL-5's two working days skip the National Day break and end
    Fri 9 Oct. A typhoon on Thu 8 Oct pauses the count: Fri 9 Oct (1), Sat 10 Oct (2, an adjusted
    working day), so the window ends Sat 10 Oct; the enforced date and its explanation agree."""
    await delivered_bill(client, principals, session, support_months="0.5")
    (bill,) = [e["node"] for e in (await gql(client, EXPLAINED, headers=principals.holder_a.headers))["data"]["account"]["bills"]["edges"]]  # fmt: skip
    explained = bill["disputeDeadlineExplained"]
    assert bill["disputeDeadline"] == explained["due"] == "2026-10-09T15:59:59.999999+00:00"
    assert explained["from"] == bill["deliveredAt"] == "2026-09-30T02:00:00+00:00"
    assert (explained["rule"], explained["clause"], explained["counted"], explained["days"]) == (
        "BIL-5", "4.4.3", "WORKING_DAYS", 2,
    )  # fmt: skip
    assert explained["skipped"] == [f"2026-10-0{d}" for d in range(1, 8)]
    assert explained["adjustedWorkdays"] == [] and explained["pausedBy"] == []

    typhoon = {"kind": "typhoon", "startedAt": "2026-10-07T17:00:00Z", "endedAt": "2026-10-08T12:00:00Z", "description": "台风"}  # fmt: skip
    # Recorded in advance is refused (startedAt in the future): staff record what has begun.
    early = await gql(client, FORCE_MAJEURE, {"input": typhoon}, headers=principals.staff["ADMIN"].headers)
    assert errors(early)[0]["field"] == ["startedAt"]
    typhoon |= {"startedAt": "2026-09-30T01:00:00Z"}  # 09:00 on 30 Sep to 20:00 on 8 Oct, Shanghai
    recorded = await gql(client, FORCE_MAJEURE, {"input": typhoon}, headers=principals.staff["ADMIN"].headers)
    assert errors(recorded) == [] and recorded["data"]["recordForceMajeure"]["deadlinesMoved"] == 1
    (bill,) = [e["node"] for e in (await gql(client, EXPLAINED, headers=principals.holder_a.headers))["data"]["account"]["bills"]["edges"]]  # fmt: skip
    explained = bill["disputeDeadlineExplained"]
    # Paused 1–8 Oct (30 Sep is the delivery day itself); Fri 9 Oct (1), Sat 10 Oct (2).
    assert bill["disputeDeadline"] == explained["due"] == "2026-10-10T15:59:59.999999+00:00"
    assert explained["pausedBy"] == ["typhoon: 2026-09-30 to 2026-10-08"]
    assert explained["pausedDays"] == [f"2026-10-0{d}" for d in range(1, 9)]
    assert explained["skipped"] == [] and explained["adjustedWorkdays"] == ["2026-10-10"]


async def test_fm1_trm7_force_majeure_lasting_over_a_month(client, principals, session, clock):
    admin = principals.staff["ADMIN"].headers
    quake = {"kind": "earthquake", "startedAt": "2026-08-29T16:00:00Z", "description": "地震"}  # 30 Aug, Shanghai
    assert errors(await gql(client, FORCE_MAJEURE, {"input": quake}, headers=admin)) == []
    await session.rollback()
    # The ground requestTermination checks: exactly one month (30 Sep, 00:00 Shanghai) is not more.
    month = datetime(2026, 9, 29, 16, tzinfo=UTC)
    assert await termination.long_force_majeure(session, now=month) is None
    assert await termination.long_force_majeure(session, now=month + timedelta(seconds=1)) is not None


async def test_bil5_pre4_explanations_are_listed_with_a_constant_number_of_queries(client, principals, session, clock):
    """The bill's payBy explains itself too, counted from the payment notice's delivery."""
    await delivered_bill(client, principals, session, support_months="0.5")
    await move_to(clock, principals, datetime(2026, 10, 10, 2, tzinfo=UTC))  # window closed
    await sweep(client, principals)  # deemed accepted, settled (no balance: arrears), notice delivered
    (bill,) = await bills_of(client, principals.holder_a)
    body = await gql(
        client,
        "{ account { bills { edges { node { payBy payByExplained { due rule clause from days adjustedWorkdays } } } } } }",
        headers=principals.holder_a.headers,
    )
    (node,) = [e["node"] for e in body["data"]["account"]["bills"]["edges"]]
    # Delivered Sat 10 Oct (an adjusted working day): Mon 12 .. Fri 16 Oct are the 5 working days.
    assert node["payBy"] == node["payByExplained"]["due"] == "2026-10-16T15:59:59.999999+00:00"
    assert node["payByExplained"]["rule"] == "PRE-4" and node["payByExplained"]["from"] == "2026-10-10T02:00:00+00:00"
    assert bill["payBy"] == node["payBy"]


END_FORCE_MAJEURE = """
mutation E($input: EndForceMajeureInput!) {
  endForceMajeure(input: $input) { id deadlinesMoved userErrors { code field message } }
}
"""


async def test_fm1_an_ongoing_event_keeps_pausing_until_its_end_is_recorded(client, principals, session, clock):
    """Delivered Wed 30 Sep; a typhoon from 30 Sep with no end yet. On Thu 8 Oct the sweep
    re-counts: 1–8 Oct paused, Fri 9 Oct (1), Sat 10 Oct (2, adjusted working day)."""
    await delivered_bill(client, principals, session, support_months="0.5")
    typhoon = {"kind": "typhoon", "startedAt": "2026-09-30T01:00:00Z", "description": "台风"}
    recorded = (await gql(client, FORCE_MAJEURE, {"input": typhoon}, headers=principals.staff["ADMIN"].headers))[
        "data"
    ]["recordForceMajeure"]
    assert recorded["userErrors"] == [] and recorded["deadlinesMoved"] == 0  # paused through today only
    await move_to(clock, principals, datetime(2026, 10, 8, 2, tzinfo=UTC))
    assert (await sweep(client, principals))["recount_paused_deadlines"] == 1
    (bill,) = await bills_of(client, principals.holder_a)
    assert bill["disputeDeadline"] == "2026-10-10T15:59:59.999999+00:00"

    await move_to(clock, principals, datetime(2026, 10, 9, 2, tzinfo=UTC))
    end = {"id": recorded["id"], "endedAt": "2026-10-08T12:00:00Z"}  # 20:00 on 8 Oct, Shanghai
    ended = (await gql(client, END_FORCE_MAJEURE, {"input": end}, headers=principals.staff["ADMIN"].headers))["data"][
        "endForceMajeure"
    ]
    assert ended["userErrors"] == [] and ended["deadlinesMoved"] == 0
    again = await gql(client, END_FORCE_MAJEURE, {"input": end}, headers=principals.staff["ADMIN"].headers)
    assert errors(again)[0]["code"] == "INVALID_STATE"
    assert (await sweep(client, principals))["recount_paused_deadlines"] == 0
    (bill,) = [e["node"] for e in (await gql(client, EXPLAINED, headers=principals.holder_a.headers))["data"]["account"]["bills"]["edges"]]  # fmt: skip
    assert bill["disputeDeadline"] == bill["disputeDeadlineExplained"]["due"] == "2026-10-10T15:59:59.999999+00:00"
    assert bill["disputeDeadlineExplained"]["pausedBy"] == ["typhoon: 2026-09-30 to 2026-10-08"]


async def test_ntc1_an_electronic_notice_to_every_customer_is_queued_once_per_account(
    client, principals, session
) -> None:
    """The broadcast answers how many emails it queued (it once answered an error with the rows
    in it, after queueing them)."""
    accounts = await session.scalar(select(func.count()).select_from(Account))
    sent = await gql(
        client, SEND, {"input": {"channel": "ELECTRONIC", "subject": "维护通知", "body": "b"}},
        headers=principals.staff["COMPLIANCE"].headers,
    )  # fmt: skip
    assert "errors" not in sent, sent
    assert sent["data"]["sendNotice"]["queued"] == accounts > 0
    await session.rollback()  # a fresh snapshot: the request committed after this session's first read
    queued = await session.scalar(select(func.count()).select_from(Notice).where(Notice.subject == "维护通知"))
    assert queued == accounts


async def test_ntc4_a_notice_to_an_account_that_does_not_exist_is_not_found(client, principals, session) -> None:
    """A well-formed Account ID of no account: NOT_FOUND, audited without pointing at a missing row."""
    missing = encode_id("Account", uuid.UUID(int=0))
    for channel in ("ELECTRONIC", "IN_PERSON"):
        sent = await gql(
            client, SEND, {"input": {"accountId": missing, "channel": channel, "subject": "s", "body": "b"}},
            headers=principals.staff["COMPLIANCE"].headers,
        )  # fmt: skip
        assert "errors" not in sent, sent
        assert [(e["code"], e["field"]) for e in sent["data"]["sendNotice"]["userErrors"]] == [
            ("NOT_FOUND", ["accountId"])
        ]
    await session.rollback()
    refusals = await session.execute(
        select(AuditRecord.account_id, AuditRecord.outcome).where(AuditRecord.action == "sendNotice")
    )
    assert refusals.all() == [(None, "NOT_FOUND"), (None, "NOT_FOUND")]
