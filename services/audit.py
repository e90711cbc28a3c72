"""ACC-3 / SEC-1: write and read the append-only audit trail.

Services call ``record`` in the same transaction as the effect they audit, so an effect
never commits without its record. Refusals are recorded too (outcome = the error code).
"""

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Account, AuditRecord, PrincipalKind
from services.clock import Clock
from services.errors import DomainError

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: the audit trail's view of a principal (the auth layer builds it)."""

    kind: PrincipalKind
    principal: str
    account_id: uuid.UUID | None = None
    request_id: str | None = None

    @classmethod
    def operator(cls, name: str) -> "Actor":
        """A vendor operator at the command line (``accord …``): staff by definition."""
        return cls(kind=PrincipalKind.STAFF, principal=f"cli:{name}")


OK = "OK"
# AuditRecord.target's width: a target built from what a client typed (an app's name, a
# login) is cut to it rather than failing the request on PostgreSQL.
TARGET_WIDTH = 200


async def record(
    session: AsyncSession,
    *,
    clock: Clock,
    actor: Actor,
    action: str,
    outcome: str = OK,
    target: str | None = None,
    account_id: uuid.UUID | None = None,
    detail: str | None = None,
) -> AuditRecord:
    (entry,) = await record_many(
        session,
        clock=clock,
        actor=actor,
        action=action,
        outcome=outcome,
        targets=[(account_id, target)],
        detail=detail,
    )
    return entry


async def record_many(
    session: AsyncSession,
    *,
    clock: Clock,
    actor: Actor,
    action: str,
    targets: Sequence[tuple[uuid.UUID | None, str | None]],
    outcome: str = OK,
    detail: str | None = None,
) -> list[AuditRecord]:
    """One record per (account, target), flushed together (e.g. every account a list showed)."""
    at = clock.now()
    entries = [
        AuditRecord(
            account_id=account_id if account_id is not None else actor.account_id,
            principal_kind=actor.kind,
            principal=actor.principal,
            action=action,
            target=target[:TARGET_WIDTH] if target is not None else None,
            outcome=outcome,
            detail=detail,
            request_id=actor.request_id,
            at=at,
        )
        for account_id, target in targets
    ]
    session.add_all(entries)
    await session.flush()
    return entries


async def list_records(
    session: AsyncSession, *, action: str | None = None, account_id: uuid.UUID | None = None
) -> Sequence[AuditRecord]:
    query = select(AuditRecord).order_by(AuditRecord.id)
    if action is not None:
        query = query.where(AuditRecord.action == action)
    if account_id is not None:
        query = query.where(AuditRecord.account_id == account_id)
    return (await session.execute(query)).scalars().all()


async def audited(
    session: AsyncSession,
    *,
    clock: Clock,
    actor: Actor,
    action: str,
    call: Callable[[], Awaitable[T]],
    target: str | None = None,
    account_id: uuid.UUID | None = None,
    account_of: Callable[[T], uuid.UUID] | None = None,
) -> T:
    """Run one mutation's service call and audit it, refused or not (ACC-3).

    ``account_of`` names the account of the result when it is only known afterwards (a
    registration creates it).

    The call runs in a SAVEPOINT: a refusal rolls back whatever it had flushed, so a refused
    mutation changes nothing but the audit record that says it was refused.
    """
    try:
        async with session.begin_nested():
            result = await call()
    except DomainError as error:
        if account_id is not None and await session.get(Account, account_id) is None:
            # The input named an account that does not exist (the refusal says NOT_FOUND): the
            # record keeps the reference in its target, but cannot point at a missing row.
            account_id = None
        await record(
            session,
            clock=clock,
            actor=actor,
            action=action,
            target=target,
            account_id=account_id,
            outcome=error.code.value,
            detail=error.message,
        )
        raise
    if account_of is not None:
        account_id = account_of(result)
    await record(session, clock=clock, actor=actor, action=action, target=target, account_id=account_id)
    return result
