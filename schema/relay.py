"""Relay groundwork: opaque global IDs, the Node interface and cursor connections."""

import base64
import binascii
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

import strawberry

from schema.context import Context
from schema.errors import PublicError
from services.errors import ErrorCode
from services.pagination import MAX_PAGE, Page

DEFAULT_PAGE = 20

T = TypeVar("T")


def encode_id(type_name: str, key: uuid.UUID) -> strawberry.ID:
    return strawberry.ID(base64.urlsafe_b64encode(f"{type_name}:{key}".encode()).decode())


def decode_id(global_id: str) -> tuple[str, uuid.UUID] | None:
    """(type name, key), or None for anything that is not one of our IDs."""
    try:
        type_name, _, raw = base64.urlsafe_b64decode(global_id.encode()).decode().partition(":")
        return type_name, uuid.UUID(raw)
    except (binascii.Error, UnicodeError, ValueError):
        return None


@strawberry.interface
class Node:
    id: strawberry.ID


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo


def page_args(first: int | None, after: str | None) -> tuple[int, uuid.UUID | None]:
    """Validate ``first`` (capped at MAX_PAGE) and decode ``after``."""
    if first is None:
        first = DEFAULT_PAGE
    if not 0 <= first <= MAX_PAGE:
        raise PublicError(f"`first` must be between 0 and {MAX_PAGE}", ErrorCode.INVALID.value)
    if after is None:
        return first, None
    try:
        return first, uuid.UUID(base64.urlsafe_b64decode(after.encode()).decode())
    except (binascii.Error, UnicodeError, ValueError):
        raise PublicError("`after` is not a cursor from this connection", ErrorCode.INVALID.value) from None


def cursor_of(key: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(str(key).encode()).decode()


def connection(page: Page[Any], to_node: Callable[[Any], T]) -> Connection[T]:
    edges = [Edge(cursor=cursor_of(item.id), node=to_node(item)) for item in page.items]
    return Connection(
        edges=edges,
        page_info=PageInfo(has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None),
    )


# A service's page read: ``page_of(*args, first=…, after=…, **kwargs)``.
PageOf = Callable[..., Awaitable[Page[Any]]]


async def paginate(
    first: int | None, after: str | None, page_of: PageOf, to_node: Callable[[Any], T], /, *args: Any, **kwargs: Any
) -> Connection[T]:
    """A connection field's whole body: check ``first``/``after``, read the page, map its rows."""
    size, after_key = page_args(first, after)
    return connection(await page_of(*args, first=size, after=after_key, **kwargs), to_node)


# A service's first pages of many accounts at once: ``pages_of(session, account_ids, first=…)``.
PagesOf = Callable[..., Awaitable[dict[Any, Page[Any]]]]


async def paginate_account(
    context: Context,
    first: int | None,
    after: str | None,
    to_node: Callable[[Any], T],
    *,
    account_id: uuid.UUID,
    page_of: PageOf,
    pages_of: PagesOf,
) -> Connection[T]:
    """An account's connection. Its first page comes through a DataLoader (one per service
    function and page size), so the same connection in every item of a list (``accounts {
    apps }``) costs one query, not one per account; a later page (``after``) reads alone."""
    size, after_key = page_args(first, after)
    if after_key is not None:
        page = await page_of(context.session, account_id=account_id, first=size, after=after_key)
    else:
        page = await context.loaders.first_pages(pages_of, size).load(account_id)
    return connection(page, to_node)


# Each Node type registers how `node(id:)` fetches it. A fetcher receives the request context
# and the key, and must apply the principal's scope itself (SEC-1: another account's object is
# simply not found).
NodeFetcher = Callable[[Context, uuid.UUID], Awaitable[Any | None]]
NODE_FETCHERS: dict[str, NodeFetcher] = {}


def node_fetcher(type_name: str) -> Callable[[NodeFetcher], NodeFetcher]:
    def register(fetch: NodeFetcher) -> NodeFetcher:
        NODE_FETCHERS[type_name] = fetch
        return fetch

    return register


async def resolve_node(context: Context, global_id: str) -> Any | None:
    decoded = decode_id(global_id)
    if decoded is None:
        return None
    fetch = NODE_FETCHERS.get(decoded[0])
    return None if fetch is None else await fetch(context, decoded[1])
