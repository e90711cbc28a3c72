"""Clients as authlib sees them: the first-party `console`, partner and metering clients."""

from dataclasses import dataclass, field

from authlib.oauth2.rfc6749 import ClientMixin

from auth.principal import HOLDER_SCOPES
from auth.secrets import matches
from models import ClientKind, OAuthClient

CONSOLE_CLIENT_ID = "console"


@dataclass
class Client(ClientMixin):
    client_id: str
    kind: ClientKind
    scopes: frozenset[str]
    redirect_uris: tuple[str, ...] = ()
    secret_digest: str | None = None
    row: OAuthClient | None = field(default=None, repr=False)

    @classmethod
    def console(cls, redirect_uris: tuple[str, ...]) -> "Client":
        return cls(
            client_id=CONSOLE_CLIENT_ID,
            kind=ClientKind.FIRST_PARTY,
            scopes=frozenset(HOLDER_SCOPES),
            redirect_uris=redirect_uris,
        )

    @classmethod
    def from_row(cls, row: OAuthClient, *, scopes: frozenset[str]) -> "Client":
        return cls(
            client_id=row.client_id,
            kind=row.kind,
            scopes=scopes,
            secret_digest=row.secret_digest,
            row=row,
        )

    @property
    def is_public(self) -> bool:
        return self.kind == ClientKind.FIRST_PARTY

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        # No default: every authorization request names its redirect URI (exact match).
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        if not scope:
            return " ".join(sorted(self.scopes))
        return " ".join(sorted(s for s in scope.split() if s in self.scopes))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris  # exact string match (RFC 9700 2.1)

    def check_client_secret(self, client_secret: str) -> bool:
        return matches(client_secret, self.secret_digest)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.is_public:
            return method == "none"
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return self.is_public and response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        if self.is_public:
            return grant_type in ("authorization_code", "refresh_token")
        return grant_type == "client_credentials"
