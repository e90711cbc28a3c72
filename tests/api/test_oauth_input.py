"""Odd OAuth input is a 4xx, never a 500 (api/oauth.py, auth/oauth/): characters authlib
cannot put in an error description, NUL characters (PostgreSQL cannot compare them), and
logins longer than any user's."""

import base64

import pytest

from auth.oauth.login import FAILURE_MESSAGE
from models import User, UserKind
from tests.factories import PASSWORD_HASH
from tests.principals import PASSWORD, REDIRECT_URI, authorize_params, pkce_pair, token_for


@pytest.fixture
def params() -> dict:
    return authorize_params(pkce_pair()[1])


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("response_type", 'code"'),
        ("response_type", "code\\"),
        ("response_type", "códe"),
        ("response_type", "code\u202e"),
        ("redirect_uri", REDIRECT_URI + '"'),
        ("redirect_uri", REDIRECT_URI + "\\x"),
        ("redirect_uri", REDIRECT_URI + "é"),
        ("redirect_uri", "\\"),
        ("state", "st\x00"),
        ("client_id", "console\x00"),
    ],
)
async def test_authorize_with_odd_characters_shows_the_error_page(client, params, name, value) -> None:
    for method in ("GET", "POST"):
        response = await client.request(
            method, "/oauth/authorize", params=params | {name: value}, data={"login": "a", "password": "b"}
        )
        assert response.status_code == 400, (method, response.text[:200])
        assert "Authorization error" in response.text
        assert response.headers["x-frame-options"] == "DENY"
        assert "location" not in response.headers  # never a redirect to an unchecked URI


@pytest.fixture
async def user(session) -> str:
    login = "nul-test@example.cn"
    session.add(User(kind=UserKind.STAFF, login=login, password_hash=PASSWORD_HASH, staff_roles=["SUPPORT"]))
    await session.commit()
    return login


@pytest.mark.parametrize(
    "form",
    [
        {"login": "nul-test@example.cn\x00", "password": PASSWORD},
        {"login": "nul\x00test@example.cn", "password": PASSWORD},
        {"login": "nul-test@example.cn", "password": PASSWORD + "\x00"},
        {"login": "x" * 300 + "@example.cn", "password": PASSWORD},
        {"login": "ü" * 150, "password": PASSWORD},
    ],
)
async def test_a_login_with_nul_or_beyond_any_users_length_is_the_usual_refusal(client, params, user, form) -> None:
    response = await client.post("/oauth/authorize", params=params, data=form)
    assert response.status_code == 401
    assert FAILURE_MESSAGE in response.text
    assert "location" not in response.headers
    # The real login still works: nothing was locked out by the odd attempts.
    assert (await token_for(client, user))["access_token"]


@pytest.mark.parametrize(
    "form",
    [
        {"grant_type": "authorization_code", "code": "x\x00", "client_id": "console", "redirect_uri": REDIRECT_URI},
        {"grant_type": "refresh_token", "refresh_token": "\x00", "client_id": "console"},
        {"grant_type": "client_credentials", "client_id": "partner\x00", "client_secret": "s"},
        {"grant_type": "authorization_code\x00"},
    ],
)
async def test_the_token_endpoint_refuses_nul_as_an_invalid_request(client, form) -> None:
    response = await client.post("/oauth/token", data=form)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


@pytest.mark.parametrize("path", ["/oauth/token", "/oauth/revoke", "/oauth/introspect"])
@pytest.mark.parametrize(
    "authorization",
    [
        b"Basic ",
        b"Basic",
        b"basic \xc3\xa9\xc3\xa9",  # not ASCII
        b"Basic !!!",  # not base64
        b"Basic " + base64.b64encode(b"\xff\xfe:secret"),  # not UTF-8
        b"Basic " + base64.b64encode(b"partner\x00id:secret"),
        b"Basic " + base64.b64encode(b"partner%00id:secret"),  # authlib unquotes it to a NUL
    ],
)
async def test_malformed_http_basic_client_credentials_are_an_invalid_client(client, path, authorization) -> None:
    response = await client.post(
        path, data={"grant_type": "client_credentials", "token": "t"}, headers={"Authorization": authorization}
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


@pytest.mark.parametrize("path", ["/oauth/revoke", "/oauth/introspect"])
async def test_revocation_and_introspection_refuse_nul(client, path) -> None:
    response = await client.post(path, data={"token": "t\x00", "client_id": "console"})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
