"""Per-principal test clients: real users in the test database, real tokens from the real
OAuth endpoints (authorization code + PKCE through the login form)."""

import asyncio
import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlsplit

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from models import UserKind
from tests.factories import PASSWORD, AccountRef, make_account, make_user

REDIRECT_URI = "http://127.0.0.1:8000/graphql/callback"


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_params(challenge: str | None, *, state: str = "st-1", scope: str | None = None, **extra: str) -> dict:
    params = {"response_type": "code", "client_id": "console", "redirect_uri": REDIRECT_URI, "state": state}
    if challenge is not None:
        params |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    if scope is not None:
        params["scope"] = scope
    return params | extra


async def authorization_code(
    client: httpx.AsyncClient, login: str, password: str = PASSWORD, **params_kw
) -> tuple[str, str, httpx.Response]:
    """(code, verifier, the redirect response) after logging in through the form."""
    verifier, challenge = pkce_pair()
    params = authorize_params(challenge, **params_kw)
    response = await client.post("/oauth/authorize", params=params, data={"login": login, "password": password})
    assert response.status_code == 302, response.text
    query = parse_qs(urlsplit(response.headers["location"]).query)
    return query["code"][0], verifier, response


async def token_for(client: httpx.AsyncClient, login: str, password: str = PASSWORD, scope: str | None = None) -> dict:
    code, verifier, _ = await authorization_code(client, login, password, scope=scope)
    response = await client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "client_id": "console",
            "code_verifier": verifier,
        },
    )
    assert response.status_code == 200, response.text
    return response.json()


class Principals:
    """Two accounts (A and B) with holders, a sub-account of A, and staff of every role."""

    def __init__(self, session: AsyncSession, client: httpx.AsyncClient) -> None:
        self.session, self.client = session, client

    async def setup(self) -> "Principals":
        s = self.session
        account_a = await make_account(s, name="甲公司")
        account_b = await make_account(s, name="乙公司")
        self.account_a, self.account_b = AccountRef(account_a.id), AccountRef(account_b.id)
        self.holder_a = await make_user(s, UserKind.HOLDER, account=account_a)
        self.holder_b = await make_user(s, UserKind.HOLDER, account=account_b)
        self.sub_a = await make_user(
            s, UserKind.SUB_ACCOUNT, account=account_a, permissions=["account:read", "billing:read"]
        )
        self.staff = {
            role: await make_user(s, UserKind.STAFF, roles=[role])
            for role in ("SUPPORT", "FINANCE", "COMPLIANCE", "ADMIN")
        }
        await s.commit()
        await self.relogin()
        return self

    async def relogin(self) -> None:
        """Fresh tokens for everyone (after a test moved the clock past their expiry), each through
        the real login form and token endpoint. The seven logins are independent, so they run
        at once: most of their time is argon2 in worker threads (auth/oauth/login.py)."""
        everyone = [self.holder_a, self.holder_b, self.sub_a, *self.staff.values()]
        tokens = await asyncio.gather(*(token_for(self.client, who.login) for who in everyone))
        for who, token in zip(everyone, tokens, strict=True):
            who.token = token["access_token"]
