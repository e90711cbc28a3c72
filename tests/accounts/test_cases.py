"""ACC-5 ownership disputes, ACC-6 compromise reports, ACC-7 dissolution notices."""

from sqlalchemy import select

from models import AccountEvent, AuditRecord, EnforcementCase, HolderType, Measure, MeasureKind, Notice, UserKind
from tests.accounts.helpers import account_id, errors, verify
from tests.accounts.queries import (
    CREATE_APP,
    DISPUTES,
    HANDLED,
    OPEN_DISPUTE,
    REPORT,
    REPORTS,
    RESOLVE_DISPUTE,
    ROTATE,
    TERMINATE,
    UPDATE_PROFILE,
    VERIFY_REPORTER,
)
from tests.conftest import gql
from tests.factories import make_account, make_user
from tests.principals import token_for
from tests.snapshots import state


async def open_dispute(client, principals, role="COMPLIANCE", freeze=True) -> dict:
    variables = {
        "input": {"accountId": account_id(principals.account_a), "complaint": "乙说此账号是他的", "freeze": freeze}
    }
    return await gql(client, OPEN_DISPUTE, variables, headers=principals.staff[role].headers)


async def test_acc5_dispute_with_freeze_then_resolution_for_the_verified_holder(client, principals, session) -> None:
    await verify(client, principals)
    assert errors(await open_dispute(client, principals, role="FINANCE"))[0]["code"] == "INSUFFICIENT_PERMISSION"
    opened = await open_dispute(client, principals)
    assert opened["data"]["openOwnershipDispute"]["account"]["standing"] == "FROZEN"

    # ENF-2: the freeze is a FREEZE_ACCOUNT measure on a case, citing that case's notice,
    # delivered no later than the measure took effect.
    (freeze,) = (await session.execute(select(Measure).where(Measure.account_id == principals.account_a.id))).scalars()
    notice = await session.get(Notice, freeze.notice_id)
    assert freeze.kind == MeasureKind.FREEZE_ACCOUNT and freeze.dispute_id is not None and freeze.lifted_at is None
    assert notice.case_id == freeze.case_id and notice.delivered_at <= freeze.effective_at
    assert notice.account_id == principals.account_a.id
    freeze_id, case_id = freeze.id, freeze.case_id
    await session.rollback()

    # Frozen: the holder reads, but every change is refused.
    refused = await gql(
        client,
        UPDATE_PROFILE,
        {"input": {"email": "f@a.example.cn", "effectiveOn": "2026-09-29"}},
        headers=principals.holder_a.headers,
    )
    assert errors(refused)[0]["code"] == "ACCOUNT_FROZEN"

    staff = principals.staff["COMPLIANCE"].headers
    (dispute,) = (await gql(client, DISPUTES, {"id": account_id(principals.account_a)}, headers=staff))["data"][
        "account"
    ]["ownershipDisputes"]
    resolved = await gql(
        client, RESOLVE_DISPUTE, {"input": {"id": dispute["id"], "note": "营业执照为证"}}, headers=staff
    )
    assert resolved["data"]["resolveOwnershipDispute"]["account"]["standing"] == "NORMAL"
    after = (await gql(client, DISPUTES, {"id": account_id(principals.account_a)}, headers=staff))["data"]["account"]
    assert after["ownershipDisputes"][0]["state"] == "RESOLVED"
    assert after["ownershipDisputes"][0]["winner"] == "甲公司"  # the verified subject, by default
    again = await gql(client, RESOLVE_DISPUTE, {"input": {"id": dispute["id"], "note": "x"}}, headers=staff)
    assert errors(again)[0]["code"] == "INVALID_STATE"

    actions = (
        await session.execute(
            select(AuditRecord.action, AuditRecord.outcome)
            .where(AuditRecord.account_id == principals.account_a.id, AuditRecord.action.like("%wnership%"))
            .order_by(AuditRecord.id)
        )
    ).all()
    assert actions == [
        ("openOwnershipDispute", "OK"),
        ("resolveOwnershipDispute", "OK"),
        ("resolveOwnershipDispute", "INVALID_STATE"),
    ]
    # The resolution lifted the freeze, with the resolution as its reason, and closed its case.
    lifted = await session.get(Measure, freeze_id, populate_existing=True)
    assert lifted.lifted_at is not None and "营业执照为证" in lifted.lift_reason
    assert (await session.get(EnforcementCase, case_id, populate_existing=True)).closed_at is not None
    events = await session.execute(
        select(AccountEvent.type).where(AccountEvent.account_id == principals.account_a.id).order_by(AccountEvent.id)
    )
    assert list(events.scalars()) == ["notice.sent", "measure.applied", "measure.lifted"]  # the notice first


async def test_acc5_without_a_verified_subject_staff_must_name_the_winner(client, principals) -> None:
    await open_dispute(client, principals, freeze=False)
    staff = principals.staff["COMPLIANCE"].headers
    (dispute,) = (await gql(client, DISPUTES, {"id": account_id(principals.account_a)}, headers=staff))["data"][
        "account"
    ]["ownershipDisputes"]
    unnamed = await gql(client, RESOLVE_DISPUTE, {"input": {"id": dispute["id"], "note": "n"}}, headers=staff)
    assert errors(unnamed)[0]["field"] == ["winner"]
    named = await gql(
        client, RESOLVE_DISPUTE, {"input": {"id": dispute["id"], "note": "n", "winner": "乙"}}, headers=staff
    )
    assert errors(named) == []


async def test_acc6_report_states_and_timestamps(client, principals, session) -> None:
    holder = principals.holder_a.headers
    incomplete = await gql(client, REPORT, {"input": {"what": ["PASSWORD"], "description": "密码泄露"}}, headers=holder)
    assert incomplete["data"]["reportCompromise"]["state"] == "INCOMPLETE"
    complete = await gql(
        client,
        REPORT,
        {
            "input": {
                "what": ["APP_SECRET", "CLIENT_SECRET"],
                "description": "GitHub 上公开了密钥",
                "evidence": "https://example.cn/leak.png",
                "requestedActions": "停用旧密钥",
            }
        },
        headers=holder,
    )
    assert complete["data"]["reportCompromise"]["state"] == "SUBMITTED"
    staff = principals.staff["SUPPORT"].headers
    incomplete_id = incomplete["data"]["reportCompromise"]["reportId"]
    complete_id = complete["data"]["reportCompromise"]["reportId"]

    # An incomplete report can be neither verified nor handled; handling needs verification first.
    for query, report in ((VERIFY_REPORTER, incomplete_id), (HANDLED, incomplete_id), (HANDLED, complete_id)):
        assert errors(await gql(client, query, {"id": report}, headers=staff))[0]["code"] == "INVALID_STATE"
    assert (await gql(client, VERIFY_REPORTER, {"id": complete_id}, headers=staff))["data"]["verifyCompromiseReporter"][
        "state"
    ] == "IDENTITY_VERIFIED"
    assert (await gql(client, HANDLED, {"id": complete_id}, headers=staff))["data"]["markCompromiseHandled"][
        "state"
    ] == "HANDLED"
    # The holder cannot mark their own report handled.
    assert (
        errors(await gql(client, HANDLED, {"id": incomplete_id}, headers=holder))[0]["code"]
        == "INSUFFICIENT_PERMISSION"
    )

    reports = (await gql(client, REPORTS, headers=holder))["data"]["account"]["compromiseReports"]
    assert [r["state"] for r in reports] == ["INCOMPLETE", "HANDLED"]
    assert reports[1]["reportedAt"] and reports[1]["identityVerifiedAt"] and reports[1]["handledAt"]


async def test_acc6_holder_rotates_secrets_and_revokes_tokens_without_waiting(client, principals) -> None:
    await verify(client, principals)
    holder = principals.holder_a.headers
    app = (
        await gql(
            client,
            CREATE_APP,
            {"input": {"name": "直播", "terminals": ["IOS"], "scenarios": ["LIVE_STREAMING"]}},
            headers=holder,
        )
    )["data"]["createApp"]
    await gql(client, REPORT, {"input": {"what": ["APP_SECRET"], "description": "泄露"}}, headers=holder)
    rotated = await gql(client, ROTATE, {"input": {"id": app["app"]["id"], "graceSeconds": 0}}, headers=holder)
    assert rotated["data"]["rotateAppSecret"]["appSecret"] not in (None, app["appSecret"])
    revoked = await gql(client, "mutation { revokeAllTokens(input: {}) { userErrors { code } } }", headers=holder)
    assert revoked["data"]["revokeAllTokens"]["userErrors"] == []
    assert (await client.post("/graphql", json={"query": "{ viewer { kind } }"}, headers=holder)).status_code == 401


async def test_acc7_dissolution_filed_late_is_accepted_and_marked(client, principals, session) -> None:
    # "Now" is Wed 30 Sep; 1-7 Oct are the National Day break: only 8 Oct lies before the 9th.
    late = await gql(
        client,
        TERMINATE,
        {"input": {"ground": "DISSOLUTION", "reason": "股东会决议解散", "dissolutionDate": "2026-10-09"}},
        headers=principals.holder_a.headers,
    )
    assert late["data"]["requestTermination"] == {"effectiveOn": "2026-10-09", "late": True, "userErrors": []}
    on_time = await gql(
        client,
        TERMINATE,
        {"input": {"ground": "DISSOLUTION", "reason": "解散", "dissolutionDate": "2026-10-16"}},
        headers=principals.holder_b.headers,
    )
    # 8, 9, 10 (adjusted Saturday), 12, 13, 14, 15 Oct: seven working days before the 16th.
    assert on_time["data"]["requestTermination"] == {"effectiveOn": "2026-10-16", "late": False, "userErrors": []}


async def test_acc7_refusals_change_nothing(client, principals, session) -> None:
    individual = await make_account(session, name="王五", holder_type=HolderType.INDIVIDUAL)
    person = await make_user(session, UserKind.HOLDER, account=individual)
    await session.commit()
    person_headers = {"Authorization": f"Bearer {(await token_for(client, person.login))['access_token']}"}
    before = await state(session)
    cases = [
        (person_headers, {"ground": "DISSOLUTION", "reason": "r", "dissolutionDate": "2026-12-01"}, "INVALID"),
        (principals.holder_a.headers, {"ground": "DISSOLUTION", "reason": "r"}, "INVALID"),
        (
            principals.holder_a.headers,
            {"ground": "DISSOLUTION", "reason": "r", "dissolutionDate": "2026-09-30"},
            "INVALID",
        ),
        (principals.holder_a.headers, {"ground": "SERVICE_FAILURE", "reason": "r"}, "GROUND_NOT_MET"),
        (principals.holder_a.headers, {"ground": "FORCE_MAJEURE", "reason": "r"}, "GROUND_NOT_MET"),
        (principals.sub_a.headers, {"ground": "CONVENIENCE", "reason": "r"}, "INSUFFICIENT_PERMISSION"),  # ACC-8
    ]
    for headers, request, code in cases:
        assert errors(await gql(client, TERMINATE, {"input": request}, headers=headers))[0]["code"] == code
    assert await state(session) == before


async def test_trm_convenience_and_reputation_notice_periods(client, principals) -> None:
    convenience = await gql(
        client, TERMINATE, {"input": {"ground": "CONVENIENCE", "reason": "r"}}, headers=principals.holder_a.headers
    )
    assert convenience["data"]["requestTermination"]["effectiveOn"] == "2026-10-30"  # TRM-1: 30 days
    reputation = await gql(
        client, TERMINATE, {"input": {"ground": "REPUTATION", "reason": "r"}}, headers=principals.holder_b.headers
    )
    # TRM-3: 10 working days after 30 Sep: 8, 9, 10, 12, 13, 14, 15, 16, 19, 20 Oct.
    assert reputation["data"]["requestTermination"]["effectiveOn"] == "2026-10-20"
    again = await gql(
        client, TERMINATE, {"input": {"ground": "CONVENIENCE", "reason": "r"}}, headers=principals.holder_a.headers
    )
    assert errors(again)[0]["code"] == "INVALID_STATE"


async def test_acc5_two_freezing_disputes_unfreeze_only_when_both_close(client, principals, session) -> None:
    staff = principals.staff["COMPLIANCE"].headers
    await open_dispute(client, principals)
    await open_dispute(client, principals)
    disputes = (await gql(client, DISPUTES, {"id": account_id(principals.account_a)}, headers=staff))["data"][
        "account"
    ]["ownershipDisputes"]
    first = await gql(
        client, RESOLVE_DISPUTE, {"input": {"id": disputes[0]["id"], "note": "n", "winner": "甲"}}, headers=staff
    )
    assert first["data"]["resolveOwnershipDispute"]["account"]["standing"] == "FROZEN"  # the other still freezes
    second = await gql(
        client, RESOLVE_DISPUTE, {"input": {"id": disputes[1]["id"], "note": "n", "winner": "甲"}}, headers=staff
    )
    assert second["data"]["resolveOwnershipDispute"]["account"]["standing"] == "NORMAL"


async def test_acc5_a_terminated_account_is_not_frozen(client, principals, session) -> None:
    from sqlalchemy import update

    from models import Account, Standing

    await session.execute(
        update(Account).where(Account.id == principals.account_a.id).values(standing=Standing.TERMINATED)
    )
    await session.commit()
    before = await state(session)
    assert errors(await open_dispute(client, principals))[0]["code"] == "INVALID_STATE"
    assert await state(session) == before


async def test_acc7_the_dissolution_date_may_be_the_fifth_working_day(client, principals, clock) -> None:
    from datetime import UTC, datetime

    clock.set(datetime(2026, 6, 8, 2, 0, tzinfo=UTC))  # Monday 8 June 2026
    await principals.relogin()
    # 9, 10, 11, 12 and 15 June: the 15th is the 5th working day after filing -> on time.
    on_time = await gql(
        client,
        TERMINATE,
        {"input": {"ground": "DISSOLUTION", "reason": "r", "dissolutionDate": "2026-06-15"}},
        headers=principals.holder_a.headers,
    )
    assert on_time["data"]["requestTermination"]["late"] is False
    late = await gql(
        client,
        TERMINATE,
        {"input": {"ground": "DISSOLUTION", "reason": "r", "dissolutionDate": "2026-06-12"}},
        headers=principals.holder_b.headers,
    )
    assert late["data"]["requestTermination"]["late"] is True
