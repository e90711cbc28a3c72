"""Inputs of the account mutations (shared ones are in schema/inputs.py)."""

import strawberry


@strawberry.input
class AccountIdInput:
    account_id: strawberry.ID | None = None


@strawberry.input
class CreateSubAccountInput:
    login: str
    password: str
    permissions: list[str]


@strawberry.input
class SetSubAccountPermissionsInput:
    id: strawberry.ID
    permissions: list[str]


@strawberry.input
class CreatePartnerClientInput:
    name: str
    scopes: list[str]
