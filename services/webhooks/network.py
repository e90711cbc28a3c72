"""Where a webhook may go, and the one outbound HTTP request that goes there (issue 14).

URL rules (CONTRACT.md, "Webhooks"): https; development and test also accept plain http to
127.0.0.1 / localhost. In production every loopback, private, link-local (and otherwise
non-global) address is refused, on the literal address, on the name, and again on the address
the name resolves to *at connection time*: the request connects to the very address that was
checked (the name goes only into the Host header and TLS SNI/verification), so a name that is
re-pointed between the check and the connection (DNS rebinding) cannot reach the inside.

The client is deliberately tiny: one POST, HTTP/1.1, ``Connection: close``, no redirects
followed (a 3xx is just a non-2xx answer), a deadline for the whole exchange, and only the
status line and headers read, capped, never the body."""

import asyncio
import contextlib
import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from services.errors import InvalidInput

# Any 2xx within 10 s is a delivery (CONTRACT.md).
DELIVERY_TIMEOUT_SECONDS = 10.0
CONNECT_TIMEOUT_SECONDS = 5.0
# The most of a response read: status line and headers; the body is never read.
RESPONSE_CAP_BYTES = 16 * 1024
MAX_URL_LENGTH = 2048
LOCAL_NAMES = frozenset({"localhost", "127.0.0.1"})

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
# (host, port) -> the addresses the name resolves to now.
Resolver = Callable[[str, int], Awaitable[list[str]]]


async def system_resolve(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def forbidden_address(address: Address) -> bool:
    """SSRF: loopback, private, link-local, multicast, reserved, unspecified, or anything else
    that is not a global unicast address (IPv4-mapped IPv6 checked as its IPv4)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def _literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str


def parse_url(url: str, *, production: bool) -> Target:
    """The registered URL's rules, as far as they can be checked without the network."""
    if len(url) > MAX_URL_LENGTH:
        raise InvalidInput(f"the URL is longer than {MAX_URL_LENGTH} characters", field=["url"])
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise InvalidInput("not a valid URL", field=["url"]) from None
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        raise InvalidInput("the URL must be http(s) with a host", field=["url"])
    if parts.username or parts.password:
        raise InvalidInput("the URL may not carry credentials", field=["url"])
    if parts.fragment:
        raise InvalidInput("the URL may not carry a fragment", field=["url"])
    local = host in LOCAL_NAMES or host.endswith(".localhost")
    if parts.scheme == "http" and (production or not local):
        raise InvalidInput("the URL must be https (development and test also accept http://127.0.0.1)", field=["url"])
    if production:
        literal = _literal(host)
        if local or (literal is not None and forbidden_address(literal)):
            raise InvalidInput("loopback, private and link-local addresses are refused", field=["url"])
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, host, port or (443 if parts.scheme == "https" else 80), path)


class Refused(Exception):
    """The request was not sent: the address is forbidden, or the name does not resolve."""


@dataclass(frozen=True, slots=True)
class Answer:
    status: int | None  # None: no answer (connection failed, timed out, refused by SSRF rules)
    error: str | None = None

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass(frozen=True)
class Sender:
    """How the sweep talks to endpoints. ``production`` applies the SSRF rules; ``resolve`` is
    the DNS lookup (tests map names without a DNS server)."""

    production: bool = True
    resolve: Resolver = system_resolve
    timeout: float = DELIVERY_TIMEOUT_SECONDS
    connect_timeout: float = CONNECT_TIMEOUT_SECONDS
    tls: ssl.SSLContext = field(default_factory=ssl.create_default_context)

    async def addresses_for(self, target: Target) -> list[str]:
        """The addresses this request may connect to, every one checked (connection-time SSRF)."""
        literal = _literal(target.host)
        if literal is not None:
            candidates = [str(literal)]
        else:
            try:
                candidates = await asyncio.wait_for(self.resolve(target.host, target.port), self.connect_timeout)
            except (OSError, TimeoutError) as error:
                raise Refused(f"{target.host} does not resolve: {error}") from None
        if not candidates:
            raise Refused(f"{target.host} does not resolve")
        if self.production:
            for candidate in candidates:
                if forbidden_address(ipaddress.ip_address(candidate)):
                    raise Refused(f"{target.host} resolves to a forbidden address ({candidate})")
        return candidates

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> Answer:
        try:
            target = parse_url(url, production=self.production)
        except InvalidInput as error:
            return Answer(None, f"refused: {error.message}")
        try:
            return await asyncio.wait_for(self._exchange(target, body, headers), self.timeout)
        except Refused as error:
            return Answer(None, f"refused: {error}")
        except TimeoutError:
            return Answer(None, f"no answer within {self.timeout:g} s")
        except (OSError, ssl.SSLError, ValueError) as error:
            return Answer(None, f"{type(error).__name__}: {error}"[:300])

    async def _exchange(self, target: Target, body: bytes, headers: dict[str, str]) -> Answer:
        tls = self.tls if target.scheme == "https" else None
        failure: OSError | None = None
        for address in await self.addresses_for(target):  # e.g. ::1 then 127.0.0.1 for localhost
            try:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(
                        address,
                        target.port,
                        ssl=tls,
                        server_hostname=target.host if tls else None,
                        limit=RESPONSE_CAP_BYTES,
                    ),
                    self.connect_timeout,
                )
                break
            except OSError as error:
                failure = error
        else:
            raise failure or OSError("no address to connect to")
        try:
            default_port = 443 if target.scheme == "https" else 80
            host = target.host if ":" not in target.host else f"[{target.host}]"
            host_header = host if target.port == default_port else f"{host}:{target.port}"
            lines = [
                f"POST {target.path} HTTP/1.1",
                f"Host: {host_header}",
                "User-Agent: Accord-Webhooks/1",
                "Content-Type: application/json",
                f"Content-Length: {len(body)}",
                "Connection: close",
                *(f"{name}: {value}" for name, value in headers.items()),
            ]
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
            await writer.drain()
            status_line = await reader.readuntil(b"\r\n")  # capped by the stream's limit
            parts = status_line.decode("latin-1").split(" ", 2)
            if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
                return Answer(None, "not an HTTP answer")
            return Answer(int(parts[1]))
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            return Answer(None, "no complete HTTP status line")
        finally:
            writer.close()
            with contextlib.suppress(OSError, TimeoutError, ssl.SSLError):
                await asyncio.wait_for(writer.wait_closed(), 1)
