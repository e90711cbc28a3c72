"""Shared steps of the enforcement tests: cases and measures through the API, a delivered notice
of a case through the notice service (sendNotice is another issue's)."""

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from models import Notice
from schema.relay import decode_id, encode_id
from services import notices
from tests.accounts.helpers import account_id
from tests.conftest import gql

OPEN_CASE = """
mutation O($input: OpenCaseInput!) {
  openEnforcementCase(input: $input) { case { id source clauses } userErrors { code field message } }
}
"""
APPLY = """
mutation A($input: ApplyMeasureInput!) {
  applyMeasure(input: $input) {
    measure { id kind reason effectiveAt liftedAt liftReason apps capabilities deadline basis forfeited caseId noticeId }
    userErrors { code field message }
  }
}
"""
LIFT = """
mutation L($input: LiftMeasureInput!) {
  liftMeasure(input: $input) { measure { id kind liftedAt liftReason } userErrors { code field message } }
}
"""
STATUS = """
query S($id: ID) {
  enforcementStatus(accountId: $id) {
    standing terminationEligible dataDeletionEligible
    measures { id kind reason basis deadline liftedAt }
    apps { app { id appId standing } standing }
    openCases { id source clauses }
  }
}
"""
UPDATE_PROFILE = """
mutation P($input: UpdateAccountProfileInput!) { updateAccountProfile(input: $input) { userErrors { code field } } }
"""
PROFILE_CHANGE = {"input": {"phone": "13900139000", "effectiveOn": "2026-09-29"}}


async def open_case(client, principals, *, account=None, clauses=("3.4",), source="SELF_DISCOVERED", **extra) -> str:
    variables = {
        "input": {
            "accountId": account_id(account or principals.account_a),
            "source": source,
            "clauses": list(clauses),
            "description": "违规内容",
        }
        | extra
    }
    body = await gql(client, OPEN_CASE, variables, headers=principals.staff["COMPLIANCE"].headers)
    assert body["data"]["openEnforcementCase"]["userErrors"] == [], body
    return body["data"]["openEnforcementCase"]["case"]["id"]


async def delivered_notice(
    session: AsyncSession, case_gid: str, *, account_key: uuid.UUID, at: datetime, delivered: bool = True
) -> str:
    """An electronic notice of the case, delivered at ``at`` (or still undelivered)."""
    notice = await notices.send_electronic(
        session,
        account_id=account_key,
        addressee="holder@example.cn",
        subject="违规通知",
        body="请于 14 日内整改 (Art. 7.4)",
        sent_by="staff:compliance",
        now=at,
    )
    notice.case_id = decode_id(case_gid)[1]
    if not delivered:
        notice.delivered_at = None
    await session.commit()
    return encode_id("Notice", notice.id)


async def apply(client, principals, case_gid: str, notice_gid: str, kind: str, **extra) -> dict:
    variables = {"input": {"caseId": case_gid, "noticeId": notice_gid, "kind": kind, "reason": "违反 3.4"} | extra}
    body = await gql(client, APPLY, variables, headers=principals.staff["COMPLIANCE"].headers)
    return body["data"]["applyMeasure"]


async def measure_on_a(client, principals, session, clock, kind: str, **extra) -> dict:
    """A case on account A, its notice delivered now, and ``kind`` applied: the payload."""
    case = await open_case(client, principals, **extra.pop("case", {}))
    notice = await delivered_notice(session, case, account_key=principals.account_a.id, at=clock.now())
    return await apply(client, principals, case, notice, kind, **extra)


async def status_of(client, headers, account=None) -> dict:
    body = await gql(client, STATUS, {"id": None if account is None else account_id(account)}, headers=headers)
    assert "errors" not in body, body
    return body["data"]["enforcementStatus"]


def one_notice_in(rows: list[Notice]) -> Notice:
    (row,) = rows
    return row
