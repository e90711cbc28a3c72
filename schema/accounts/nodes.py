"""node(id:) for the account's own objects: each read in the caller's scope, refused by the
grant of the list that shows it, and audited when staff read it (schema/scoped.py)."""

from schema.accounts.types import (
    AuditRecord,
    CompromiseReport,
    OwnershipDispute,
    PartnerClient,
    ProfileChange,
    SubAccount,
)
from schema.grants import ACCOUNT_READERS, HOLDER_OR_STAFF, STAFF_ONLY
from schema.scoped import owned_node
from services.accounts import cases, profile, repository

owned_node(
    "AuditRecord",
    find=repository.audit_record_in_scope,
    grant=HOLDER_OR_STAFF,
    to_node=AuditRecord.from_model,
    target=lambda row: f"audit:{row.id}",
)
owned_node(
    "SubAccount",
    find=repository.sub_account_in_scope,
    grant=HOLDER_OR_STAFF,
    to_node=SubAccount.from_model,
    target=lambda row: f"user:{row.login}",
)
owned_node(
    "ProfileChange",
    find=profile.change_in_scope,
    grant=ACCOUNT_READERS,
    to_node=ProfileChange.from_model,
    target=lambda row: f"profile-change:{row.id}",
)
owned_node(
    "PartnerClient",
    find=repository.partner_client_in_scope,
    grant=HOLDER_OR_STAFF,
    to_node=PartnerClient.from_model,
    target=lambda row: f"client:{row.client_id}",
)
owned_node(
    "OwnershipDispute",
    find=cases.dispute_in_scope,
    grant=STAFF_ONLY,
    to_node=OwnershipDispute.from_model,
    target=lambda row: f"ownership-dispute:{row.id}",
)
owned_node(
    "CompromiseReport",
    find=cases.report_in_scope,
    grant=HOLDER_OR_STAFF,
    to_node=CompromiseReport.from_model,
    target=lambda row: f"compromise-report:{row.id}",
)
