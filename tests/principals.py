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
from services.clock import FixedClock
from tests.factories import PASSWORD, AccountRef, Who, make_account, make_user

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


# What a principal's token reads until it has logged in: its headers carry this and the login,
# and Principals' request hook logs it in when a request first carries it.
NOT_LOGGED_IN = "not-logged-in:"


class Principals:
    """Two accounts (A and B) with holders, a sub-account of A, and staff of every role.

    Logins are lazy: each principal logs in through the real authorization-code flow when a
    request on this client first carries its headers, so a test pays for the logins it uses
    (one is an argon2 hash, about 0.1-0.4 s). A lazy login after the test clock moved would
    hand the test a token newer than it expects, so that is refused: log in before moving the
    clock (``await principals.login(who)``), or ``relogin()`` after."""

    def __init__(self, session: AsyncSession, client: httpx.AsyncClient, clock: FixedClock | None = None) -> None:
        self.session, self.client, self.clock = session, client, clock
        self._locks: dict[str, asyncio.Lock] = {}

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
        self.everyone = {who.login: who for who in [self.holder_a, self.holder_b, self.sub_a, *self.staff.values()]}
        self.watch(self.client)
        s.info["principals"] = self  # tests/snapshots.py logs everyone in before a snapshot
        await self.relogin()
        return self

    async def relogin(self) -> None:
        """Fresh tokens for everyone (after a test moved the clock past their expiry): each logs
        in again, at this clock time, on its next request."""
        self._logins_at = self.clock.now() if self.clock else None
        for who in self.everyone.values():
            who.token = NOT_LOGGED_IN + who.login

    async def login(self, who: Who) -> str:
        """``who``'s token, through the real login form and token endpoint unless it has one."""
        async with self._locks.setdefault(who.login, asyncio.Lock()):
            if who.token.startswith(NOT_LOGGED_IN):
                moved = self.clock is not None and self.clock.now() != self._logins_at
                assert not moved, f"{who.login} first logs in after the clock moved: log in before, or relogin()"
                who.token = (await token_for(self.client, who.login))["access_token"]
        return who.token

    def watch(self, client: httpx.AsyncClient) -> None:
        """Log principals in on first use on another client too (another app on the same database)."""
        client.event_hooks["request"].append(self._log_in_on_first_use)

    async def login_everyone(self) -> None:
        """Every principal's token (the logins are independent, so they run at once)."""
        await asyncio.gather(*(self.login(who) for who in self.everyone.values()))

    async def _log_in_on_first_use(self, request: httpx.Request) -> None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme == "Bearer" and token.startswith(NOT_LOGGED_IN):
            who = self.everyone[token.removeprefix(NOT_LOGGED_IN)]
            request.headers["authorization"] = f"Bearer {await self.login(who)}"
