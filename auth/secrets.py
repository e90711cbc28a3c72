"""Random credentials and their stored digests."""

import hashlib
import hmac
import secrets


def new_secret(nbytes: int = 32) -> str:
    """A URL-safe random credential (256 bits by default)."""
    return secrets.token_urlsafe(nbytes)


def digest(value: str) -> str:
    """What is stored for a high-entropy credential: its SHA-256, never the value."""
    return hashlib.sha256(value.encode()).hexdigest()


def matches(value: str, stored_digest: str | None) -> bool:
    """Constant-time comparison of a presented credential with a stored digest."""
    return stored_digest is not None and hmac.compare_digest(digest(value), stored_digest)
