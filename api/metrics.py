"""Prometheus metrics: request count and latency by GraphQL operation name."""

import re

from prometheus_client import CollectorRegistry, Counter, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

REQUESTS = Counter(
    "accord_requests_total",
    "HTTP requests by operation and status",
    ["operation", "status"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "accord_request_duration_seconds",
    "HTTP request latency by operation",
    ["operation"],
    registry=REGISTRY,
)

# Operation names come from clients: keep the label set bounded.
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_MAX_DISTINCT = 500
_seen: set[str] = set()


def operation_label(path: str, operation: str | None) -> str:
    if operation is None:
        return "anonymous" if path == "/graphql" else path if path in _FIXED_PATHS else "other"
    if not _NAME.match(operation):
        return "invalid"
    if operation not in _seen:
        if len(_seen) >= _MAX_DISTINCT:
            return "other"
        _seen.add(operation)
    return operation


_FIXED_PATHS = frozenset(
    {
        "/healthz",
        "/readyz",
        "/metrics",
        "/oauth/token",
        "/oauth/authorize",
        "/oauth/revoke",
        "/oauth/introspect",
        "/.well-known/jwks.json",
        "/.well-known/oauth-authorization-server",
    }
)


def observe(path: str, operation: str | None, status: int, seconds: float) -> None:
    label = operation_label(path, operation)
    REQUESTS.labels(operation=label, status=str(status)).inc()
    LATENCY.labels(operation=label).observe(seconds)
