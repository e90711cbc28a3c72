"""Typed domain errors. Each carries a machine code from the contract's ``ErrorCode`` enum.

The GraphQL layer maps these to ``userErrors`` (mutations) or to top-level errors with
``extensions.code`` (queries) in exactly one place: ``schema/errors.py``.
"""

from enum import StrEnum


class ErrorCode(StrEnum):
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    INSUFFICIENT_PERMISSION = "INSUFFICIENT_PERMISSION"
    INVALID_STATE = "INVALID_STATE"
    IDEMPOTENCY_CONFLICT = "IDEMPOTENCY_CONFLICT"
    REAL_NAME_REQUIRED = "REAL_NAME_REQUIRED"
    SUBJECT_MISMATCH = "SUBJECT_MISMATCH"
    ACCOUNT_FROZEN = "ACCOUNT_FROZEN"
    ADMIN_ORDER_REQUIRED = "ADMIN_ORDER_REQUIRED"
    NOTICE_REQUIRED = "NOTICE_REQUIRED"
    CURE_PERIOD_RUNNING = "CURE_PERIOD_RUNNING"
    NOTICE_TOO_SHORT = "NOTICE_TOO_SHORT"
    DISPUTE_WINDOW_CLOSED = "DISPUTE_WINDOW_CLOSED"
    TAXPAYER_CERTIFICATE_REQUIRED = "TAXPAYER_CERTIFICATE_REQUIRED"
    EXCEEDS_INVOICEABLE = "EXCEEDS_INVOICEABLE"
    DOCUMENT_REQUIRED = "DOCUMENT_REQUIRED"
    CALENDAR_UNKNOWN = "CALENDAR_UNKNOWN"
    GROUND_NOT_MET = "GROUND_NOT_MET"
    RATE_LIMITED = "RATE_LIMITED"


class DomainError(Exception):
    """A refusal by a rule. ``field`` names the input path it concerns, when there is one."""

    code: ErrorCode = ErrorCode.INVALID

    def __init__(self, message: str, *, field: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(DomainError):
    code = ErrorCode.INVALID


class NotFound(DomainError):
    code = ErrorCode.NOT_FOUND


class InsufficientPermission(DomainError):
    code = ErrorCode.INSUFFICIENT_PERMISSION


class InvalidState(DomainError):
    code = ErrorCode.INVALID_STATE


class AccountFrozen(DomainError):
    code = ErrorCode.ACCOUNT_FROZEN


class CalendarUnknown(DomainError):
    """T-3: a date in a year whose official holiday arrangement nobody has loaded."""

    code = ErrorCode.CALENDAR_UNKNOWN

    def __init__(self, year: int, *, field: list[str] | None = None) -> None:
        super().__init__(
            f"the official holiday arrangement for {year} is not loaded; "
            "staff must load it (loadHolidayCalendar / accord calendar load)",
            field=field,
        )
        self.year = year


class SubjectMismatch(DomainError):
    code = ErrorCode.SUBJECT_MISMATCH


class RealNameRequired(DomainError):
    code = ErrorCode.REAL_NAME_REQUIRED


class GroundNotMet(DomainError):
    code = ErrorCode.GROUND_NOT_MET


class RateLimited(DomainError):
    """Too many requests from one source: the request is refused before any rule runs, so it
    is answered as a top-level error (``schema.errors.query_error``), never a userError."""

    code = ErrorCode.RATE_LIMITED


class NoticeTooShort(DomainError):
    code = ErrorCode.NOTICE_TOO_SHORT


class IdempotencyConflict(DomainError):
    code = ErrorCode.IDEMPOTENCY_CONFLICT


class DisputeWindowClosed(DomainError):
    """BIL-5: the bill's dispute window has closed; it is deemed accepted."""

    code = ErrorCode.DISPUTE_WINDOW_CLOSED


class AdminOrderRequired(DomainError):
    """ENF-3: a REGULATOR case cites the administrative order (authority and document number)."""

    code = ErrorCode.ADMIN_ORDER_REQUIRED


class NoticeRequired(DomainError):
    """ENF-2: no measure before a delivered notice of the case announced it."""

    code = ErrorCode.NOTICE_REQUIRED


class CurePeriodRunning(DomainError):
    """ENF-7: termination for a breach waits until the 14-day cure period has ended."""

    code = ErrorCode.CURE_PERIOD_RUNNING
