"""Inputs shared by the mutations of several domains."""

import strawberry


@strawberry.input
class IdInput:
    id: strawberry.ID
