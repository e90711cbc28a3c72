"""The JSON body of POST /graphql, parsed so that no body, however odd, becomes a 500
(CONTRACT.md: not a JSON object, not UTF-8 or nested too deep is a 400 with a GraphQL error)."""

import json
from typing import Any

from starlette.responses import JSONResponse

from api.middleware import error_body

# GraphQL variables of this API nest a few levels (input object, list, object); 32 is ample.
MAX_JSON_DEPTH = 32


class BadBody(ValueError):
    """Why the request body is refused (the message reaches the client)."""


def decode(data: str | bytes) -> dict[str, Any]:
    """The request as a JSON object with a string (or absent) operationName."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")  # strictly: RFC 8259 JSON is UTF-8, nothing else guessed
        except UnicodeDecodeError:
            raise BadBody("the request body is not UTF-8") from None
    try:
        parsed = json.loads(data)
    except RecursionError:  # the C decoder gives up on very deep nesting
        raise BadBody(f"the request body nests deeper than {MAX_JSON_DEPTH} levels") from None
    except ValueError:  # not JSON at all, or a number too long to convert
        raise BadBody("the request body is not valid JSON") from None
    if _deeper_than(parsed, MAX_JSON_DEPTH):
        raise BadBody(f"the request body nests deeper than {MAX_JSON_DEPTH} levels")
    if not isinstance(parsed, dict):
        raise BadBody('the request body must be a JSON object: {"query": …, "variables": {…}, "operationName": …}')
    if not isinstance(parsed.get("operationName"), (str, type(None))):
        raise BadBody("operationName must be a string or null")
    return parsed


def _deeper_than(value: object, limit: int) -> bool:
    # Iterative: a recursive walk would itself run out of stack on what it is meant to refuse.
    # Only containers are pushed: a batch of 1,000 usage records holds 7,000 strings.
    stack = [(value, 1)] if isinstance(value, (dict, list)) else []
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def error_response(status: int, message: str) -> JSONResponse:
    code = "NOT_FOUND" if status == 404 else "INVALID"
    return JSONResponse(error_body(message, code), status_code=status)
