"""POST /graphql runs the API; GET /graphql serves GraphiQL from Accord's own assets."""

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.base import HTTPException
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from api import assets, graphql_body
from api.addresses import client_address
from api.db import deferred_options
from api.middleware import busy_response, error_body
from api.settings import Environment
from auth.resource import authenticate, bearer
from auth.tokens import InvalidToken
from schema.context import Context
from services.clock import security_clock

log = logging.getLogger("accord.auth")

_LOCAL_PAGE = assets.ASSET_DIR.parent.parent / "templates" / "graphiql.html"

# GraphiQL's pages (/graphql and /graphql/callback, which receives the authorization code)
# may not be framed, like the login page (api/oauth.py PAGE_HEADERS): no clickjacking.
IDE_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}


@dataclass
class _WebSocketState:
    """What a subscription's context keeps of the app (the request state of a WebSocket)."""

    app_state: Any
    operation: str | None = None


class AccordGraphQL(GraphQL):
    def __init__(self, schema: Any) -> None:
        # GET serves GraphiQL only: queries come by POST with a bearer token; subscriptions
        # over a WebSocket speak graphql-transport-ws only (issue 14).
        super().__init__(
            schema,
            graphql_ide="graphiql",
            allow_queries_via_get=False,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=timedelta(seconds=10),
        )

    async def run(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        """Every refusal of the HTTP layer (bad body, method, content type) as a GraphQL error
        body instead of strawberry's plain text."""
        try:
            return await self._authenticated_run(request, *args, **kwargs)
        except HTTPException as error:
            return graphql_body.error_response(error.status_code, error.reason)

    def parse_json(self, data: str | bytes) -> Any:
        try:
            return graphql_body.decode(data)
        except graphql_body.BadBody as error:
            raise HTTPException(400, str(error)) from None

    async def _authenticated_run(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        """AUTH-1: a bearer token, when sent, must be valid (401 otherwise); without one, only
        what the schema allows anonymously answers (permission classes say UNAUTHENTICATED)."""
        request.state.principal = None
        if isinstance(request, Request) and request.method == "POST":
            state = request.app.state
            transaction = request.state.transaction
            try:
                token = bearer(request.headers.get("authorization"))
                async with transaction.reads_first(reading=token is not None):  # `{ __typename }`: one round trip
                    await transaction.clock()  # T-5: the simulated offset, read by this session
                    if token is not None:
                        request.state.principal = await authenticate(
                            transaction.session,
                            token,
                            issuer=state.settings.issuer,
                            now=security_clock(request.state.clock).now(),  # T-5: tokens run on real time
                        )
            except InvalidToken as error:
                log.info("token refused: %s", error, extra={"request_id": request.state.request_id})
                return JSONResponse(
                    error_body("invalid or expired access token", "UNAUTHENTICATED"),
                    status_code=401,
                    headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
                )
        response = await super().run(request, *args, **kwargs)
        if isinstance(request, Request) and request.state.transaction.busy:
            # The database stayed busy past its timeout: nothing was kept, try again (503).
            return busy_response()
        return response

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        state = request.app.state
        if isinstance(request, WebSocket):
            # No request transaction: a subscription lives for long; it reads through its own
            # short sessions (api/live.py). Authenticated in on_ws_connect.
            return Context(
                transaction=None,  # type: ignore[arg-type]
                clock=state.clock,
                principal=None,
                request_id=uuid.uuid4().hex,
                configured_data_key=state.data_key,
                production=state.settings.env is Environment.PRODUCTION,
                live=state.live,
                request_state=_WebSocketState(state),
                cost_budget=state.cost_budget,
            )
        return Context(
            transaction=request.state.transaction,
            clock=request.state.clock,
            principal=request.state.principal,
            request_id=request.state.request_id,
            simulated_clock=state.settings.simulated_clock,
            request_state=request.state,
            arrived_at=getattr(request.state, "received_at", None),
            configured_data_key=state.data_key,
            client_address=client_address(request),
            mailer=state.mailer,
            production=state.settings.env is Environment.PRODUCTION,
            cost_budget=state.cost_budget,
        )

    async def on_ws_connect(self, context: Context) -> None:
        """The bearer token comes in connection_init's payload (``Authorization: Bearer …``, as
        a header would carry it; ``token`` is accepted too). No valid token: closed 4403."""
        params = context.connection_params or {}
        given = params.get("Authorization") or params.get("authorization") or params.get("token") or ""
        token = bearer(given) if isinstance(given, str) and " " in given else given
        if not isinstance(token, str) or not token:
            raise ConnectionRejectionError({"code": "UNAUTHENTICATED"})
        app_state = context.request_state.app_state

        async def principal() -> Any:
            async with app_state.session_factory() as session:
                await session.connection(execution_options=deferred_options())
                return await authenticate(
                    session, token, issuer=app_state.settings.issuer, now=security_clock(app_state.clock).now()
                )

        try:
            context.principal = await principal()
        except (InvalidToken, ValueError) as error:
            log.info("subscription token refused: %s", error)
            raise ConnectionRejectionError({"code": "UNAUTHENTICATED"}) from None

        async def still_valid() -> bool:
            try:
                await principal()  # expired, revoked or its user disabled: the stream ends
            except InvalidToken:
                return False
            return True

        context.recheck = still_valid

    async def render_graphql_ide(self, request: Request) -> Response:
        if assets.present():
            return HTMLResponse(_LOCAL_PAGE.read_text(encoding="utf-8"), headers=IDE_HEADERS)
        # Assets were not installed (no npm at set-up): strawberry's page loads them from a CDN.
        return HTMLResponse(self.graphql_ide_html, headers=IDE_HEADERS)
