"""M-1: exact money, half-up to the fen; no floats anywhere."""

from decimal import Decimal

import pytest

from services.errors import InvalidInput
from services.money import amount_to_fen, fen_to_yuan, line_amount_fen, quantity_to_micros, round_to_fen


@pytest.mark.parametrize(
    ("value", "fen"),
    [("0.004", 0), ("0.005", 1), ("0.015", 2), ("2.675", 268), ("1.0049999", 100), ("123456789.125", 12345678913)],
)
def test_m1_rounding_is_half_up_to_the_fen(value: str, fen: int) -> None:
    assert round_to_fen(Decimal(value)) == fen


def test_m1_a_line_is_quantity_times_unit_price_rounded_half_up() -> None:
    # 1.234567 thousand minutes at 7.00 = 8.641969 -> 8.64; 0.000715 at 7.00 = 0.005005 -> 0.01
    assert line_amount_fen(quantity_to_micros(Decimal("1.234567")), 700) == 864
    assert line_amount_fen(quantity_to_micros(Decimal("0.000715")), 700) == 1
    assert fen_to_yuan(864) == Decimal("8.64")


def test_m1_input_amounts_are_exact_or_refused() -> None:
    assert amount_to_fen(Decimal("12.50"), "amount") == 1250
    with pytest.raises(InvalidInput):
        amount_to_fen(Decimal("12.505"), "amount")
    with pytest.raises(InvalidInput):
        quantity_to_micros(Decimal("0.0000001"))
