"""Payloads of the account mutations."""

from datetime import date

import strawberry

from schema.accounts.types import Account, SubAccount
from schema.payloads import Payload


@strawberry.type
class AccountPayload(Payload):
    account: Account | None = None


@strawberry.type
class RegisterAccountPayload(Payload):
    account: Account | None = None


@strawberry.type
class SubAccountPayload(Payload):
    sub_account: SubAccount | None = None


@strawberry.type
class PartnerClientPayload(Payload):
    client_id: str | None = None
    client_secret: str | None = None


@strawberry.type
class ReportPayload(Payload):
    report_id: strawberry.ID | None = None
    state: str | None = None


@strawberry.type
class TerminationPayload(Payload):
    effective_on: date | None = None
    late: bool | None = None
