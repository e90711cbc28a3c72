"""CONTRACT.md: with ACCORD_METRICS_TOKEN set, /metrics needs `Authorization: Bearer <that
token>`; unset, it is open (development). Production refuses to start without it
(tests/api/test_settings.py)."""

import httpx

from api import health
from api.app import create_app

TOKEN = "metrics-token-0123456789"


async def metrics_client(settings, clock, token: str | None):
    app = create_app(settings.model_copy(update={"metrics_token": token}), clock=clock)
    return app, httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8000")


async def test_metrics_need_the_bearer_token_when_one_is_set(settings, clock) -> None:
    app, client = await metrics_client(settings, clock, TOKEN)
    async with app.router.lifespan_context(app), client:
        for headers in (
            {},
            {"Authorization": "Bearer wrong"},
            {"Authorization": f"Bearer {TOKEN}x"},
            {"Authorization": f"Basic {TOKEN}"},
            {"Authorization": "Bearer é".encode("latin-1")},  # not ASCII: refused, not a 500
            {"Authorization": TOKEN},
        ):
            refused = await client.get("/metrics", headers=headers)
            assert refused.status_code == 401, headers
            assert refused.headers["www-authenticate"].startswith("Bearer")
            assert "accord_requests_total" not in refused.text
        allowed = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert allowed.status_code == 200 and "accord_requests_total" in allowed.text


async def test_metrics_are_open_without_a_token(settings, clock) -> None:
    app, client = await metrics_client(settings, clock, None)
    async with app.router.lifespan_context(app), client:
        assert (await client.get("/metrics")).status_code == 200


async def test_the_token_is_compared_in_constant_time(settings, clock, monkeypatch) -> None:
    compared = []
    real = health.hmac.compare_digest

    def spy(a, b):
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(health.hmac, "compare_digest", spy)
    app, client = await metrics_client(settings, clock, TOKEN)
    async with app.router.lifespan_context(app), client:
        await client.get("/metrics", headers={"Authorization": "Bearer guess"})
    assert compared == [(b"guess", TOKEN.encode())]
