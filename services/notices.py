"""NTC-1 / NTC-4: notices with their deemed delivery. Electronic notices (system notice, site
message, email, SMS) are delivered when sent successfully."""

import uuid
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Notice, NoticeChannel
from services.pagination import Page, keyset_page

EVERY_CUSTOMER = "all customers"


async def send_electronic(
    session: AsyncSession,
    *,
    account_id: uuid.UUID | None,
    addressee: str,
    subject: str,
    body: str,
    sent_by: str,
    now: datetime,
) -> Notice:
    notice = Notice(
        account_id=account_id,
        channel=NoticeChannel.ELECTRONIC,
        addressee=addressee,
        subject=subject,
        body=body,
        sent_at=now,
        delivered_at=now,  # NTC-1: electronic notices are delivered when sent
        sent_by=sent_by,
    )
    session.add(notice)
    await session.flush()
    return notice


async def page_for_account(
    session: AsyncSession, *, account_id: uuid.UUID, first: int, after: uuid.UUID | None
) -> Page[Notice]:
    """NTC-4: what was sent to the account, and announcements to every customer."""
    query = select(Notice).where(or_(Notice.account_id == account_id, Notice.account_id.is_(None)))
    return await keyset_page(session, query, Notice.id, first=first, after=after)
