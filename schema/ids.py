"""Global IDs in mutation inputs: anything that is not an ID of the expected type is NOT_FOUND
(SEC-1: never a hint that the object exists elsewhere)."""

import uuid

from schema.relay import decode_id
from services.errors import NotFound


def key_of(global_id: str | None, type_name: str, field: str = "id") -> uuid.UUID:
    decoded = decode_id(global_id or "")
    if decoded is None or decoded[0] != type_name:
        raise NotFound(f"no such {type_name}", field=[field])
    return decoded[1]


def key_or_none(global_id: str | None, type_name: str) -> uuid.UUID | None:
    try:
        return key_of(global_id, type_name)
    except NotFound:
        return None
