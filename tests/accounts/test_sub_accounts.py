"""ACC-8: sub-accounts never exceed their grants and cannot manage sub-accounts."""

from tests.accounts.helpers import errors, verify
from tests.accounts.queries import CREATE_APP, CREATE_SUB, SET_PERMISSIONS
from tests.conftest import gql
from tests.principals import token_for
from tests.snapshots import state

APP = {"input": {"name": "课堂", "terminals": ["WEB"], "scenarios": ["EDUCATION"]}}


async def test_acc8_holder_grants_from_the_fixed_list_only(client, principals, session) -> None:
    before = await state(session)
    for permissions, code in ((["root"], "INVALID"), (["usage:write"], "INVALID")):
        body = await gql(
            client, CREATE_SUB, {"login": "ops@a.test", "permissions": permissions}, headers=principals.holder_a.headers
        )
        assert [(e["code"], e["field"]) for e in errors(body)] == [(code, ["permissions"])]
    assert await state(session) == before
    made = await gql(
        client,
        CREATE_SUB,
        {"login": "ops@a.test", "permissions": ["apps:read", "apps:write"]},
        headers=principals.holder_a.headers,
    )
    assert made["data"]["createSubAccount"]["subAccount"]["permissions"] == ["apps:read", "apps:write"]


async def test_acc8_sub_accounts_cannot_manage_sub_accounts(client, principals, session) -> None:
    before = await state(session)
    body = await gql(client, CREATE_SUB, {"login": "x@a.test", "permissions": []}, headers=principals.sub_a.headers)
    assert errors(body)[0]["code"] == "INSUFFICIENT_PERMISSION"
    assert await state(session) == before


async def test_acc8_a_sub_account_never_exceeds_its_grants(client, principals, session) -> None:
    await verify(client, principals)
    before = await state(session)
    # sub_a holds account:read and billing:read only.
    assert (
        errors(await gql(client, CREATE_APP, APP, headers=principals.sub_a.headers))[0]["code"]
        == "INSUFFICIENT_PERMISSION"
    )
    assert await state(session) == before

    made = await gql(
        client, CREATE_SUB, {"login": "dev@a.test", "permissions": ["apps:write"]}, headers=principals.holder_a.headers
    )
    sub_id = made["data"]["createSubAccount"]["subAccount"]["id"]
    token = (await token_for(client, "dev@a.test", "sub-password-123"))["access_token"]
    dev = {"Authorization": f"Bearer {token}"}
    assert errors(await gql(client, CREATE_APP, APP, headers=dev)) == []

    # Narrowing takes effect on the very next request with the same token.
    narrowed = await gql(
        client, SET_PERMISSIONS, {"id": sub_id, "permissions": ["apps:read"]}, headers=principals.holder_a.headers
    )
    assert narrowed["data"]["setSubAccountPermissions"]["subAccount"]["permissions"] == ["apps:read"]
    assert errors(await gql(client, CREATE_APP, APP, headers=dev))[0]["code"] == "INSUFFICIENT_PERMISSION"
    viewer = await gql(client, "{ viewer { permissions } }", headers=dev)
    assert viewer["data"]["viewer"]["permissions"] == []  # the token held apps:write only
