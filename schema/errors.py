"""The one place where domain errors become GraphQL errors.

Mutations answer refusals as ``userErrors``; queries raise a top-level error whose
``extensions.code`` carries the same code. Anything unexpected is masked (no stack, no SQL).
"""

from typing import Any

import strawberry
from graphql import GraphQLError

from services.errors import DomainError
from services.errors import ErrorCode as DomainErrorCode

ErrorCode = strawberry.enum(DomainErrorCode, name="ErrorCode")

UNAUTHENTICATED = "UNAUTHENTICATED"


@strawberry.type
class UserError:
    code: ErrorCode
    field: list[str] | None
    message: str


def user_errors(error: DomainError) -> list[UserError]:
    return [UserError(code=error.code, field=error.field, message=error.message)]


class PublicError(GraphQLError):
    """A deliberate top-level error: its message and code reach the client unmasked."""

    def __init__(self, message: str, code: str, **extensions: Any) -> None:
        super().__init__(message, extensions={"code": code, **extensions})


def query_error(error: DomainError) -> PublicError:
    extra = {"field": error.field} if error.field else {}
    return PublicError(error.message, error.code.value, **extra)


def is_deliberate(error: GraphQLError) -> bool:
    original = error.original_error
    return (
        original is None  # parse and validation errors
        or error.path is None  # variable coercion: messages come from our scalars
        or isinstance(original, (GraphQLError, DomainError))
    )
