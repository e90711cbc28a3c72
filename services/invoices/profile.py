"""INV-1 the invoice profile, kept with a change record per changed field (like ACC-2), and
INV-3 the general-taxpayer certificate on file."""

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Account, InvoiceProfile, InvoiceProfileChange
from services.accounts import validation
from services.audit import Actor
from services.errors import InvalidInput, InvalidState
from services.invoices import documents
from services.pagination import Page, keyset_page
from services.scoped import one_in_scope

# The profile's fields, by their GraphQL names (the change records name them so).
FIELDS = {"title": "title", "taxpayer_id": "taxpayerId", "address_phone": "addressPhone", "bank_account": "bankAccount"}
CERTIFICATE_FIELD = "taxpayerCertificate"


def _checked(*, title: str, taxpayer_id: str, address_phone: str, bank_account: str) -> dict[str, str]:
    return {
        "title": validation.single_line(title, "title", max_length=200),
        # The taxpayer identification number is the unified social credit code (18 characters).
        "taxpayer_id": validation.credit_code(taxpayer_id, "taxpayerId"),
        "address_phone": validation.single_line(address_phone, "addressPhone", max_length=300),
        "bank_account": validation.single_line(bank_account, "bankAccount", max_length=200),
    }


async def profile_of(session: AsyncSession, account_id: uuid.UUID) -> InvoiceProfile | None:
    return await session.scalar(select(InvoiceProfile).where(InvoiceProfile.account_id == account_id))


async def profiles_of(session: AsyncSession, account_ids: list[uuid.UUID]) -> dict[uuid.UUID, InvoiceProfile]:
    rows = await session.execute(select(InvoiceProfile).where(InvoiceProfile.account_id.in_(account_ids)))
    return {row.account_id: row for row in rows.scalars()}


async def set_profile(
    session: AsyncSession,
    *,
    account: Account,
    title: str,
    taxpayer_id: str,
    address_phone: str,
    bank_account: str,
    now: datetime,
    actor: Actor,
) -> InvoiceProfile:
    """INV-1: every field that differs becomes a change record (all four on the first set)."""
    values = _checked(title=title, taxpayer_id=taxpayer_id, address_phone=address_phone, bank_account=bank_account)
    profile = await profile_of(session, account.id)
    if profile is None:
        profile = InvoiceProfile(account_id=account.id, **values)
        session.add(profile)
        old = dict.fromkeys(values)
    else:
        old = {name: getattr(profile, name) for name in values}
    records = [
        InvoiceProfileChange(
            account_id=account.id,
            field=FIELDS[name],
            old_value=old[name],
            new_value=value,
            changed_at=now,
            changed_by=actor.principal,
        )
        for name, value in values.items()
        if old[name] != value
    ]
    if not records:
        raise InvalidInput("nothing differs from the current invoice profile", field=["title"])
    for name, value in values.items():
        setattr(profile, name, value)
    session.add_all(records)
    await session.flush()
    return profile


async def upload_certificate(
    session: AsyncSession, *, account: Account, filename: str, content_base64: str, now: datetime, actor: Actor
) -> InvoiceProfile:
    """INV-3: the general-taxpayer qualification certificate (a scan with the company seal),
    PDF, PNG or JPEG by content, up to 10 MB. Its bytes go to ``stored_documents``; the profile
    keeps only the digest."""
    upload = documents.check(content_base64, filename=filename, field="contentBase64")
    profile = await profile_of(session, account.id)
    if profile is None:
        raise InvalidState("set the invoice profile first (INV-1)", field=["contentBase64"])
    sha256 = await documents.store(session, upload, now=now)
    session.add(
        InvoiceProfileChange(
            account_id=account.id,
            field=CERTIFICATE_FIELD,
            old_value=profile.certificate_sha256,
            new_value=sha256,
            changed_at=now,
            changed_by=actor.principal,
        )
    )
    profile.certificate_sha256, profile.certificate_filename, profile.certificate_uploaded_at = (
        sha256,
        upload.filename,
        now,
    )
    await session.flush()
    return profile


async def page_changes(
    session: AsyncSession, *, account_id: uuid.UUID, first: int, after: uuid.UUID | None
) -> Page[InvoiceProfileChange]:
    query = select(InvoiceProfileChange).where(InvoiceProfileChange.account_id == account_id)
    return await keyset_page(session, query, InvoiceProfileChange.id, first=first, after=after)


async def change_in_scope(
    session: AsyncSession, key: uuid.UUID, *, account_id: uuid.UUID | None
) -> InvoiceProfileChange | None:
    """One change record of the account (None means staff, every account)."""
    return await one_in_scope(session, InvoiceProfileChange, key, account_id=account_id)
