"""ENF-5: a frozen account's principals (holder, sub-account, partner client) are refused with
ACCOUNT_FROZEN on EVERY mutation of the schema, and a terminated account's on every mutation
but paying and asking for a refund. The test walks the built schema's Mutation type, so a new
mutation that forgets the check (``schema.permissions.standing_refusal``) fails here."""

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
)

from models import Account, UserKind
from models.vocabulary import CUSTOMER_SCOPES
from schema import build_schema
from schema.permissions import AFTER_TERMINATION
from tests.accounts.helpers import account_id
from tests.auth.test_principals import partner_token
from tests.conftest import gql
from tests.enforcement.helpers import measure_on_a, status_of
from tests.factories import make_user
from tests.principals import token_for

SCHEMA = build_schema()._schema
SCALARS = {
    "String": "x",
    "Int": 1,
    "Float": 1.0,
    "Boolean": False,
    "Date": "2026-10-12",
    "DateTime": "2026-10-12T00:00:00Z",
    "Decimal": "1.00",
}


def value_of(type_, node_id: str):
    """A valid value for a GraphQL input type: every field, required or not, filled in."""
    if isinstance(type_, GraphQLNonNull):
        return value_of(type_.of_type, node_id)
    if isinstance(type_, GraphQLList):
        return [value_of(type_.of_type, node_id)]
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    if isinstance(type_, GraphQLInputObjectType):
        return {name: value_of(field.type, node_id) for name, field in type_.fields.items()}
    assert isinstance(type_, GraphQLScalarType), type_
    return node_id if type_.name == "ID" else SCALARS[type_.name]


def every_mutation(node_id: str) -> list[tuple[str, str, dict]]:
    """(name, document, variables) for each field of Mutation."""
    calls = []
    for name, field in SCHEMA.mutation_type.fields.items():
        declared = ", ".join(f"${arg}: {spec.type}" for arg, spec in field.args.items())
        passed = ", ".join(f"{arg}: ${arg}" for arg in field.args)
        variables = {arg: value_of(spec.type, node_id) for arg, spec in field.args.items()}
        head = f"mutation M({declared})" if declared else "mutation M"
        call = f"{name}({passed})" if passed else name
        calls.append((name, f"{head} {{ {call} {{ userErrors {{ code message }} }} }}", variables))
    return calls


def test_the_walk_covers_every_mutation() -> None:
    names = {name for name, _, _ in every_mutation("x")}
    assert names == set(SCHEMA.mutation_type.fields) and len(names) > 40
    assert {"applyMeasure", "liftMeasure", "registerAccount", "topUp", "requestRefund"} <= names


async def members_of_a(client, principals, session) -> dict[str, dict]:
    """Headers of A's holder, a sub-account with every permission and a partner client."""
    account = await session.get(Account, principals.account_a.id)
    sub = await make_user(session, UserKind.SUB_ACCOUNT, account=account, permissions=sorted(CUSTOMER_SCOPES))
    await session.commit()
    *_, partner = await partner_token(client, principals.holder_a.headers, scopes=sorted(CUSTOMER_SCOPES))
    return {
        "holder": principals.holder_a.headers,
        "sub-account": {"Authorization": f"Bearer {(await token_for(client, sub.login))['access_token']}"},
        "partner": {"Authorization": f"Bearer {partner}"},
    }


async def refusals(client, headers: dict, node_id: str) -> dict[str, list[dict]]:
    found = {}
    for name, document, variables in every_mutation(node_id):
        body = await gql(client, document, variables, headers=headers)
        assert "errors" not in body, (name, body)
        found[name] = body["data"][name]["userErrors"]
    return found


async def test_enf5_a_frozen_accounts_principals_are_refused_every_mutation(client, principals, session, clock) -> None:
    members = await members_of_a(client, principals, session)
    frozen = await measure_on_a(client, principals, session, clock, "FREEZE_ACCOUNT")
    assert frozen["userErrors"] == []
    node_id = account_id(principals.account_a)
    for who, headers in members.items():
        for name, user_errors in (await refusals(client, headers, node_id)).items():
            assert [e["code"] for e in user_errors] == ["ACCOUNT_FROZEN"], (who, name, user_errors)
        # Reads still work.
        assert (await gql(client, "{ account { id standing } }", headers=headers))["data"]["account"] == {
            "id": node_id,
            "standing": "FROZEN",
        }
    assert (await status_of(client, principals.holder_a.headers))["standing"] == "FROZEN"


async def test_enf5_a_terminated_account_only_pays_and_asks_for_a_refund(client, principals, session, clock) -> None:
    members = await members_of_a(client, principals, session)
    ended = await measure_on_a(client, principals, session, clock, "TERMINATE", case={"clauses": ["7.5"]})
    assert ended["userErrors"] == [], ended
    node_id = account_id(principals.account_a)
    for who, headers in members.items():
        for name, user_errors in (await refusals(client, headers, node_id)).items():
            ended_refusal = [e for e in user_errors if "agreement has ended" in e["message"]]
            if name in AFTER_TERMINATION:
                assert ended_refusal == [], (who, name)
            else:
                assert [e["code"] for e in ended_refusal] == ["INVALID_STATE"], (who, name, user_errors)
    assert {"topUp", "requestRefund"} == AFTER_TERMINATION
