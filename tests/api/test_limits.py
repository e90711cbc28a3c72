"""CONTRACT.md limits: a request body over 1 MiB is refused with 413 before it is parsed, and
before it is read to the end (api/limits.py), on every path."""

import json

import pytest

from api.limits import MAX_BODY_BYTES

CHUNK = 64 * 1024


class Body:
    """A streamed request body without Content-Length that counts what the server pulled."""

    def __init__(self, total: int) -> None:
        self.total, self.sent = total, 0

    async def __aiter__(self):
        while self.sent < self.total:
            self.sent += CHUNK
            yield b"x" * CHUNK


@pytest.mark.parametrize("path", ["/graphql", "/oauth/token", "/oauth/authorize"])
async def test_a_300_mb_body_is_refused_after_reading_just_over_1_mib(client, path) -> None:
    body = Body(300 * 1024 * 1024)
    response = await client.post(path, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert response.headers["connection"] == "close"
    assert response.headers["x-request-id"]  # logged like any request
    # Reading stopped with the first chunk past the limit, not after 300 MB.
    assert body.sent <= MAX_BODY_BYTES + CHUNK


async def test_a_declared_content_length_over_1_mib_is_refused_before_reading_anything(client) -> None:
    body = Body(2 * 1024 * 1024)
    response = await client.post(
        "/graphql",
        content=body,
        headers={"content-type": "application/json", "content-length": str(MAX_BODY_BYTES + 1)},
    )
    assert response.status_code == 413
    assert body.sent == 0


async def test_a_content_length_that_understates_the_body_does_not_help(client) -> None:
    body = Body(4 * 1024 * 1024)
    response = await client.post("/graphql", content=body, headers={"content-length": "10"})
    assert response.status_code == 413


async def test_a_body_of_exactly_1_mib_is_answered(client) -> None:
    query = {"query": "query($pad: String!) { __type(name: $pad) { name } }", "variables": {"pad": ""}}
    padding = MAX_BODY_BYTES - len(json.dumps(query).encode())
    query["variables"]["pad"] = "x" * padding
    raw = json.dumps(query).encode()
    assert len(raw) == MAX_BODY_BYTES
    response = await client.post("/graphql", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text[:200]
    assert response.json()["data"] == {"__type": None}
