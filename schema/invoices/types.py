"""VAT invoices as the API shows them (INV-1 to INV-5)."""

import uuid
from datetime import date, datetime
from decimal import Decimal

import strawberry

from models import Invoice as InvoiceRow
from models import InvoiceProfile as ProfileRow
from models import InvoiceProfileChange as ProfileChangeRow
from models import InvoiceState as InvoiceStateValue
from models import InvoiceStateChange as StateChangeRow
from models import InvoiceType as InvoiceTypeValue
from models import ReversalDocument as ReversalDocumentValue
from models import ReversalPath as ReversalPathValue
from schema.context import AccordInfo
from schema.grants import INVOICE_READERS
from schema.payloads import Payload
from schema.relay import Node, encode_id
from schema.scoped import owned_node, support_only
from services.accounts import personal_data
from services.invoices import invoices
from services.invoices import profile as invoice_profile
from services.money import fen_to_yuan

InvoiceType = strawberry.enum(InvoiceTypeValue, name="InvoiceType")
InvoiceState = strawberry.enum(InvoiceStateValue, name="InvoiceState")
ReversalDocument = strawberry.enum(ReversalDocumentValue, name="ReversalDocument")
ReversalPath = strawberry.enum(ReversalPathValue, name="ReversalPath")

# The authenticated HTTP path a stored document is downloaded from (api/documents.py).
DOCUMENT_PATH = "/documents/{sha256}"


@strawberry.type(description="What a VAT invoice is made out to (INV-1).")
class InvoiceProfile:
    title: str
    taxpayer_id: str
    address_phone: str
    raw_bank_account: strawberry.Private[str]
    taxpayer_certificate_on_file: bool = strawberry.field(
        description="The general-taxpayer qualification certificate a special VAT invoice needs (INV-3)."
    )
    taxpayer_certificate_filename: str | None
    certificate_sha256: strawberry.Private[str | None]

    @strawberry.field(description="The bank and account number; masked for SUPPORT (AUTH-2).")
    def bank_account(self, info: AccordInfo) -> str:
        return personal_data.mask(self.raw_bank_account) if support_only(info.context) else self.raw_bank_account

    @strawberry.field(
        description=(
            "Where the holder or FINANCE staff download the certificate with their bearer token "
            "(GET, authenticated; INV-3)."
        )
    )
    def taxpayer_certificate_path(self) -> str | None:
        return None if self.certificate_sha256 is None else DOCUMENT_PATH.format(sha256=self.certificate_sha256)

    @staticmethod
    def from_model(row: ProfileRow) -> "InvoiceProfile":
        return InvoiceProfile(
            title=row.title,
            taxpayer_id=row.taxpayer_id,
            address_phone=row.address_phone,
            raw_bank_account=row.bank_account,
            taxpayer_certificate_on_file=row.certificate_sha256 is not None,
            taxpayer_certificate_filename=row.certificate_filename,
            certificate_sha256=row.certificate_sha256,
        )


@strawberry.type(description="One changed field of the invoice profile, kept like ACC-2's profile changes (INV-1).")
class InvoiceProfileChange(Node):
    field: str
    new_value: str
    changed_at: datetime
    changed_by: str

    @staticmethod
    def from_model(row: ProfileChangeRow) -> "InvoiceProfileChange":
        return InvoiceProfileChange(
            id=encode_id("InvoiceProfileChange", row.id),
            field=row.field,
            new_value=row.new_value,
            changed_at=row.changed_at,
            changed_by=row.changed_by,
        )


@strawberry.type(description="A state an invoice passed through, when and by whom.")
class InvoiceStateChange:
    state: InvoiceState
    at: datetime
    by: str
    note: str | None

    @staticmethod
    def from_model(row: StateChangeRow) -> "InvoiceStateChange":
        return InvoiceStateChange(state=row.state, at=row.at, by=row.by, note=row.note)


@strawberry.type(
    description=(
        "A VAT invoice for settled consumption (INV-2, INV-4): REQUESTED, ISSUED and DELIVERED by FINANCE, "
        "then VOIDED or REVERSED by requestInvoiceReversal (INV-5)."
    )
)
class Invoice(Node):
    type: InvoiceType
    amount: Decimal
    state: InvoiceState
    requested_at: datetime
    issued_at: datetime | None
    delivered_at: datetime | None
    certified_for_deduction: bool = strawberry.field(
        description="The customer certified it for tax deduction (markInvoiceCertified); reversal then needs the "
        "red-letter information form (INV-5)."
    )
    reversal_path: ReversalPath | None = strawberry.field(description="How it was voided or reversed (INV-5).")
    corrects: strawberry.ID | None = strawberry.field(
        description="The reversed invoice this corrected one replaces (INV-5)."
    )
    not_before: date | None = strawberry.field(
        description="A corrected invoice is issued from this day, the first of the month after the reversal (INV-5)."
    )
    key: strawberry.Private[uuid.UUID]

    @strawberry.field(description="Every state it passed through, oldest first.")
    async def history(self, info: AccordInfo) -> list[InvoiceStateChange]:
        return [InvoiceStateChange.from_model(r) for r in await info.context.loaders.invoice_history.load(self.key)]

    @staticmethod
    def from_model(row: InvoiceRow) -> "Invoice":
        return Invoice(
            id=encode_id("Invoice", row.id),
            type=row.type,
            amount=fen_to_yuan(row.amount_fen),
            state=row.state,
            requested_at=row.requested_at,
            issued_at=row.issued_at,
            delivered_at=row.delivered_at,
            certified_for_deduction=row.certified_at is not None,
            reversal_path=row.reversal_path,
            corrects=None if row.corrects_id is None else encode_id("Invoice", row.corrects_id),
            not_before=row.not_before,
            key=row.id,
        )


owned_node(
    "Invoice",
    find=invoices.invoice_in_scope,
    grant=INVOICE_READERS,
    to_node=Invoice.from_model,
    target=lambda row: f"invoice:{row.id}",
)
owned_node(
    "InvoiceProfileChange",
    find=invoice_profile.change_in_scope,
    grant=INVOICE_READERS,
    to_node=InvoiceProfileChange.from_model,
    target=lambda row: f"invoice-profile-change:{row.id}",
)


@strawberry.type
class InvoicePayload(Payload):
    invoice: Invoice | None = None


@strawberry.input(description="What a VAT invoice is made out to (INV-1).")
class InvoiceProfileInput:
    title: str
    taxpayer_id: str = strawberry.field(description="The unified social credit code (18 characters).")
    address_phone: str
    bank_account: str


@strawberry.input(
    description="A PDF, PNG or JPEG of at most 10 MB, recognised by its content; the filename is kept for display."
)
class UploadDocumentInput:
    filename: str
    content_base64: str


@strawberry.input
class RequestInvoiceInput:
    type: InvoiceType
    amount: Decimal = strawberry.field(description="At most Account.invoiceable (INV-4).")


@strawberry.input(
    description=(
        "INV-5: an invoice not yet delivered is cancelled; one delivered this month and not certified is voided "
        "once paperReturned; one certified or of an earlier month needs document RED_LETTER_INFO_FORM; a lost "
        "one (lost: true) needs LOSS_REPORT. The document is a PDF, PNG or JPEG in documentBase64."
    )
)
class InvoiceReversalInput:
    id: strawberry.ID
    reason: str
    paper_returned: bool | None = False
    lost: bool | None = False
    document: ReversalDocument | None = None
    document_base64: str | None = None
