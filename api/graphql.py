"""POST /graphql runs the API; GET /graphql serves GraphiQL from Accord's own assets."""

from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from strawberry.asgi import GraphQL

from api import assets
from schema.context import Context

_LOCAL_PAGE = assets.ASSET_DIR.parent.parent / "templates" / "graphiql.html"


class AccordGraphQL(GraphQL):
    def __init__(self, schema: Any) -> None:
        # GET serves GraphiQL only: queries come by POST with a bearer token.
        super().__init__(schema, graphql_ide="graphiql", allow_queries_via_get=False)

    async def get_context(self, request: Request, response: Response) -> Context:  # type: ignore[override]
        state = request.app.state
        return Context(
            transaction=request.state.transaction,
            clock=state.clock,
            principal=None,
            request_id=request.state.request_id,
            simulated_clock=state.settings.simulated_clock,
            request_state=request.state,
        )

    async def render_graphql_ide(self, request: Request) -> Response:
        if assets.present():
            return HTMLResponse(_LOCAL_PAGE.read_text(encoding="utf-8"))
        # Assets were not installed (no npm at set-up): strawberry's page loads them from a CDN.
        return HTMLResponse(self.graphql_ide_html)
