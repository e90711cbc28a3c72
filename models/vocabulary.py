"""CONTRACT.md's fixed vocabularies that more than one layer checks: the auth layer grants
them, the services validate them. One definition here, below both."""

from enum import StrEnum


class Scope(StrEnum):
    """Sub-account and partner-client permissions (ACC-8), plus the vendor's usage:write and
    payments:confirm."""

    ACCOUNT_READ = "account:read"
    APPS_READ = "apps:read"
    APPS_WRITE = "apps:write"
    BILLING_READ = "billing:read"
    BILLING_TOPUP = "billing:topup"
    BILLS_CONFIRM = "bills:confirm"
    BILLS_DISPUTE = "bills:dispute"
    INVOICES_READ = "invoices:read"
    INVOICES_REQUEST = "invoices:request"
    PARTNERS_WRITE = "partners:write"
    WEBHOOKS_WRITE = "webhooks:write"
    USAGE_WRITE = "usage:write"  # vendor metering clients and ADMIN only
    PAYMENTS_CONFIRM = "payments:confirm"  # the vendor's payment gateway client and FINANCE only (PRE-2)


# What a holder may do, and what sub-accounts and partners may be granted: every customer
# permission (usage:write and payments:confirm are the vendor's).
CUSTOMER_SCOPES = frozenset(Scope) - {Scope.USAGE_WRITE, Scope.PAYMENTS_CONFIRM}


class StaffRole(StrEnum):
    SUPPORT = "SUPPORT"
    FINANCE = "FINANCE"
    COMPLIANCE = "COMPLIANCE"
    ADMIN = "ADMIN"
