"""T-5: setClock, for support staff and tests walking through a month (simulation only)."""

from datetime import datetime

import strawberry
from strawberry.types import Info

from auth.principal import StaffRole
from schema.errors import UserError
from schema.mutations import run_mutation
from schema.permissions import Grant, Requires
from services import simulated_clock
from services.clock import OffsetClock
from services.errors import InvalidState


@strawberry.input
class SetClockInput:
    now: datetime


@strawberry.type
class ClockPayload:
    now: datetime | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ClockMutation:
    @strawberry.mutation(
        description="ADMIN; works only when the server runs with ACCORD_SIMULATED_CLOCK=1 (never in production).",
        extensions=[Requires(Grant(roles=frozenset({StaffRole.ADMIN})))],
    )
    async def set_clock(self, info: Info, input: SetClockInput) -> ClockPayload:
        context = info.context
        base = context.clock.base if isinstance(context.clock, OffsetClock) else context.clock

        async def call():
            if not context.simulated_clock:
                raise InvalidState("the simulated clock is off: start the server with ACCORD_SIMULATED_CLOCK=1")
            return await simulated_clock.set_clock(context.session, base=base, to=input.now)

        return await run_mutation(
            info, payload=ClockPayload, call=call, target="clock", ok=lambda now: ClockPayload(now=now)
        )
