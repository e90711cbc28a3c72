"""M-1: an amount is written in ASCII digits (schema/scalars.py). Python's Decimal() also reads
full-width, Arabic-Indic and other Unicode digits, exponents and signs; none of them may credit
anything."""

from decimal import Decimal

import pytest

from services.errors import InvalidInput
from services.money import amount_to_fen
from tests.conftest import gql
from tests.snapshots import state

TOP_UP = """
mutation T($input: TopUpInput!) { topUp(input: $input) { entry { amount } userErrors { code field } } }
"""
ODD_AMOUNTS = [
    *("１００", "١٠٠", "१००", "５.００"),  # full-width, Arabic-Indic, Devanagari digits
    *("1e2", "1E2", "+5", " 5", "5 ", "NaN", "Infinity", "-Infinity", "1.", ".5", "0x10", "1_000", "1,000"),
    *("", "-", "1" * 41, "0." + "0" * 40),
    *(1.5, True, [], {}),  # not a string or an integer
]


def top_up(amount, key: str) -> dict:
    return {"input": {"amount": amount, "method": "ONLINE", "reference": "支付宝 1", "idempotencyKey": key}}


@pytest.fixture
def holder(principals) -> dict:
    return principals.holder_a.headers


async def test_m1_amounts_in_other_digits_or_notations_credit_nothing(client, holder, session) -> None:
    before = await state(session)
    for i, amount in enumerate(ODD_AMOUNTS):
        body = await gql(client, TOP_UP, top_up(amount, f"k-{i}"), headers=holder)
        assert body["data"] is None, amount
        (error,) = body["errors"]
        assert error["extensions"]["code"] == "INVALID", (amount, error)
        assert "amount" in error["message"]  # graphql-core names the input field
    for literal in ('"１００"', '"1e2"', '"+5"', "1e2"):
        query = f'mutation {{ topUp(input: {{amount: {literal}, method: ONLINE, reference: "r", idempotencyKey: "x"}}) {{ userErrors {{ code }} }} }}'
        body = await gql(client, query, headers=holder)
        assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "INVALID", literal
        assert body["errors"][0]["locations"], literal  # points at the literal
    assert await state(session) == before


async def test_m1_more_than_two_decimals_is_a_user_error_naming_the_field(client, holder) -> None:
    body = await gql(client, TOP_UP, top_up("1.001", "k"), headers=holder)
    assert body["data"]["topUp"]["userErrors"] == [{"code": "INVALID", "field": ["amount"]}]


@pytest.mark.parametrize(("amount", "credited"), [("100", "100.00"), ("0.5", "0.50"), ("12.34", "12.34"), (7, "7.00")])
async def test_m1_ascii_amounts_are_accepted(client, holder, amount, credited) -> None:
    body = await gql(client, TOP_UP, top_up(amount, "k"), headers=holder)
    assert body["data"]["topUp"] == {"entry": None, "userErrors": []}  # PRE-2: pending until paid
    pending = await gql(client, "{ account { pendingTopUps { amount } } }", headers=holder)
    assert pending["data"]["account"]["pendingTopUps"] == [{"amount": credited}]


def test_m1_a_huge_amount_is_refused_as_too_large_not_for_its_decimals() -> None:
    """Forty digits cannot be quantized to the fen; the answer names the real problem."""
    with pytest.raises(InvalidInput, match="an amount is at most"):
        amount_to_fen(Decimal("1" * 40), "amount")
