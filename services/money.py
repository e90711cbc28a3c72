"""M-1: CNY amounts are exact. Integer fen in the database, Decimal yuan in Python, rounding
half-up to the fen where a rule says so. Never float."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from services.errors import InvalidInput

FEN = Decimal("0.01")
# No single amount beyond ten billion yuan: far above any real payment, far below BigInteger.
MAX_AMOUNT = Decimal("10000000000.00")
# Usage quantities carry up to 6 decimals (CONTRACT.md); stored as integer millionths.
QUANTITY_SCALE = 1_000_000
MAX_QUANTITY = Decimal(10**9)


def fen_to_yuan(fen: int) -> Decimal:
    # The same Decimal as (fen / 100).quantize(FEN), digits and exponent, in one operation: a
    # console page converts hundreds of amounts.
    return Decimal(fen).scaleb(-2)


def round_to_fen(value: Decimal) -> int:
    """Half-up to the fen, as an integer number of fen."""
    return int((value * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def amount_to_fen(value: Decimal, field: str, *, positive: bool = True) -> int:
    """An input amount: at most two decimals (no silent rounding of what a customer typed)."""
    if value.is_finite() and abs(value) > MAX_AMOUNT:  # checked first: a huge value cannot quantize
        raise InvalidInput(f"an amount is at most {MAX_AMOUNT}", field=[field])
    try:
        exact = value.quantize(FEN) == value
    except InvalidOperation:
        exact = False
    if not exact:
        raise InvalidInput("an amount has at most two decimals", field=[field])
    if positive and value <= 0:
        raise InvalidInput("the amount must be positive", field=[field])
    if abs(value) > MAX_AMOUNT:
        raise InvalidInput(f"an amount is at most {MAX_AMOUNT}", field=[field])
    return int(value * 100)


def quantity_to_micros(value: Decimal, field: str = "quantity") -> int:
    try:
        exact = value.quantize(Decimal("0.000001")) == value
    except InvalidOperation:
        exact = False
    if not exact or value < 0 or value > MAX_QUANTITY:
        raise InvalidInput(f"a quantity is 0 to {MAX_QUANTITY} with at most 6 decimals", field=[field])
    return int(value * QUANTITY_SCALE)


def line_amount_fen(quantity_micros: int, unit_price_fen: int) -> int:
    """A bill line: quantity × unit price, rounded half-up to the fen (CONTRACT.md). Exact
    integer arithmetic (both factors are non-negative integers)."""
    return (quantity_micros * unit_price_fen + QUANTITY_SCALE // 2) // QUANTITY_SCALE


BASIS_POINTS = 10_000


def discount_fen(gross_fen: int, basis_points: int) -> int:
    """BIL-3: a line's discount, rounded half-up to the fen."""
    return (gross_fen * basis_points + BASIS_POINTS // 2) // BASIS_POINTS


def daily_rate_fen(base_fen: int, per_mille: int = 1) -> int:
    """PRE-3 / PRE-4: one day's penalty, ``per_mille`` ‰ of the base, rounded half-up to the fen."""
    return (base_fen * per_mille + 500) // 1000


def micros_to_quantity(micros: int) -> Decimal:
    return Decimal(micros).scaleb(-6)
