"""The engine's data: plain dataclasses named after the domain.

Ids are Shopify global ids (``gid://shopify/InventoryItem/1``).  The Odoo models
translate their records to these and back; nothing here knows about Odoo.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # inbound imports this module
    from .inbound import Movement


class Direction(str, Enum):
    """Who owns the quantity of a location mapping."""

    ODOO_TO_SHOPIFY = "odoo_to_shopify"
    SHOPIFY_TO_ODOO = "shopify_to_odoo"
    TWO_WAY = "two_way"
    OFF = "off"

    @property
    def writes_to_shopify(self) -> bool:
        """Odoo's quantity is pushed to Shopify (Odoo-owned or two-way)."""
        return self in (Direction.ODOO_TO_SHOPIFY, Direction.TWO_WAY)

    @property
    def reads_from_shopify(self) -> bool:
        """Shopify's corrections reach Odoo (Shopify-owned or two-way)."""
        return self in (Direction.SHOPIFY_TO_ODOO, Direction.TWO_WAY)

    @property
    def is_on(self) -> bool:
        """The mapping takes part in the sync at all."""
        return self is not Direction.OFF

    @classmethod
    def writing_values(cls) -> tuple[str, ...]:
        """The values of the directions that write to Shopify (for domains, SQL)."""
        return tuple(d.value for d in cls if d.writes_to_shopify)

    @classmethod
    def reading_values(cls) -> tuple[str, ...]:
        """The values of the directions that read from Shopify (for domains, SQL)."""
        return tuple(d.value for d in cls if d.reads_from_shopify)


class ErrorCategory(str, Enum):
    """Why something failed, in the words an operator filters by."""

    TRANSIENT = "transient"  # network, timeout, 5xx, throttled: retried
    AUTH = "auth"  # 401, 403, missing scope: fix credentials or scopes
    REQUEST = "request"  # a request Shopify refused: a bug or bad input
    DATA = "data"  # per item: untracked, invalid quantity, unknown code
    CONFIG = "config"  # mapping or link setup: inactive location, no link


@dataclass(frozen=True, order=True)
class LevelKey:
    """One (inventory item, Shopify location) pair."""

    inventory_item_id: str
    location_id: str

    @property
    def level_gid(self) -> str:
        """The InventoryLevel global id Shopify uses for this pair."""
        location = self.location_id.rsplit("/", 1)[-1]
        item = self.inventory_item_id.rsplit("/", 1)[-1]
        return f"gid://shopify/InventoryLevel/{location}?inventory_item_id={item}"


@dataclass(frozen=True)
class ShopifyLevel:
    """What Shopify holds for one pair, as read.

    ``stocked`` is False when the item has no level at the location (it must be
    activated before a quantity can be set there).
    """

    key: LevelKey
    stocked: bool
    available: int | None = None
    on_hand: int | None = None
    committed: int | None = None
    tracked: bool | None = None
    active: bool | None = None
    updated_at: str | None = None


@dataclass(frozen=True)
class Location:
    """A Shopify location and the flags that decide whether we may write to it."""

    id: str
    name: str
    active: bool = True
    fulfills_online_orders: bool = True
    fulfillment_service: bool = False

    @property
    def writable(self) -> bool:
        return self.active and not self.fulfillment_service


@dataclass(frozen=True)
class Variant:
    """A Shopify product variant with the fields used for linking."""

    id: str
    inventory_item_id: str
    sku: str | None
    barcode: str | None
    tracked: bool
    title: str = ""
    product_title: str = ""


@dataclass(frozen=True)
class Subject:
    """Human names for one level, used in every operational message."""

    sku: str = ""
    product: str = ""
    shopify_location: str = ""
    odoo_location: str = ""


@dataclass(frozen=True)
class LevelChange:
    """The intent to make Shopify's ``available`` at one pair follow Odoo.

    ``odoo_quantity`` is the Odoo quantity of the rule's basis (may be fractional or
    negative); ``committed_known_to_odoo`` is how much of Shopify's committed quantity
    Odoo already reserves (0 when unknown: the guard then assumes none, which never
    oversells).  ``ref`` is the caller's own id for the level (an Odoo record id),
    echoed in outcomes.  ``known`` is Shopify's level as last seen (kept on the Odoo
    level): when given, the push trusts it as the compare-and-set base instead of
    reading first, and a stale compare sends it back to a fresh read.  ``direction``
    is the mapping's: on a two-way one, a correction made in Shopify that a stale
    compare reveals is not overwritten but handed back (``SHOPIFY_MOVED``).
    """

    key: LevelKey
    odoo_quantity: float
    ref: int | str | None = None
    subject: Subject = field(default_factory=Subject)
    committed_known_to_odoo: int = 0
    known: ShopifyLevel | None = None
    direction: Direction = Direction.ODOO_TO_SHOPIFY

    @property
    def trusted_known(self) -> ShopifyLevel | None:
        """``known``, if it can stand in for a read (a stocked, tracked level)."""
        known = self.known
        if (
            known is None
            or known.key != self.key
            or not known.stocked
            or known.tracked is False
            or known.active is False
            or known.available is None
        ):
            return None
        return known


@dataclass(frozen=True)
class ItemError:
    """One ``userErrors`` entry of a mutation, kept whole."""

    code: str | None
    field: tuple[str, ...]
    message: str


class OutcomeStatus(str, Enum):
    SYNCED = "synced"  # Shopify now shows the target (set now, or already equal)
    ERROR = "error"  # a per-level problem that retrying will not fix
    RETRY = "retry"  # not done; a later attempt may succeed (bounded retries ran out)
    # two-way only: a stale compare showed a correction made in Shopify; not written,
    # the caller decides by the mapping's conflict rule (``inbound.shopify_moved``)
    SHOPIFY_MOVED = "shopify_moved"


@dataclass(frozen=True)
class PushOutcome:
    """What happened to one LevelChange.

    ``before`` is Shopify's level as the push saw it; ``after``, for a synced level,
    is what Shopify holds now (the caller keeps it as the next push's ``known``).
    For ``SHOPIFY_MOVED``: ``before`` is the level the refused compare was made
    against, ``after`` Shopify's level as read since, ``movement`` how it moved.
    A synced outcome's ``message`` is a note for the operator (or empty).
    """

    change: LevelChange
    status: OutcomeStatus
    target: int | None = None
    before: ShopifyLevel | None = None
    after: ShopifyLevel | None = None
    written: bool = False
    idempotency_key: str | None = None
    category: ErrorCategory | None = None
    message: str = ""
    retry_after: float | None = None
    # How often Shopify refused this level's compare-and-set because its quantity had
    # moved (a sale or an edit in between): an oversell sign the health page counts.
    stale_hits: int = 0
    movement: Movement | None = None
