"""`accord serve` from nothing: it migrates the embedded database and serves the API; in a
real headless Chromium with no internet, GraphiQL renders, logs in through the console
client's PKCE flow, and runs `viewer`."""

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from api.demo import DEMO_PASSWORD
from tests.conftest import answered, in_ci
from tests.e2e.server import Server, chromium, chromium_args


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db = tmp_path_factory.mktemp("serve") / "accord.db"
    with Server(f"sqlite+aiosqlite:///{db}") as running:
        running.accord("demo", "seed")
        yield running


@pytest.fixture
def browser_path() -> str:
    path = chromium()
    if path is None:
        if in_ci():
            pytest.fail("chromium is not installed (.ci/run installs it)")
        pytest.skip("chromium is not installed")
    return path


def test_auth1_serve_answers_only_with_a_token(server) -> None:
    assert httpx.get(f"{server.url}/readyz").json()["status"] == "ready"
    query = {"query": '{ workingDays(from: "2026-10-07", to: "2026-10-10") }'}
    anonymous = httpx.post(f"{server.url}/graphql", json=query).json()
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

    # The console client's flow over real HTTP, as a front end would run it.
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    redirect_uri = f"{server.url}/graphql/callback"
    params = {
        "response_type": "code",
        "client_id": "console",
        "redirect_uri": redirect_uri,
        "state": "s",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    login = httpx.post(
        f"{server.url}/oauth/authorize", params=params, data={"login": "admin@accord.demo", "password": DEMO_PASSWORD}
    )
    assert login.status_code == 302
    code = parse_qs(urlsplit(login.headers["location"]).query)["code"][0]
    token = httpx.post(
        f"{server.url}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": "console",
            "code_verifier": verifier,
        },
    ).json()["access_token"]
    answer = httpx.post(f"{server.url}/graphql", json=query, headers={"Authorization": f"Bearer {token}"}).json()
    assert answered(answer) == {"data": {"workingDays": ["2026-10-08", "2026-10-09", "2026-10-10"]}}


def test_graphiql_logs_in_with_pkce_and_runs_viewer_without_internet(server, browser_path, tmp_path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        args = [a for a in chromium_args(tmp_path / "profile") if not a.startswith(("--headless", "--user-data-dir"))]
        browser = playwright.chromium.launch(executable_path=browser_path, headless=True, args=args)
        try:
            page = browser.new_page()
            external = []
            page.on("request", lambda r: None if r.url.startswith(server.url) else external.append(r.url))
            page.goto(f"{server.url}/graphql")
            page.wait_for_selector(".graphiql-container")
            page.click("#login")
            page.fill("input[name=login]", "admin@accord.demo")
            page.fill("input[name=password]", DEMO_PASSWORD)
            page.click("#sign-in")
            page.wait_for_selector("text=signed in as STAFF (ADMIN)", timeout=20_000)
            assert page.url == f"{server.url}/graphql"
            page.click(".graphiql-execute-button")
            page.wait_for_selector(".graphiql-response >> text=2026-10-08", timeout=20_000)
            response = page.inner_text(".graphiql-response")
            assert '"kind": "STAFF"' in response
            assert '"ADMIN"' in response
            page.screenshot(path=str(tmp_path / "graphiql.png"))
            assert external == [], f"GraphiQL reached beyond Accord: {external}"
        finally:
            browser.close()
