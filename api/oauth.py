"""HTTP routes of the authorization server (CONTRACT.md): authorize, token, revoke,
introspect, RFC 8414 metadata and JWKS. authlib runs in a worker thread (it is synchronous)."""

import base64
import binascii
import html
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from string import Template
from typing import Any

import anyio.to_thread
from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc6749.errors import OAuth2Error
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from api.addresses import client_address
from auth import keys, repository
from auth.oauth import bridge, login
from auth.oauth.adapter import StarletteOAuth2Request
from auth.oauth.grants import GrantUser
from auth.oauth.server import AccordAuthorizationServer
from auth.principal import Scope
from services.clock import security_clock

SERVER = AccordAuthorizationServer()
_LOGIN = Template((Path(__file__).parent / "templates" / "login.html").read_text(encoding="utf-8"))

_ERROR_PAGE = "<!doctype html><title>Authorization error</title><h1>Authorization error</h1><p>{message}</p>"

# Clickjacking protection for the login page (RFC 9700 4.16), and no caching of anything
# that carries credentials.
PAGE_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'; default-src 'self'; style-src 'unsafe-inline'",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
}


def security_now(request: Request) -> datetime:
    """T-5: codes, tokens, keys and lock-outs run on the real clock, never the simulated one."""
    return security_clock(request.state.clock).now()


# RFC 6749 4.1.2.1: an error description is printable ASCII without `"` and `\`. authlib
# repeats response_type and redirect_uri in its descriptions (and fails on any other
# character), and no valid value of either holds one: such a request is refused up front.
_ECHOED = ("response_type", "redirect_uri")


def _describable(value: str) -> bool:
    return all(" " <= c <= "~" and c not in '"\\' for c in value)


def _parameter_problem(pairs: list[tuple[str, str]], *, echoed: tuple[str, ...] = ()) -> str | None:
    """Why these query or form parameters are refused before authlib or the database sees
    them: a NUL character (PostgreSQL cannot compare or store one), or an echoed parameter
    with a character outside the error-description set."""
    for key, value in pairs:
        if "\x00" in key or "\x00" in value:
            return "a parameter contains a NUL character"
        if key in echoed and not _describable(value):
            return f"{key} contains characters that no valid value has"
    return None


def _malformed_basic(authorization: str | None) -> bool:
    """HTTP Basic credentials authlib would choke on (it raises on a missing token, non-ASCII
    base64 or non-UTF-8 content): `Basic <base64 of UTF-8 "id:secret">` or nothing."""
    if authorization is None or authorization.split(" ", 1)[0].lower() != "basic":
        return False
    token = authorization[len("basic") :].strip()
    try:
        base64.b64decode(token.encode("ascii"), validate=True).decode("utf-8")
    except (UnicodeError, binascii.Error):
        return True
    return not token


def _invalid_client() -> Response:
    body = {"error": "invalid_client", "error_description": "malformed HTTP Basic credentials"}
    headers = {"Cache-Control": "no-store", "WWW-Authenticate": 'Basic realm="accord"'}
    return JSONResponse(body, status_code=401, headers=headers)


def _invalid_request(message: str) -> Response:
    body = {"error": "invalid_request", "error_description": message}
    return JSONResponse(body, status_code=400, headers={"Cache-Control": "no-store"})


def _error_page(message: str) -> Response:
    return HTMLResponse(_ERROR_PAGE.format(message=html.escape(message)), status_code=400, headers=PAGE_HEADERS)


def _bridge(request: Request) -> bridge.Bridge:
    state = request.app.state
    return bridge.Bridge(
        session=request.state.transaction.session,
        now=security_now(request),
        issuer=state.settings.issuer,
        console_redirect_uris=tuple(state.settings.redirect_uris),
    )


async def _oauth_request(request: Request, form: list[tuple[str, str]]) -> StarletteOAuth2Request:
    return StarletteOAuth2Request(
        method=request.method,
        url=str(request.url),
        headers=request.headers,  # case-insensitive, as authlib expects (`Authorization`)
        query=list(request.query_params.multi_items()),
        form=form,
    )


async def _form(request: Request) -> list[tuple[str, str]]:
    if request.method != "POST":
        return []
    data = await request.form()
    return [(k, v) for k, v in data.multi_items() if isinstance(v, str)]


async def _in_thread(request: Request, work: Callable[[], Any]) -> Any:
    b = _bridge(request)
    return await anyio.to_thread.run_sync(lambda: bridge.run_with(b, work))


def _respond(result: tuple[int, Any, list[tuple[str, str]]]) -> Response:
    status, body, headers = result
    header_map = dict(headers or [])
    if status == 302:
        return RedirectResponse(header_map["Location"], status_code=302, headers={"Cache-Control": "no-store"})
    header_map.pop("Content-Type", None)
    return JSONResponse(body, status_code=status, headers=header_map)


def _login_page(request: Request, *, error: str | None, login: str, status: int) -> Response:
    page = _LOGIN.substitute(
        client=html.escape(request.query_params.get("client_id", "")),
        error=f'<p class="error" role="alert">{html.escape(error)}</p>' if error else "",
        login=html.escape(login),
    )
    return HTMLResponse(page, status_code=status, headers=PAGE_HEADERS)


def _with_issuer(response: Response, issuer: str) -> Response:
    """RFC 9207: the authorization response names its issuer (mix-up defence)."""
    location = response.headers.get("location")
    if location is not None:
        response.headers["location"] = add_params_to_uri(location, {"iss": issuer})
    return response


async def authorize(request: Request) -> Response:
    issuer = request.app.state.settings.issuer
    query = list(request.query_params.multi_items())
    if problem := _parameter_problem(query, echoed=_ECHOED):
        return _error_page(f"invalid_request: {problem}")
    form = await _form(request)
    oauth_request = await _oauth_request(request, [])  # the authorization request is the query
    fields = dict(form)
    attempt = None
    sessions = request.app.state.session_factory
    if request.method == "POST":
        # Registered before the request's own session runs any statement (auth/oauth/login.py).
        attempt = await login.begin(
            sessions, login=fields.get("login", ""), address=client_address(request), now=security_now(request)
        )

    def validate() -> tuple[Any, Any]:
        try:
            return SERVER.get_consent_grant(oauth_request), None
        except OAuth2Error as error:
            return None, SERVER.handle_error_response(oauth_request, error)

    grant, failure = await _in_thread(request, validate)
    if failure is not None:
        if attempt is not None:
            await login.withdraw(request.state.transaction.session, attempt)  # no password was compared
        status, body, _headers = failure
        if status == 302:
            return _with_issuer(_respond(failure), issuer)
        # An unknown client or a redirect URI that is not registered: never redirect there.
        message = body.get("error_description") or body.get("error") if isinstance(body, dict) else "invalid request"
        return _error_page(str(message))
    if attempt is None:
        return _login_page(request, error=None, login="", status=200)

    user = await login.check(sessions, attempt, password=fields.get("password", ""), now=lambda: security_now(request))
    if user is None:
        return _login_page(request, error=login.FAILURE_MESSAGE, login=fields.get("login", ""), status=401)

    session = request.state.transaction.session
    account = None if user.account_id is None else await repository.account(session, user.account_id)
    grant_user = GrantUser(user=user, account=account)
    result = await _in_thread(
        request, lambda: SERVER.create_authorization_response(oauth_request, grant_user=grant_user, grant=grant)
    )
    return _with_issuer(_respond(result), issuer)


async def _checked_request(request: Request) -> StarletteOAuth2Request | Response:
    form = await _form(request)
    if problem := _parameter_problem(list(request.query_params.multi_items()) + form):
        return _invalid_request(problem)
    if _malformed_basic(request.headers.get("authorization")):
        return _invalid_client()
    return await _oauth_request(request, form)


async def token(request: Request) -> Response:
    oauth_request = await _checked_request(request)
    if isinstance(oauth_request, Response):
        return oauth_request
    return _respond(await _in_thread(request, lambda: SERVER.create_token_response(oauth_request)))


async def revoke(request: Request) -> Response:
    oauth_request = await _checked_request(request)
    if isinstance(oauth_request, Response):
        return oauth_request
    return _respond(await _in_thread(request, lambda: SERVER.create_endpoint_response("revocation", oauth_request)))


async def introspect(request: Request) -> Response:
    oauth_request = await _checked_request(request)
    if isinstance(oauth_request, Response):
        return oauth_request
    return _respond(await _in_thread(request, lambda: SERVER.create_endpoint_response("introspection", oauth_request)))


async def metadata(request: Request) -> Response:
    issuer = request.app.state.settings.issuer.rstrip("/")
    return JSONResponse(
        {
            "issuer": request.app.state.settings.issuer,
            "authorization_endpoint": f"{issuer}/oauth/authorize",
            "token_endpoint": f"{issuer}/oauth/token",
            "revocation_endpoint": f"{issuer}/oauth/revoke",
            "introspection_endpoint": f"{issuer}/oauth/introspect",
            "jwks_uri": f"{issuer}/.well-known/jwks.json",
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
            "revocation_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
            "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": sorted(s.value for s in Scope),
            "authorization_response_iss_parameter_supported": True,
        }
    )


async def jwks(request: Request) -> Response:
    session = request.state.transaction.session
    now = security_now(request)
    # Make sure a signing key exists, so the very first JWKS already lists it.
    await keys.current_key(session, now=now)
    return JSONResponse({"keys": await keys.public_keys(session, now=now)}, headers={"Cache-Control": "max-age=60"})


ROUTES = [
    Route("/oauth/authorize", authorize, methods=["GET", "POST"]),
    Route("/oauth/token", token, methods=["POST"]),
    Route("/oauth/revoke", revoke, methods=["POST"]),
    Route("/oauth/introspect", introspect, methods=["POST"]),
    Route("/.well-known/oauth-authorization-server", metadata),
    Route("/.well-known/jwks.json", jwks),
]
