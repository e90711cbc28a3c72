"""Per-principal test clients: real users in the test database, real tokens from the real
OAuth endpoints (authorization code + PKCE through the login form)."""

import base64
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from auth.passwords import hash_password
from models import Account, HolderType, User, UserKind

PASSWORD = "test-password-1234"
REDIRECT_URI = "http://127.0.0.1:8000/graphql/callback"
_HASH = hash_password(PASSWORD)


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


@dataclass
class Who:
    login: str
    user_id: uuid.UUID
    account_id: uuid.UUID | None
    token: str = ""

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def make_account(session: AsyncSession, name: str, holder_type: HolderType = HolderType.ENTERPRISE) -> Account:
    account = Account(
        holder_type=holder_type,
        name=name,
        contact_person="张三",
        email=f"{uuid.uuid4().hex[:8]}@example.cn",
        phone="13800138000",
        address="深圳市南山区",
    )
    session.add(account)
    await session.flush()
    return account


async def make_user(
    session: AsyncSession,
    kind: UserKind,
    *,
    account: Account | None = None,
    roles: list[str] | None = None,
    permissions: list[str] | None = None,
) -> Who:
    login = f"{kind.value.lower()}-{uuid.uuid4().hex[:8]}@test"
    user = User(
        account_id=account.id if account else None,
        kind=kind,
        login=login,
        password_hash=_HASH,
        staff_roles=roles or [],
        permissions=permissions or [],
    )
    session.add(user)
    await session.flush()
    return Who(login=login, user_id=user.id, account_id=user.account_id)


@dataclass(frozen=True)
class AccountRef:
    """An account's key, safe to use after the test session expired its ORM objects."""

    id: uuid.UUID


class Principals:
    """Two accounts (A and B) with holders, a sub-account of A, and staff of every role."""

    def __init__(self, session: AsyncSession, client: httpx.AsyncClient) -> None:
        self.session, self.client = session, client

    async def setup(self) -> "Principals":
        s = self.session
        account_a = await make_account(s, "甲公司")
        account_b = await make_account(s, "乙公司")
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
        """Fresh tokens for everyone (after a test moved the clock past their expiry)."""
        for who in [self.holder_a, self.holder_b, self.sub_a, *self.staff.values()]:
            who.token = (await token_for(self.client, who.login))["access_token"]
