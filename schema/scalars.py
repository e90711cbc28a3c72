"""The contract's scalars: Decimal (CNY, a two-decimal string), Date, DateTime (with offset)."""

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import strawberry

TWO_PLACES = Decimal("0.01")


def _parse_decimal(value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError('Decimal takes a string such as "1234.50"')
    try:
        parsed = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"not a decimal number: {value!r}") from None
    if not parsed.is_finite():
        raise ValueError(f"not a finite decimal number: {value!r}")
    return parsed


def _serialize_decimal(value: Decimal) -> str:
    """Amounts (whole fen) as exactly two decimals. A usage quantity (BillLine.quantity, up
    to 6 decimals) keeps its further decimals instead of being rounded away."""
    exact = Decimal(value)
    two = exact.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
    return str(two) if two == exact else format(exact.normalize(), "f")


def _parse_date(value: object) -> date:
    if not isinstance(value, str):
        raise ValueError('Date takes an ISO 8601 string such as "2026-10-08"')
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"not a calendar date (YYYY-MM-DD): {value!r}") from None


def _parse_datetime(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError("DateTime takes an ISO 8601 string with an offset")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"not an ISO 8601 date-time: {value!r}") from None
    if parsed.tzinfo is None:
        raise ValueError(f"DateTime needs an offset (e.g. +08:00 or Z): {value!r}")
    return parsed


DecimalScalar = strawberry.scalar(
    name="Decimal",
    description="CNY amount, string, two decimals (a usage quantity may carry up to six)",
    serialize=_serialize_decimal,
    parse_value=_parse_decimal,
)

DateScalar = strawberry.scalar(
    name="Date",
    description="a calendar day in Asia/Shanghai, ISO 8601",
    serialize=lambda value: value.isoformat(),
    parse_value=_parse_date,
)

DateTimeScalar = strawberry.scalar(
    name="DateTime",
    description="ISO 8601 with offset",
    serialize=lambda value: value.isoformat(),
    parse_value=_parse_datetime,
)

SCALAR_OVERRIDES = {Decimal: DecimalScalar, date: DateScalar, datetime: DateTimeScalar}
