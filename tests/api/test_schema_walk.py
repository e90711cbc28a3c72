"""Every principal asks for everything at once: each readable root field and every Account field
in one document (issue 9, item 1). Whatever is refused is refused at its own path; the answer is
200, nothing is INTERNAL, and it comes in bounded time."""

import time

import pytest
from graphql import (
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLUnionType,
    Undefined,
    get_named_type,
    is_leaf_type,
    is_non_null_type,
)

from models import Account, UserKind
from models.vocabulary import CUSTOMER_SCOPES, Scope
from schema import build_schema
from tests.auth.test_principals import partner_token
from tests.factories import make_user
from tests.principals import token_for

SCHEMA = build_schema()._schema
# A value for each required argument, by its type's name.
VALUES = {
    "Date": '"2026-09-01"',
    "DateTime": '"2026-09-30T00:00:00Z"',
    "String": '"x"',
    "Int": "1",
    "Boolean": "false",
    "Decimal": '"1.00"',
}
# How deep below Account (and below each root field) the walk selects: deep enough to reach a
# connection's nodes and their own lists.
DEPTH = 4


def arguments(field: GraphQLField, node_id: str) -> str | None:
    """The required arguments of ``field`` filled in; None when one cannot be (an input object)."""
    given = []
    for name, arg in field.args.items():
        if not is_non_null_type(arg.type) or arg.default_value is not Undefined:
            continue
        named = get_named_type(arg.type)
        if isinstance(named, GraphQLInputObjectType):
            return None
        value = f'"{node_id}"' if named.name == "ID" else VALUES.get(named.name, '"x"')
        if name == "to":
            value = '"2026-10-12"'
        given.append(f"{name}: {value}")
    return f"({', '.join(given)})" if given else ""


def selection(type_, depth: int, node_id: str) -> str:
    named = get_named_type(type_)
    if is_leaf_type(named):
        return ""
    if depth == 0 or isinstance(named, GraphQLUnionType | GraphQLInterfaceType):
        return " { __typename }"
    assert isinstance(named, GraphQLObjectType)
    parts = []
    for name, field in named.fields.items():
        args = arguments(field, node_id)
        if args is not None:
            parts.append(name + args + selection(field.type, depth - 1, node_id))
    return " { " + " ".join(parts) + " }"


def everything(node_id: str) -> str:
    """Each root query field, and `account` with every field of Account."""
    root = SCHEMA.query_type
    parts = []
    for name, field in root.fields.items():
        args = arguments(field, node_id)
        if args is None:
            continue
        depth = DEPTH + 1 if name in ("account", "viewer") else DEPTH
        parts.append(name + args + selection(field.type, depth, node_id))
    return "{ " + " ".join(parts) + " }"


async def ask_everything(client, headers: dict, node_id: str) -> dict:
    started = time.perf_counter()
    response = await client.post("/graphql", json={"query": everything(node_id)}, headers=headers)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.text
    body = response.json()
    codes = [error.get("extensions", {}).get("code") for error in body.get("errors", [])]
    assert "INTERNAL" not in codes and None not in codes, body["errors"]
    assert elapsed < 15, f"{elapsed:.1f} s"
    return body


def test_the_walk_covers_every_account_field() -> None:
    document = everything("x")
    for name in SCHEMA.type_map["Account"].fields:
        assert f" {name}" in document or f"{{{name}" in document, name


async def test_holder_partner_and_every_staff_role_ask_for_everything(client, principals) -> None:
    account_id = (
        await client.post("/graphql", json={"query": "{ account { id } }"}, headers=principals.holder_a.headers)
    ).json()["data"]["account"]["id"]
    body = await ask_everything(client, principals.holder_a.headers, account_id)
    assert body["data"]["account"]["id"] == account_id
    assert body["data"]["account"]["balance"] == "0.00"

    *_, token = await partner_token(client, principals.holder_a.headers, scopes=sorted(CUSTOMER_SCOPES))
    body = await ask_everything(client, {"Authorization": f"Bearer {token}"}, account_id)
    assert body["data"]["account"]["id"] == account_id

    for role, staff in principals.staff.items():
        body = await ask_everything(client, staff.headers, account_id)
        assert body["data"]["viewer"]["staffRoles"] == [role]
        assert body["data"]["accounts"] is not None


@pytest.mark.parametrize("permission", sorted(CUSTOMER_SCOPES))
async def test_a_sub_account_with_one_permission_asks_for_everything(client, session, principals, permission) -> None:
    account = await session.get(Account, principals.account_a.id)
    sub = await make_user(session, UserKind.SUB_ACCOUNT, account=account, permissions=[permission])
    await session.commit()
    headers = {"Authorization": f"Bearer {(await token_for(client, sub.login))['access_token']}"}
    body = await ask_everything(client, headers, "QWNjb3VudDox")
    account_data = body["data"]["account"]
    assert account_data is not None and account_data["id"]  # every member reads its own account
    refused = {tuple(e["path"][:2]) for e in body["errors"] if e["extensions"]["code"] == "INSUFFICIENT_PERMISSION"}
    if permission == Scope.BILLING_READ:
        assert account_data["balance"] == "0.00"
    else:
        assert account_data["balance"] is None and ("account", "balance") in refused
