"""The per-principal query-cost budget (issue 15, OWASP GraphQL cheat sheet): each principal
may spend at most ``per_minute`` of estimated query cost (schema/abuse.py) per clock minute,
counted across every process.

- With ``ACCORD_REDIS_URL``: one counter per principal and minute in Redis, checked and raised
  by one Lua script (atomic: two processes cannot both take the last of a budget), expiring
  after the minute has passed. One round trip per operation on a pipelined connection.
- Without it: a dict in this process (one server process, or tests); it holds only the
  current minute's counters and at most ``MAX_TRACKED`` of them, so it cannot grow without
  limit.

A refused operation is not counted (it ran nothing), so a client near its budget may still
send a cheaper one. The window is the clock minute (a burst at a minute's end and the next
one's start can spend twice the budget in a few seconds; the budget bounds sustained load,
and the per-operation maximum bounds a single burst). Windows run on real time, never the
simulated clock (T-5: rate windows are security time).

When Redis fails (down, slow past ``REDIS_TIMEOUT_SECONDS``), each process counts in its own
dict until Redis answers again, retrying at most every ``REDIS_RETRY_SECONDS``, and logs the
outage once. Not closed: a cache outage must not refuse every request of every client. Not
open either: each process still enforces the budget, so a principal gets at most one budget
per process during the outage instead of an unbounded rate.
"""

import hashlib
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from services import resp

log = logging.getLogger("accord.abuse")

MAX_TRACKED = 100_000
REDIS_TIMEOUT_SECONDS = 0.25
REDIS_RETRY_SECONDS = 5.0
KEY_PREFIX = "accord:cost:"

# KEYS[1] the principal's counter for this minute; ARGV: cost, budget, seconds to keep the key.
# Returns {1 if spent else 0, what was used before}.
_SPEND = """
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local cost = tonumber(ARGV[1])
if used + cost > tonumber(ARGV[2]) then
  return {0, used}
end
if redis.call('INCRBY', KEYS[1], cost) == cost then
  redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
end
return {1, used}
"""


@dataclass(frozen=True, slots=True)
class Spent:
    allowed: bool
    remaining: int  # what is left of this minute's budget after this operation (or before, if refused)
    retry_after: int  # seconds until the next minute's budget begins


class InProcessBudget:
    def __init__(self, per_minute: int, *, now: Callable[[], float] = time.time) -> None:
        self.per_minute = per_minute
        self._now = now
        self._minute = -1
        self._used: dict[str, int] = {}

    async def spend(self, principal: str, cost: int) -> Spent:
        return self.spend_now(principal, cost)

    async def close(self) -> None:
        pass  # nothing held

    @property
    def tracked(self) -> int:
        """How many principals' counters are kept (this minute's, at most MAX_TRACKED)."""
        return len(self._used)

    def spend_now(self, principal: str, cost: int) -> Spent:
        now = self._now()
        minute = int(now // 60)
        if minute != self._minute:
            self._minute, self._used = minute, {}  # the past minutes' counters are never read again
        used = self._used.get(principal, 0)
        retry_after = _seconds_left(now)
        if used + cost > self.per_minute:
            return Spent(False, self.per_minute - used, retry_after)
        if principal not in self._used and len(self._used) >= MAX_TRACKED:
            # More principals in one minute than we keep: forget the oldest counter (it restarts
            # from zero) rather than grow without limit.
            del self._used[next(iter(self._used))]
        self._used[principal] = used + cost
        return Spent(True, self.per_minute - used - cost, retry_after)


class RedisBudget:
    def __init__(
        self, url: str, per_minute: int, *, prefix: str = KEY_PREFIX, now: Callable[[], float] = time.time
    ) -> None:
        self.per_minute = per_minute
        self.prefix = prefix
        self._now = now
        self._redis = resp.Connection(url)
        self._fallback = InProcessBudget(per_minute, now=now)
        self._down_until = 0.0

    async def spend(self, principal: str, cost: int) -> Spent:
        now = self._now()
        if now < self._down_until:
            return self._fallback.spend_now(principal, cost)
        minute = int(now // 60)
        key = f"{self.prefix}{principal}:{minute}"
        try:
            allowed, used = await self._redis.call(
                "EVAL", _SPEND, "1", key, str(cost), str(self.per_minute), "120", seconds=REDIS_TIMEOUT_SECONDS
            )
        except (OSError, TimeoutError, resp.ReplyError) as error:
            if self._down_until == 0.0:
                log.warning("query-cost budget: Redis failed (%r); counting in this process meanwhile", error)
            self._down_until = now + REDIS_RETRY_SECONDS
            return self._fallback.spend_now(principal, cost)
        if self._down_until:
            log.warning("query-cost budget: Redis answers again; counting there")
            self._down_until = 0.0
        remaining = self.per_minute - used - (cost if allowed else 0)
        return Spent(bool(allowed), remaining, _seconds_left(now))

    async def close(self) -> None:
        await self._redis.aclose()


CostBudget = InProcessBudget | RedisBudget


def cost_budget(per_minute: int, redis_url: str | None) -> CostBudget:
    return RedisBudget(redis_url, per_minute) if redis_url else InProcessBudget(per_minute)


def principal_key(name: str | None, address: str | None) -> str:
    """Who a budget belongs to: the authenticated subject (its kind and login or client id),
    else the client address. Hashed: Redis keys hold no logins (personal data)."""
    subject = name if name is not None else f"address:{address or 'unknown'}"
    return hashlib.sha256(subject.encode()).hexdigest()[:32]


def _seconds_left(now: float) -> int:
    return max(1, math.ceil(60 - now % 60))
