"""Every list field costs the same number of SQL statements for 1, 10 and 100 items
(DataLoaders and keyset pages, no N+1)."""

import contextlib
import uuid
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import event

from auth.secrets import digest
from models import (
    App,
    AuditRecord,
    Bill,
    BillDispute,
    BillLine,
    BrandUseRequest,
    CalendarDay,
    CalendarYear,
    CompromiseReport,
    LedgerKind,
    OwnershipDispute,
    ProfileChange,
    RealNameState,
    RealNameSubmission,
    ScopeExtensionRequest,
    User,
    UserKind,
)
from services import notices
from services.accounts import personal_data
from services.ledger import entries
from tests.conftest import gql
from tests.factories import make_account

AT = datetime(2026, 9, 1, tzinfo=UTC)


@contextlib.contextmanager
def statements(app):
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        seen.append(statement)

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def add_accounts(session, n: int) -> None:
    key = await personal_data.development_key(session)
    for i in range(n):
        account = await make_account(
            session, name=f"公司{i}", email=f"c{i}@x.cn", real_name_state=RealNameState.VERIFIED
        )
        session.add_all(
            [
                RealNameSubmission(
                    account_id=account.id,
                    subject_type="ENTERPRISE",
                    subject_name=f"公司{i}",
                    subject_number_encrypted=personal_data.encrypt(key, "91350100M000100Y43"),
                    state="VERIFIED",
                    submitted_at=AT,
                ),
                OwnershipDispute(
                    account_id=account.id,
                    complaint="c",
                    froze_account=False,
                    standing_before="NORMAL",
                    opened_by="s",
                    opened_at=AT,
                ),
                CompromiseReport(
                    account_id=account.id,
                    what=["PASSWORD"],
                    description="d",
                    state="INCOMPLETE",
                    reported_by="h",
                    reported_at=AT,
                ),
                BrandUseRequest(account_id=account.id, material="m", description="d"),
            ]
        )


async def add_children(session, principals, n: int, kind: str, start: int = 0) -> None:
    account_id = principals.account_a.id
    for i in range(start, start + n):
        if kind == "subAccounts":
            session.add(
                User(
                    account_id=account_id,
                    kind=UserKind.SUB_ACCOUNT,
                    login=f"s{i}-{uuid.uuid4().hex[:6]}@t",
                    password_hash="x",
                    permissions=["apps:read"],
                )
            )
        elif kind == "apps":
            app = App(
                account_id=account_id,
                app_id=uuid.uuid4().hex,
                name=f"a{i}",
                terminals=["IOS"],
                scenarios=["GAMING"],
                secret_digest=digest("s"),
            )
            session.add(app)
            await session.flush()
            session.add(
                ScopeExtensionRequest(app_id=app.id, account_id=account_id, terminals=["WEB"], scenarios=[], reason="r")
            )
        elif kind == "profileChanges":
            session.add(
                ProfileChange(
                    account_id=account_id,
                    field="email",
                    new_value=f"{i}@x.cn",
                    effective_on=date(2026, 9, 1),
                    reported_at=AT,
                    reported_by="h",
                    late=False,
                )
            )
        elif kind == "auditLog":
            session.add(
                AuditRecord(
                    account_id=account_id, principal_kind="HOLDER", principal="h", action="a", outcome="OK", at=AT
                )
            )
        elif kind == "ledger":
            await entries.post(
                session, account_id=account_id, kind=LedgerKind.TOP_UP, amount_fen=100, reference=None, now=AT
            )
        elif kind == "notices":
            await notices.send_electronic(
                session, account_id=account_id, addressee="a", subject=f"s{i}", body="b", sent_by="s", now=AT
            )
        elif kind == "bills":
            bill = Bill(
                account_id=account_id,
                period=date(1990 + i // 12, i % 12 + 1, 1),
                total_fen=100,
                issued_at=AT,
                delivered_at=AT,
                dispute_deadline=AT,
                pay_by=AT,
                state="DISPUTED",
            )
            session.add(bill)
            await session.flush()
            session.add_all(
                [
                    BillLine(
                        bill_id=bill.id,
                        kind="USAGE",
                        product_code="BANDWIDTH_GB",
                        quantity_micros=1,
                        unit_price_fen=100,
                        discount_fen=0,
                        amount_fen=100,
                        service_period=bill.period,
                    ),
                    BillDispute(bill_id=bill.id, amount_fen=1, reason="r", opened_by="h", opened_at=AT),
                ]
            )
        elif kind == "holidayCalendars":
            year = CalendarYear(year=1900 + i, loaded_at=AT, loaded_by="s")
            session.add(year)
            await session.flush()
            session.add(CalendarDay(year_id=year.id, day=date(1900 + i, 1, 1), kind="HOLIDAY"))


CHILD_QUERIES = {
    "subAccounts": "{ account { subAccounts(first: 100) { edges { node { id login permissions } } } } }",
    "apps": "{ account { apps(first: 100) { edges { node { id appId scopeExtensionRequests { id state } } } } } }",
    "profileChanges": "{ account { profileChanges(first: 100) { edges { node { id field late } } } } }",
    "auditLog": "{ account { auditLog(first: 100) { edges { node { id action } } } } }",
    "holidayCalendars": "{ holidayCalendars(first: 100) { edges { node { year holidays adjustedWorkdays } } } }",
    "ledger": "{ account { ledger(first: 100) { edges { node { id kind amount balanceAfter } } } } }",
    "notices": "{ account { notices(first: 100) { edges { node { id subject deliveredAt } } } } }",
    "bills": "{ account { bills(first: 100) { edges { node { id state lines { amount } dispute { state } "
    "disputeDeadlineExplained { due skipped pausedBy } payByExplained { due } } } } } }",
}

ACCOUNTS = """
{ accounts(first: 100) { edges { node { id profile { name creditCode }
    realName { state subjectNumber } ownershipDisputes { id } compromiseReports { id } brandUseRequests { id }
    partnerClients { id } enforcementCases { id } balance pendingTopUps { id }
    arrears accruedPenalties paymentStanding { daysOverdue } } } } }
"""


async def cost(client, app, query: str, headers: dict) -> int:
    with statements(app) as seen:
        body = await gql(client, query, headers=headers)
    assert "errors" not in body, body
    return len(seen)


@pytest.mark.parametrize("field", list(CHILD_QUERIES))
async def test_list_fields_cost_the_same_for_1_10_and_100_items(client, app, principals, session, field) -> None:
    await principals.login(principals.holder_a)  # before counting: a first use would count the login too
    costs, added = [], 0
    for total in (1, 10, 100):
        await add_children(session, principals, total - added, field, start=added)
        await session.commit()
        added = total
        costs.append(await cost(client, app, CHILD_QUERIES[field], principals.holder_a.headers))
    assert costs[0] == costs[1] == costs[2], costs


async def test_accounts_list_costs_the_same_for_1_10_and_100_accounts(client, app, principals, session) -> None:
    await principals.login(principals.staff["COMPLIANCE"])  # before counting: a first use would count the login too
    costs, added = [], 2  # the two accounts of the principals fixture
    for total in (3, 12, 100):
        await add_accounts(session, total - added)
        await session.commit()
        added = total
        costs.append(await cost(client, app, ACCOUNTS, principals.staff["COMPLIANCE"].headers))
    assert costs[0] == costs[1] == costs[2], costs
