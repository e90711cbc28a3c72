"""Completing a list of plain objects in one tight loop (reportUsageBatch's 1,000 results).

graphql-core completes every field of every list item on its own: a resolve info, the
resolver (strawberry's wrapper around ``getattr``), an awaitable check and ``complete_value``,
about 25 calls per item and field. For 1,000 ``UsageRecordResult`` objects that cost more than
recording the usage itself (profiled, issue 15). When every selected field of the item type is
a *basic* strawberry field (no resolver, no field extension, no permission: what strawberry
answers with ``getattr`` and no resolve info) and no middleware wraps resolvers, the answer is
the same whether built field by field or here: the same attribute gives the value and the same
``coerce_output_value`` the leaf. Anything else (a resolver, an abstract type,
``@defer``/``@stream``, a null in a non-null position, a serializer error) is not decided here:
the whole list falls back to graphql-core, which answers it as before (errors with their paths).
Building here has no side effects, so the fallback may redo any part of it.
"""

import operator
from collections.abc import Callable
from typing import Any

from graphql import GraphQLField, GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLOutputType, is_leaf_type
from graphql.pyutils import Undefined

Complete = Callable[[Any], Any]


class NotPlain(Exception):
    """This list is not completed here: graphql-core completes it."""


def _getter(field: GraphQLField) -> Callable[[Any], Any]:
    """What strawberry's resolver of a basic field returns for a source, without its wrapper."""
    definition = field.extensions.get("strawberry-definition")
    resolve = field.resolve
    # strawberry resolves a basic field (no resolver, extension or permission, no exception
    # handler) with exactly this function, which calls ``default_resolver(source, python_name)``.
    if (
        definition is None
        or not definition.is_basic_field
        or getattr(resolve, "__name__", "") != "_get_basic_result"
        or field.args
    ):
        raise NotPlain
    default, name = definition.default_resolver, definition.python_name
    if default is getattr:
        return operator.attrgetter(name)
    return lambda source: default(source, name)


class PlainLists:
    """Mixed into the execution context: ``complete_plain_list``, or ``NotPlain``."""

    def complete_plain_list(self, return_type: GraphQLList, field_details_list: Any, path: Any, result: Any) -> list:
        manager = self.middleware_manager  # type: ignore[attr-defined]
        if manager is not None and manager.middlewares:
            raise NotPlain  # a schema extension's resolve hook must see every field
        if not isinstance(result, (list, tuple)) or self.get_stream_usage(field_details_list, path):  # type: ignore[attr-defined]
            raise NotPlain
        complete = self._completer(return_type.of_type, field_details_list)
        return [complete(item) for item in result]

    def _completer(self, type_: GraphQLOutputType, field_details_list: Any) -> Complete:
        """A function completing one value of ``type_`` for this selection (graphql-core's
        ``complete_value``, for the cases described above)."""
        if isinstance(type_, GraphQLNonNull):
            inner = self._completer(type_.of_type, field_details_list)

            def non_null(value: Any) -> Any:
                completed = inner(value)
                if completed is None:
                    raise NotPlain  # graphql-core's error, at its path
                return completed

            return non_null
        if is_leaf_type(type_):
            coerce = type_.coerce_output_value  # type: ignore[union-attr]

            def leaf(value: Any) -> Any:
                if value is None:
                    return None
                coerced = coerce(value)
                if coerced is None or coerced is Undefined:
                    raise NotPlain
                return coerced

            return leaf
        if isinstance(type_, GraphQLList):
            item = self._completer(type_.of_type, field_details_list)

            def many(value: Any) -> Any:
                if value is None:
                    return None
                if not isinstance(value, (list, tuple)):
                    raise NotPlain
                return [item(v) for v in value]

            return many
        if isinstance(type_, GraphQLObjectType) and type_.is_type_of is None:
            return self._object_completer(type_, field_details_list)
        raise NotPlain  # an interface or union: its runtime type is graphql-core's to resolve

    def _object_completer(self, type_: GraphQLObjectType, field_details_list: Any) -> Complete:
        grouped, defer_usages, *_ = self.collect_subfields(type_, field_details_list)  # type: ignore[attr-defined]
        if defer_usages:
            raise NotPlain
        is_awaitable = self.is_awaitable  # type: ignore[attr-defined]
        typename = type_.name
        plan: list[tuple[str, Callable[[Any], Any] | None, Complete | None]] = []
        for response_key, details in grouped.items():
            name = details[0].node.name.value
            if name == "__typename":
                plan.append((response_key, None, None))
                continue
            field = type_.fields.get(name)
            if field is None:
                raise NotPlain
            plan.append((response_key, _getter(field), self._completer(field.type, details)))

        def complete(source: Any) -> Any:
            if source is None:
                return None
            completed: dict[str, Any] = {}
            for response_key, get, complete_field in plan:
                if get is None:
                    completed[response_key] = typename
                    continue
                value = get(source)
                if is_awaitable(value):
                    raise NotPlain
                completed[response_key] = complete_field(value)  # type: ignore[misc]
            return completed

        return complete
