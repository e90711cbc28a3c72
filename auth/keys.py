"""Access-token signing keys, kept in the database so every process signs and verifies alike.

ES256 (P-256). The newest unretired key signs. Rotation retires the current key; JWKS keeps
listing a retired key for one token lifetime so tokens it signed verify until they expire.
"""

import functools
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from joserfc.jwk import ECKey
from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import SigningKey

ALGORITHM = "ES256"
# Access tokens live at most this long (issue 3: at most 15 minutes).
ACCESS_TOKEN_LIFETIME = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class ActiveKey:
    kid: str
    key: ECKey


def _generate(now: datetime, *, generated: bool) -> SigningKey:
    kid = uuid.uuid4().hex
    key = ECKey.generate_key("P-256", parameters={"kid": kid, "alg": ALGORITHM, "use": "sig"}, private=True)
    return SigningKey(
        kid=kid,
        algorithm=ALGORITHM,
        private_jwk=json.dumps(key.as_dict(private=True)),
        public_jwk=json.dumps(key.as_dict(private=False)),
        generated=generated,
        created_at=now,
    )


async def current_key(session: AsyncSession, *, now: datetime) -> ActiveKey:
    """The signing key; the first one is generated on demand (marked ``generated``)."""
    row = (
        await session.execute(
            select(SigningKey).where(SigningKey.retired_at.is_(None)).order_by(SigningKey.id.desc()).limit(1)
        )
    ).scalar_one_or_none()
    if row is None:
        row = _generate(now, generated=True)
        session.add(row)
        await session.flush()
    return ActiveKey(kid=row.kid, key=ECKey.import_key(json.loads(row.private_jwk)))


async def rotate(session: AsyncSession, *, now: datetime) -> str:
    """Retire the signing key(s) and make a deliberate (not auto-generated) new one."""
    await session.execute(update(SigningKey).where(SigningKey.retired_at.is_(None)).values(retired_at=now))
    row = _generate(now, generated=False)
    session.add(row)
    await session.flush()
    return row.kid


async def current_key_was_generated(session: AsyncSession) -> bool | None:
    """None when there is no key yet; else whether the newest key was auto-generated."""
    row = (
        await session.execute(
            select(SigningKey.generated).where(SigningKey.retired_at.is_(None)).order_by(SigningKey.id.desc()).limit(1)
        )
    ).first()
    return None if row is None else bool(row[0])


def _still_verifying(now: datetime):
    return or_(SigningKey.retired_at.is_(None), SigningKey.retired_at > now - ACCESS_TOKEN_LIFETIME)


# A scalar subquery: the public JWK of the bound ``kid`` while it still verifies (not retired
# before the bound ``cutoff``), else NULL. Read with the bearer check's other rows in one
# statement (auth/repository.py); built once, like that statement.
VERIFYING_JWK = (
    select(SigningKey.public_jwk)
    .where(
        SigningKey.kid == bindparam("kid"),
        or_(SigningKey.retired_at.is_(None), SigningKey.retired_at > bindparam("cutoff")),
    )
    .scalar_subquery()
)


def verifying_cutoff(now: datetime) -> datetime:
    return now - ACCESS_TOKEN_LIFETIME


@functools.lru_cache(maxsize=64)
def public_key(jwk: str) -> ECKey:
    """The key of a JWK, imported once per process: a kid's key never changes (whether it
    still verifies is read from the database on every request)."""
    return ECKey.import_key(json.loads(jwk))


async def public_keys(session: AsyncSession, *, now: datetime) -> list[dict]:
    rows = await session.execute(
        select(SigningKey.public_jwk).where(_still_verifying(now)).order_by(SigningKey.id.desc())
    )
    return [json.loads(jwk) for jwk in rows.scalars()]


async def verifying_jwk(session: AsyncSession, kid: str, *, now: datetime) -> str | None:
    """The public JWK of ``kid`` while it still verifies, else None."""
    return (
        await session.execute(select(SigningKey.public_jwk).where(SigningKey.kid == kid, _still_verifying(now)))
    ).scalar_one_or_none()
