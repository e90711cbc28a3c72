"""The standard price list and law-required price changes (NTC-2)."""

from datetime import datetime
from decimal import Decimal

import strawberry

from schema.context import AccordInfo
from schema.grants import ADMIN
from schema.mutations import run_mutation
from schema.notices import Notice, NoticePayload
from schema.permissions import Requires, authenticated
from services.billing import prices
from services.billing.prices import PriceInForce
from services.money import fen_to_yuan


@strawberry.type
class Price:
    product: str
    unit: str
    unit_price: Decimal
    effective_from: datetime

    @staticmethod
    def from_price(price: PriceInForce) -> "Price":
        return Price(
            product=price.product,
            unit=price.unit,
            unit_price=fen_to_yuan(price.unit_price_fen),
            effective_from=price.effective_from,
        )


@strawberry.input
class PriceChangeInput:
    product: str
    unit_price: Decimal
    effective_from: datetime
    legal_basis: str


@strawberry.type
class PriceQuery:
    @strawberry.field(
        description="The standard price list in force at `at` (default now) (NTC-2).", extensions=authenticated()
    )
    async def price_list(self, info: AccordInfo, at: datetime | None = None) -> list[Price]:
        context = info.context
        in_force = await prices.price_list(context.session, at=at or context.clock.now())
        return [Price.from_price(p) for p in in_force]


@strawberry.type
class PriceMutation:
    @strawberry.mutation(
        description="Schedule a law-required price change, announced by email 7+ days ahead (NTC-2).",
        extensions=[Requires(ADMIN)],
    )
    async def schedule_price_change(self, info: AccordInfo, input: PriceChangeInput) -> NoticePayload:
        context = info.context
        return await run_mutation(
            info,
            payload=NoticePayload,
            target=f"price:{input.product}",
            call=lambda: prices.schedule_price_change(
                context.session,
                product=input.product,
                unit_price=input.unit_price,
                effective_from=input.effective_from,
                legal_basis=input.legal_basis,
                sent_by=context.actor.principal,
                now=context.clock.now(),
            ),
            ok=lambda row: NoticePayload(notice=Notice.from_model(row)),
        )
