"""Per-address budgets count the real client: X-Forwarded-For is believed only from proxies
listed in ACCORD_FORWARDED_ALLOW_IPS, and then only its right-most entry that is not a listed
proxy (the entries to its left are whatever the client wrote)."""

import ipaddress

import httpx
import pytest

from api.addresses import forwarded_client
from api.app import create_app
from api.settings import Settings
from tests.accounts.queries import REGISTER
from tests.accounts.test_registration_and_profile import NEW_ACCOUNT
from tests.conftest import gql
from tests.principals import PASSWORD, authorize_params, pkce_pair

PROXIES = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("127.0.0.1"))


def test_the_address_is_the_peer_unless_the_peer_is_a_listed_proxy() -> None:
    assert forwarded_client("198.51.100.9", ["203.0.113.1"], PROXIES) == "198.51.100.9"
    assert forwarded_client("198.51.100.9", ["203.0.113.1"], ()) == "198.51.100.9"
    assert forwarded_client("127.0.0.1", [], PROXIES) == "127.0.0.1"
    # The right-most entry not itself a proxy; what the client put to its left is ignored.
    assert forwarded_client("127.0.0.1", ["6.6.6.6, 203.0.113.1, 10.1.2.3"], PROXIES) == "203.0.113.1"
    assert forwarded_client("127.0.0.1", ["6.6.6.6", "203.0.113.1"], PROXIES) == "203.0.113.1"  # two headers
    assert forwarded_client("127.0.0.1", ["2001:db8::1"], PROXIES) == "2001:db8::1"
    # Only proxies: the farthest one. Garbage where a proxy would have written an address: the
    # last proxy that was believed.
    assert forwarded_client("127.0.0.1", ["10.0.0.2, 10.0.0.3"], PROXIES) == "10.0.0.2"
    assert forwarded_client("127.0.0.1", ["203.0.113.1, not-an-ip, 10.0.0.3"], PROXIES) == "10.0.0.3"


def test_the_setting_takes_addresses_and_networks_only() -> None:
    settings = Settings(forwarded_allow_ips=" 127.0.0.1, 10.0.0.0/8 ,::1")
    assert [str(n) for n in settings.forwarded_proxies] == ["127.0.0.1/32", "10.0.0.0/8", "::1/128"]
    assert Settings().forwarded_proxies == ()
    with pytest.raises(ValueError, match="not an IP address"):
        Settings(forwarded_allow_ips="proxy.internal")


async def _fail_logins(client, count: int, forwarded: str) -> None:
    params = authorize_params(pkce_pair()[1])
    for i in range(count):
        answer = await client.post(
            "/oauth/authorize",
            params=params,
            data={"login": f"guess{i}@test", "password": "x" * 12},
            headers={"X-Forwarded-For": forwarded.format(i=i)},
        )
        assert answer.status_code == 401


async def _login(client, login: str, forwarded: str) -> int:
    answer = await client.post(
        "/oauth/authorize",
        params=authorize_params(pkce_pair()[1]),
        data={"login": login, "password": PASSWORD},
        headers={"X-Forwarded-For": forwarded},
    )
    return answer.status_code


async def _register(client, forwarded: str, login: str, phone: str = "bad") -> dict:
    variables = {"input": NEW_ACCOUNT | {"login": login, "phone": phone}}
    return await gql(client, REGISTER, variables, headers={"X-Forwarded-For": forwarded})


async def test_a_changing_header_from_an_unlisted_peer_does_not_escape_the_lockout(client, principals) -> None:
    await _fail_logins(client, 20, "203.0.113.{i}")
    assert await _login(client, principals.holder_b.login, "198.51.100.1") == 401


async def test_a_changing_header_from_an_unlisted_peer_does_not_escape_the_registration_budget(client) -> None:
    for i in range(10):
        await _register(client, f"203.0.113.{i}", f"u{i}@example.cn")
    limited = await _register(client, "198.51.100.1", "late@example.cn", phone=NEW_ACCOUNT["phone"])
    assert limited["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


@pytest.fixture
async def behind_proxy(settings, clock):
    """The app with the test client's peer (127.0.0.1) listed as a proxy."""
    listed = settings.model_copy(update={"forwarded_allow_ips": "127.0.0.1"})
    app = create_app(listed, clock=clock)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8000") as client,
    ):
        yield client


async def test_a_listed_proxy_is_believed(behind_proxy, principals) -> None:
    client = behind_proxy
    # The client wrote 6.6.6.6; the proxy appended the address it saw.
    await _fail_logins(client, 20, "6.6.6.{i}, 203.0.113.7")
    assert await _login(client, principals.holder_b.login, "203.0.113.7") == 401  # that client is locked out
    assert await _login(client, principals.holder_b.login, "203.0.113.8") == 302  # another is not

    for i in range(10):
        await _register(client, "203.0.113.20", f"u{i}@example.cn")
    limited = await _register(client, "203.0.113.20", "late@example.cn", phone=NEW_ACCOUNT["phone"])
    assert limited["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    other = await _register(client, "203.0.113.21", "late@example.cn", phone=NEW_ACCOUNT["phone"])
    assert other["data"]["registerAccount"]["userErrors"] == []
