"""The contract's enums, each mirroring the one the lower layers use."""

import strawberry

from auth.principal import StaffRole as StaffRoleValue
from models import HolderType as HolderTypeValue
from models import PrincipalKind as PrincipalKindValue
from models import RealNameState as RealNameStateValue
from models import Standing as StandingValue
from services.accounts.cases import Credential, Ground

HolderType = strawberry.enum(HolderTypeValue, name="HolderType")
Standing = strawberry.enum(StandingValue, name="Standing")
RealNameState = strawberry.enum(RealNameStateValue, name="RealNameState")
StaffRole = strawberry.enum(StaffRoleValue, name="StaffRole")
PrincipalKind = strawberry.enum(PrincipalKindValue, name="PrincipalKind")
CompromisedCredential = strawberry.enum(Credential, name="CompromisedCredential")
TerminationGround = strawberry.enum(Ground, name="TerminationGround")
