"""The request body limit (CONTRACT.md, "Limits every HTTP answer keeps").

A body over 1 MiB is refused with 413 before anything parses it: at once when Content-Length
announces it, else as soon as the bytes received pass the limit (the rest is never read, and
the connection is closed rather than drained). A body within the limit is read here and handed
on unchanged, so no route can be made to hold more than 1 MiB of one request in memory.
"""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 1024 * 1024

_REFUSAL = b'{"errors":[{"message":"the request body is over 1 MiB","extensions":{"code":"PAYLOAD_TOO_LARGE"}}]}'
_BAD_LENGTH = b'{"errors":[{"message":"the Content-Length header is not a number","extensions":{"code":"INVALID"}}]}'


class BodyLimit:
    def __init__(self, app: ASGIApp, *, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared == "invalid":
            await _answer(send, 400, _BAD_LENGTH)
            return
        if declared is not None and declared > self.max_bytes:
            await _answer(send, 413, _REFUSAL)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: nothing to answer
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await _answer(send, 413, _REFUSAL)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        await self.app(scope, _replay(b"".join(chunks), receive), send)


def _content_length(scope: Scope) -> int | str | None:
    for name, value in scope.get("headers") or []:
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isascii() and text.isdigit() else "invalid"
    return None


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body in one message, then the real channel (which reports a disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _answer(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                # The unread rest of the body stays on the wire: end the connection.
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
