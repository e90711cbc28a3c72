"""APP-1 to APP-4 mutations."""

import strawberry

from auth.secrets import digest, new_secret
from models import BrandUseRequest as BrandRow
from models import ScopeExtensionRequest as ScopeRow
from schema.accounts.common import own_account
from schema.apps.types import (
    App,
    AppPayload,
    BrandUseInput,
    BrandUsePayload,
    BrandUseRequest,
    CreateAppInput,
    DecideBrandUseInput,
    DecideScopeExtensionInput,
    RotateAppSecretInput,
    ScopeExtensionInput,
    ScopeExtensionPayload,
    ScopeExtensionRequest,
)
from schema.context import AccordInfo
from schema.grants import APP_WRITERS, COMPLIANCE_OR_ADMIN, USAGE_WRITERS
from schema.ids import key_of, key_or_none
from schema.mutations import run_mutation
from schema.permissions import Requires, allowed
from schema.scoped import scope_of
from services.accounts.repository import owning_account
from services.apps import service as apps


@strawberry.type
class AppQuery:
    @strawberry.field(
        description=(
            "Whether an AppSecret presented with its AppID is valid now: the current secret, or the "
            "previous one within its rotation grace (APP-2). For the vendor's metering clients."
        ),
        extensions=allowed(USAGE_WRITERS),
    )
    async def app_secret_valid(self, info: AccordInfo, app_id: str, app_secret: str) -> bool:
        context = info.context
        return await apps.check_secret(
            context.session, app_id=app_id, presented_digest=digest(app_secret), now=context.clock.now()
        )


@strawberry.type
class AppMutation:
    @strawberry.mutation(
        description="A VERIFIED account creates an AppID with its declared scope; the secret is shown once (APP-1).",
        extensions=[Requires(APP_WRITERS)],
    )
    async def create_app(self, info: AccordInfo, input: CreateAppInput) -> AppPayload:
        context = info.context
        secret = new_secret()

        async def call():
            return await apps.create_app(
                context.session,
                account=await own_account(context),
                name=input.name,
                terminals=input.terminals,
                scenarios=input.scenarios,
                secret_digest=digest(secret),
            )

        return await run_mutation(
            info,
            payload=AppPayload,
            call=call,
            target=f"app:{input.name}",
            ok=lambda row: AppPayload(app=App.from_model(row), app_secret=secret),
        )

    @strawberry.mutation(
        description="A new secret at once; the old one stays valid for graceSeconds (0-86400) (APP-2, ACC-6).",
        extensions=[Requires(APP_WRITERS)],
    )
    async def rotate_app_secret(self, info: AccordInfo, input: RotateAppSecretInput) -> AppPayload:
        context = info.context
        secret = new_secret()

        async def call():
            app = await apps.app_in_scope(context.session, app_id=key_of(input.id, "App"), account_id=scope_of(context))
            return await apps.rotate_secret(
                context.session,
                app=app,
                grace_seconds=input.grace_seconds or 0,
                new_digest=digest(secret),
                now=context.clock.now(),
            )

        return await run_mutation(
            info,
            payload=AppPayload,
            call=call,
            target=str(input.id),
            ok=lambda row: AppPayload(app=App.from_model(row), app_secret=secret),
        )

    @strawberry.mutation(
        description="Ask staff to widen the declared scope; nothing widens until they grant it (APP-1).",
        extensions=[Requires(APP_WRITERS)],
    )
    async def request_scope_extension(self, info: AccordInfo, input: ScopeExtensionInput) -> AppPayload:
        context = info.context

        async def call():
            app = await apps.app_in_scope(context.session, app_id=key_of(input.id, "App"), account_id=scope_of(context))
            await apps.request_scope_extension(
                context.session, app=app, terminals=input.terminals, scenarios=input.scenarios, reason=input.reason
            )
            return app

        return await run_mutation(
            info,
            payload=AppPayload,
            call=call,
            target=str(input.id),
            ok=lambda row: AppPayload(app=App.from_model(row)),
        )

    @strawberry.mutation(
        description="Staff grant (citing their written permission) or reject a scope extension (APP-1).",
        extensions=[Requires(COMPLIANCE_OR_ADMIN)],
    )
    async def decide_scope_extension(self, info: AccordInfo, input: DecideScopeExtensionInput) -> ScopeExtensionPayload:
        context = info.context
        return await run_mutation(
            info,
            payload=ScopeExtensionPayload,
            target=str(input.id),
            call=lambda: apps.decide_scope_extension(
                context.session,
                request_id=key_of(input.id, "ScopeExtensionRequest"),
                approve=input.approve,
                permission_reference=input.permission_reference,
                actor=context.actor.principal,
                now=context.clock.now(),
            ),
            account_id=await owning_account(context.session, ScopeRow, key_or_none(input.id, "ScopeExtensionRequest")),
            ok=lambda row: ScopeExtensionPayload(request=ScopeExtensionRequest.from_model(row)),
        )

    @strawberry.mutation(
        description="Ask for prior written approval to use the vendor's trademarks (APP-4).",
        extensions=[Requires(APP_WRITERS)],
    )
    async def request_brand_use(self, info: AccordInfo, input: BrandUseInput) -> BrandUsePayload:
        context = info.context

        async def call():
            return await apps.request_brand_use(
                context.session,
                account=await own_account(context),
                material=input.material,
                description=input.description,
            )

        return await run_mutation(
            info,
            payload=BrandUsePayload,
            call=call,
            ok=lambda row: BrandUsePayload(request=BrandUseRequest.from_model(row)),
        )

    @strawberry.mutation(
        description="Staff approve or reject a brand-use request (APP-4).", extensions=[Requires(COMPLIANCE_OR_ADMIN)]
    )
    async def decide_brand_use(self, info: AccordInfo, input: DecideBrandUseInput) -> BrandUsePayload:
        context = info.context
        return await run_mutation(
            info,
            payload=BrandUsePayload,
            target=str(input.id),
            call=lambda: apps.decide_brand_use(
                context.session,
                request_id=key_of(input.id, "BrandUseRequest"),
                approve=input.approve,
                note=input.note,
                actor=context.actor.principal,
                now=context.clock.now(),
            ),
            account_id=await owning_account(context.session, BrandRow, key_or_none(input.id, "BrandUseRequest")),
            ok=lambda row: BrandUsePayload(request=BrandUseRequest.from_model(row)),
        )
