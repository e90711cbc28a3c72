"""The authorization server: authlib's generic server wired to Accord's storage and tokens."""

from authlib.oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749.errors import InvalidScopeError

from auth import repository
from auth.oauth import bridge
from auth.oauth.clients import CONSOLE_CLIENT_ID, Client
from auth.oauth.endpoints import Introspection, Revocation
from auth.oauth.grants import (
    CodeGrant,
    GrantUser,
    PartnerCredentialsGrant,
    RotatingRefreshGrant,
    S256Required,
    store_refresh_token,
)
from auth.principal import Scope, user_grants
from auth.secrets import new_secret
from auth.tokens import TokenSubject, mint
from models import ClientKind, PrincipalKind


def _narrow(requested: str | None, allowed: frozenset[str]) -> str:
    """The requested scopes the principal holds. Only an absent ``scope`` means "all of them":
    an empty one stays empty (a refresh must never widen it), and asking only for scopes one
    does not hold is ``invalid_scope``."""
    if requested is None:
        return " ".join(sorted(allowed))
    wanted = set(requested.split())
    granted = wanted & allowed
    if wanted and not granted:
        raise InvalidScopeError("none of the requested scopes is held by this principal")
    return " ".join(sorted(granted))


# What a client_credentials token of each kind of client acts as (partner clients by default).
_CLIENT_PRINCIPALS = {
    ClientKind.METERING: PrincipalKind.METERING_CLIENT,
    ClientKind.PAYMENTS: PrincipalKind.PAYMENTS_CLIENT,
}


def generate_token(
    grant_type: str,
    client: Client,
    user: GrantUser | None = None,
    scope: str | None = None,
    expires_in: int | None = None,
    include_refresh_token: bool = True,
) -> dict:
    request_tx = bridge.current()
    if user is not None:
        account = user.account
        subject = TokenSubject(
            sub=str(user.user.id),
            kind=PrincipalKind(user.user.kind).value,
            client_id=client.get_client_id(),
            scope=_narrow(scope, frozenset(user_grants(user.user.kind, user.user.permissions))),
            account_id=account.id if account else None,
            user_generation=user.user.token_generation,
            account_generation=account.token_generation if account else None,
        )
    else:
        row = client.row
        assert row is not None
        account = None if row.account_id is None else request_tx.run(repository.account, row.account_id)
        subject = TokenSubject(
            sub=client.get_client_id(),
            kind=_CLIENT_PRINCIPALS.get(row.kind, PrincipalKind.PARTNER_CLIENT).value,
            client_id=client.get_client_id(),
            scope=_narrow(scope, client.scopes),
            account_id=row.account_id,
            account_generation=account.token_generation if account else None,
            client_generation=row.token_generation,
        )
    access_token, lifetime = request_tx.run(mint, issuer=request_tx.issuer, now=request_tx.now, subject=subject)
    token = {"token_type": "Bearer", "access_token": access_token, "expires_in": lifetime, "scope": subject.scope}
    if include_refresh_token and user is not None:
        token["refresh_token"] = new_secret()
    return token


class AccordAuthorizationServer(AuthorizationServer):
    def __init__(self) -> None:
        super().__init__(scopes_supported=sorted(s.value for s in Scope))
        self.register_token_generator("default", generate_token)
        self.register_grant(CodeGrant, [S256Required()])
        self.register_grant(RotatingRefreshGrant)
        self.register_grant(PartnerCredentialsGrant)
        self.register_endpoint(Revocation)
        self.register_endpoint(Introspection)

    def query_client(self, client_id: str) -> Client | None:
        request_tx = bridge.current()
        if "\x00" in client_id:  # e.g. from HTTP Basic credentials; PostgreSQL cannot compare it
            return None
        if client_id == CONSOLE_CLIENT_ID:
            return Client.console(request_tx.console_redirect_uris)
        row = request_tx.run(repository.client, client_id)
        if row is None or row.disabled:
            return None
        allowed = request_tx.run(repository.creator_grants, row)
        if allowed is None:
            return None  # its creator is disabled: the client stops with them
        return Client.from_row(row, scopes=allowed)

    def save_token(self, token: dict, request) -> None:
        store_refresh_token(token, request)

    def create_oauth2_request(self, request):
        return request  # already an authlib request (auth/oauth/adapter.py)

    def create_json_request(self, request):
        return request

    def handle_response(self, status: int, body, headers):
        return status, body, headers

    def send_signal(self, name: str, *args, **kwargs) -> None:
        return None
