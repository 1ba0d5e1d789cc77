"""Shopify global ids (GIDs) as the simulator writes and reads them."""

from __future__ import annotations

import re

_GID = re.compile(r"^gid://shopify/([A-Za-z]+)/([0-9]+)$")
_LEVEL = re.compile(
    r"^gid://shopify/InventoryLevel/([0-9]+)\?inventory_item_id=([0-9]+)$"
)

# First number of each kind: distinct ranges make a swapped id fail loudly, and numbers
# above 2**31 catch code that would keep them in a 32-bit integer.
FIRST_NUMBER = {
    "Location": 61_000_000_001,
    "Product": 7_100_000_001,
    "ProductVariant": 42_000_000_001,
    "InventoryItem": 44_000_000_001,
    "InventoryAdjustmentGroup": 90_000_000_001,
    "BulkOperation": 5_500_000_001,
    "FulfillmentService": 3_300_000_001,
    "WebhookSubscription": 1_260_000_001,
}


def gid(kind: str, number: int) -> str:
    """``gid("Location", 5)`` -> ``"gid://shopify/Location/5"``."""
    return f"gid://shopify/{kind}/{number}"


def parse(value: object, kind: str) -> int | None:
    """The number of a GID of ``kind``, or None when ``value`` is not one."""
    if not isinstance(value, str):
        return None
    match = _GID.match(value)
    if match is None or match.group(1) != kind:
        return None
    return int(match.group(2))


def kind_of(value: object) -> str | None:
    """The type part of a GID (``InventoryLevel`` for level ids), or None."""
    if not isinstance(value, str):
        return None
    if _LEVEL.match(value):
        return "InventoryLevel"
    match = _GID.match(value)
    return match.group(1) if match else None


def level_gid(item: int, location: int) -> str:
    """The InventoryLevel GID Shopify uses for one (item, location) pair."""
    return f"gid://shopify/InventoryLevel/{location}?inventory_item_id={item}"


def parse_level(value: object) -> tuple[int, int] | None:
    """``(item number, location number)`` of an InventoryLevel GID, or None."""
    if not isinstance(value, str):
        return None
    match = _LEVEL.match(value)
    if match is None:
        return None
    return int(match.group(2)), int(match.group(1))
