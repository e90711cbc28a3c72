"""ACC-4: real-name verification. UNVERIFIED → PENDING → VERIFIED | REJECTED (resubmit after
rejection); the subject must match the holder type; staff (FINANCE, COMPLIANCE) review."""

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Account, HolderType, RealNameState, RealNameSubmission, SubmissionState
from services.accounts import personal_data, validation
from services.batch import locked
from services.errors import InvalidInput, InvalidState, SubjectMismatch


async def submit(
    session: AsyncSession,
    *,
    account: Account,
    subject_type: HolderType,
    subject_name: str,
    subject_number: str,
    data_key: bytes,
    now: datetime,
) -> RealNameSubmission:
    await _lock(session, account)
    if account.real_name_state == RealNameState.PENDING:
        raise InvalidState("a submission is already waiting for review")
    if account.real_name_state == RealNameState.VERIFIED:
        raise InvalidState("the account is verified already")
    if subject_type != account.holder_type:
        raise SubjectMismatch(
            f"a {account.holder_type.lower()} account is verified with a {account.holder_type.lower()} subject",
            field=["subjectType"],
        )
    name = validation.single_line(subject_name, "subjectName")
    number = (
        validation.credit_code(subject_number)
        if subject_type == HolderType.ENTERPRISE
        else validation.resident_id(subject_number)
    )
    submission = RealNameSubmission(
        account_id=account.id,
        subject_type=subject_type,
        subject_name=name,
        subject_number_encrypted=personal_data.encrypt(data_key, number),
        submitted_at=now,
    )
    account.real_name_state = RealNameState.PENDING
    session.add(submission)
    await session.flush()
    return submission


async def review(
    session: AsyncSession, *, account: Account, approve: bool, reason: str | None, reviewer: str, now: datetime
) -> RealNameSubmission:
    await _lock(session, account)
    submission = (await latest_submissions(session, [account.id])).get(account.id)
    if submission is None or submission.state != SubmissionState.PENDING:
        raise InvalidState("no submission is waiting for review", field=["accountId"])
    if not approve and not (reason and reason.strip()):
        raise InvalidInput("a rejection states its reason", field=["reason"])
    submission.state = SubmissionState.VERIFIED if approve else SubmissionState.REJECTED
    submission.reviewed_at, submission.reviewed_by = now, reviewer
    submission.reason = validation.text(reason, "reason", max_length=1000) if reason and reason.strip() else None
    account.real_name_state = RealNameState.VERIFIED if approve else RealNameState.REJECTED
    await session.flush()
    return submission


async def _lock(session: AsyncSession, account: Account) -> None:
    """Serialise submissions and reviews of one account (two concurrent ones both passing the
    state check would leave an orphan or contradictory decision). SQLite serialises writers."""
    await locked(session, Account, account.id)


async def latest_submissions(
    session: AsyncSession, account_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, RealNameSubmission]:
    """The newest submission of each account, in one query (DataLoader batch)."""
    # UUIDv7 keys sort by creation; row_number works on both databases (max(uuid) does not).
    ranked = (
        select(
            RealNameSubmission.id,
            func.row_number()
            .over(partition_by=RealNameSubmission.account_id, order_by=RealNameSubmission.id.desc())
            .label("rank"),
        )
        .where(RealNameSubmission.account_id.in_(account_ids))
        .subquery()
    )
    newest = select(ranked.c.id).where(ranked.c.rank == 1)
    rows = await session.execute(select(RealNameSubmission).where(RealNameSubmission.id.in_(newest)))
    return {row.account_id: row for row in rows.scalars()}
