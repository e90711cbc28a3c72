"""Schema extensions: error masking with rollback, and the operation name for metrics."""

from collections.abc import Iterator

from strawberry.extensions import MaskErrors, SchemaExtension

from schema.errors import is_deliberate
from services.database import is_busy


class AccordMaskErrors(MaskErrors):
    """Masks unexpected errors and marks the request for rollback when any occurred, so a
    half-done mutation never commits (the middleware reads ``rollback_only``)."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda error: not is_deliberate(error))

    def _process_result(self, result: object) -> None:
        errors = getattr(result, "errors", None) or []
        if any(not is_deliberate(error) for error in errors):
            context = self.execution_context.context
            if context is not None:
                context.rollback_only()
                if any(is_busy(error.original_error) for error in errors):
                    context.transaction.mark_busy()  # the view answers 503, not masked data
            # Nothing of this request is kept, so nothing of it may look done: no partial data
            # (a mutation's success payload, or data whose staff-read audit was rolled back).
            result.data = None
        super()._process_result(result)


class RecordOperationName(SchemaExtension):
    """Hands the operation name to the request (metrics and the log line, api/middleware.py)."""

    def on_operation(self) -> Iterator[None]:
        yield
        context = self.execution_context.context
        if context is not None:
            context.operation_name = self.execution_context.operation_name
