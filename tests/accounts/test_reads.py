"""SEC-1 / ACC-8: every member of an account reads its own account (`account`, `viewer.account`,
`account(id:)` with its own ID), whatever its grants; each field of Account then asks for its
own grant, and a refused field is an INSUFFICIENT_PERMISSION error at its path."""

import pytest

from models import ClientKind
from schema.relay import encode_id
from tests.auth.test_node_scope import HOLDER, STAFF, client_headers, sub_account_headers
from tests.conftest import answered, gql

OWN = "query O($id: ID) { account { id } viewer { account { id } } byId: account(id: $id) { id } }"
BALANCE = "{ account { balance } }"

# Each field of Account and who reads it (ACC-8 grants as the fields declare them today).
FIELDS = {
    "holderType": "account:read",
    "standing": "account:read",
    "profile { name }": "account:read",
    "realName { state }": "account:read",
    "profileChanges { edges { node { id } } }": "account:read",
    "notices { edges { node { id } } }": "account:read",
    "balance": "billing:read",
    "arrears": "billing:read",
    "accruedPenalties": "billing:read",
    "paymentStanding { daysOverdue }": "billing:read",
    "bills { edges { node { id } } }": "billing:read",
    "ledger { edges { node { id } } }": "billing:read",
    "pendingTopUps { id }": "billing:read",
    "apps { edges { node { id } } }": "apps:read",
    "subAccounts { edges { node { id } } }": HOLDER,
    "auditLog { edges { node { id } } }": HOLDER,
    "partnerClients { id }": HOLDER,
    "enforcementCases { id }": HOLDER,
    "brandUseRequests { id }": HOLDER,
    "compromiseReports { id }": HOLDER,
    "ownershipDisputes { id }": STAFF,
}


def refusals(body: dict) -> list[tuple[str, list]]:
    return [(e["extensions"]["code"], e["path"]) for e in body.get("errors", [])]


async def test_sec1_acc8_a_sub_account_with_only_billing_read_reads_its_balance(client, principals, session) -> None:
    """The issue's case: `{ account { balance } }` answered `account: null` with no error."""
    headers = await sub_account_headers(client, session, account=principals.account_a, permissions=["billing:read"])
    assert answered(await gql(client, BALANCE, headers=headers)) == {"data": {"account": {"balance": "0.00"}}}


async def test_sec1_acc8_every_member_reads_its_own_account_whatever_its_grants(client, principals, session) -> None:
    a, b = principals.account_a.id, principals.account_b.id
    own = encode_id("Account", a)
    members = {
        "holder": principals.holder_a.headers,
        "sub-account without grants": await sub_account_headers(
            client, session, account=principals.account_a, permissions=[]
        ),
        "sub-account with apps:read": await sub_account_headers(
            client, session, account=principals.account_a, permissions=["apps:read"]
        ),
        "partner client with billing:read": await client_headers(
            client,
            session,
            kind=ClientKind.PARTNER,
            account_id=a,
            creator=principals.holder_a.user_id,
            scopes=["billing:read"],
        ),
    }
    for name, headers in members.items():
        body = await gql(client, OWN, {"id": own}, headers=headers)
        assert answered(body) == {
            "data": {"account": {"id": own}, "viewer": {"account": {"id": own}}, "byId": {"id": own}}
        }, name
        # Another account is still simply not found.
        other = await gql(
            client, "query($id: ID) { account(id: $id) { id } }", {"id": encode_id("Account", b)}, headers=headers
        )
        assert answered(other) == {"data": {"account": None}}, name


@pytest.mark.parametrize(
    "permissions",
    [[], ["billing:read"], ["apps:read"], ["account:read"], ["account:read", "billing:read", "apps:read"]],
)
async def test_acc8_each_account_field_asks_for_its_own_grant(client, principals, session, permissions) -> None:
    headers = await sub_account_headers(client, session, account=principals.account_a, permissions=permissions)
    for selection, grant in FIELDS.items():
        body = await gql(client, f"{{ account {{ id {selection} }} }}", headers=headers)
        field = selection.split(" ")[0]
        if grant in permissions:
            assert "errors" not in body and body["data"]["account"]["id"], (selection, body)
        else:
            assert refusals(body) == [("INSUFFICIENT_PERMISSION", ["account", field])], (selection, body)


async def test_acc8_the_holder_reads_every_field_but_the_staff_only_ones(client, principals) -> None:
    for selection, grant in FIELDS.items():
        body = await gql(client, f"{{ account {{ id {selection} }} }}", headers=principals.holder_a.headers)
        if grant == STAFF:
            assert refusals(body) == [("INSUFFICIENT_PERMISSION", ["account", selection.split(" ")[0]])], selection
        else:
            assert "errors" not in body, (selection, body)


# needs non-propagating errors (lead's change): today a refused non-null field nulls `account`.
async def test_sec1_a_refused_field_leaves_its_siblings_and_the_account(client, principals, session) -> None:
    headers = await sub_account_headers(client, session, account=principals.account_a, permissions=["billing:read"])
    body = await gql(client, "{ account { id balance apps { edges { node { id } } } } }", headers=headers)
    assert body["data"] == {
        "account": {"id": encode_id("Account", principals.account_a.id), "balance": "0.00", "apps": None}
    }
    assert refusals(body) == [("INSUFFICIENT_PERMISSION", ["account", "apps"])]
