from datetime import datetime

import strawberry

from models import App as AppRow
from models import BrandUseRequest as BrandRow
from models import ScopeExtensionRequest as ScopeRow
from schema.context import AccordInfo
from schema.enums import Standing
from schema.grants import APP_READERS, HOLDER_OR_STAFF
from schema.payloads import Payload
from schema.relay import Node, encode_id
from schema.scoped import owned_node
from services.apps import service as apps
from services.errors import NotFound


@strawberry.type(
    description=(
        "A request to widen an app's declared scope; staff grant it with a written-permission reference (APP-1)."
    )
)
class ScopeExtensionRequest(Node):
    terminals: list[str]
    scenarios: list[str]
    reason: str
    state: str
    permission_reference: str | None
    decided_at: datetime | None

    @staticmethod
    def from_model(row: ScopeRow) -> "ScopeExtensionRequest":
        return ScopeExtensionRequest(
            id=encode_id("ScopeExtensionRequest", row.id),
            terminals=list(row.terminals),
            scenarios=list(row.scenarios),
            reason=row.reason,
            state=row.state,
            permission_reference=row.permission_reference,
            decided_at=row.decided_at,
        )


@strawberry.type(description="A request for prior written approval to use the vendor's trademarks (APP-4).")
class BrandUseRequest(Node):
    material: str
    description: str
    state: str
    decided_at: datetime | None

    @staticmethod
    def from_model(row: BrandRow) -> "BrandUseRequest":
        return BrandUseRequest(
            id=encode_id("BrandUseRequest", row.id),
            material=row.material,
            description=row.description,
            state=row.state,
            decided_at=row.decided_at,
        )


@strawberry.type
class App(Node):
    app_id: str = strawberry.field(description="The public AppID the SDK uses.")
    name: str
    terminals: list[str]
    scenarios: list[str]
    standing: Standing
    key: strawberry.Private[object]

    @staticmethod
    def from_model(row: AppRow) -> "App":
        return App(
            id=encode_id("App", row.id),
            app_id=row.app_id,
            name=row.name,
            terminals=list(row.terminals),
            scenarios=list(row.scenarios),
            standing=row.standing,
            key=row.id,
        )

    @strawberry.field
    async def scope_extension_requests(self, info: AccordInfo) -> list[ScopeExtensionRequest]:
        return [ScopeExtensionRequest.from_model(r) for r in await info.context.loaders.scope_requests.load(self.key)]


async def _app_in_scope(session, key, *, account_id):
    try:
        return await apps.app_in_scope(session, app_id=key, account_id=account_id)
    except NotFound:
        return None


owned_node("App", find=_app_in_scope, grant=APP_READERS, to_node=App.from_model, target=lambda row: f"app:{row.app_id}")
# The list that shows them is App.scopeExtensionRequests, under Account.apps.
owned_node(
    "ScopeExtensionRequest",
    find=apps.scope_request_in_scope,
    grant=APP_READERS,
    to_node=ScopeExtensionRequest.from_model,
    target=lambda row: f"scope-request:{row.id}",
)
owned_node(
    "BrandUseRequest",
    find=apps.brand_request_in_scope,
    grant=HOLDER_OR_STAFF,
    to_node=BrandUseRequest.from_model,
    target=lambda row: f"brand-request:{row.id}",
)


@strawberry.type
class AppPayload(Payload):
    app: App | None = None
    app_secret: str | None = strawberry.field(default=None, description="shown once, at creation or rotation")


@strawberry.type
class ScopeExtensionPayload(Payload):
    request: ScopeExtensionRequest | None = None


@strawberry.type
class BrandUsePayload(Payload):
    request: BrandUseRequest | None = None


@strawberry.input
class CreateAppInput:
    name: str
    terminals: list[str]
    scenarios: list[str]


@strawberry.input
class RotateAppSecretInput:
    id: strawberry.ID
    grace_seconds: int | None = strawberry.field(default=0, description="0..86400")


@strawberry.input
class ScopeExtensionInput:
    id: strawberry.ID
    terminals: list[str]
    scenarios: list[str]
    reason: str


@strawberry.input
class DecideScopeExtensionInput:
    id: strawberry.ID
    approve: bool
    permission_reference: str | None = None


@strawberry.input
class BrandUseInput:
    material: str
    description: str


@strawberry.input
class DecideBrandUseInput:
    id: strawberry.ID
    approve: bool
    note: str | None = None
