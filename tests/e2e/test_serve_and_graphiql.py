"""`accord serve` from nothing: it migrates the embedded database, serves the API, and
GraphiQL renders in a real headless Chromium with no internet."""

import subprocess

import httpx
import pytest

from tests.conftest import in_ci
from tests.e2e.server import Server, chromium, chromium_args


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db = tmp_path_factory.mktemp("serve") / "accord.db"
    with Server(f"sqlite+aiosqlite:///{db}") as running:
        yield running


def test_serve_migrates_the_embedded_database_and_answers(server) -> None:
    assert httpx.get(f"{server.url}/readyz").json()["status"] == "ready"
    body = httpx.post(
        f"{server.url}/graphql",
        json={"query": '{ workingDays(from: "2026-10-07", to: "2026-10-10") }'},
    ).json()
    assert body == {"data": {"workingDays": ["2026-10-08", "2026-10-09", "2026-10-10"]}}


def test_graphiql_renders_in_headless_chromium_without_internet(server, tmp_path) -> None:
    browser = chromium()
    if browser is None:
        if in_ci():
            pytest.fail("chromium is not installed (.ci/run installs it)")
        pytest.skip("chromium is not installed")
    dom = subprocess.run(
        [
            browser,
            *chromium_args(tmp_path / "profile"),
            "--virtual-time-budget=15000",
            "--dump-dom",
            f"{server.url}/graphql",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    ).stdout
    # The React app replaced the "Loading" placeholder with GraphiQL's editor, holding our
    # default query.
    assert "graphiql-container" in dom
    assert "Loading GraphiQL" not in dom
    assert "NationalDay2026" in dom
