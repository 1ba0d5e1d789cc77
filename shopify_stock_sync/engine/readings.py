"""Reading levels for inbound decisions: quantities, and when each last changed.

The same read as :func:`.inventory.read_levels` (one call per 250 pairs), keeping the
``updatedAt`` of the ``committed`` quantity: an order placed and fulfilled (or
cancelled) between two reads leaves ``committed`` where it was, but not its time, and
that is what tells a fulfilment from a stock correction.  Read-only.

Times here are Shopify's ``DateTime`` strings; :func:`moment` turns them (and Odoo's
naive UTC datetimes) into aware datetimes for comparison.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone

from .data import LevelKey, ShopifyLevel
from .inventory import level_from_node, level_nodes
from .shopify.client import ShopifyClient


def moment(value: str | datetime | None) -> datetime | None:
    """An aware datetime, or None.  ISO strings may end in ``Z`` or an offset; naive
    values (Odoo's ``fields.Datetime``) are taken as UTC; unreadable text is None.

    >>> moment("2026-11-02T10:00:00Z") == moment("2026-11-02T05:00:00-05:00")
    True
    >>> moment(datetime(2026, 11, 2, 10)).isoformat()
    '2026-11-02T10:00:00+00:00'
    >>> moment("yesterday") is None
    True
    """
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if text[-1:] in ("Z", "z"):
            text = text[:-1] + "+00:00"
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            return None
    if value.tzinfo is None or value.utcoffset() is None:
        return value.replace(tzinfo=timezone.utc)
    return value


@dataclass(frozen=True)
class Reading:
    """A level as read for a decision: ``level`` (quantities, ``updated_at``) and when
    its ``committed`` quantity last changed."""

    level: ShopifyLevel
    committed_updated_at: str | None = None

    @property
    def key(self) -> LevelKey:
        return self.level.key


def reading_from_node(key: LevelKey, node: dict | None) -> Reading:
    level = level_from_node(key, node)
    committed_at = None
    for quantity in (node or {}).get("quantities") or ():
        if quantity.get("name") == "committed":
            committed_at = quantity.get("updatedAt")
    return Reading(level, committed_at)


def read_readings(
    client: ShopifyClient, keys: Iterable[LevelKey]
) -> dict[LevelKey, Reading]:
    """Readings of many pairs: one call per 250, any locations mixed."""
    return {
        key: reading_from_node(key, node) for key, node in level_nodes(client, keys)
    }


def read_reading(client: ShopifyClient, key: LevelKey) -> Reading:
    """One pair's reading (an unstocked pair reads ``stocked=False``)."""
    return read_readings(client, [key])[key]
