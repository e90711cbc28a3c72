"""The base of every mutation payload: refusals are its user errors (GUIDE: refusals change
nothing and say why)."""

import strawberry

from schema.errors import UserError


@strawberry.type
class Payload:
    user_errors: list[UserError] = strawberry.field(default_factory=list)
