"""SEC-1 through node(id:), for every Node type: an object of account A resolves for A's
members as far as the grant of the list that shows it allows (a refused own object is
INSUFFICIENT_PERMISSION at ["node"]), for staff always (each read audited on A), and for
nobody else: account B's holder, sub-accounts and partner clients and the metering client get
null, with no error that would say the object exists."""

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import select

from auth.secrets import digest, new_secret
from models import (
    AccountEvent,
    AuditRecord,
    Bill,
    BillDispute,
    BrandUseRequest,
    CalendarYear,
    ClientKind,
    CompromiseReport,
    EnforcementCase,
    Invoice,
    InvoiceProfileChange,
    LedgerKind,
    Measure,
    MeasureKind,
    OAuthClient,
    OwnershipDispute,
    ProfileChange,
    ScopeExtensionRequest,
    TopUp,
    UserKind,
    WebhookDelivery,
    WebhookEndpoint,
)
from models.vocabulary import CUSTOMER_SCOPES
from schema.relay import encode_id
from services import notices
from services.ledger import entries
from tests.conftest import DEFAULT_NOW, answered, gql
from tests.factories import AccountRef, make_app, make_user
from tests.principals import token_for

NODE = "query N($id: ID!) { node(id: $id) { __typename id } }"
NODE_TYPES = '{ __type(name: "Node") { possibleTypes { name } } }'

HOLDER, STAFF, PUBLIC, MEMBER = "holder", "staff", "public", "member"
# Who reads each Node type of an account, as the list field that shows it says (a scope, or:
# every member, the holder, staff only; PUBLIC is no account's object).
GRANTS = {
    "Account": MEMBER,
    "App": "apps:read",
    "ScopeExtensionRequest": "apps:read",  # App.scopeExtensionRequests
    "AuditRecord": HOLDER,
    "SubAccount": HOLDER,
    "PartnerClient": HOLDER,
    "CompromiseReport": HOLDER,
    "BrandUseRequest": HOLDER,
    "EnforcementCase": HOLDER,
    "Measure": HOLDER,  # EnforcementStatus.measures: the holder and staff
    "ProfileChange": "account:read",
    "Notice": "account:read",
    "Bill": "billing:read",
    "BillDispute": "billing:read",  # Bill.dispute
    "LedgerEntry": "billing:read",
    "PendingTopUp": "billing:read",
    "OwnershipDispute": STAFF,
    "HolidayCalendar": PUBLIC,
    "Invoice": "invoices:read",
    "InvoiceProfileChange": "invoices:read",
    "WebhookEndpoint": "webhooks:write",  # Account.webhookEndpoints (issue 14)
    "WebhookDelivery": "webhooks:write",  # WebhookEndpoint.deliveries
}


async def objects_of(session, account_id: uuid.UUID, sub_account_id: uuid.UUID) -> dict[str, str]:
    """One object of every Node type, all of ``account_id``: {GraphQL type: global ID}."""
    at = DEFAULT_NOW
    app = await make_app(session, account_id=account_id)
    bill = Bill(
        account_id=account_id,
        period=date(2026, 8, 1),
        total_fen=100,
        issued_at=at,
        delivered_at=at,
        dispute_deadline=at,
        state="DISPUTED",
    )
    session.add(bill)
    await session.flush()
    rows = {
        "ScopeExtensionRequest": ScopeExtensionRequest(
            app_id=app.id, account_id=account_id, terminals=["WEB"], scenarios=[], reason="r"
        ),
        "AuditRecord": AuditRecord(
            account_id=account_id, principal_kind="HOLDER", principal="h", action="a", outcome="OK", at=at
        ),
        "PartnerClient": OAuthClient(
            client_id=f"partner_{uuid.uuid4().hex[:8]}",
            name="ERP",
            kind=ClientKind.PARTNER,
            account_id=account_id,
            scopes=["billing:read"],
            created_by="h",
        ),
        "CompromiseReport": CompromiseReport(
            account_id=account_id,
            what=["PASSWORD"],
            description="d",
            state="INCOMPLETE",
            reported_by="h",
            reported_at=at,
        ),
        "BrandUseRequest": BrandUseRequest(account_id=account_id, material="m", description="d"),
        "EnforcementCase": EnforcementCase(
            account_id=account_id,
            source="SELF_DISCOVERED",
            clauses=["2.11"],
            description="d",
            opened_by="s",
            opened_at=at,
        ),
        "ProfileChange": ProfileChange(
            account_id=account_id,
            field="email",
            new_value="x@x.cn",
            effective_on=date(2026, 9, 1),
            reported_at=at,
            reported_by="h",
            late=False,
        ),
        "BillDispute": BillDispute(bill_id=bill.id, amount_fen=1, reason="r", opened_by="h", opened_at=at),
        "PendingTopUp": TopUp(
            account_id=account_id,
            method="BANK_TRANSFER",
            amount_fen=100,
            reference="r",
            idempotency_key=uuid.uuid4().hex,
            state="PENDING",
            requested_at=at,
        ),
        "OwnershipDispute": OwnershipDispute(
            account_id=account_id,
            complaint="c",
            froze_account=False,
            standing_before="NORMAL",
            opened_by="s",
            opened_at=at,
        ),
        "HolidayCalendar": CalendarYear(year=1999, loaded_at=at, loaded_by="s"),
        "Invoice": Invoice(account_id=account_id, type="VAT_GENERAL", amount_fen=1, requested_at=at, requested_by="h"),
        "InvoiceProfileChange": InvoiceProfileChange(
            account_id=account_id, field="title", new_value="t", changed_at=at, changed_by="h"
        ),
    }
    session.add_all(rows.values())
    entry = await entries.post(
        session, account_id=account_id, kind=LedgerKind.TOP_UP, amount_fen=100, reference=None, now=at
    )
    notice = await notices.send_electronic(
        session, account_id=account_id, addressee="a", subject="s", body="b", sent_by="s", now=at
    )
    measure = Measure(
        account_id=account_id,
        case_id=rows["EnforcementCase"].id,
        notice_id=notice.id,
        kind=MeasureKind.OTHER_LIABILITY,
        reason="r",
        effective_at=at,
        applied_by="s",
    )
    session.add(measure)
    endpoint = WebhookEndpoint(account_id=account_id, url="https://h.example/", secret_encrypted="v1:x", created_by="h")
    session.add(endpoint)
    await session.flush()
    event = (await session.execute(select(AccountEvent).where(AccountEvent.account_id == account_id))).scalars().first()
    delivery = WebhookDelivery(endpoint_id=endpoint.id, event_id=event.id, account_id=account_id, event_type=event.type)
    session.add(delivery)
    await session.commit()
    id_types = {"PendingTopUp": "TopUp"}  # the type's global IDs name the stored top-up
    found = {name: encode_id(id_types.get(name, name), row.id) for name, row in rows.items()}
    return found | {
        "Account": encode_id("Account", account_id),
        "App": encode_id("App", app.id),
        "SubAccount": encode_id("SubAccount", sub_account_id),
        "Bill": encode_id("Bill", bill.id),
        "LedgerEntry": encode_id("LedgerEntry", entry.id),
        "Notice": encode_id("Notice", notice.id),
        "Measure": encode_id("Measure", measure.id),
        "WebhookEndpoint": encode_id("WebhookEndpoint", endpoint.id),
        "WebhookDelivery": encode_id("WebhookDelivery", delivery.id),
    }


async def client_headers(client, session, *, kind: ClientKind, account_id=None, creator=None, scopes=()) -> dict:
    """A partner (or metering) client's bearer token, through the client_credentials grant."""
    secret = new_secret()
    row = OAuthClient(
        client_id=f"c_{uuid.uuid4().hex[:12]}",
        name="c",
        kind=kind,
        secret_digest=digest(secret),
        account_id=account_id,
        scopes=list(scopes),
        created_by="test",
        created_by_user_id=creator,
    )
    session.add(row)
    await session.commit()
    response = await client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(row.client_id, secret)
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def sub_account_headers(client, session, *, account: AccountRef, permissions: list[str]) -> dict:
    """A new sub-account of ``account`` with ``permissions``, logged in through the real flow."""
    who = await make_user(session, UserKind.SUB_ACCOUNT, account=account, permissions=permissions)
    await session.commit()
    return {"Authorization": f"Bearer {(await token_for(client, who.login))['access_token']}"}


async def node(client, global_id: str, headers: dict) -> dict:
    return await gql(client, NODE, {"id": global_id}, headers=headers)


def refused(body: dict) -> bool:
    """node is null and the one error is INSUFFICIENT_PERMISSION at ["node"]."""
    return body["data"] == {"node": None} and [(e["extensions"]["code"], e["path"]) for e in body["errors"]] == [
        ("INSUFFICIENT_PERMISSION", ["node"])
    ]


def may_read(grant: str, *, holder: bool, scopes: set[str]) -> bool:
    return grant in (MEMBER, PUBLIC) or (grant == HOLDER and holder) or grant in scopes


async def test_sec1_the_matrix_covers_every_node_type(client, principals) -> None:
    """A new Node type must join GRANTS (and so the matrix below) before this passes again."""
    body = await gql(client, NODE_TYPES, headers=principals.holder_a.headers)
    assert {t["name"] for t in body["data"]["__type"]["possibleTypes"]} == set(GRANTS)


async def test_sec1_another_accounts_objects_are_null_for_every_node_type(client, principals, session) -> None:
    objects = await objects_of(session, principals.account_a.id, principals.sub_a.user_id)
    b = principals.account_b.id
    outsiders = {
        "holder B": principals.holder_b.headers,
        "sub-account of B with every grant": await sub_account_headers(
            client, session, account=principals.account_b, permissions=sorted(CUSTOMER_SCOPES)
        ),
        "partner client of B with every scope": await client_headers(
            client,
            session,
            kind=ClientKind.PARTNER,
            account_id=b,
            creator=principals.holder_b.user_id,
            scopes=sorted(CUSTOMER_SCOPES),
        ),
        "metering client": await client_headers(client, session, kind=ClientKind.METERING, scopes=["usage:write"]),
    }
    for name, headers in outsiders.items():
        for type_name, global_id in objects.items():
            body = await node(client, global_id, headers)
            if GRANTS[type_name] == PUBLIC:
                assert body["data"]["node"] == {"__typename": type_name, "id": global_id}, (name, type_name)
            else:
                assert answered(body) == {"data": {"node": None}}, (name, type_name, body)

    # Not vacuous: A's holder resolves every one of them that is not staff-only.
    for type_name, global_id in objects.items():
        body = await node(client, global_id, principals.holder_a.headers)
        if GRANTS[type_name] == STAFF:
            assert refused(body), (type_name, body)
        else:
            assert answered(body) == {"data": {"node": {"__typename": type_name, "id": global_id}}}, (type_name, body)


async def test_sec1_members_read_own_nodes_by_the_grant_of_the_list_that_shows_them(
    client, principals, session
) -> None:
    objects = await objects_of(session, principals.account_a.id, principals.sub_a.user_id)
    a = principals.account_a.id
    members = {
        "sub-account without grants": (
            await sub_account_headers(client, session, account=principals.account_a, permissions=[]),
            set(),
        ),
        "sub-account with billing:read": (
            await sub_account_headers(client, session, account=principals.account_a, permissions=["billing:read"]),
            {"billing:read"},
        ),
        "sub-account with apps:read and account:read": (
            await sub_account_headers(
                client, session, account=principals.account_a, permissions=["apps:read", "account:read"]
            ),
            {"apps:read", "account:read"},
        ),
        "partner client of A": (
            await client_headers(
                client,
                session,
                kind=ClientKind.PARTNER,
                account_id=a,
                creator=principals.holder_a.user_id,
                scopes=["billing:read", "apps:read"],
            ),
            {"billing:read", "apps:read"},
        ),
    }
    for name, (headers, scopes) in members.items():
        for type_name, global_id in objects.items():
            body = await node(client, global_id, headers)
            if may_read(GRANTS[type_name], holder=False, scopes=scopes):
                assert answered(body) == {"data": {"node": {"__typename": type_name, "id": global_id}}}, (
                    name,
                    type_name,
                    body,
                )
            else:
                assert refused(body), (name, type_name, body)


async def test_sec1_staff_read_every_accounts_nodes_and_each_read_is_audited(client, principals, session) -> None:
    objects = await objects_of(session, principals.account_a.id, principals.sub_a.user_id)
    for role, who in principals.staff.items():
        for type_name, global_id in objects.items():
            body = await node(client, global_id, who.headers)
            assert answered(body) == {"data": {"node": {"__typename": type_name, "id": global_id}}}, (
                role,
                type_name,
                body,
            )
    reads = (
        await session.execute(
            select(AuditRecord.principal, AuditRecord.account_id).where(AuditRecord.action == "account.read")
        )
    ).all()
    per_read = [principals.account_a.id] * (len(objects) - 1)  # the calendar is no account's
    for who in principals.staff.values():
        assert [account for principal, account in reads if principal == f"staff:{who.login}"] == per_read


async def test_ntc4_sec1_announcements_are_every_customers_but_undelivered_objects_nobodys(
    client, principals, session
) -> None:
    at = datetime(2026, 9, 1, tzinfo=UTC)
    announcement = await notices.send_electronic(
        session, account_id=None, addressee="all", subject="维护", body="b", sent_by="s", now=at
    )
    undelivered = Bill(
        account_id=principals.account_a.id, period=date(2026, 8, 1), total_fen=1, issued_at=at, state="ISSUED"
    )
    session.add(undelivered)
    await session.commit()
    notice_id = encode_id("Notice", announcement.id)
    for headers in (principals.holder_a.headers, principals.holder_b.headers):
        assert (await node(client, notice_id, headers))["data"]["node"] == {"__typename": "Notice", "id": notice_id}
    # NTC-1: a bill not yet delivered does not exist for its customer.
    bill_id = encode_id("Bill", undelivered.id)
    assert answered(await node(client, bill_id, principals.holder_a.headers)) == {"data": {"node": None}}
