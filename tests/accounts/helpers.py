"""Shared steps of the account tests, through the API."""

from schema.relay import encode_id
from tests.accounts.queries import REVIEW_REAL_NAME, SUBMIT_REAL_NAME
from tests.conftest import gql
from tests.factories import AccountRef, Who

USCC = "91350100M000100Y43"
RESIDENT_ID = "11010519491231002X"


def account_id(account) -> str:
    return encode_id("Account", account.id)


async def verify(client, principals, *, holder: Who | None = None) -> None:
    """ACC-4 through the API: the holder (A's unless given) submits, COMPLIANCE approves."""
    holder = holder or principals.holder_a
    submitted = await gql(
        client,
        SUBMIT_REAL_NAME,
        {"input": {"subjectType": "ENTERPRISE", "subjectName": "甲公司", "subjectNumber": USCC}},
        headers=holder.headers,
    )
    assert submitted["data"]["submitRealName"]["userErrors"] == []
    reviewed = await gql(
        client,
        REVIEW_REAL_NAME,
        {"input": {"accountId": account_id(AccountRef(holder.account_id)), "approve": True}},
        headers=principals.staff["COMPLIANCE"].headers,
    )
    assert reviewed["data"]["reviewRealName"]["userErrors"] == []


def errors(body: dict) -> list[dict]:
    (payload,) = body["data"].values()
    return payload["userErrors"]
