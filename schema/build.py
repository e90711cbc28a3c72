"""Assemble the schema from each domain's Query and Mutation parts."""

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from schema.abuse import abuse_limits
from schema.accounts import nodes as account_nodes  # noqa: F401 - registers the node fetchers
from schema.accounts.case_resolvers import CaseMutation
from schema.accounts.profile_resolvers import ProfileMutation
from schema.accounts.resolvers import AccountMutation, AccountQuery
from schema.accounts.types import Account, AuditRecord, ProfileChange, SubAccount
from schema.apps.resolvers import AppMutation, AppQuery
from schema.apps.types import App
from schema.bills.prices import PriceMutation, PriceQuery
from schema.bills.resolvers import BillMutation, BillQuery
from schema.bills.types import Bill, BillDispute
from schema.calendar.resolvers import CalendarMutation, CalendarQuery
from schema.calendar.types import HolidayCalendar
from schema.clock import ClockMutation
from schema.context import AccordInfo
from schema.enforcement.measure_resolvers import MeasureMutation
from schema.enforcement.measure_types import Measure
from schema.enforcement.resolvers import EnforcementMutation
from schema.enforcement.status import EnforcementQuery
from schema.enforcement.types import EnforcementCase
from schema.errors import is_deliberate
from schema.execution import FieldErrorsStayPut
from schema.extensions import AccordMaskErrors, document_cache
from schema.incidents.resolvers import IncidentMutation
from schema.input_strings import RefuseBadStrings
from schema.invoices.resolvers import InvoiceMutation
from schema.invoices.types import Invoice, InvoiceProfileChange
from schema.ledger.resolvers import LedgerMutation
from schema.ledger.types import LedgerEntry, PendingTopUp
from schema.notices import Notice
from schema.permissions import authenticated
from schema.relay import Node, resolve_node
from schema.scalars import SCALAR_OVERRIDES
from schema.usage.resolvers import UsageMutation
from schema.variables import install as install_variable_coercion
from schema.webhooks.live import EventSubscription
from schema.webhooks.resolvers import WebhookMutation
from schema.webhooks.types import WebhookDelivery, WebhookEndpoint

# Fields whose value is a connection (a page of `first` items), for the cost estimate.
CONNECTION_FIELDS = {
    "accounts",
    "apps",
    "subAccounts",
    "profileChanges",
    "auditLog",
    "bills",
    "ledger",
    "notices",
    "holidayCalendars",
    "invoices",
    "invoiceProfileChanges",
    "deliveries",
}

# Limits on what one request may ask for (too costly queries are top-level errors).
MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 5000


@strawberry.type(name="Query")
class RootQuery(AccountQuery, PriceQuery, BillQuery, CalendarQuery, AppQuery, EnforcementQuery):
    @strawberry.field(extensions=authenticated())
    async def node(self, info: AccordInfo, id: strawberry.ID) -> Node | None:
        return await resolve_node(info.context, id)


@strawberry.type(name="Mutation")
class RootMutation(
    AccountMutation,
    ProfileMutation,
    CaseMutation,
    AppMutation,
    EnforcementMutation,
    MeasureMutation,
    PriceMutation,
    LedgerMutation,
    BillMutation,
    UsageMutation,
    CalendarMutation,
    ClockMutation,
    InvoiceMutation,
    IncidentMutation,
    WebhookMutation,
):
    pass


@strawberry.type(name="Subscription")
class RootSubscription(EventSubscription):
    pass


class AccordSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        """Only unexpected errors go to the error log, with their traceback. A refusal, a bad
        query or a bad value is the client's answer, not the server's fault: logged at ERROR
        with a traceback each, one sub-account's dashboard query filled the log with thirty."""
        unexpected = [error for error in errors if not is_deliberate(error)]
        if unexpected:
            super().process_errors(unexpected, execution_context)


def build_schema(*, max_depth: int = MAX_DEPTH, production: bool = False) -> strawberry.Schema:
    install_variable_coercion()  # variables coerced by functions built per input type (schema/variables.py)
    limits = abuse_limits(production=production, connections=CONNECTION_FIELDS)
    rules = [
        *QueryDepthLimiter(max_depth=max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
    ]
    return AccordSchema(
        query=RootQuery,
        mutation=RootMutation,
        subscription=RootSubscription,
        types=[
            HolidayCalendar,
            Account,
            AuditRecord,
            SubAccount,
            ProfileChange,
            App,
            EnforcementCase,
            Measure,
            LedgerEntry,
            Notice,
            PendingTopUp,
            Bill,
            BillDispute,
            Invoice,
            InvoiceProfileChange,
            WebhookEndpoint,
            WebhookDelivery,
        ],
        scalar_overrides=SCALAR_OVERRIDES,
        execution_context_class=FieldErrorsStayPut,
        config=StrawberryConfig(auto_camel_case=True),
        extensions=[
            # Classes, not instances: each request gets its own extension state. The rules
            # themselves are built once, so DocumentCache finds the same ones every time.
            document_cache(max_tokens=MAX_TOKENS, rules=rules),
            limits,
            RefuseBadStrings,
            AccordMaskErrors,
        ],
    )
