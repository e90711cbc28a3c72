"""ACC-1 registration, ACC-2 profile changes, ACC-4 real-name verification."""

from datetime import date, timedelta

import strawberry

from auth.passwords import hash_password, password_problem
from models import PrincipalKind
from schema.accounts.common import holder_account_mutation, staff_account_mutation
from schema.accounts.payloads import AccountPayload, RegisterAccountPayload
from schema.accounts.types import Account
from schema.context import AccordInfo
from schema.enums import HolderType
from schema.errors import query_error
from schema.grants import FINANCE_OR_COMPLIANCE, HOLDER
from schema.mutations import run_mutation
from schema.permissions import NoTokenNeeded, Requires
from services import ratelimit
from services.accounts import profile, real_name
from services.audit import Actor
from services.clock import security_clock
from services.errors import InvalidInput, RateLimited

# registerAccount is the one operation without a token: a budget per client address.
REGISTRATIONS_PER_ADDRESS = 10
REGISTRATION_WINDOW = timedelta(hours=1)


@strawberry.input
class RegisterAccountInput:
    holder_type: HolderType
    login: str
    password: str
    name: str
    contact_person: str
    email: str
    phone: str
    address: str


@strawberry.input
class UpdateAccountProfileInput:
    name: str | None = None
    contact_person: str | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    effective_on: date = strawberry.field(description="When the change happened (ACC-2).")


@strawberry.input
class SubmitRealNameInput:
    subject_type: HolderType
    subject_name: str
    subject_number: str


@strawberry.input
class ReviewRealNameInput:
    account_id: strawberry.ID
    approve: bool
    reason: str | None = None


@strawberry.type
class ProfileMutation:
    @strawberry.mutation(
        description=(
            "Register an account: the one mutation allowed without a token (rate-limited per address). A "
            "login that is taken gets the same answer as a new one and nothing is created; its owner is told "
            "by email (ACC-1)."
        ),
        extensions=[NoTokenNeeded()],
    )
    async def register_account(self, info: AccordInfo, input: RegisterAccountInput) -> RegisterAccountPayload:
        context = info.context
        try:
            await ratelimit.spend(
                context.session,
                key=f"register:{context.client_address}",
                limit=REGISTRATIONS_PER_ADDRESS,
                window=REGISTRATION_WINDOW,
                now=security_clock(context.clock).now(),  # T-5: rate windows run on real time
            )
        except RateLimited as error:
            raise query_error(error) from None

        async def call():
            if (problem := password_problem(input.password)) is not None:
                raise InvalidInput(problem, field=["password"])
            return await profile.register_account(
                context.session,
                new=profile.NewAccount(
                    holder_type=input.holder_type,
                    login=input.login,
                    password_hash=hash_password(input.password),
                    name=input.name,
                    contact_person=input.contact_person,
                    email=input.email,
                    phone=input.phone,
                    address=input.address,
                ),
                now=context.clock.now(),
            )

        return await run_mutation(
            info,
            payload=RegisterAccountPayload,
            call=call,
            target=f"user:{input.login}",
            actor=Actor(
                kind=PrincipalKind.HOLDER, principal=f"registrant:{input.login}", request_id=context.request_id
            ),
            # A taken login created nothing: its audit record names no account.
            account_of=lambda done: done.account.id if done.created else None,
            ok=lambda done: RegisterAccountPayload(account=Account.from_model(done.account, registrant=True)),
        )

    @strawberry.mutation(
        description=(
            "Report profile changes; each changed field is kept with when it happened and when it was reported (ACC-2)."
        ),
        extensions=[Requires(HOLDER)],
    )
    async def update_account_profile(self, info: AccordInfo, input: UpdateAccountProfileInput) -> AccountPayload:
        context = info.context
        changes = {
            "name": input.name,
            "contact_person": input.contact_person,
            "email": input.email,
            "phone": input.phone,
            "address": input.address,
        }
        return await holder_account_mutation(
            info,
            lambda account: profile.update_profile(
                context.session,
                account=account,
                changes=changes,
                effective_on=input.effective_on,
                now=context.clock.now(),
                actor=context.actor,
            ),
        )

    @strawberry.mutation(description="Submit the account's real-name subject (ACC-4).", extensions=[Requires(HOLDER)])
    async def submit_real_name(self, info: AccordInfo, input: SubmitRealNameInput) -> AccountPayload:
        context = info.context

        async def act(account):
            return await real_name.submit(
                context.session,
                account=account,
                subject_type=input.subject_type,
                subject_name=input.subject_name,
                subject_number=input.subject_number,
                data_key=await context.data_key(),
                now=context.clock.now(),
            )

        return await holder_account_mutation(info, act)

    @strawberry.mutation(
        description="Approve or reject a real-name submission, audited with the reviewer (ACC-4).",
        extensions=[Requires(FINANCE_OR_COMPLIANCE)],
    )
    async def review_real_name(self, info: AccordInfo, input: ReviewRealNameInput) -> AccountPayload:
        context = info.context
        return await staff_account_mutation(
            info,
            input.account_id,
            lambda account: real_name.review(
                context.session,
                account=account,
                approve=input.approve,
                reason=input.reason,
                reviewer=context.actor.principal,
                now=context.clock.now(),
            ),
        )
