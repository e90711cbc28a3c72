"""Values at the edges of their range are refused as bad input, never an internal error; and
refusals are the client's answer, not entries in the server's error log."""

import logging

import pytest

from tests.conftest import gql

EDGES = [
    '{ priceList(at: "9999-12-31T23:59:59-14:00") { product } }',
    '{ priceList(at: "0001-01-01T00:00:00+14:00") { product } }',
    '{ workingDays(from: "0001-01-01", to: "0001-01-05") }',
    'mutation { runMonthlyBilling(input: {period: "9999-12-01"}) { issued userErrors { code } } }',
    'mutation { setClock(input: {now: "9999-12-31T23:59:59-14:00"}) { now userErrors { code } } }',
]


@pytest.mark.parametrize("document", EDGES)
async def test_dates_at_the_ends_of_the_calendar_are_invalid_input(client, admin, document) -> None:
    body = await gql(client, document, headers=admin)
    assert body.get("data") is None  # bad input: nothing ran
    assert body["errors"]
    for error in body["errors"]:
        assert error["extensions"]["code"] == "INVALID", error
        assert "year must be between" in error["message"]


async def test_refusals_are_not_logged_as_server_errors(client, principals, caplog) -> None:
    with caplog.at_level(logging.INFO):
        body = await gql(client, "{ heldBills { period } priceList { product } }", headers=principals.sub_a.headers)
    assert body["errors"][0]["extensions"]["code"] == "INSUFFICIENT_PERMISSION"
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
