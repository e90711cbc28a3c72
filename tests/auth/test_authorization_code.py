"""AUTH-1: the console client's authorization code flow with PKCE S256, and its refusals."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from joserfc.jws import extract_compact

from tests.conftest import gql
from tests.principals import PASSWORD, REDIRECT_URI, authorization_code, authorize_params, pkce_pair, token_for

VIEWER = "{ viewer { kind staffRoles permissions account { id } } }"


def redirect_query(response) -> dict:
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT_URI)
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


async def exchange(client, code: str, verifier: str | None, redirect_uri: str = REDIRECT_URI):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, "client_id": "console"}
    if verifier is not None:
        data["code_verifier"] = verifier
    return await client.post("/oauth/token", data=data)


async def test_auth1_pkce_happy_path(client, principals) -> None:
    _, challenge = pkce_pair()
    form = await client.get("/oauth/authorize", params=authorize_params(challenge))
    assert form.status_code == 200
    assert 'name="login"' in form.text and 'name="password"' in form.text
    assert form.headers["x-frame-options"] == "DENY"

    code, verifier, response = await authorization_code(client, principals.holder_a.login, state="xyz-42")
    query = redirect_query(response)
    assert query["state"] == "xyz-42"
    assert query["iss"] == "http://127.0.0.1:8000"  # RFC 9207

    token = await exchange(client, code, verifier)
    assert token.status_code == 200
    body = token.json()
    assert body["token_type"] == "Bearer" and body["refresh_token"]
    assert body["expires_in"] <= 15 * 60
    assert extract_compact(body["access_token"].encode()).headers()["typ"] == "at+jwt"
    assert token.headers["cache-control"] == "no-store"

    viewer = await gql(client, VIEWER, headers={"Authorization": f"Bearer {body['access_token']}"})
    assert viewer["data"]["viewer"]["kind"] == "HOLDER"


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"code_challenge": None, "code_challenge_method": None}, "invalid_request"),  # no PKCE
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),  # defaults to plain: refused
        ({"response_type": "token"}, "unsupported_response_type"),  # no implicit grant
    ],
)
async def test_auth1_authorization_requests_refused_back_to_the_client(client, principals, change, error) -> None:
    _, challenge = pkce_pair()
    params = {k: v for k, v in (authorize_params(challenge) | change).items() if v is not None}
    response = await client.post(
        "/oauth/authorize", params=params, data={"login": principals.holder_a.login, "password": PASSWORD}
    )
    query = redirect_query(response)
    assert query["error"] == error
    assert "code" not in query
    assert query["state"] == "st-1"


@pytest.mark.parametrize(
    "change",
    [
        {"redirect_uri": "http://127.0.0.1:8000/graphql/callback/"},  # exact match only
        {"redirect_uri": "http://127.0.0.1:8000/graphql/callback?x=1"},
        {"redirect_uri": "https://evil.example/callback"},
        {"client_id": "nobody"},
    ],
)
async def test_auth1_unknown_client_or_redirect_is_never_redirected_to(client, principals, change) -> None:
    _, challenge = pkce_pair()
    response = await client.post(
        "/oauth/authorize",
        params=authorize_params(challenge) | change,
        data={"login": principals.holder_a.login, "password": PASSWORD},
    )
    assert response.status_code == 400
    assert "location" not in response.headers


async def test_auth1_code_needs_the_right_verifier_once(client, principals, clock) -> None:
    code, verifier, _ = await authorization_code(client, principals.holder_a.login)
    missing = await exchange(client, code, None)
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"
    wrong = await exchange(client, code, pkce_pair()[0])
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    other_redirect = await exchange(client, code, verifier, "http://localhost:5173/callback")
    assert other_redirect.status_code == 400

    code, verifier, _ = await authorization_code(client, principals.holder_a.login)
    assert (await exchange(client, code, verifier)).status_code == 200
    replay = await exchange(client, code, verifier)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"

    code, verifier, _ = await authorization_code(client, principals.holder_a.login)
    clock.advance(timedelta(minutes=6))
    expired = await exchange(client, code, verifier)
    assert expired.status_code == 400 and expired.json()["error"] == "invalid_grant"


async def test_auth1_no_password_grant(client, principals) -> None:
    response = await client.post(
        "/oauth/token",
        data={
            "grant_type": "password",
            "username": principals.holder_a.login,
            "password": PASSWORD,
            "client_id": "console",
        },
    )
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


async def test_auth1_failed_logins_get_one_generic_answer(client, principals) -> None:
    _, challenge = pkce_pair()
    params = authorize_params(challenge)
    wrong_password = await client.post(
        "/oauth/authorize", params=params, data={"login": principals.holder_a.login, "password": "nope-nope-nope"}
    )
    unknown_login = await client.post(
        "/oauth/authorize", params=params, data={"login": "nobody@test", "password": "nope-nope-nope"}
    )
    assert wrong_password.status_code == unknown_login.status_code == 401
    assert "location" not in wrong_password.headers
    message = "The login or password is not right"
    assert message in wrong_password.text and message in unknown_login.text


async def test_auth1_lockout_per_login_then_window_passes(client, principals, clock) -> None:
    _, challenge = pkce_pair()
    params = authorize_params(challenge)
    login = principals.holder_a.login
    for _ in range(5):
        await client.post("/oauth/authorize", params=params, data={"login": login, "password": "wrong-password"})
    locked = await client.post("/oauth/authorize", params=params, data={"login": login, "password": PASSWORD})
    assert locked.status_code == 401  # even the right password, while locked
    # Another login from the same address is not locked by this login's failures.
    await authorization_code(client, principals.holder_b.login)
    clock.advance(timedelta(minutes=16))
    await authorization_code(client, login)


async def test_auth1_lockout_per_client_address(client, principals) -> None:
    _, challenge = pkce_pair()
    params = authorize_params(challenge)
    for i in range(20):
        await client.post("/oauth/authorize", params=params, data={"login": f"guess{i}@test", "password": "x" * 12})
    refused = await client.post(
        "/oauth/authorize", params=params, data={"login": principals.holder_b.login, "password": PASSWORD}
    )
    assert refused.status_code == 401


async def test_auth1_scope_narrows_the_token(client, principals) -> None:
    token = await token_for(client, principals.holder_a.login, scope="billing:read account:read usage:write")
    assert token["scope"] == "account:read billing:read"  # usage:write is the vendor's
    viewer = await gql(client, VIEWER, headers={"Authorization": f"Bearer {token['access_token']}"})
    assert viewer["data"]["viewer"]["permissions"] == ["account:read", "billing:read"]
