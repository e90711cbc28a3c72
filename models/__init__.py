"""SQLModel tables. This package imports nothing else of Accord's (see pyproject's import-linter contracts).

Importing the package registers every table on ``metadata`` (Alembic's target).
"""

from models.account import Account, HolderType, RealNameState, Standing
from models.audit import AuditRecord, PrincipalKind
from models.base import Base, metadata
from models.calendar import CalendarDay, CalendarDayKind, CalendarYear
from models.oauth import (
    AuthorizationCode,
    ClientKind,
    LoginFailure,
    OAuthClient,
    RefreshToken,
    RevokedAccessToken,
    SigningKey,
)
from models.user import User, UserKind

__all__ = [
    "Account",
    "AuditRecord",
    "AuthorizationCode",
    "Base",
    "CalendarDay",
    "CalendarDayKind",
    "CalendarYear",
    "ClientKind",
    "HolderType",
    "LoginFailure",
    "OAuthClient",
    "PrincipalKind",
    "RealNameState",
    "RefreshToken",
    "RevokedAccessToken",
    "SigningKey",
    "Standing",
    "User",
    "UserKind",
    "metadata",
]
