"""ACC-4 real-name verification: states, subject match, review by FINANCE/COMPLIANCE,
encryption at rest and masking."""

from sqlalchemy import select, text

from models import AuditRecord, RealNameSubmission
from tests.accounts.helpers import RESIDENT_ID, USCC, account_id, errors
from tests.accounts.queries import REAL_NAME, REVIEW_REAL_NAME, SUBMIT_REAL_NAME
from tests.conftest import gql
from tests.snapshots import state

ENTERPRISE = {"subjectType": "ENTERPRISE", "subjectName": "甲公司", "subjectNumber": USCC}


async def submit(client, headers, subject=ENTERPRISE) -> dict:
    return await gql(client, SUBMIT_REAL_NAME, {"input": subject}, headers=headers)


async def review(client, principals, role: str, approve: bool, reason: str | None = None) -> dict:
    variables = {"input": {"accountId": account_id(principals.account_a), "approve": approve, "reason": reason}}
    return await gql(client, REVIEW_REAL_NAME, variables, headers=principals.staff[role].headers)


async def real_name(client, headers, principals=None) -> dict:
    variables = {"id": account_id(principals.account_a) if principals else None}
    return (await gql(client, REAL_NAME, variables, headers=headers))["data"]["account"]


async def test_acc4_subject_must_match_the_holder_type(client, principals, session) -> None:
    before = await state(session)
    individual = {"subjectType": "INDIVIDUAL", "subjectName": "张三", "subjectNumber": RESIDENT_ID}
    body = await submit(client, principals.holder_a.headers, individual)
    assert errors(body) == [
        {"code": "SUBJECT_MISMATCH", "field": ["subjectType"], "message": errors(body)[0]["message"]}
    ]
    bad_code = await submit(client, principals.holder_a.headers, ENTERPRISE | {"subjectNumber": USCC[:-1] + "4"})
    assert [(e["code"], e["field"]) for e in errors(bad_code)] == [("INVALID", ["subjectNumber"])]
    assert await state(session) == before


async def test_acc4_states_reject_resubmit_verify(client, principals) -> None:
    holder = principals.holder_a.headers
    assert (await submit(client, holder))["data"]["submitRealName"]["account"]["realName"]["state"] == "PENDING"
    assert errors(await submit(client, holder))[0]["code"] == "INVALID_STATE"  # pending already

    assert errors(await review(client, principals, "SUPPORT", True))[0]["code"] == "INSUFFICIENT_PERMISSION"
    assert errors(await review(client, principals, "FINANCE", False))[0]["field"] == ["reason"]
    rejected = await review(client, principals, "FINANCE", False, "the scan is unreadable")
    assert rejected["data"]["reviewRealName"]["account"]["realName"]["state"] == "REJECTED"
    assert (await real_name(client, holder))["realName"]["rejectionReason"] == "the scan is unreadable"

    assert (await submit(client, holder))["data"]["submitRealName"]["account"]["realName"]["state"] == "PENDING"
    approved = await review(client, principals, "COMPLIANCE", True)
    assert approved["data"]["reviewRealName"]["account"]["realName"]["state"] == "VERIFIED"
    assert errors(await submit(client, holder))[0]["code"] == "INVALID_STATE"  # verified already


async def test_acc4_review_decisions_and_reviewers_are_audited(client, principals, session) -> None:
    await submit(client, principals.holder_a.headers)
    await review(client, principals, "FINANCE", False, "blurred")
    await submit(client, principals.holder_a.headers)
    await review(client, principals, "COMPLIANCE", True)
    rows = (
        await session.execute(
            select(AuditRecord.action, AuditRecord.principal, AuditRecord.outcome, AuditRecord.account_id)
            .where(AuditRecord.action == "reviewRealName")
            .order_by(AuditRecord.id)
        )
    ).all()
    assert rows == [
        ("reviewRealName", f"staff:{principals.staff['FINANCE'].login}", "OK", principals.account_a.id),
        ("reviewRealName", f"staff:{principals.staff['COMPLIANCE'].login}", "OK", principals.account_a.id),
    ]
    reviewers = (
        (await session.execute(select(RealNameSubmission.reviewed_by).order_by(RealNameSubmission.id))).scalars().all()
    )
    assert reviewers == [f"staff:{principals.staff['FINANCE'].login}", f"staff:{principals.staff['COMPLIANCE'].login}"]


async def test_acc4_numbers_are_encrypted_at_rest_and_masked_except_for_holder_and_compliance(
    client, principals, session
) -> None:
    await submit(client, principals.holder_a.headers)
    await review(client, principals, "COMPLIANCE", True)
    stored = (await session.execute(text("SELECT subject_number_encrypted FROM real_name_submissions"))).scalar_one()
    assert USCC not in stored

    masked = USCC[:4] + "*" * 12 + USCC[-2:]
    holder = await real_name(client, principals.holder_a.headers)
    assert holder["realName"]["subjectNumber"] == USCC and holder["profile"]["creditCode"] == USCC
    compliance = await real_name(client, principals.staff["COMPLIANCE"].headers, principals)
    assert compliance["realName"]["subjectNumber"] == USCC
    for who in (principals.staff["SUPPORT"], principals.staff["FINANCE"], principals.staff["ADMIN"]):
        seen = await real_name(client, who.headers, principals)
        assert seen["realName"]["subjectNumber"] == masked and seen["profile"]["creditCode"] == masked
    sub = await real_name(client, principals.sub_a.headers)  # a sub-account with account:read
    assert sub["realName"]["subjectNumber"] == masked


async def test_acc8_sub_accounts_cannot_change_real_name_data(client, principals, session) -> None:
    before = await state(session)
    assert errors(await submit(client, principals.sub_a.headers))[0]["code"] == "INSUFFICIENT_PERMISSION"
    assert await state(session) == before
