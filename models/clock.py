"""T-5: the simulated clock's offset, in the database so every process reads the same time."""

import sqlalchemy as sa
from sqlmodel import Field

from models.base import Base


class ClockOffset(Base, table=True):
    """One row when staff moved the simulated clock (ACCORD_SIMULATED_CLOCK=1 only)."""

    __tablename__ = "clock_offsets"

    name: str = Field(default="simulated", sa_type=sa.String(20), unique=True, nullable=False)
    offset_microseconds: int = Field(sa_type=sa.BigInteger(), nullable=False)
