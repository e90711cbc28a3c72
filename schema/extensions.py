"""Schema extensions: error masking with rollback (and the operation name for metrics), and
the document limits with the parse and validation cache. strawberry enters every hook of every
extension on every request, so what runs at the same moments shares one extension."""

import functools
from collections.abc import Iterator, Sequence

from graphql import DocumentNode, GraphQLError, GraphQLSchema, parse
from strawberry.extensions import MaskErrors, SchemaExtension
from strawberry.schema.schema import validate_document

from schema.errors import is_deliberate
from services.database import is_busy


class AccordMaskErrors(MaskErrors):
    """Masks unexpected errors and marks the request for rollback when any occurred, so a
    half-done mutation never commits (the middleware reads ``rollback_only``). Also hands the
    operation name to the request (metrics and the log line, api/middleware.py)."""

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

    def on_operation(self) -> Iterator[None]:
        yield from super().on_operation()
        context = self.execution_context.context
        if context is not None:
            context.operation_name = self.execution_context.operation_name


class DocumentCache(SchemaExtension):
    """The document limits (a token limit for the parser, the extra validation rules: depth
    and aliases), and each query text parsed and validated once per process (bounded LRU): a
    console sends the same few documents again and again. Keyed by the text, the parse options
    (the token limit) and the validation rules, which are built once (``document_cache``), so
    the limits are part of what was validated. Documents are shared between requests and never
    modified (graphql-core does not)."""

    max_tokens: int
    rules: tuple = ()

    def on_operation(self) -> Iterator[None]:
        # What strawberry's MaxTokensLimiter and AddValidationRules do, in one hook.
        context = self.execution_context
        context.parse_options["max_tokens"] = self.max_tokens
        context.validation_rules = context.validation_rules + self.rules
        yield

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.query is not None and len(context.query) <= CACHEABLE_CHARS:
            options = tuple(sorted(context.parse_options.items()))
            context.graphql_document = _parsed(context.query, options)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.query is not None and len(context.query) <= CACHEABLE_CHARS and context.graphql_document is not None:
            options = tuple(sorted(context.parse_options.items()))
            context.pre_execution_errors = _validated(
                context.schema._schema, context.query, options, context.validation_rules
            )
        yield


DOCUMENTS_CACHED = 256
# Only console-sized documents are kept: anyone may send 1 MiB bodies, and 256 of them would pin
# a quarter of a GiB in every worker. Larger ones are parsed and validated each time.
CACHEABLE_CHARS = 16 * 1024


@functools.lru_cache(maxsize=DOCUMENTS_CACHED)
def _parsed(query: str, options: tuple) -> DocumentNode:
    return parse(query, **dict(options))


@functools.lru_cache(maxsize=DOCUMENTS_CACHED)
def _validated(schema: GraphQLSchema, query: str, options: tuple, rules: tuple) -> list[GraphQLError]:
    return validate_document(schema, _parsed(query, options), rules)


def document_cache(*, max_tokens: int, rules: Sequence) -> type[DocumentCache]:
    """The extension with its limits; the rules built once, so the cache finds the same ones."""
    return type("DocumentCache", (DocumentCache,), {"max_tokens": max_tokens, "rules": tuple(rules)})
