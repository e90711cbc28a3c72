"""The client address that per-address budgets (login lock-out, registrations) count against.

It is the socket peer, unless the peer is a proxy listed in ACCORD_FORWARDED_ALLOW_IPS: then
it is the right-most X-Forwarded-For entry that is not itself a listed proxy (entries to its
left were written by the client and prove nothing). Anything else would let a client pick a
fresh address per request and walk past every per-address limit. `accord serve` turns
uvicorn's own proxy-header handling off, so this is the one place that reads the header.
"""

import ipaddress
from collections.abc import Sequence

from starlette.requests import Request

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _listed(address: str, proxies: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in proxies)


def forwarded_client(peer: str | None, forwarded_for: Sequence[str], proxies: Sequence[Network]) -> str | None:
    """``peer``, or what the listed proxies in front of it say the client was."""
    if peer is None or not _listed(peer, proxies):
        return peer
    hops = [hop.strip() for header in forwarded_for for hop in header.split(",")]
    found = peer
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            # Not written by a proxy: the client is somewhere behind the last proxy we believe.
            return found
        if not _listed(hop, proxies):
            return hop
        found = hop
    return found


def client_address(request: Request) -> str | None:
    peer = request.client.host if request.client else None
    proxies = request.app.state.settings.forwarded_proxies
    return forwarded_client(peer, request.headers.getlist("x-forwarded-for"), proxies)
