"""Notices sent to an account (NTC-1, NTC-4)."""

from datetime import datetime

import strawberry

from models import Notice as NoticeRow
from models import NoticeChannel as NoticeChannelValue
from schema.grants import ACCOUNT_READERS
from schema.payloads import Payload
from schema.relay import Node, encode_id
from schema.scoped import owned_node
from services import notices

NoticeChannel = strawberry.enum(NoticeChannelValue, name="NoticeChannel")


@strawberry.type(description="A notice sent to the account (NTC-4).")
class Notice(Node):
    channel: NoticeChannel
    subject: str
    body: str
    sent_at: datetime
    delivered_at: datetime = strawberry.field(description="When the notice is deemed delivered (NTC-1).")

    @staticmethod
    def from_model(row: NoticeRow) -> "Notice":
        return Notice(
            id=encode_id("Notice", row.id),
            channel=row.channel,
            subject=row.subject,
            body=row.body,
            sent_at=row.sent_at,
            delivered_at=row.delivered_at,
        )


# node(id:) asks for the grant of the list that shows notices (Account.notices).
owned_node(
    "Notice",
    find=notices.notice_in_scope,
    grant=ACCOUNT_READERS,
    to_node=Notice.from_model,
    target=lambda row: f"notice:{row.id}",
)


@strawberry.type
class NoticePayload(Payload):
    notice: Notice | None = strawberry.field(
        default=None, description="The notice, when its deemed delivery is known (NTC-1); null while an email waits."
    )
    queued: int = strawberry.field(
        default=0, description="Emails waiting in the outbox: delivered when the mail server accepts them (NTC-1)."
    )
    queued_notice_id: strawberry.ID | None = strawberry.field(
        default=None, description="The queued email's notice, when it went to one account (listed once delivered)."
    )
