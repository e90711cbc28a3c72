"""GET /documents/{sha256}: a stored document (the INV-3 taxpayer certificate, an INV-5 reversal
document) for its account's holder and for FINANCE staff, with a bearer token; never public.
Anyone else, and a digest nobody of theirs refers to, gets 404 (SEC-1: not "forbidden")."""

import logging
import re

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.middleware import error_body
from auth.principal import Holder, Scope, Staff, StaffRole
from auth.resource import authenticate, bearer
from auth.tokens import InvalidToken
from services import audit
from services.audit import Actor
from services.clock import security_clock
from services.invoices import documents

log = logging.getLogger("accord.auth")

_DIGEST = re.compile(r"^[0-9a-f]{64}$")
# The bytes are the customer's: no caching, no sniffing, always a download.
_HEADERS = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}


def _not_found() -> JSONResponse:
    return JSONResponse(error_body("no such document", "NOT_FOUND"), status_code=404)


async def download(request: Request) -> Response:
    session = request.state.transaction.session
    try:
        token = bearer(request.headers.get("authorization"))
        if token is None:
            raise InvalidToken("no bearer token")
        principal = await authenticate(
            session,
            token,
            issuer=request.app.state.settings.issuer,
            now=security_clock(request.state.clock).now(),  # T-5: tokens run on real time
        )
    except InvalidToken as error:
        log.info("token refused: %s", error, extra={"request_id": request.state.request_id})
        return JSONResponse(
            error_body("a valid access token is required", "UNAUTHENTICATED"),
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    sha256 = request.path_params["sha256"]
    if not _DIGEST.match(sha256):
        return _not_found()
    finance = isinstance(principal, Staff) and StaffRole.FINANCE in principal.roles
    # A holder's token narrowed to other scopes does not reach the documents (invoices:read).
    holder = (
        isinstance(principal, Holder)
        and Scope.INVOICES_READ in principal.scopes
        and await documents.held_by(session, sha256, principal.account_id)
    )
    if not (finance or holder):
        return _not_found()
    document = await documents.fetch(session, sha256)
    if document is None:
        return _not_found()
    if finance:  # SEC-1: staff reads are audited
        await audit.record(
            session,
            clock=request.state.clock,
            actor=Actor(kind=principal.kind, principal=principal.name, request_id=request.state.request_id),
            action="document.download",
            target=f"document:{sha256}",
        )
    extension = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}[document.content_type]
    headers = {**_HEADERS, "Content-Disposition": f'attachment; filename="{sha256[:16]}.{extension}"'}
    return Response(document.content, media_type=document.content_type, headers=headers)
