"""AUTH-1 login lock-out under concurrency: an attempt compares its password only while the failures
and the attempts pending before it are fewer than the limit (auth/oauth/login.py)."""

import asyncio

from auth.oauth import login as login_module
from tests.conftest import requires_postgres
from tests.principals import PASSWORD, authorize_params, pkce_pair

GUESSES = 12


async def _post(client, params, login: str, password: str, *, delay: float = 0.0):
    if delay:
        await asyncio.sleep(delay)
    return await client.post("/oauth/authorize", params=params, data={"login": login, "password": password})


async def _guesses_then_the_right_password(client, principals, monkeypatch) -> None:
    checked = []
    real_verify = login_module.verify_password

    def counting_verify(hashed: str, password: str) -> bool:
        checked.append(password)
        return real_verify(hashed, password)

    monkeypatch.setattr(login_module, "verify_password", counting_verify)
    _, challenge = pkce_pair()
    params = authorize_params(challenge)
    target = principals.holder_a.login
    answers = await asyncio.gather(
        *(_post(client, params, target, f"wrong-guess-{i:02d}") for i in range(GUESSES)),
        _post(client, params, target, PASSWORD, delay=0.05),
    )
    *guesses, right = answers
    assert all(g.status_code == 401 for g in guesses)
    assert right.status_code == 401, "the right password got a code while the login was locked out"
    assert "location" not in right.headers
    # At most LOGIN_LIMIT passwords were ever compared in the window, however many came at once.
    assert len(checked) <= login_module.LOGIN_LIMIT


async def test_auth1_concurrent_guesses_lock_the_login_before_the_right_password(client, principals, monkeypatch):
    await _guesses_then_the_right_password(client, principals, monkeypatch)


@requires_postgres
async def test_auth1_concurrent_guesses_lock_the_login_on_postgresql(client, principals, monkeypatch):
    await _guesses_then_the_right_password(client, principals, monkeypatch)


async def test_auth1_twenty_people_logging_in_at_once_do_not_lock_each_other_out(client, principals) -> None:
    """The lock-out counts failures, not attempts: twenty right passwords at once all get a code."""
    _, challenge = pkce_pair()
    params = authorize_params(challenge)
    answers = await asyncio.gather(*(_post(client, params, principals.holder_a.login, PASSWORD) for _ in range(20)))
    assert [a.status_code for a in answers] == [302] * 20
    assert all("code=" in a.headers["location"] for a in answers)
