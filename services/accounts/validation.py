"""Field validation for ACC-2 and ACC-4: a malformed value is refused with INVALID naming the
field, and nothing is stored."""

import re
import unicodedata
from datetime import date

from services.errors import InvalidInput

_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
# Mainland mobile numbers (optionally +86), or landlines with an area code. ASCII digits only:
# `\d` would also accept full-width and other Unicode digits.
_MOBILE = re.compile(r"^(\+?86[- ]?)?1[3-9][0-9]{9}$")
_LANDLINE = re.compile(r"^0[0-9]{2,3}-?[0-9]{7,8}$")

# GB 32100-2015: the unified social credit code.
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# GB 11643-1999: the 18-digit resident identity number.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


# Bidirectional embeddings, overrides and isolates make text display other than it reads
# ("Trojan Source"): a reference or a name shown to staff must read as stored.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_LINE_BREAKS = frozenset("\t\n\r")


def _not_single_line(character: str) -> bool:
    """Control (Cc), format (Cf: also U+200E/U+200F marks, U+FEFF), surrogate (Cs), or a
    line or paragraph separator (Zl, Zp)."""
    return unicodedata.category(character) in ("Cc", "Cf", "Cs", "Zl", "Zp")


def _refused_in_text(character: str) -> bool:
    """Free text keeps line breaks, tabs and harmless format characters (an emoji's joiner)."""
    if character in _BIDI_CONTROLS:
        return True
    category = unicodedata.category(character)
    return (category == "Cc" and character not in _LINE_BREAKS) or category == "Cs"


def _length(value: str, field: str, max_length: int) -> str:
    cleaned = value.strip()
    if not 1 <= len(cleaned) <= max_length:
        raise InvalidInput(f"{field} must be 1-{max_length} characters", field=[field])
    return cleaned


def text(value: str, field: str, *, max_length: int = 200) -> str:
    """Free text (a reason, a description): line breaks and tabs are fine; other control
    characters and bidirectional overrides are refused."""
    cleaned = _length(value, field, max_length)
    if any(_refused_in_text(c) for c in cleaned):
        raise InvalidInput(f"{field} may not contain control characters or bidirectional overrides", field=[field])
    return cleaned


def single_line(value: str, field: str, *, max_length: int = 200) -> str:
    """A name or a reference: one line of visible text, no control or format characters."""
    cleaned = _length(value, field, max_length)
    if any(_not_single_line(c) for c in cleaned):
        raise InvalidInput(f"{field} may not contain control, format or bidirectional characters", field=[field])
    return cleaned


def optional_single_line(value: str | None, field: str, *, max_length: int = 200) -> str | None:
    """An optional name or reference: blank is absent."""
    return single_line(value, field, max_length=max_length) if value and value.strip() else None


def email(value: str, field: str = "email") -> str:
    cleaned = value.strip()
    if len(cleaned) > 254 or not _EMAIL.match(cleaned):
        raise InvalidInput(f"{cleaned!r} is not an email address", field=[field])
    return cleaned


def phone(value: str, field: str = "phone") -> str:
    cleaned = value.strip().replace(" ", "")
    if not (_MOBILE.match(cleaned) or _LANDLINE.match(cleaned)):
        raise InvalidInput("not a mainland China mobile or landline number", field=[field])
    return cleaned


def uscc_check_char(first17: str) -> str:
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_CHARS[(31 - total % 31) % 31]


def credit_code(value: str, field: str = "subjectNumber") -> str:
    code = value.strip().upper()
    if len(code) != 18 or any(c not in _USCC_CHARS for c in code):
        raise InvalidInput("a unified social credit code has 18 characters (digits and letters)", field=[field])
    if uscc_check_char(code[:17]) != code[17]:
        raise InvalidInput("the unified social credit code's check character is wrong", field=[field])
    return code


def resident_id_check_char(first17: str) -> str:
    return _ID_CHECK[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def resident_id(value: str, field: str = "subjectNumber") -> str:
    number = value.strip().upper()
    if not re.fullmatch(r"[0-9]{17}[0-9X]", number):
        raise InvalidInput("a resident ID number has 17 digits and a check digit", field=[field])
    try:
        date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidInput("the resident ID number holds no valid birth date", field=[field]) from None
    if resident_id_check_char(number[:17]) != number[17]:
        raise InvalidInput("the resident ID number's check digit is wrong", field=[field])
    return number
