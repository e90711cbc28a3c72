"""T-5: setClock, for support staff and tests walking through a month (simulation only)."""

from datetime import datetime

import strawberry

from schema.context import AccordInfo
from schema.grants import ADMIN
from schema.mutations import run_mutation
from schema.payloads import Payload
from schema.permissions import Requires
from services import simulated_clock
from services.clock import OffsetClock
from services.errors import InvalidState


@strawberry.input
class SetClockInput:
    now: datetime


@strawberry.type
class ClockPayload(Payload):
    now: datetime | None = None


@strawberry.type
class ClockMutation:
    @strawberry.mutation(
        description="Works only when the server runs with ACCORD_SIMULATED_CLOCK=1 (never in production).",
        extensions=[Requires(ADMIN)],
    )
    async def set_clock(self, info: AccordInfo, input: SetClockInput) -> ClockPayload:
        context = info.context
        base = context.clock.base if isinstance(context.clock, OffsetClock) else context.clock

        async def call():
            if not context.simulated_clock:
                raise InvalidState("the simulated clock is off: start the server with ACCORD_SIMULATED_CLOCK=1")
            return await simulated_clock.set_clock(context.session, base=base, to=input.now)

        return await run_mutation(
            info, payload=ClockPayload, call=call, target="clock", ok=lambda now: ClockPayload(now=now)
        )
