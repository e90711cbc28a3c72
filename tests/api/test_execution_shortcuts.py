"""The two shortcuts of the request path answer exactly as graphql-core does (issue 15):
lists of plain objects completed in one loop (schema/plain_lists.py), and variables coerced by
functions built per input type (schema/variables.py). Each case runs both ways and compares."""

import enum
from decimal import Decimal
from typing import ClassVar

import pytest
import strawberry
from graphql import GraphQLNonNull, OperationDefinitionNode, parse
from graphql.pyutils import Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema import variables
from schema.build import build_schema
from schema.execution import FieldErrorsStayPut


class GraphQLCoreCompletes(StrawberryGraphQLCoreExecutionContext):
    """Accord's execution without the plain-list loop."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.error_propagation = False


@strawberry.enum
class Colour(enum.Enum):
    RED = "RED"
    BLUE = "BLUE"


@strawberry.type
class Detail:
    code: Colour
    field: list[str] | None
    note: str | None = None


@strawberry.interface
class Named:
    name: str


@strawberry.type
class Other(Named):
    size: int


@strawberry.type
class Thing:
    name: str
    size: int
    ratio: float
    big: Decimal
    detail: Detail | None
    tags: list[str]

    @strawberry.field
    def shout(self) -> str:
        return self.name.upper()


def things(broken: bool = False) -> list[Thing]:
    detail = Detail(code=Colour.RED, field=["a", "b"])
    made = [
        Thing(name=f"t{i}", size=i, ratio=i / 3, big=Decimal("1.50"), detail=detail if i % 2 else None, tags=["x"])
        for i in range(4)
    ]
    if broken:
        made[2].name = None  # a null in a non-null field: graphql-core's error at its path
    return made


@strawberry.type
class Query:
    @strawberry.field
    def things(self, broken: bool = False) -> list[Thing]:
        return things(broken)

    @strawberry.field
    def named(self) -> list[Named]:
        return [Other(name=f"o{i}", size=i) for i in range(4)]


class Counted(FieldErrorsStayPut):
    loops: ClassVar[list[int]] = []

    def complete_plain_list(self, *args):
        completed = super().complete_plain_list(*args)
        Counted.loops.append(len(completed))
        return completed


QUERIES = [
    "{ things { name size ratio big tags detail { code field note } } }",
    "{ things { n: name __typename d: detail { c: code __typename } name } }",
    "{ things { ...F detail { ... on Detail { code } } } } fragment F on Thing { size tags }",
    "{ things { name @include(if: false) size @skip(if: true) ratio } }",
    "{ things { name shout } }",  # a resolver field: graphql-core completes the list
    "{ named { name ... on Other { size } } }",  # an interface: graphql-core completes it
    "{ things(broken: true) { name size } }",  # an error: graphql-core reports it at its path
]


@pytest.mark.parametrize("query", QUERIES)
def test_plain_lists_answer_as_graphql_core(query: str) -> None:
    Counted.loops.clear()
    fast = strawberry.Schema(query=Query, types=[Other], execution_context_class=Counted).execute_sync(query)
    slow = strawberry.Schema(query=Query, types=[Other], execution_context_class=GraphQLCoreCompletes).execute_sync(
        query
    )
    assert fast.data == slow.data
    assert [(e.message, e.path) for e in fast.errors or []] == [(e.message, e.path) for e in slow.errors or []]
    assert fast.data is not None
    taken = QUERIES.index(query) < 4  # the others are graphql-core's (a resolver, an interface, an error)
    assert (4 in Counted.loops) is taken


RECORD = {
    "app": "a" * 32,
    "product": "RTC_VIDEO_HD_MINUTES",
    "quantity": "12.345678",
    "terminal": "IOS",
    "scenario": "LIVE_STREAMING",
    "occurredAt": "2026-09-15T12:00:00+08:00",
    "idempotencyKey": "k",
}
BATCH = "mutation B($input: ReportUsageBatchInput!) { reportUsageBatch(input: $input) { userErrors { code } } }"
FIRST = "query Q($first: Int = 5, $after: String) { viewer { __typename } }"
ENUMS = "query E($kind: HolderType!, $roles: [StaffRole!], $on: Date, $n: Float) { __typename }"

CASES = [
    (BATCH, {"input": {"records": [RECORD, RECORD | {"quantity": 5}]}}),
    (BATCH, {"input": {"records": RECORD}}),  # a single value stands for a list of one
    (BATCH, {"input": {"records": []}}),
    (BATCH, {"input": {"records": [RECORD | {"extra": 1}]}}),
    (BATCH, {"input": {"records": [{k: v for k, v in RECORD.items() if k != "scenario"}]}}),
    (BATCH, {"input": {"records": [RECORD | {"quantity": None}]}}),
    (BATCH, {"input": {"records": [RECORD | {"quantity": "1e2"}]}}),
    (BATCH, {"input": {"records": [RECORD | {"occurredAt": "2026-09-15T12:00:00"}]}}),
    (BATCH, {"input": {"records": [RECORD | {"app": 7}]}}),
    (BATCH, {"input": {"records": None}}),
    (BATCH, {"input": None}),
    (BATCH, {"input": "records"}),
    (BATCH, {}),
    (FIRST, {}),  # the declared default applies
    (FIRST, {"first": None, "after": "x"}),
    (FIRST, {"first": "5"}),
    (ENUMS, {"kind": "ENTERPRISE", "roles": ["ADMIN", "FINANCE"], "on": "2026-10-08", "n": 1}),
    (ENUMS, {"kind": "ENTERPRISE", "roles": "ADMIN", "on": None, "n": 1.5}),
    (ENUMS, {"kind": "NOBODY"}),
    (ENUMS, {"kind": "ENTERPRISE", "roles": ["ADMIN", None]}),
    (ENUMS, {"kind": "ENTERPRISE", "on": "2026-02-30"}),
]


def sources(values) -> dict:
    # Each coercion builds its own wrapping types (NonNull, List): compared by what they say.
    return {
        name: (str(source.signature.type), source.signature.default, source.value)
        for name, source in values.sources.items()
    }


@pytest.mark.parametrize(("query", "given"), CASES)
def test_variables_coerce_as_graphql_core(query: str, given: dict) -> None:
    schema = build_schema()._schema
    [operation] = [d for d in parse(query).definitions if isinstance(d, OperationDefinitionNode)]
    definitions = operation.variable_definitions
    ours = variables.get_variable_values(schema, definitions, given)
    theirs = variables._graphql_core_get_variable_values(schema, definitions, given)
    if isinstance(theirs, list):
        assert [e.message for e in ours] == [e.message for e in theirs]
    else:
        assert ours.coerced == theirs.coerced
        assert sources(ours) == sources(theirs)
        assert all(value is not Undefined for value in ours.coerced.values())


def test_the_batch_input_is_coerced_by_a_built_function() -> None:
    """Not merely handed back to graphql-core: the shortcut is taken for the batch."""
    schema = build_schema()._schema
    [operation] = parse(BATCH).definitions
    [definition] = operation.variable_definitions
    signature_type = schema.type_map["ReportUsageBatchInput"]
    coerce = variables._coercer(schema, GraphQLNonNull(signature_type))
    assert coerce is not None and definition.variable.name.value == "input"
    assert coerce({"records": [RECORD]})["records"][0]["quantity"] == Decimal("12.345678")
