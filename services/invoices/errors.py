"""The refusals of the invoice rules, each with its contract code."""

from services.errors import DomainError, ErrorCode


class TaxpayerCertificateRequired(DomainError):
    """INV-3: a special VAT invoice needs the general-taxpayer certificate on file."""

    code = ErrorCode.TAXPAYER_CERTIFICATE_REQUIRED


class ExceedsInvoiceable(DomainError):
    """INV-4: more than the settled consumption not yet invoiced."""

    code = ErrorCode.EXCEEDS_INVOICEABLE


class DocumentRequired(DomainError):
    """INV-5: the reversal waits for a document; the message names it."""

    code = ErrorCode.DOCUMENT_REQUIRED
