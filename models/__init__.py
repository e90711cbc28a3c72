"""SQLModel tables. This package imports nothing else of Accord's (see pyproject's import-linter contracts).

Importing the package registers every table on ``metadata`` (Alembic's target).
"""

from models.account import Account, HolderType, RealNameState, Standing
from models.account_cases import (
    CompromiseReport,
    DisputeState,
    Ground,
    OwnershipDispute,
    ReportState,
    TerminationRequest,
)
from models.app import App, BrandUseRequest, RequestState, ScopeExtensionRequest
from models.audit import AuditRecord, PrincipalKind
from models.base import Base, metadata
from models.bills import (
    Bill,
    BillDispute,
    BillDisputeState,
    BillHold,
    BillLine,
    BillRun,
    BillState,
    LineKind,
    PenaltyAccrual,
    PenaltyKind,
)
from models.calendar import CalendarDay, CalendarDayKind, CalendarYear
from models.clock import ClockOffset
from models.enforcement import CaseSource, EnforcementCase
from models.events import AccountEvent
from models.incidents import ForceMajeureEvent, Outage
from models.invoices import (
    Invoice,
    InvoiceProfile,
    InvoiceProfileChange,
    InvoiceReversal,
    InvoiceState,
    InvoiceStateChange,
    InvoiceType,
    ReversalDocument,
    ReversalPath,
    StoredDocument,
)
from models.ledger import LedgerEntry, LedgerKind, Refund, RefundState, TopUp, TopUpMethod, TopUpState
from models.measures import Measure, MeasureKind
from models.notice import Notice, NoticeChannel, NoticePurpose
from models.oauth import (
    AuthorizationCode,
    ClientKind,
    LoginFailure,
    OAuthClient,
    RefreshToken,
    RevokedAccessToken,
    SigningKey,
)
from models.prices import AgreementPrice, Discount, DiscountCondition, ListPrice, PriceChangeDelivery, Product
from models.profile import DataKey, ProfileChange, RealNameSubmission, SubmissionState
from models.rate_events import RateEvent
from models.usage import UsageRecord
from models.user import User, UserKind
from models.webhooks import DeliveryState, WebhookDelivery, WebhookEndpoint

__all__ = [
    "Account",
    "AccountEvent",
    "AgreementPrice",
    "App",
    "AuditRecord",
    "AuthorizationCode",
    "Base",
    "Bill",
    "BillDispute",
    "BillDisputeState",
    "BillHold",
    "BillLine",
    "BillRun",
    "BillState",
    "BrandUseRequest",
    "CalendarDay",
    "CalendarDayKind",
    "CalendarYear",
    "CaseSource",
    "ClientKind",
    "ClockOffset",
    "CompromiseReport",
    "DataKey",
    "DeliveryState",
    "Discount",
    "DiscountCondition",
    "DisputeState",
    "EnforcementCase",
    "ForceMajeureEvent",
    "Ground",
    "HolderType",
    "Invoice",
    "InvoiceProfile",
    "InvoiceProfileChange",
    "InvoiceReversal",
    "InvoiceState",
    "InvoiceStateChange",
    "InvoiceType",
    "LedgerEntry",
    "LedgerKind",
    "LineKind",
    "ListPrice",
    "LoginFailure",
    "Measure",
    "MeasureKind",
    "Notice",
    "NoticeChannel",
    "NoticePurpose",
    "OAuthClient",
    "Outage",
    "OwnershipDispute",
    "PenaltyAccrual",
    "PenaltyKind",
    "PriceChangeDelivery",
    "PrincipalKind",
    "Product",
    "ProfileChange",
    "RateEvent",
    "RealNameState",
    "RealNameSubmission",
    "RefreshToken",
    "Refund",
    "RefundState",
    "ReportState",
    "RequestState",
    "ReversalDocument",
    "ReversalPath",
    "RevokedAccessToken",
    "ScopeExtensionRequest",
    "SigningKey",
    "Standing",
    "StoredDocument",
    "SubmissionState",
    "TerminationRequest",
    "TopUp",
    "TopUpMethod",
    "TopUpState",
    "UsageRecord",
    "User",
    "UserKind",
    "WebhookDelivery",
    "WebhookEndpoint",
    "metadata",
]
