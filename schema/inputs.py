"""Inputs shared by the mutations of several domains, and ``flat_input``."""

from collections.abc import Mapping
from typing import Any, TypeVar

import strawberry
from strawberry.types.base import has_object_definition
from strawberry.utils.str_converters import to_camel_case

T = TypeVar("T")


@strawberry.input
class IdInput:
    id: strawberry.ID


def flat_input(cls: type[T]) -> type[T]:
    """Builds an input whose fields are all scalars straight from graphql-core's coerced value.

    strawberry's generic conversion resolves every field's annotation and GraphQL name again
    for every object: for a list of 1,000 inputs (reportUsageBatch) that cost more than
    everything else the request did. The values themselves are already parsed by the scalars;
    this only maps GraphQL names to Python names, computed once."""
    definition = cls.__strawberry_definition__
    names: list[tuple[str, str]] = []
    for field in definition.fields:
        kind = field.type
        assert not has_object_definition(kind) and not hasattr(kind, "of_type"), f"{cls.__name__}.{field.name}"
        names.append((field.graphql_name or to_camel_case(field.python_name), field.python_name))

    def build(type_: type[T], value: Mapping[str, Any], _context: Any) -> T:
        # graphql-core has checked that every required field is there.
        return type_(**{python: value[graphql] for graphql, python in names if graphql in value})

    definition.from_input = build
    return cls
