"""One check on every string a client sends, wherever it sits in the operation.

A NUL character is refused (PostgreSQL cannot store one, SQLite would keep it and cut the
value short in other tools), and so is a lone surrogate (not Unicode text: no database driver
can encode it). Both are refused as INVALID on every database alike, before any resolver runs:
a mutation's own arguments by ``schema.mutations.run_mutation`` (an audited userError naming
the field), every other argument, in queries and below a mutation's root, by
``RefuseBadStrings`` (a top-level error naming the argument).
"""

import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationType,
    SelectionSetNode,
    get_operation_ast,
    value_from_ast_untyped,
)
from strawberry.extensions import SchemaExtension

from schema.errors import PublicError

_SURROGATE = re.compile("[\ud800-\udfff]")
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*|[0-9]+")  # a GraphQL name, or a list index


def string_problem(value: str) -> str | None:
    if "\x00" in value:
        return "text may not contain NUL characters"
    if _SURROGATE.search(value):
        return "text must be valid Unicode (a lone surrogate is not)"
    return None


# Values that hold no text: what JSON decodes to, and what the scalars parse variables into.
_NO_TEXT = (int, float, bool, type(None), Decimal, datetime, date)


def _maybe_bad(value: Any) -> bool:
    """A quick pass over every string in the value: False means none can be refused, so the
    walk that finds the path is skipped (a batch of 1,000 usage records: 3 ms instead of 18).
    Whatever it does not know (tuples, other mappings) it leaves to the walk."""
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is str:
            if "\x00" in item or (not item.isascii() and _SURROGATE.search(item)):
                return True
        elif kind is dict:
            stack.extend(item.values())
        elif kind is list:
            stack.extend(item)
        elif kind not in _NO_TEXT:
            return True
    return False


def value_problem(value: Any, path: list[str]) -> tuple[list[str], str] | None:
    """The path to the first unacceptable string in a decoded argument value, and why."""
    if isinstance(value, str):
        problem = string_problem(value)
        return (path, problem) if problem else None
    if isinstance(value, Mapping):
        items: Iterable[tuple[str, Any]] = ((str(k), v) for k, v in value.items())
    elif isinstance(value, (list, tuple)):
        items = ((str(i), v) for i, v in enumerate(value))
    else:
        return None
    for key, item in items:
        if not _NAME.fullmatch(key):
            continue  # no input field is called that: coercion refuses it with its own error
        found = value_problem(item, [*path, key])
        if found:
            return found
    return None


def arguments_problem(arguments: Iterable[ArgumentNode], variables: Mapping[str, Any]) -> tuple[list[str], str] | None:
    """The first unacceptable string among a field's arguments. The path leaves out the
    conventional ``input`` argument, as userErrors name fields inside the input."""
    for argument in arguments:
        name = argument.name.value
        value = value_from_ast_untyped(argument.value, variables)
        if not _maybe_bad(value):
            continue
        found = value_problem(value, [name])
        if found:
            path, problem = found
            return (path[1:] if name == "input" and len(path) > 1 else path), problem
    return None


class RefuseBadStrings(SchemaExtension):
    """Refuses the operation before it runs when an argument outside a mutation's root fields
    holds an unacceptable string (the root fields' own arguments are run_mutation's)."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.result is None:
            found = _document_problem(document, context.operation_name, context.variables or {})
            if found:
                path, problem = found
                context.result = _refusal(f"{'.'.join(path)}: {problem}", path)
        yield


def _refusal(message: str, path: list[str]) -> ExecutionResult:
    error: GraphQLError = PublicError(message, "INVALID", field=path)
    return ExecutionResult(data=None, errors=[error])


def _document_problem(
    document: DocumentNode, operation_name: str | None, raw_variables: Mapping[str, Any]
) -> tuple[list[str], str] | None:
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return None
    # Variables as the resolvers will see them: what was sent, else the declared default.
    variables = {
        definition.variable.name.value: value_from_ast_untyped(definition.default_value)
        for definition in operation.variable_definitions or ()
        if definition.default_value is not None
    }
    variables.update(raw_variables)
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    skip_root = operation.operation is OperationType.MUTATION
    seen: set[tuple[str, bool]] = set()

    def walk(selection_set: SelectionSetNode | None, at_root: bool) -> tuple[list[str], str] | None:
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                if not (at_root and skip_root):
                    found = arguments_problem(selection.arguments or (), variables)
                    if found:
                        return found
                found = walk(selection.selection_set, False)
            elif isinstance(selection, InlineFragmentNode):
                found = walk(selection.selection_set, at_root)
            elif isinstance(selection, FragmentSpreadNode):
                # Each fragment once per position: nested spreads cannot blow the walk up.
                key = (selection.name.value, at_root)
                fragment = fragments.get(key[0])
                if key in seen or fragment is None:
                    continue
                seen.add(key)
                found = walk(fragment.selection_set, at_root)
            else:
                found = None
            if found:
                return found
        return None

    return walk(operation.selection_set, True)
