import uuid
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field

from models.base import Base


class UserKind(StrEnum):
    HOLDER = "HOLDER"
    SUB_ACCOUNT = "SUB_ACCOUNT"
    STAFF = "STAFF"


class User(Base, table=True):
    """A login identity: an account's holder, one of its sub-accounts, or vendor staff.

    Staff have no account and carry ``staff_roles``; sub-accounts carry ``permissions``
    (ACC-8). ``demo`` marks users that ``accord demo seed`` created with published
    passwords, so production can refuse to start while any exists.
    """

    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint(
            "(kind = 'STAFF' AND account_id IS NULL) OR (kind <> 'STAFF' AND account_id IS NOT NULL)",
            name="account_matches_kind",
        ),
    )

    account_id: uuid.UUID | None = Field(default=None, foreign_key="accounts.id", index=True, nullable=True)
    kind: UserKind = Field(sa_type=sa.String(16), nullable=False)
    login: str = Field(sa_type=sa.String(100), unique=True, nullable=False)
    password_hash: str = Field(sa_type=sa.String(200), nullable=False)
    staff_roles: list[str] = Field(default_factory=list, sa_type=sa.JSON(), nullable=False)
    permissions: list[str] = Field(default_factory=list, sa_type=sa.JSON(), nullable=False)
    disabled: bool = Field(default=False, nullable=False)
    # AUTH-4: bumped to kill every token of this user at once (checked on every request).
    token_generation: int = Field(default=0, nullable=False, sa_column_kwargs={"server_default": "0"})
    demo: bool = Field(default=False, nullable=False)
