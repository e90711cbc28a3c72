"""Password hashing with argon2id (argon2-cffi's defaults follow RFC 9106's recommendation)."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

MIN_LENGTH = 10


def password_problem(password: str) -> str | None:
    """Why a new password is refused, or None: the one rule for every way a password is set
    (registration, sub-accounts, ``accord staff create``); callers answer in their own terms."""
    if len(password) < MIN_LENGTH:
        return f"a password has at least {MIN_LENGTH} characters"
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# Burned on unknown logins so a failed login takes as long whether or not the login exists.
DUMMY_HASH = hash_password("accord-dummy-password")
