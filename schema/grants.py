"""Every grant of the schema, named once (GUIDE: grants named once). A field of an account, and
the ``node(id:)`` fetch of an object shown by that field, ask for the same grant. The
permission extensions append what a grant requires to the field's description."""

from auth.principal import Scope, StaffRole
from schema.permissions import Grant

ALL_STAFF = frozenset(StaffRole)

# Reads.
# Who may read the audit log, sub-accounts and cases of an account: its holder and staff.
HOLDER_OR_STAFF = Grant(roles=ALL_STAFF, holder=True)
# The account's profile and real-name state: account:read (holders have it) or a staff role.
ACCOUNT_READERS = Grant(roles=ALL_STAFF, scope=Scope.ACCOUNT_READ)
APP_READERS = Grant(roles=ALL_STAFF, scope=Scope.APPS_READ)
BILLING_READERS = Grant(roles=ALL_STAFF, scope=Scope.BILLING_READ)
STAFF_ONLY = Grant(roles=ALL_STAFF)

# The account's holder, acting on their own account.
HOLDER = Grant(holder=True)
# Holder acts that a token narrowed by scopes may do.
APP_WRITERS = Grant(scope=Scope.APPS_WRITE)
# Partner clients are made by the holder's own sign-in, never by another OAuth client.
PARTNER_WRITERS = Grant(scope=Scope.PARTNERS_WRITE, clients=False)
TOP_UP = Grant(scope=Scope.BILLING_TOPUP)
BILL_CONFIRMERS = Grant(scope=Scope.BILLS_CONFIRM)
BILL_DISPUTERS = Grant(scope=Scope.BILLS_DISPUTE)
# The vendor's metering clients.
USAGE_WRITERS = Grant(scope=Scope.USAGE_WRITE)

# Staff measures.
ADMIN = Grant(roles=frozenset({StaffRole.ADMIN}))
FINANCE = Grant(roles=frozenset({StaffRole.FINANCE}))
COMPLIANCE = Grant(roles=frozenset({StaffRole.COMPLIANCE}))
FINANCE_OR_ADMIN = Grant(roles=frozenset({StaffRole.FINANCE, StaffRole.ADMIN}))
FINANCE_OR_COMPLIANCE = Grant(roles=frozenset({StaffRole.FINANCE, StaffRole.COMPLIANCE}))
COMPLIANCE_OR_ADMIN = Grant(roles=frozenset({StaffRole.COMPLIANCE, StaffRole.ADMIN}))
SUPPORT_COMPLIANCE_OR_ADMIN = Grant(roles=frozenset({StaffRole.SUPPORT, StaffRole.COMPLIANCE, StaffRole.ADMIN}))
# Formal notices (NTC-1): the roles that act on accounts, not first-line support.
NOTICE_SENDERS = Grant(roles=frozenset({StaffRole.FINANCE, StaffRole.COMPLIANCE, StaffRole.ADMIN}))
# The holder revokes their own tokens; ADMIN and COMPLIANCE revoke any account's.
HOLDER_COMPLIANCE_OR_ADMIN = Grant(roles=frozenset({StaffRole.ADMIN, StaffRole.COMPLIANCE}), holder=True)
# The payment gateway's client (payments:confirm), or FINANCE by hand.
PAYMENT_CONFIRMERS = Grant(roles=frozenset({StaffRole.FINANCE}), scope=Scope.PAYMENTS_CONFIRM)

# Invoices (INV-*): sub-accounts and partners with invoices:read / invoices:request.
INVOICE_READERS = Grant(roles=ALL_STAFF, scope=Scope.INVOICES_READ)
INVOICE_REQUESTERS = Grant(scope=Scope.INVOICES_REQUEST)
# Issue 14: webhook endpoints, managed by the holder or webhooks:write, visible to staff.
WEBHOOK_READERS = Grant(roles=ALL_STAFF, scope=Scope.WEBHOOKS_WRITE)
WEBHOOK_WRITERS = Grant(scope=Scope.WEBHOOKS_WRITE)
