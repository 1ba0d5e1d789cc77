"""Relay connections with opaque cursors, as Shopify pages its lists."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from graphql import GraphQLError

T = TypeVar("T")


def cursor_for(key: int) -> str:
    return base64.b64encode(json.dumps({"last_id": key}).encode()).decode()


def _key_of(cursor: str) -> int:
    try:
        return int(
            json.loads(base64.b64decode(cursor.encode(), validate=True))["last_id"]
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise GraphQLError(
            f"Invalid cursor for current pagination sort: {cursor}"
        ) from exc


def connection(
    items: Sequence[T],
    key: Callable[[T], int],
    *,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    reverse: bool = False,
    **_ignored: Any,
) -> dict[str, Any]:
    """One page of ``items`` (already in their natural order) as a connection dict.

    A cursor names an item by ``key``; paging after an item that has gone is an error.

    Without ``first`` or ``last`` (a bulk operation) every item is on the page.
    """
    ordered = list(reversed(items)) if reverse else list(items)
    keys = [key(item) for item in ordered]
    start, end = 0, len(ordered)
    if after is not None:
        start = _index(keys, after) + 1
    if before is not None:
        end = max(start, _index(keys, before))
    window = list(range(start, end))
    if first is not None:
        page = window[:first]
        has_next, has_previous = len(window) > first, start > 0
    elif last is not None:
        page = window[-last:] if last else []
        has_next, has_previous = end < len(ordered), len(window) > last
    else:
        page, has_next, has_previous = window, False, start > 0
    nodes = [ordered[i] for i in page]
    cursors = [cursor_for(keys[i]) for i in page]
    return {
        "edges": [
            {"cursor": c, "node": n} for c, n in zip(cursors, nodes, strict=True)
        ],
        "nodes": nodes,
        "pageInfo": {
            "hasNextPage": has_next,
            "hasPreviousPage": has_previous,
            "startCursor": cursors[0] if cursors else None,
            "endCursor": cursors[-1] if cursors else None,
        },
    }


def _index(keys: list[int], cursor: str) -> int:
    """Where the item a cursor points at stands in this order."""
    wanted = _key_of(cursor)
    try:
        return keys.index(wanted)
    except ValueError:
        raise GraphQLError(
            f"Invalid cursor for current pagination sort: {cursor}"
        ) from None
