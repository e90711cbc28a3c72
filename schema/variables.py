"""Coercing variables with functions built once per input type (reportUsageBatch's 7,000 values).

graphql-core coerces a variable value by walking it twice against its type: once to check it
does not nest too deeply (``input_is_nested_too_deeply``), once to coerce it
(``coerce_input_value``), asking ``is_non_null_type``, ``is_list_type``… of the type at every
value. For a batch of 1,000 usage records that was 40 % of the request (profiled, issue 15).
Here each input type gets a function that does what ``coerce_input_value`` does for it, without
asking again: the same scalars' ``coerce_input_value``, the same default values
(``coerce_default_value``), the same keys. It decides only what it can decide the same way:

- a variable the request did not send (its default is graphql-core's to apply), or a type that
  is recursive or nests deeper than graphql-core's ``MAX_NESTING_DEPTH`` (only such a type can
  hold a value nested too deeply), or a ``@oneOf`` input: graphql-core coerces the request;
- a value that does not coerce: graphql-core coerces the request again, and reports its errors.

So every accepted request gets the values graphql-core would give it, and every refused one
graphql-core's own errors. graphql-core has no hook for this: ``install`` replaces the name its
executor calls (``graphql.execution.executor.get_variable_values``) with ``get_variable_values``
below, which falls back to the original for everything it does not decide.
"""

import weakref
from collections.abc import Callable, Collection
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    GraphQLSchema,
    VariableDefinitionNode,
    is_required_input_field,
)
from graphql.execution import executor
from graphql.execution import values as graphql_values
from graphql.execution.get_variable_signature import get_variable_signature
from graphql.language.parser import MAX_NESTING_DEPTH
from graphql.pyutils import Undefined, is_iterable
from graphql.utilities.coerce_input_value import coerce_default_value

Coerce = Callable[[Any], Any]


class NotCompiled(Exception):
    """This type is left to graphql-core."""


def _compile(type_: GraphQLInputType, objects: dict[str, Coerce], visiting: frozenset[str], depth: int) -> Coerce:
    """``coerce_input_value(value, type_)`` as a function of the value (same results)."""
    if depth > MAX_NESTING_DEPTH:
        raise NotCompiled
    if isinstance(type_, GraphQLNonNull):
        if isinstance(type_.of_type, (GraphQLScalarType, GraphQLEnumType)):
            return _required_leaf(type_.of_type)
        inner = _compile(type_.of_type, objects, visiting, depth)

        def non_null(value: Any) -> Any:
            if value is None or value is Undefined:
                return Undefined
            return inner(value)

        return non_null
    if isinstance(type_, GraphQLList):
        item = _compile(type_.of_type, objects, visiting, depth + 1)

        def many(value: Any) -> Any:
            if value is None or value is Undefined:
                return None
            if not isinstance(value, (list, tuple)) and not is_iterable(value):
                one = item(value)  # a single value stands for a list of one
                return Undefined if one is Undefined else [one]
            coerced = []
            for each in value:
                one = item(each)
                if one is Undefined:
                    return Undefined
                coerced.append(one)
            return coerced

        return many
    if isinstance(type_, GraphQLInputObjectType):
        return _compile_object(type_, objects, visiting, depth)
    if isinstance(type_, (GraphQLScalarType, GraphQLEnumType)):
        return _leaf(type_, missing=None)
    raise NotCompiled


def _required_leaf(type_: GraphQLScalarType | GraphQLEnumType) -> Coerce:
    """A non-null scalar or enum in one function (most of a usage record's values)."""
    return _leaf(type_, missing=Undefined)


def _leaf(type_: GraphQLScalarType | GraphQLEnumType, *, missing: Any) -> Coerce:
    """A scalar or enum: ``missing`` for null (None where it may be null, Undefined, i.e.
    invalid, where it may not), Undefined for a value that does not parse."""
    parse = type_.coerce_input_value

    def leaf(value: Any) -> Any:
        if value is None or value is Undefined:
            return missing
        try:
            return parse(value)
        except Exception:  # graphql-core: any failure is an invalid value
            return Undefined

    return leaf


def _compile_object(
    type_: GraphQLInputObjectType, objects: dict[str, Coerce], visiting: frozenset[str], depth: int
) -> Coerce:
    if type_.name in visiting or type_.is_one_of:
        raise NotCompiled
    known = objects.get(type_.name)
    if known is not None:
        return known
    fields = type_.fields
    inside = visiting | {type_.name}
    plan = [
        (
            name,
            field.out_name or name,
            _compile(field.type, objects, inside, depth + 1),
            field,
            is_required_input_field(field),
        )
        for name, field in fields.items()
    ]
    out_type = type_.out_type
    names = set(fields)

    def input_object(value: Any) -> Any:
        if value is None or value is Undefined:
            return None
        if not isinstance(value, dict):
            return Undefined
        if not value.keys() <= names:  # unknown keys refuse the value unless they hold Undefined
            for name, given in value.items():
                if given is not Undefined and name not in fields:
                    return Undefined
        coerced: dict[str, Any] = {}
        for name, out_name, coerce, field, required in plan:
            given = value.get(name, Undefined)
            if given is Undefined:
                if required:
                    return Undefined
                default = coerce_default_value(field)
                if default is not Undefined:
                    coerced[out_name] = default
                continue
            one = coerce(given)
            if one is Undefined:
                return Undefined
            coerced[out_name] = one
        return out_type(coerced)

    objects[type_.name] = input_object
    return input_object


# Per schema: the coercing function of each variable type (by its text, e.g.
# "ReportUsageBatchInput!"), or None when graphql-core coerces it.
_COMPILED: "weakref.WeakKeyDictionary[GraphQLSchema, dict[str, Coerce | None]]" = weakref.WeakKeyDictionary()
_OBJECTS: "weakref.WeakKeyDictionary[GraphQLSchema, dict[str, Coerce]]" = weakref.WeakKeyDictionary()


def _coercer(schema: GraphQLSchema, type_: GraphQLInputType) -> Coerce | None:
    compiled = _COMPILED.setdefault(schema, {})
    key = str(type_)
    if key not in compiled:
        try:
            compiled[key] = _compile(type_, _OBJECTS.setdefault(schema, {}), frozenset(), 0)
        except NotCompiled:
            compiled[key] = None
    return compiled[key]


_graphql_core_get_variable_values = executor.get_variable_values


def get_variable_values(
    schema: GraphQLSchema,
    var_def_nodes: Collection[VariableDefinitionNode],
    inputs: dict[str, Any],
    max_errors: int | None = None,
    hide_suggestions: bool = False,
) -> Any:
    """graphql-core's ``get_variable_values``, with compiled coercion when it decides alike."""
    sources: dict[str, graphql_values.VariableValueSource] = {}
    coerced: dict[str, Any] = {}
    for node in var_def_nodes:
        signature = get_variable_signature(schema, node)
        value = inputs.get(node.variable.name.value, Undefined)
        if isinstance(signature, GraphQLError) or value is Undefined:
            break
        coerce = _coercer(schema, signature.type)
        one = Undefined if coerce is None else coerce(value)
        if one is Undefined:
            break
        sources[signature.name] = graphql_values.VariableValueSource(signature, value)
        coerced[signature.name] = one
    else:
        return graphql_values.VariableValues(sources, coerced)
    return _graphql_core_get_variable_values(schema, var_def_nodes, inputs, max_errors, hide_suggestions)


def install() -> None:
    """Make graphql-core's executor coerce variables through ``get_variable_values``."""
    executor.get_variable_values = get_variable_values
