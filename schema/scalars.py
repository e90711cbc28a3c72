"""The contract's scalars: Decimal (CNY, a two-decimal string), Date, DateTime (with offset)."""

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import strawberry
from graphql import GraphQLError, ValueNode, value_from_ast_untyped

TWO_PLACES = Decimal("0.01")

# ASCII digits with an optional minus and decimal point. Python's Decimal() would also take
# `１００`, `١٠٠`, `1e2`, `+5`, ` 5 ` or `NaN`: none of them is how an amount is written.
# Ranges and decimal places are the services' to check (services.money: two for an amount,
# six for a usage quantity), so that refusal names the field; the length cap only keeps a
# megabyte of digits from reaching them.
_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")
MAX_DECIMAL_LENGTH = 40


class InvalidScalar(GraphQLError):
    """A malformed scalar value: a top-level error with code INVALID. For a variable,
    graphql-core's message names the variable and the input field; for a literal in the
    document, the error's location points at it."""

    def __init__(self, message: str, node: ValueNode | None = None) -> None:
        super().__init__(message, node, extensions={"code": "INVALID"})


def _parse_decimal(value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InvalidScalar('Decimal takes a string such as "1234.50"')
    text = str(value)
    if len(text) > MAX_DECIMAL_LENGTH or not _DECIMAL.fullmatch(text):
        raise InvalidScalar(
            f'{text[:40]!r} is not a Decimal: ASCII digits, an optional minus and decimal point, such as "1234.50"'
        )
    return Decimal(text)


def _literal(parse: Callable[[object], Any]) -> Callable[..., Any]:
    """``parse`` for a literal in the document: the error then points at the literal."""

    def parse_literal(node: ValueNode, variables: dict | None = None) -> Any:
        try:
            return parse(value_from_ast_untyped(node, variables))
        except InvalidScalar as error:
            raise InvalidScalar(error.message, node) from None

    return parse_literal


def _serialize_decimal(value: Decimal) -> str:
    """Amounts (whole fen) as exactly two decimals. A usage quantity (BillLine.quantity, up
    to 6 decimals) keeps its further decimals instead of being rounded away."""
    exact = Decimal(value)
    two = exact.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
    return str(two) if two == exact else format(exact.normalize(), "f")


# The years a Date or DateTime may name. Rules add months and days to what they are given (a
# bill's next month, a deadline, a conversion to UTC): at the ends of Python's range that would
# overflow into an internal error, so such a value is refused as input instead.
YEARS = range(1900, 9000)


def _in_range(value: date, raw: str) -> None:
    if value.year not in YEARS:
        raise InvalidScalar(f"the year must be between {YEARS.start} and {YEARS.stop - 1}: {raw[:40]!r}")


def _parse_date(value: object) -> date:
    if not isinstance(value, str):
        raise InvalidScalar('Date takes an ISO 8601 string such as "2026-10-08"')
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise InvalidScalar(f"not a calendar date (YYYY-MM-DD): {value[:40]!r}") from None
    _in_range(parsed, value)
    return parsed


def _parse_datetime(value: object) -> datetime:
    if not isinstance(value, str):
        raise InvalidScalar("DateTime takes an ISO 8601 string with an offset")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidScalar(f"not an ISO 8601 date-time: {value[:40]!r}") from None
    if parsed.tzinfo is None:
        raise InvalidScalar(f"DateTime needs an offset (e.g. +08:00 or Z): {value[:40]!r}")
    _in_range(parsed, value)
    return parsed


DecimalScalar = strawberry.scalar(
    name="Decimal",
    description="CNY amount, string, two decimals (a usage quantity may carry up to six)",
    serialize=_serialize_decimal,
    parse_value=_parse_decimal,
    parse_literal=_literal(_parse_decimal),
)

DateScalar = strawberry.scalar(
    name="Date",
    description="a calendar day in Asia/Shanghai, ISO 8601",
    serialize=lambda value: value.isoformat(),
    parse_value=_parse_date,
    parse_literal=_literal(_parse_date),
)

DateTimeScalar = strawberry.scalar(
    name="DateTime",
    description="ISO 8601 with offset",
    serialize=lambda value: value.isoformat(),
    parse_value=_parse_datetime,
    parse_literal=_literal(_parse_datetime),
)

SCALAR_OVERRIDES = {Decimal: DecimalScalar, date: DateScalar, datetime: DateTimeScalar}
