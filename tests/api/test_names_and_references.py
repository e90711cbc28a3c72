"""Names and references are one line of visible text (services/accounts/validation.py
single_line): control characters, bidirectional overrides, isolates and marks, and other format
characters are refused as INVALID naming the field. Free text keeps line breaks but not
controls or bidirectional overrides."""

from tests.accounts.helpers import verify
from tests.conftest import gql
from tests.snapshots import state

# U+202E RIGHT-TO-LEFT OVERRIDE makes "支付宝 ‮1002" display as "支付宝 2001".
INVISIBLE = [
    "\u202e",
    "\u202a",
    "\u2066",
    "\u2069",
    "\u200e",
    "\u200f",
    "\u200b",
    "\ufeff",
    "\x07",
    "\x1b",
    "\n",
    "\u2028",
]

TOP_UP = "mutation T($input: TopUpInput!) { topUp(input: $input) { entry { amount } userErrors { code field } } }"
CREATE_APP = (
    "mutation A($input: CreateAppInput!) { createApp(input: $input) { app { name } userErrors { code field } } }"
)
PROFILE = """mutation U($input: UpdateAccountProfileInput!) {
  updateAccountProfile(input: $input) { userErrors { code field } } }"""
PARTNER = """mutation P($name: String!) {
  createPartnerClient(input: {name: $name, scopes: ["billing:read"]}) { userErrors { code field } } }"""
SUB = """mutation S($login: String!) {
  createSubAccount(input: {login: $login, password: "sub-password-123", permissions: []}) { userErrors { code field } } }"""
REPORT = """mutation C($description: String!) {
  reportCompromise(input: {what: [PASSWORD], description: $description}) { state userErrors { code field } } }"""


def user_errors(body: dict) -> list[dict]:
    (payload,) = body["data"].values()
    return payload["userErrors"]


async def test_a_top_up_reference_with_a_control_or_bidi_character_is_invalid(client, principals) -> None:
    for character in INVISIBLE:
        reference = f"支付宝 {character}1002"
        variables = {"input": {"amount": "1.00", "method": "ONLINE", "reference": reference, "idempotencyKey": "k"}}
        body = await gql(client, TOP_UP, variables, headers=principals.holder_a.headers)
        assert user_errors(body) == [{"code": "INVALID", "field": ["reference"]}], repr(character)


async def test_names_and_logins_refuse_invisible_characters(client, principals, session) -> None:
    holder = principals.holder_a.headers
    await verify(client, principals)
    before = await state(session)
    cases = [
        (CREATE_APP, {"input": {"name": "直播\u202e间", "terminals": ["IOS"], "scenarios": ["OTHER"]}}, "name"),
        (PROFILE, {"input": {"name": "甲公司\u2066", "effectiveOn": "2026-09-29"}}, "name"),
        (PROFILE, {"input": {"contactPerson": "张\u200f三", "effectiveOn": "2026-09-29"}}, "contactPerson"),
        (PROFILE, {"input": {"address": "深圳市\n南山区", "effectiveOn": "2026-09-29"}}, "address"),
        (PARTNER, {"name": "ERP\x1b[31m"}, "name"),
        (SUB, {"login": "ops\u202e@a.test"}, "login"),
        (REPORT, {"description": "stolen \u202egnirts"}, "description"),
    ]
    for query, variables, field in cases:
        body = await gql(client, query, variables, headers=holder)
        assert user_errors(body) == [{"code": "INVALID", "field": [field]}], (variables, body)
    assert await state(session) == before

    # Visible text, and line breaks in free text, are fine.
    made = await gql(
        client,
        CREATE_APP,
        {"input": {"name": "直播间 2", "terminals": ["IOS"], "scenarios": ["OTHER"]}},
        headers=holder,
    )
    assert made["data"]["createApp"] == {"app": {"name": "直播间 2"}, "userErrors": []}
    report = await gql(client, REPORT, {"description": "第一行\n第二行\t👩‍💻"}, headers=holder)
    assert user_errors(report) == []
