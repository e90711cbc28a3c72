"""Refresh rotation, bad tokens (401 UNAUTHENTICATED), revocation, introspection, JWKS."""

import base64
import json
from datetime import timedelta

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey

from auth import keys
from auth.tokens import TokenSubject, mint
from tests.conftest import gql
from tests.principals import token_for

VIEWER = "{ viewer { kind } }"


async def refresh(client, token: str):
    return await client.post(
        "/oauth/token", data={"grant_type": "refresh_token", "refresh_token": token, "client_id": "console"}
    )


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


async def test_auth1_refresh_rotates_and_reuse_revokes_the_family(client, principals) -> None:
    first = await token_for(client, principals.holder_a.login)
    second = await refresh(client, first["refresh_token"])
    assert second.status_code == 200
    rotated = second.json()
    assert rotated["refresh_token"] != first["refresh_token"]
    assert (await gql(client, VIEWER, headers=bearer(rotated["access_token"])))["data"]["viewer"]["kind"] == "HOLDER"

    reuse = await refresh(client, first["refresh_token"])
    assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"
    # The reuse revoked the whole family: the newest link is dead too.
    assert (await refresh(client, rotated["refresh_token"])).status_code == 400


async def post_graphql(client, headers) -> object:
    return await client.post("/graphql", json={"query": VIEWER}, headers=headers)


def assert_unauthenticated(response) -> None:
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_auth1_expired_token_is_401(client, principals, clock) -> None:
    token = await principals.login(principals.holder_a)
    assert (await post_graphql(client, bearer(token))).status_code == 200
    clock.advance(timedelta(minutes=15, seconds=1))
    assert_unauthenticated(await post_graphql(client, bearer(token)))


async def _forged(session, clock, **claims_override) -> str:
    """A token signed with the real key but with some claims changed (None: removed)."""
    key = await keys.current_key(session, now=clock.now())
    now = int(clock.now().timestamp())
    claims = {
        "iss": "http://127.0.0.1:8000",
        "aud": "http://127.0.0.1:8000/graphql",
        "sub": "x",
        "iat": now,
        "exp": now + 600,
        "jti": "j1",
        "kind": "STAFF",
    } | claims_override
    claims = {name: value for name, value in claims.items() if value is not None}  # None: left out
    return jwt.encode({"alg": "ES256", "kid": key.kid, "typ": "at+jwt"}, claims, key.key)


async def test_auth1_wrong_audience_issuer_and_tampering_are_401(client, principals, session, clock) -> None:
    staff_id = str(principals.staff["ADMIN"].user_id)
    await session.commit()
    good = await _forged(session, clock, sub=staff_id, ugen=0)
    await session.commit()
    assert (await post_graphql(client, bearer(good))).status_code == 200  # the forging helper is sound
    for bad in (
        await _forged(session, clock, sub=staff_id, ugen=0, aud="http://127.0.0.1:8000/other-api"),
        await _forged(session, clock, sub=staff_id, ugen=0, iss="http://evil.example"),
    ):
        assert_unauthenticated(await post_graphql(client, bearer(bad)))

    header, payload, signature = (await principals.login(principals.holder_a)).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = str(principals.holder_b.user_id)
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    assert_unauthenticated(await post_graphql(client, bearer(f"{header}.{forged_payload}.{signature}")))

    stranger = ECKey.generate_key("P-256", private=True)
    foreign = jwt.encode({"alg": "ES256", "kid": "k", "typ": "at+jwt"}, {"sub": staff_id}, stranger)
    assert_unauthenticated(await post_graphql(client, bearer(foreign)))
    unsigned = base64.urlsafe_b64encode(b'{"alg":"none","typ":"at+jwt"}').rstrip(b"=").decode()
    assert_unauthenticated(await post_graphql(client, bearer(f"{unsigned}.{forged_payload}.")))
    for header_value in ("Bearer", "Basic abc", "Bearer a b", "Bearer not-a-jwt"):
        assert_unauthenticated(await post_graphql(client, {"Authorization": header_value}))


async def test_auth1_a_token_without_jti_is_401(client, principals, session, clock) -> None:
    """Revocation is by jti: a token without one could never be revoked on its own."""
    staff_id = str(principals.staff["ADMIN"].user_id)
    await session.commit()
    good = await _forged(session, clock, sub=staff_id, ugen=0)
    await session.commit()
    assert (await post_graphql(client, bearer(good))).status_code == 200
    for jti in (None, "", 42):
        token = await _forged(session, clock, sub=staff_id, ugen=0, jti=jti)
        await session.commit()
        assert_unauthenticated(await post_graphql(client, bearer(token)))


async def test_auth1_an_id_token_shaped_jwt_is_not_an_access_token(client, principals, session, clock) -> None:
    key = await keys.current_key(session, now=clock.now())
    await session.commit()
    now = int(clock.now().timestamp())
    claims = {"iss": "http://127.0.0.1:8000", "aud": "http://127.0.0.1:8000/graphql", "iat": now, "exp": now + 60}
    token = jwt.encode({"alg": "ES256", "kid": key.kid, "typ": "JWT"}, claims, key.key)
    assert_unauthenticated(await post_graphql(client, bearer(token)))


async def test_auth1_revoked_access_token_is_401(client, principals) -> None:
    token = await token_for(client, principals.holder_a.login)
    revoked = await client.post("/oauth/revoke", data={"token": token["access_token"], "client_id": "console"})
    assert revoked.status_code == 200
    assert_unauthenticated(await post_graphql(client, bearer(token["access_token"])))
    # Revoking the refresh token ends it (and its family).
    await client.post("/oauth/revoke", data={"token": token["refresh_token"], "client_id": "console"})
    assert (await refresh(client, token["refresh_token"])).status_code == 400
    # Unknown tokens are answered 200 too (RFC 7009 2.2).
    assert (await client.post("/oauth/revoke", data={"token": "nothing", "client_id": "console"})).status_code == 200


async def test_metadata_and_jwks(client, principals, session, clock) -> None:
    meta = (await client.get("/.well-known/oauth-authorization-server")).json()
    assert meta["issuer"] == "http://127.0.0.1:8000"
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert set(meta["grant_types_supported"]) == {"authorization_code", "refresh_token", "client_credentials"}
    assert "implicit" not in json.dumps(meta) and "password" not in meta["grant_types_supported"]
    assert meta["response_types_supported"] == ["code"]

    before = (await client.get("/.well-known/jwks.json")).json()["keys"]
    assert len(before) == 1 and "d" not in before[0]  # public half only

    old_token = await principals.login(principals.holder_a)
    await keys.rotate(session, now=clock.now())
    await session.commit()
    after = (await client.get("/.well-known/jwks.json")).json()["keys"]
    assert len(after) == 2  # the new key and the previous one
    # A token signed by the previous key still verifies until it expires.
    assert (await post_graphql(client, bearer(old_token))).status_code == 200
    new_token = await token_for(client, principals.holder_a.login)
    assert (
        json.loads(base64.urlsafe_b64decode(new_token["access_token"].split(".")[0] + "=="))["kid"] == after[0]["kid"]
    )
    clock.advance(timedelta(minutes=16))
    assert len((await client.get("/.well-known/jwks.json")).json()["keys"]) == 1


async def test_mint_never_exceeds_fifteen_minutes(session, clock) -> None:
    token, lifetime = await mint(
        session,
        issuer="http://i",
        now=clock.now(),
        subject=TokenSubject(sub="s", kind="STAFF", client_id="c", scope=""),
    )
    claims = jwt.decode(token, ECKey.import_key((await keys.public_keys(session, now=clock.now()))[0])).claims
    assert claims["exp"] - claims["iat"] == lifetime <= 900


@pytest.mark.parametrize("method", ["basic", "post"])
async def test_introspection_for_confidential_clients(client, principals, method) -> None:
    created = await gql(
        client,
        'mutation { createPartnerClient(input: {name: "ERP", scopes: ["billing:read"]}) '
        "{ clientId clientSecret userErrors { code } } }",
        headers=principals.holder_a.headers,
    )
    partner = created["data"]["createPartnerClient"]
    auth = (partner["clientId"], partner["clientSecret"])
    grant = {"grant_type": "client_credentials"}
    if method == "basic":
        got = await client.post("/oauth/token", data=grant, auth=auth)
        assert got.status_code == 200, got.text
        token = got.json()["access_token"]
        ask = {"auth": auth}
        form = {}
    else:
        creds = {"client_id": auth[0], "client_secret": auth[1]}
        token = (await client.post("/oauth/token", data=grant | creds)).json()["access_token"]
        ask = {}
        form = creds
    active = (await client.post("/oauth/introspect", data={"token": token} | form, **ask)).json()
    assert active["active"] is True and active["client_id"] == partner["clientId"]
    assert active["scope"] == "billing:read"
    await client.post("/oauth/revoke", data={"token": token} | form, **ask)
    assert (await client.post("/oauth/introspect", data={"token": token} | form, **ask)).json() == {"active": False}
    # Someone else's token is not theirs to introspect; the public console cannot introspect.
    other = (
        await client.post(
            "/oauth/introspect", data={"token": (await principals.login(principals.holder_a))} | form, **ask
        )
    ).json()
    assert other == {"active": False}
    console = await client.post("/oauth/introspect", data={"token": token, "client_id": "console"})
    assert console.status_code in (400, 401)


async def test_auth1_an_empty_scope_never_widens_on_refresh(client, principals) -> None:
    from tests.principals import authorization_code

    code, verifier, _ = await authorization_code(client, principals.holder_a.login, scope="usage:write")
    exchanged = await client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": "console",
            "code_verifier": verifier,
            "redirect_uri": "http://127.0.0.1:8000/graphql/callback",
        },
    )
    assert exchanged.status_code == 400 and exchanged.json()["error"] == "invalid_scope"  # holds none of it

    narrowed = await token_for(client, principals.holder_a.login, scope="billing:read")
    again = (await refresh(client, narrowed["refresh_token"])).json()
    assert again["scope"] == "billing:read"  # refresh keeps the narrowed scope, never widens it


async def test_auth4_revocation_also_kills_authorization_codes_not_yet_redeemed(client, principals) -> None:
    from tests.principals import authorization_code

    code, verifier, _ = await authorization_code(client, principals.holder_a.login)
    revoked = await gql(
        client, "mutation { revokeAllTokens(input: {}) { userErrors { code } } }", headers=principals.holder_a.headers
    )
    assert revoked["data"]["revokeAllTokens"]["userErrors"] == []
    late = await client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": "console",
            "code_verifier": verifier,
            "redirect_uri": "http://127.0.0.1:8000/graphql/callback",
        },
    )
    assert late.status_code == 400 and late.json()["error"] == "invalid_grant"
