"""/healthz (process alive), /readyz (DB reachable and at head), /metrics (Prometheus)."""

import hmac
import logging

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api import metrics
from api.migrate import current_revision, head_revision

log = logging.getLogger("accord.health")


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    head = head_revision()
    try:
        current = await current_revision(request.app.state.engine)
    except Exception:
        log.exception("readiness: database unreachable")
        return JSONResponse({"status": "unavailable", "reason": "database unreachable"}, 503)
    if current != head:
        return JSONResponse(
            {"status": "unavailable", "reason": "database not migrated to head", "current": current, "head": head},
            503,
        )
    return JSONResponse({"status": "ready", "revision": current})


def _metrics_allowed(request: Request) -> bool:
    """With ACCORD_METRICS_TOKEN set, only `Authorization: Bearer <that token>` reads /metrics
    (compared in constant time); unset, /metrics is open (development)."""
    expected = request.app.state.settings.metrics_token
    if not expected:
        return True
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), expected.encode())


async def metrics_endpoint(request: Request) -> Response:
    if not _metrics_allowed(request):
        return Response(
            "metrics need Authorization: Bearer <ACCORD_METRICS_TOKEN>\n",
            status_code=401,
            media_type="text/plain",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    return Response(generate_latest(metrics.REGISTRY), media_type=CONTENT_TYPE_LATEST)
