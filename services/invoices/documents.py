"""Uploaded documents (the INV-3 taxpayer certificate, INV-5 reversal documents): PDF, PNG or
JPEG up to 10 MB, recognised by their content, never by their name. The bytes are stored once
per SHA-256 in ``stored_documents``; other rows refer to a document by its digest."""

import base64
import binascii
import hashlib
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import InvoiceProfile, InvoiceReversal, StoredDocument
from services.accounts import validation
from services.batch import insert_for, new_row
from services.errors import InvalidInput

MAX_BYTES = 10 * 1024 * 1024

# Magic numbers: what a file IS, whatever its name says.
_SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)


@dataclass(frozen=True, slots=True)
class Upload:
    """A checked upload: its bytes, what its content says it is, and its digest."""

    content: bytes
    content_type: str
    sha256: str
    filename: str


def sniff(content: bytes) -> str | None:
    """The content type the bytes' magic number says, or None when it is none we accept."""
    for magic, content_type in _SIGNATURES:
        if content.startswith(magic):
            return content_type
    return None


def check_bytes(content: bytes, *, filename: str, field: str) -> Upload:
    """Accept a PDF, PNG or JPEG of at most 10 MB, by content. The filename is kept for display
    only: a PDF named ``.png`` is a PDF, a PNG named ``.pdf`` a PNG."""
    name = validation.single_line(filename, "filename", max_length=200)
    if not content:
        raise InvalidInput("the document is empty", field=[field])
    if len(content) > MAX_BYTES:
        raise InvalidInput(f"a document is at most {MAX_BYTES // (1024 * 1024)} MB", field=[field])
    content_type = sniff(content)
    if content_type is None:
        raise InvalidInput("only PDF, PNG or JPEG documents are accepted (by content)", field=[field])
    return Upload(content=content, content_type=content_type, sha256=hashlib.sha256(content).hexdigest(), filename=name)


def decode(content_base64: str, *, field: str) -> bytes:
    # Base64 is 4/3 of the bytes: refuse an oversized text before decoding it.
    if len(content_base64) > (MAX_BYTES // 3 + 1) * 4 + 4:
        raise InvalidInput(f"a document is at most {MAX_BYTES // (1024 * 1024)} MB", field=[field])
    try:
        return base64.b64decode(content_base64, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("not base64", field=[field]) from None


def check(content_base64: str, *, filename: str, field: str) -> Upload:
    return check_bytes(decode(content_base64, field=field), filename=filename, field=field)


async def store(session: AsyncSession, upload: Upload, *, now) -> str:
    """Store the bytes once per digest (a second upload of the same file stores nothing new,
    also when two requests race); the digest that addresses them."""
    row = new_row(
        now,
        sha256=upload.sha256,
        content_type=upload.content_type,
        size_bytes=len(upload.content),
        content=upload.content,
    )
    statement = insert_for(session, StoredDocument).values(**row).on_conflict_do_nothing(index_elements=["sha256"])
    await session.execute(statement)
    return upload.sha256


async def fetch(session: AsyncSession, sha256: str) -> StoredDocument | None:
    return await session.scalar(select(StoredDocument).where(StoredDocument.sha256 == sha256))


async def held_by(session: AsyncSession, sha256: str, account_id: uuid.UUID) -> bool:
    """Whether the account refers to the document: its certificate, or a reversal's document."""
    certificate = await session.scalar(
        select(InvoiceProfile.id).where(
            InvoiceProfile.account_id == account_id, InvoiceProfile.certificate_sha256 == sha256
        )
    )
    if certificate is not None:
        return True
    reversal = await session.scalar(
        select(InvoiceReversal.id)
        .where(InvoiceReversal.account_id == account_id, InvoiceReversal.document_sha256 == sha256)
        .limit(1)
    )
    return reversal is not None
