"""Abuse limits (OWASP GraphQL cheat sheet), checked before anything executes:

- a document with several operations names the one to run (``operationName``), else it is
  refused: it never silently runs the first;
- a query cost estimate: every field costs 1 times the page sizes (``first``, default 20) of
  the connections it sits in; an operation over ``MAX_COST`` is refused with its cost in the
  error's ``extensions.cost``;
- a per-principal budget of cost per minute, shared by every process (services/cost_budget.py):
  an operation that would overspend it is refused with RATE_LIMITED and ``retryAfter``;
- every answered query or mutation reports its cost in the response's ``extensions``:
  ``{"cost": {"requested": N, "limit": MAX_COST, "budgetRemaining": M}}``;
- a field carries each directive at most ``MAX_DIRECTIVES`` times (directive repetition; the
  schema's directives are not repeatable, so validation already allows each once: this bounds
  a repeatable one, should one be added);
- in production, validation errors suggest no field names ("Did you mean …?"), and
  introspection answers only authenticated principals.

Batches of operations in one body are refused by the HTTP layer (api/graphql_body.py: the body
is one JSON object), and aliases, depth and tokens have their own limits (schema/build.py).
Every refusal before execution (these, a syntax error, a validation error) carries
``extensions.code`` INVALID unless it has a more precise code.
"""

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
)
from strawberry.extensions import SchemaExtension

from schema.errors import PublicError
from services.cost_budget import Spent, principal_key
from services.errors import ErrorCode
from services.pagination import MAX_PAGE

# One operation asking for every field a holder can read, 20 items a page, costs about 24,000
# (tests/api/test_schema_walk.py); a probe multiplying nested pages of 100 goes far past this.
MAX_COST = 50_000
MAX_DIRECTIVES = 3
DEFAULT_PAGE = 20
_SUGGESTION = re.compile(r"\s*Did you mean .*\?$", re.DOTALL)


def operation_cost(document: DocumentNode, operation: OperationDefinitionNode, variables: dict[str, Any]) -> int:
    """Fields times the page sizes they are read under (each fragment spread counted where it
    is spread; a fragment spread inside itself is a validation error, never recursed into)."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}

    def page(field: FieldNode) -> int:
        for argument in field.arguments or ():
            if argument.name.value != "first":
                continue
            value = argument.value
            if isinstance(value, IntValueNode):
                return min(max(int(value.value), 0), MAX_PAGE)
            if isinstance(value, VariableNode):
                given = variables.get(value.name.value)
                return min(max(given, 0), MAX_PAGE) if isinstance(given, int) else DEFAULT_PAGE
        return DEFAULT_PAGE if field.name.value in _CONNECTIONS else 1

    def walk(selection_set: SelectionSetNode | None, factor: int, seen: frozenset[str]) -> int:
        total = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                total += factor
                if selection.selection_set is not None:
                    total += walk(selection.selection_set, factor * page(selection), seen)
            elif isinstance(selection, InlineFragmentNode):
                total += walk(selection.selection_set, factor, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in fragments and name not in seen:
                    total += walk(fragments[name].selection_set, factor, seen | {name})
        return total

    return walk(operation.selection_set, 1, frozenset())


# Connection fields (their size is ``first``, default 20); filled in by build_schema.
_CONNECTIONS: set[str] = set()


def repeated_directive(document: DocumentNode) -> str | None:
    """The name of a directive some node carries more than MAX_DIRECTIVES times."""
    stack: list[Any] = list(document.definitions)
    while stack:
        node = stack.pop()
        directives = getattr(node, "directives", None) or ()
        counts: dict[str, int] = {}
        for directive in directives:
            counts[directive.name.value] = counts.get(directive.name.value, 0) + 1
            if counts[directive.name.value] > MAX_DIRECTIVES:
                return directive.name.value
        selection_set = getattr(node, "selection_set", None)
        if selection_set is not None:
            stack.extend(selection_set.selections)
    return None


def _refuse(message: str, code: str = "INVALID", **extensions: Any) -> ExecutionResult:
    return ExecutionResult(data=None, errors=[PublicError(message, code, **extensions)])


class AbuseLimits(SchemaExtension):
    production: bool = False

    def on_validate(self) -> Iterator[None]:
        # After DocumentCache (listed before this) filled in the errors: strawberry answers them
        # before the exit half of any validation hook runs.
        context = self.execution_context
        if self.production and context.pre_execution_errors:
            context.pre_execution_errors = [_without_suggestion(error) for error in context.pre_execution_errors]
        yield

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            result.errors = [_with_code(error) for error in result.errors]

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.result is None:
            refusal = self._check(document)
            if refusal is None and self._cost is not None:
                refusal = await self._spend(self._cost)
            if refusal is not None:
                if self._subscription:
                    # strawberry subscribes whatever the result says; an error raised here is
                    # what the client receives instead.
                    raise refusal.errors[0]
                context.result = refusal
        yield

    _cost: int | None = None
    _spent: Spent | None = None
    _subscription: bool = False

    async def _spend(self, cost: int) -> ExecutionResult | None:
        context = self.execution_context.context
        budget = getattr(context, "cost_budget", None)
        if budget is None:
            return None
        principal = getattr(context, "principal", None)
        key = principal_key(principal.name if principal is not None else None, getattr(context, "client_address", None))
        self._spent = spent = await budget.spend(key, cost)
        if spent.allowed:
            return None
        return _refuse(
            f"The query would cost {cost}, more than is left of the budget of {budget.per_minute} a minute "
            f"({max(spent.remaining, 0)}); try again in {spent.retry_after} s.",
            ErrorCode.RATE_LIMITED.value,
            cost=cost,
            retryAfter=spent.retry_after,
        )

    def get_results(self) -> dict[str, Any]:
        """The cost of an answered query or mutation, and of one refused for its budget (a
        subscription's cost is spent once, when it starts: its events do not repeat it)."""
        if self._cost is None or self._subscription:
            return {}
        report: dict[str, Any] = {"requested": self._cost, "limit": MAX_COST}
        if self._spent is not None:
            report["budgetRemaining"] = max(self._spent.remaining, 0)
        return {"cost": report}

    def _check(self, document: DocumentNode) -> ExecutionResult | None:
        context = self.execution_context
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        # strawberry's ``operation_name`` falls back to the first operation's: what was sent is this.
        name = context._provided_operation_name
        if len(operations) > 1 and not name:
            return _refuse("The document has several operations: say which to run (operationName).")
        operation = next((o for o in operations if name is None or (o.name and o.name.value == name)), None)
        if operation is None:
            return None  # graphql-core answers an unknown operationName
        self._subscription = operation.operation is OperationType.SUBSCRIPTION
        if not self._subscription and getattr(context.context, "transaction", 0) is None:
            # The WebSocket context has no request transaction: queries and mutations go to POST.
            return _refuse("Over the WebSocket only subscriptions are answered; send this to POST /graphql.")
        if (directive := repeated_directive(document)) is not None:
            return _refuse(f"@{directive} is repeated more than {MAX_DIRECTIVES} times on one node.")
        if self.production and _introspects(document) and getattr(context.context, "principal", None) is None:
            return _refuse("Introspection needs an access token.", "UNAUTHENTICATED")
        self._cost = operation_cost(document, operation, context.variables or {})
        if self._cost > MAX_COST:
            return _refuse(f"The query would cost {self._cost}, over the maximum of {MAX_COST}.", cost=self._cost)
        return None


def _introspects(document: DocumentNode) -> bool:
    """Whether any part of the document asks ``__schema`` or ``__type``: at the top, inside an
    inline fragment or inside a named fragment (each a way to reach the root's fields)."""
    stack: list[Any] = list(document.definitions)
    while stack:
        node = stack.pop()
        if isinstance(node, FieldNode) and node.name.value in ("__schema", "__type"):
            return True
        selection_set = getattr(node, "selection_set", None)
        if selection_set is not None:
            stack.extend(selection_set.selections)
    return False


def _with_code(error: GraphQLError) -> GraphQLError:
    """A refusal before execution (syntax, validation, a limit) with the contract's INVALID code;
    errors of a field (they have a path) and coded errors are left as they are. A copy: cached
    validation errors are shared between requests (schema/extensions.py DocumentCache)."""
    if error.path is not None or (error.extensions or {}).get("code"):
        return error
    return GraphQLError(
        error.message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        original_error=error.original_error,
        extensions={**(error.extensions or {}), "code": ErrorCode.INVALID.value},
    )


def _without_suggestion(error: GraphQLError) -> GraphQLError:
    message = _SUGGESTION.sub("", error.message)
    if message == error.message:
        return error
    return GraphQLError(message, nodes=error.nodes, extensions=error.extensions)


def abuse_limits(*, production: bool, connections: set[str]) -> type[AbuseLimits]:
    _CONNECTIONS.update(connections)
    return type("ProductionAbuseLimits" if production else "AbuseLimits", (AbuseLimits,), {"production": production})
