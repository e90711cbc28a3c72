"""Inputs shared by the mutations of several domains, and ``flat_input``."""

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import strawberry
from strawberry.types.base import StrawberryList, has_object_definition
from strawberry.utils.str_converters import to_camel_case

T = TypeVar("T")


@strawberry.input
class IdInput:
    id: strawberry.ID


def flat_input(cls: type[T]) -> type[T]:
    """Builds an input whose fields are all scalars, or lists of flat inputs, straight from
    graphql-core's coerced value.

    strawberry's generic conversion resolves every field's annotation and GraphQL name again
    for every object: for a list of 1,000 inputs (reportUsageBatch) that cost more than
    everything else the request did. The values themselves are already parsed by the scalars;
    this only maps GraphQL names to Python names, computed once, and builds the items of a list
    of flat inputs with their own builder."""
    definition = cls.__strawberry_definition__
    names: list[tuple[str, str, Callable[[Any, Any], Any] | None]] = []
    for field in definition.fields:
        kind = field.type
        item = getattr(kind, "of_type", None)
        if isinstance(kind, StrawberryList) and getattr(item, _FLAT, False):
            convert = _list_of(item)
        else:
            assert not has_object_definition(kind) and not hasattr(kind, "of_type"), f"{cls.__name__}.{field.name}"
            convert = None
        names.append((field.graphql_name or to_camel_case(field.python_name), field.python_name, convert))

    def build(type_: type[T], value: Mapping[str, Any], context: Any) -> T:
        # graphql-core has checked that every required field is there.
        return type_(
            **{
                python: value[graphql] if convert is None else convert(value[graphql], context)
                for graphql, python, convert in names
                if graphql in value
            }
        )

    definition.from_input = build
    setattr(cls, _FLAT, True)
    return cls


_FLAT = "__accord_flat_input__"


def _list_of(item: type) -> Callable[[Any, Any], Any]:
    build = item.__strawberry_definition__.from_input  # type: ignore[attr-defined]

    def convert(values: list[Mapping[str, Any]] | None, context: Any) -> list[Any] | None:
        return None if values is None else [build(item, value, context) for value in values]

    return convert
