"""AUTH-2 principals, AUTH-3 token contents, AUTH-4 revocation on the next request, partner
clients (client credentials)."""

import base64
import json

from sqlalchemy import select, update

from models import Account, OAuthClient, Standing, User
from tests.conftest import gql
from tests.principals import token_for
from tests.snapshots import state

VIEWER = "{ viewer { kind staffRoles permissions account { id holderType } } }"
CREATE_PARTNER = """
mutation P($scopes: [String!]!) {
  createPartnerClient(input: {name: "Partner ERP", scopes: $scopes}) { clientId clientSecret userErrors { code field } }
}
"""
CREATE_SUB = """
mutation S($login: String!, $permissions: [String!]!) {
  createSubAccount(input: {login: $login, password: "sub-password-123", permissions: $permissions}) {
    subAccount { id login permissions disabled } userErrors { code field message }
  }
}
"""
DISABLE_SUB = (
    "mutation D($id: ID!) { disableSubAccount(input: {id: $id}) { subAccount { disabled } userErrors { code } } }"
)
REVOKE_ALL = "mutation R($id: ID) { revokeAllTokens(input: {accountId: $id}) { account { id } userErrors { code } } }"


def claims_of(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


async def partner_token(client, holder_headers, scopes=("billing:read",)) -> tuple[str, str, str]:
    created = (await gql(client, CREATE_PARTNER, {"scopes": list(scopes)}, headers=holder_headers))["data"]
    partner = created["createPartnerClient"]
    assert partner["userErrors"] == []
    response = await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(partner["clientId"], partner["clientSecret"]),
    )
    assert response.status_code == 200, response.text
    return partner["clientId"], partner["clientSecret"], response.json()["access_token"]


async def test_auth2_viewer_is_the_typed_principal(client, principals) -> None:
    holder = (await gql(client, VIEWER, headers=principals.holder_a.headers))["data"]["viewer"]
    assert holder["kind"] == "HOLDER" and holder["staffRoles"] == []
    assert "partners:write" in holder["permissions"] and "usage:write" not in holder["permissions"]
    assert holder["account"]["holderType"] == "ENTERPRISE"

    sub = (await gql(client, VIEWER, headers=principals.sub_a.headers))["data"]["viewer"]
    assert sub["kind"] == "SUB_ACCOUNT" and sub["permissions"] == ["account:read", "billing:read"]
    assert sub["account"]["id"] == holder["account"]["id"]

    for role, who in principals.staff.items():
        staff = (await gql(client, VIEWER, headers=who.headers))["data"]["viewer"]
        assert staff["kind"] == "STAFF" and staff["staffRoles"] == [role] and staff["account"] is None

    _, _, token = await partner_token(client, principals.holder_a.headers)
    partner_headers = {"Authorization": f"Bearer {token}"}
    partner = await gql(client, "{ viewer { kind staffRoles permissions account { id } } }", headers=partner_headers)
    assert partner["data"]["viewer"] == {
        "kind": "PARTNER_CLIENT",
        "staffRoles": [],
        "permissions": ["billing:read"],
        "account": {"id": holder["account"]["id"]},  # a member of the account reads it
    }
    # ...but billing:read does not include account:read, which holderType asks for.
    refused = await gql(client, VIEWER, headers=partner_headers)
    assert [(e["extensions"]["code"], e["path"]) for e in refused["errors"]] == [
        ("INSUFFICIENT_PERMISSION", ["viewer", "account", "holderType"])
    ]


async def test_auth3_tokens_carry_the_principal_and_its_account(principals) -> None:
    claims = claims_of(await principals.login(principals.holder_a))
    assert claims["sub"] == str(principals.holder_a.user_id)
    assert claims["acct"] == str(principals.account_a.id)
    assert claims["kind"] == "HOLDER" and claims["client_id"] == "console"


async def test_partner_client_secret_is_shown_once_and_stored_hashed(client, principals, session) -> None:
    client_id, secret, token = await partner_token(client, principals.holder_a.headers)
    row = (await session.execute(select(OAuthClient).where(OAuthClient.client_id == client_id))).scalar_one()
    assert row.secret_digest != secret and secret not in row.secret_digest
    assert row.account_id == principals.account_a.id
    assert claims_of(token)["acct"] == str(principals.account_a.id)
    wrong = await client.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, "guess"))
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    # A partner client has no authorization code or refresh grant.
    code_grant = await client.post(
        "/oauth/token", data={"grant_type": "refresh_token", "refresh_token": "x"}, auth=(client_id, secret)
    )
    assert code_grant.status_code == 400


async def test_partner_scopes_are_a_subset_of_the_creator(client, principals, session) -> None:
    refused = await gql(client, CREATE_PARTNER, {"scopes": ["usage:write"]}, headers=principals.holder_a.headers)
    assert refused["data"]["createPartnerClient"]["userErrors"] == [{"code": "INVALID", "field": ["scopes"]}]
    # A sub-account needs partners:write, and can only hand out what it holds itself.
    sub = (await gql(client, CREATE_PARTNER, {"scopes": ["billing:read"]}, headers=principals.sub_a.headers))["data"]
    assert sub["createPartnerClient"]["userErrors"][0]["code"] == "INSUFFICIENT_PERMISSION"
    await session.execute(
        update(User).where(User.id == principals.sub_a.user_id).values(permissions=["billing:read", "partners:write"])
    )
    await session.commit()
    token = (await token_for(client, principals.sub_a.login))["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    beyond = (await gql(client, CREATE_PARTNER, {"scopes": ["apps:write"]}, headers=headers))["data"]
    assert beyond["createPartnerClient"]["userErrors"] == [{"code": "INSUFFICIENT_PERMISSION", "field": ["scopes"]}]
    within = (await gql(client, CREATE_PARTNER, {"scopes": ["billing:read"]}, headers=headers))["data"]
    assert within["createPartnerClient"]["userErrors"] == []
    assert len((await session.execute(select(OAuthClient))).scalars().all()) == 1


async def test_auth4_disabled_sub_account_token_dies_on_next_request(client, principals) -> None:
    sub_headers = principals.sub_a.headers
    assert (await client.post("/graphql", json={"query": VIEWER}, headers=sub_headers)).status_code == 200
    created = await gql(
        client,
        CREATE_SUB,
        {"login": "ops@a.test", "permissions": ["billing:read"]},
        headers=principals.holder_a.headers,
    )
    sub = created["data"]["createSubAccount"]["subAccount"]
    sub_token = await token_for(client, "ops@a.test", "sub-password-123")
    headers = {"Authorization": f"Bearer {sub_token['access_token']}"}
    assert (await client.post("/graphql", json={"query": VIEWER}, headers=headers)).status_code == 200

    disabled = await gql(client, DISABLE_SUB, {"id": sub["id"]}, headers=principals.holder_a.headers)
    assert disabled["data"]["disableSubAccount"] == {"subAccount": {"disabled": True}, "userErrors": []}
    assert (await client.post("/graphql", json={"query": VIEWER}, headers=headers)).status_code == 401
    refreshed = await client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": sub_token["refresh_token"], "client_id": "console"},
    )
    assert refreshed.status_code == 400
    # The other sub-account is untouched.
    assert (await client.post("/graphql", json={"query": VIEWER}, headers=sub_headers)).status_code == 200


async def test_auth4_revoke_all_tokens_kills_every_token_of_the_account(client, principals) -> None:
    _, _, partner = await partner_token(client, principals.holder_a.headers)
    holder_tokens = await token_for(client, principals.holder_a.login)
    await principals.login(principals.sub_a)  # every victim holds a token issued before the revocation
    victims = [principals.holder_a.headers, principals.sub_a.headers, {"Authorization": f"Bearer {partner}"}]
    revoked = await gql(client, REVOKE_ALL, {"id": None}, headers=principals.holder_a.headers)
    assert revoked["data"]["revokeAllTokens"]["userErrors"] == []
    for headers in victims:
        assert (await client.post("/graphql", json={"query": VIEWER}, headers=headers)).status_code == 401
    refreshed = await client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": holder_tokens["refresh_token"], "client_id": "console"},
    )
    assert refreshed.status_code == 400
    # Another account is untouched; a fresh login works again.
    assert (
        await client.post("/graphql", json={"query": VIEWER}, headers=principals.holder_b.headers)
    ).status_code == 200
    fresh = await token_for(client, principals.holder_a.login)
    assert (await gql(client, VIEWER, headers={"Authorization": f"Bearer {fresh['access_token']}"}))["data"]


async def test_auth4_disabled_partner_client_is_refused_at_once(client, principals, session) -> None:
    client_id, secret, token = await partner_token(client, principals.holder_a.headers)
    await session.execute(update(OAuthClient).where(OAuthClient.client_id == client_id).values(disabled=True))
    await session.commit()
    assert (
        await client.post("/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {token}"})
    ).status_code == 401
    again = await client.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret))
    assert again.status_code == 401


async def test_auth4_frozen_account_reads_but_every_mutation_is_account_frozen(client, principals, session) -> None:
    await session.execute(update(Account).where(Account.id == principals.account_a.id).values(standing=Standing.FROZEN))
    await session.commit()
    viewer = await gql(client, VIEWER, headers=principals.holder_a.headers)
    assert viewer["data"]["viewer"]["kind"] == "HOLDER"  # the same, unexpired token still reads
    for query, variables in (
        (CREATE_SUB, {"login": "x@a.test", "permissions": []}),
        (CREATE_PARTNER, {"scopes": ["billing:read"]}),
        (REVOKE_ALL, {"id": None}),
    ):
        body = await gql(client, query, variables, headers=principals.holder_a.headers)
        (payload,) = body["data"].values()
        assert payload["userErrors"][0]["code"] == "ACCOUNT_FROZEN"
    assert (await session.execute(select(OAuthClient))).scalars().all() == []


DISABLE_CLIENT = "mutation D($id: ID!) { disablePartnerClient(input: {id: $id}) { clientId userErrors { code } } }"
ROTATE_CLIENT = (
    "mutation R($id: ID!) { rotatePartnerClientSecret(input: {id: $id}) { clientSecret userErrors { code } } }"
)
CLIENTS = "{ account { partnerClients { id clientId scopes disabled } } }"


async def _sub_with_partners_write(client, principals, session) -> dict:
    await session.execute(
        update(User).where(User.id == principals.sub_a.user_id).values(permissions=["billing:read", "partners:write"])
    )
    await session.commit()
    return {"Authorization": f"Bearer {(await token_for(client, principals.sub_a.login))['access_token']}"}


async def test_acc8_a_partner_client_never_outlives_or_outgrows_its_creator(client, principals, session) -> None:
    sub = await _sub_with_partners_write(client, principals, session)
    client_id, secret, token = await partner_token(client, sub, scopes=("billing:read",))
    bearer = {"Authorization": f"Bearer {token}"}
    assert (await client.post("/graphql", json={"query": VIEWER}, headers=bearer)).status_code == 200

    # Narrowing the creator narrows the client at once.
    await session.execute(
        update(User).where(User.id == principals.sub_a.user_id).values(permissions=["partners:write"])
    )
    await session.commit()
    assert (await gql(client, "{ viewer { permissions } }", headers=bearer))["data"]["viewer"]["permissions"] == []

    # Disabling the creator stops the client: its token and its credentials.
    await session.execute(update(User).where(User.id == principals.sub_a.user_id).values(disabled=True))
    await session.commit()
    assert (await client.post("/graphql", json={"query": VIEWER}, headers=bearer)).status_code == 401
    again = await client.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret))
    assert again.status_code == 401


async def test_acc8_clients_cannot_create_clients(client, principals, session) -> None:
    _, _, token = await partner_token(client, principals.holder_a.headers, scopes=("partners:write", "billing:read"))
    before = await state(session)
    body = await gql(client, CREATE_PARTNER, {"scopes": ["billing:read"]}, headers={"Authorization": f"Bearer {token}"})
    assert body["data"]["createPartnerClient"]["userErrors"][0]["code"] == "INSUFFICIENT_PERMISSION"
    assert await state(session) == before


async def test_acc6_auth4_holder_disables_or_rotates_a_partner_client(client, principals, session) -> None:
    client_id, secret, token = await partner_token(client, principals.holder_a.headers)
    (listed,) = (await gql(client, CLIENTS, headers=principals.holder_a.headers))["data"]["account"]["partnerClients"]
    assert listed["clientId"] == client_id and listed["disabled"] is False

    rotated = await gql(client, ROTATE_CLIENT, {"id": listed["id"]}, headers=principals.holder_a.headers)
    new_secret = rotated["data"]["rotatePartnerClientSecret"]["clientSecret"]
    assert new_secret and new_secret != secret
    assert (
        await client.post("/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {token}"})
    ).status_code == 401
    old = await client.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret))
    assert old.status_code == 401
    fresh = await client.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, new_secret))
    assert fresh.status_code == 200

    other = await gql(client, DISABLE_CLIENT, {"id": listed["id"]}, headers=principals.holder_b.headers)
    assert other["data"]["disablePartnerClient"]["userErrors"][0]["code"] == "NOT_FOUND"  # SEC-1
    disabled = await gql(client, DISABLE_CLIENT, {"id": listed["id"]}, headers=principals.holder_a.headers)
    assert disabled["data"]["disablePartnerClient"]["userErrors"] == []
    newest = {"Authorization": f"Bearer {fresh.json()['access_token']}"}
    assert (await client.post("/graphql", json={"query": VIEWER}, headers=newest)).status_code == 401
