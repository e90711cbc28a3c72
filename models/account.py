from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field

from models.base import Base


class HolderType(StrEnum):
    INDIVIDUAL = "INDIVIDUAL"
    ENTERPRISE = "ENTERPRISE"


class RealNameState(StrEnum):
    UNVERIFIED = "UNVERIFIED"
    PENDING = "PENDING"
    VERIFIED = "VERIFIED"
    REJECTED = "REJECTED"


class Standing(StrEnum):
    NORMAL = "NORMAL"
    RESTRICTED = "RESTRICTED"
    SUSPENDED = "SUSPENDED"
    FROZEN = "FROZEN"
    TERMINATED = "TERMINATED"


class Account(Base, table=True):
    """ACC-1: one account, exactly one holder (see ``User.kind == HOLDER``)."""

    __tablename__ = "accounts"

    holder_type: HolderType = Field(sa_type=sa.String(16), nullable=False)
    name: str = Field(sa_type=sa.String(200), nullable=False)
    contact_person: str = Field(sa_type=sa.String(100), nullable=False)
    email: str = Field(sa_type=sa.String(254), nullable=False)
    phone: str = Field(sa_type=sa.String(32), nullable=False)
    address: str = Field(sa_type=sa.String(500), nullable=False)
    real_name_state: RealNameState = Field(default=RealNameState.UNVERIFIED, sa_type=sa.String(16), nullable=False)
    standing: Standing = Field(default=Standing.NORMAL, sa_type=sa.String(16), nullable=False)
    # PRE-1: the prepaid balance in fen, moved only together with a ledger entry.
    balance_fen: int = Field(
        default=0, sa_type=sa.BigInteger(), nullable=False, sa_column_kwargs={"server_default": "0"}
    )
    # AUTH-4 / ACC-6: bumped by revokeAllTokens to kill every token of the account at once.
    token_generation: int = Field(default=0, nullable=False, sa_column_kwargs={"server_default": "0"})
    demo: bool = Field(default=False, nullable=False)
