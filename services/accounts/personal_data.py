"""ACC-4: personal numbers are encrypted at rest (AES-256-GCM) and masked in answers."""

import base64
import hashlib
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import DataKey

_VERSION = "v1"


def key_from_setting(setting: str) -> bytes:
    """ACCORD_DATA_KEY may be any secret string; the AES key is its SHA-256."""
    return hashlib.sha256(setting.encode()).digest()


async def development_key(session: AsyncSession) -> bytes:
    """The per-database generated key (development only: production requires the setting)."""
    row = (await session.execute(select(DataKey).order_by(DataKey.id).limit(1))).scalar_one_or_none()
    if row is None:
        row = DataKey(key_b64=base64.b64encode(os.urandom(32)).decode())
        session.add(row)
        await session.flush()
    return base64.b64decode(row.key_b64)


def encrypt(key: bytes, plaintext: str) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), _VERSION.encode())
    return f"{_VERSION}:{base64.b64encode(nonce + sealed).decode()}"


def decrypt(key: bytes, stored: str) -> str:
    version, _, payload = stored.partition(":")
    raw = base64.b64decode(payload)
    try:
        return AESGCM(key).decrypt(raw[:12], raw[12:], version.encode()).decode()
    except InvalidTag:
        raise ValueError("personal data does not decrypt with this data key") from None


def mask(number: str) -> str:
    """Keep the first 4 and last 2 characters: enough to recognise, not enough to use."""
    if len(number) <= 6:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 6) + number[-2:]


def mask_name(name: str) -> str:
    """王芳 -> 王*; Li Lei -> L*****."""
    return name[:1] + "*" * max(len(name) - 1, 1)


def mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_address(address: str) -> str:
    """Keep the region (at most the first 6 characters, never more than half), hide the rest."""
    return address[: min(6, len(address) // 2)] + "****"
