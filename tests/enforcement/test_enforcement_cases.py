"""APP-5: resale, sublicensing and reverse engineering are grounds for an enforcement case,
which COMPLIANCE staff open citing Art. 2.11 / 2.14 (ENF-1: source, clauses, AppIDs)."""

from tests.accounts.helpers import account_id, errors, verify
from tests.accounts.queries import CREATE_APP
from tests.conftest import gql
from tests.snapshots import state

OPEN_CASE = """
mutation O($input: OpenCaseInput!) {
  openEnforcementCase(input: $input) { case { id source clauses openedAt } userErrors { code field } }
}
"""
CASES = "query C($id: ID) { account(id: $id) { enforcementCases { source clauses description } } }"


async def test_app5_compliance_opens_a_case_for_resale_and_reverse_engineering(client, principals) -> None:
    await verify(client, principals)
    app = await gql(
        client,
        CREATE_APP,
        {"input": {"name": "转售", "terminals": ["WEB"], "scenarios": ["OTHER"]}},
        headers=principals.holder_a.headers,
    )
    case_input = {
        "accountId": account_id(principals.account_a),
        "apps": [app["data"]["createApp"]["app"]["id"]],
        "source": "RIGHTS_HOLDER_COMPLAINT",
        "clauses": ["2.14", "2.11"],
        "description": "将 SDK 反编译后以自有品牌转售给第三方",
    }
    opened = await gql(client, OPEN_CASE, {"input": case_input}, headers=principals.staff["COMPLIANCE"].headers)
    case = opened["data"]["openEnforcementCase"]["case"]
    assert case["source"] == "RIGHTS_HOLDER_COMPLAINT" and case["clauses"] == ["2.11", "2.14"]
    # The holder sees the case on their own account.
    own = await gql(client, CASES, {"id": None}, headers=principals.holder_a.headers)
    assert own["data"]["account"]["enforcementCases"][0]["clauses"] == ["2.11", "2.14"]


async def test_app5_refused_cases_change_nothing(client, principals, session) -> None:
    await verify(client, principals)
    other_app = await gql(
        client,
        CREATE_APP,
        {"input": {"name": "x", "terminals": ["WEB"], "scenarios": ["OTHER"]}},
        headers=principals.holder_a.headers,
    )
    base = {
        "accountId": account_id(principals.account_b),
        "source": "SELF_DISCOVERED",
        "clauses": ["2.11"],
        "description": "d",
    }
    before = await state(session)
    for change, who, code in (
        ({}, "FINANCE", "INSUFFICIENT_PERMISSION"),
        ({}, "ADMIN", "INSUFFICIENT_PERMISSION"),
        ({"clauses": []}, "COMPLIANCE", "INVALID"),
        ({"clauses": ["resale"]}, "COMPLIANCE", "INVALID"),
        ({"apps": [other_app["data"]["createApp"]["app"]["id"]]}, "COMPLIANCE", "NOT_FOUND"),  # A's app, B's case
    ):
        body = await gql(client, OPEN_CASE, {"input": base | change}, headers=principals.staff[who].headers)
        assert errors(body)[0]["code"] == code
    assert await state(session) == before
    assert (
        errors(await gql(client, OPEN_CASE, {"input": base}, headers=principals.holder_a.headers))[0]["code"]
        == "INSUFFICIENT_PERMISSION"
    )
