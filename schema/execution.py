"""How an operation executes: a field's error stays at that field.

By the letter of the GraphQL spec, an error in a non-null field (``balance: Decimal!``) nulls
its parent, and graphql-core then cancels the parent's other fields mid-flight. A console asks
for many fields at once on behalf of a sub-account that may read only some of them, so one
refused field would blank the whole account, and cancelled siblings interrupted the request's
shared database session. Accord always executes as an operation marked
``@experimental_disableErrorPropagation`` does (the GraphQL working group's "error behavior"
proposal, ``onError: NULL``): the refused field answers ``null`` with an error at its path and
code, and its siblings and parents answer as if it had not been asked. Since no error travels
up, graphql-core never cancels a sibling either.

Lists of plain objects are completed in one loop (``schema.plain_lists``).
"""

from typing import Any

from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema.plain_lists import PlainLists


class FieldErrorsStayPut(PlainLists, StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Copied into graphql-core's per-event and incremental sub-executors (shallow copies).
        self.error_propagation = False

    def complete_list_value(  # graphql-core's signature
        self,
        return_type: Any,
        field_details_list: Any,
        info: Any,
        path: Any,
        result: Any,
        position_context: Any,
    ) -> Any:
        try:
            return self.complete_plain_list(return_type, field_details_list, path, result)
        except Exception:  # NotPlain, or an error graphql-core reports at its path
            return super().complete_list_value(return_type, field_details_list, info, path, result, position_context)
