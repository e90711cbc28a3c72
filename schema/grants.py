"""The read grants, named once (GUIDE: grants named once). A field of an account, and the
``node(id:)`` fetch of an object shown by that field, ask for the same grant."""

from auth.principal import Scope, StaffRole
from schema.permissions import Grant

ALL_STAFF = frozenset(StaffRole)
# Who may read the audit log, sub-accounts and cases of an account: its holder and staff.
HOLDER_OR_STAFF = Grant(roles=ALL_STAFF, holder=True)
# The account's profile and real-name state: account:read (holders have it) or a staff role.
ACCOUNT_READERS = Grant(roles=ALL_STAFF, scope=Scope.ACCOUNT_READ)
APP_READERS = Grant(roles=ALL_STAFF, scope=Scope.APPS_READ)
BILLING_READERS = Grant(roles=ALL_STAFF, scope=Scope.BILLING_READ)
STAFF_ONLY = Grant(roles=ALL_STAFF)
