"""The simulated shop: its catalogue, stock, credentials and counters.

Plain data guarded by one lock (``Shop.lock``): the HTTP handlers and the test's own
calls (``Simulator.set_level`` ...) take it around every read-modify-write.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, ClassVar

from . import gids
from .clock import VirtualClock
from .cost import Bucket, plan_limits
from .webhooks import (
    LEVEL_DISCONNECT,
    LEVEL_UPDATE,
    Webhooks,
    level_payload,
    location_payload,
)

QUANTITY_NAMES = (
    "available",
    "committed",
    "damaged",
    "incoming",
    "on_hand",
    "quality_control",
    "reserved",
    "safety_stock",
)


@dataclass
class Location:
    typename: ClassVar[str] = "Location"
    number: int
    name: str
    active: bool = True
    fulfillment_service: bool = False
    fulfills_online_orders: bool = True
    legacy: bool = False
    created_at: float = 0.0
    deactivated_at: float | None = None

    @property
    def gid(self) -> str:
        return gids.gid("Location", self.number)


@dataclass
class Product:
    typename: ClassVar[str] = "Product"
    number: int
    title: str

    @property
    def gid(self) -> str:
        return gids.gid("Product", self.number)


@dataclass
class InventoryItem:
    typename: ClassVar[str] = "InventoryItem"
    number: int
    sku: str | None
    tracked: bool
    variant_number: int
    created_at: float
    updated_at: float
    mutable: bool = True  # False: a parent bundle, refused with NON_MUTABLE_...

    @property
    def gid(self) -> str:
        return gids.gid("InventoryItem", self.number)


@dataclass
class Variant:
    typename: ClassVar[str] = "ProductVariant"
    number: int
    sku: str | None
    barcode: str | None
    title: str
    product_number: int
    item_number: int

    @property
    def gid(self) -> str:
        return gids.gid("ProductVariant", self.number)


@dataclass
class Level:
    """One item stocked at one location; ``on_hand`` is available + committed.

    ``changed_at`` holds when each quantity name last changed (``InventoryQuantity.
    updatedAt``); a name never changed since the level was created has none.
    """

    typename: ClassVar[str] = "InventoryLevel"
    item_number: int
    location_number: int
    available: int = 0
    committed: int = 0
    created_at: float = 0.0
    updated_at: float = 0.0
    changed_at: dict[str, float] = field(default_factory=dict)

    @property
    def gid(self) -> str:
        return gids.level_gid(self.item_number, self.location_number)

    def touch(self, now: float, *names: str) -> None:
        """Record that ``names`` changed at ``now`` (the level's ``updatedAt`` too)."""
        self.updated_at = now
        for name in names:
            self.changed_at[name] = now

    def quantity_updated_at(self, name: str) -> float:
        return self.changed_at.get(name, self.created_at)

    @property
    def on_hand(self) -> int:
        return self.available + self.committed

    def quantity(self, name: str) -> int:
        if name == "available":
            return self.available
        if name == "on_hand":
            return self.on_hand
        if name == "committed":
            return self.committed
        return 0  # reserved, incoming, damaged ... are not modelled: always 0

    def as_dict(self) -> dict[str, int]:
        return {
            "available": self.available,
            "on_hand": self.on_hand,
            "committed": self.committed,
        }


@dataclass(frozen=True)
class VariantHandle:
    """What ``Simulator.add_variant`` returns: the GIDs a test needs."""

    id: str
    inventory_item_id: str
    product_id: str
    sku: str | None
    barcode: str | None


@dataclass
class Token:
    value: str
    scopes: frozenset[str]
    expires_at: float | None = None  # virtual time; None: a legacy token, no expiry
    client_id: str | None = None


@dataclass
class App:
    client_id: str
    secret: str
    scopes: tuple[str, ...]
    expires_in: int


@dataclass
class IdempotentCall:
    """What a key was first used for, and the answer to replay."""

    field: str
    fingerprint: str
    payload: Any


@dataclass
class Stats:
    """Counters a test or benchmark reads; ``Simulator.reset_stats`` zeroes them."""

    requests: int = 0  # GraphQL HTTP requests received, faulted ones included
    by_operation: dict[str, int] = field(default_factory=Counter)
    cost_requested: int = 0
    cost_actual: int = 0
    throttled: int = 0
    faults: dict[str, int] = field(default_factory=Counter)  # kind -> times injected
    token_requests: int = 0
    # (item gid, location gid, quantity name, quantity, idempotency key), in the order
    # the writes were applied; activations are in ``activations`` instead.
    applied_writes: list[tuple[str, str, str, int, str]] = field(default_factory=list)
    activations: list[tuple[str, str, int, str]] = field(default_factory=list)
    replays: int = 0  # idempotent replays (same key, same arguments: not applied)
    nodes_read: int = 0  # ids asked for through ``nodes(ids:)`` (levels read)
    api_versions: dict[str, int] = field(default_factory=Counter)


class Shop:
    """Everything the simulated shop holds.  Take ``lock`` around any access."""

    typename: ClassVar[str] = "Shop"
    gid = "gid://shopify/Shop/1"

    def __init__(self, plan: str, clock: VirtualClock, domain: str) -> None:
        maximum, restore_rate = plan_limits(plan)
        self.plan = plan
        self.clock = clock
        self.domain = domain
        self.lock = threading.RLock()
        self.bucket = Bucket(maximum, restore_rate, clock.now())
        self.locations: dict[int, Location] = {}
        self.products: dict[int, Product] = {}
        self.variants: dict[int, Variant] = {}
        self.items: dict[int, InventoryItem] = {}
        self.levels: dict[tuple[int, int], Level] = {}  # (item, location) -> level
        self.tokens: dict[str, Token] = {}
        self.apps: dict[str, App] = {}
        self.idempotency: dict[str, IdempotentCall] = {}
        self.bulk_operations: dict[int, Any] = {}  # number -> bulk.BulkOperation
        self.stats = Stats()
        self.unstocked_set = "error"
        self.set_batches = "all_or_nothing"
        self.webhooks = Webhooks(self.lock, domain)
        self._numbers: dict[str, int] = {}

    def next_number(self, kind: str) -> int:
        number = self._numbers.get(kind, gids.FIRST_NUMBER[kind])
        self._numbers[kind] = number + 1
        return number

    # Webhooks (call with the lock held) --------------------------------------------

    def level_changed(self, level: Level, topic: str = LEVEL_UPDATE) -> None:
        """Queue the deliveries of a change to ``level`` (update or connect)."""
        if not self.webhooks.listening(topic):
            return
        payload = level_payload(
            self.webhooks,
            level.item_number,
            level.location_number,
            level.available,
            level.updated_at,
        )
        self.webhooks.emit(topic, payload, self.clock.now())

    def level_disconnected(self, item_number: int, location_number: int) -> None:
        if not self.webhooks.listening(LEVEL_DISCONNECT):
            return
        payload = {"inventory_item_id": item_number, "location_id": location_number}
        self.webhooks.emit(LEVEL_DISCONNECT, payload, self.clock.now())

    def location_changed(self, loc: Location, topic: str) -> None:
        if not self.webhooks.listening(topic):
            return
        now = self.clock.now()
        payload = location_payload(self.webhooks, loc.number, loc.name, loc.active, now)
        self.webhooks.emit(topic, payload, now)

    # Look-ups by GID (None when unknown) ------------------------------------------

    def location(self, gid: object) -> Location | None:
        number = gids.parse(gid, "Location")
        return None if number is None else self.locations.get(number)

    def item(self, gid: object) -> InventoryItem | None:
        number = gids.parse(gid, "InventoryItem")
        return None if number is None else self.items.get(number)

    def variant(self, gid: object) -> Variant | None:
        number = gids.parse(gid, "ProductVariant")
        return None if number is None else self.variants.get(number)

    def level(self, gid: object) -> Level | None:
        pair = gids.parse_level(gid)
        return None if pair is None else self.levels.get(pair)

    def require_pair(self, item_gid: str, location_gid: str) -> tuple[int, int]:
        """The (item, location) numbers of two GIDs a test passed; raise if unknown."""
        item, location = self.item(item_gid), self.location(location_gid)
        if item is None:
            raise KeyError(f"no inventory item {item_gid!r} in the simulator")
        if location is None:
            raise KeyError(f"no location {location_gid!r} in the simulator")
        return item.number, location.number

    def primary_location(self) -> Location | None:
        active = [loc for loc in self.locations.values() if loc.active]
        return min(active, key=lambda loc: loc.number) if active else None

    def duplicate_sku_count(self, item: InventoryItem) -> int:
        if not item.sku:
            return 0
        same = [i for i in self.items.values() if i.sku == item.sku]
        return len(same) - 1

    def levels_of_item(self, item_number: int) -> list[Level]:
        # By location (a shop has few), not by scanning every level: a bulk snapshot
        # asks this of every item.
        found = (
            self.levels.get((item_number, location)) for location in self.locations
        )
        return sorted(
            (lvl for lvl in found if lvl is not None),
            key=lambda lvl: lvl.location_number,
        )

    def levels_at(self, location_number: int) -> list[Level]:
        found = [lvl for key, lvl in self.levels.items() if key[1] == location_number]
        return sorted(found, key=lambda lvl: lvl.item_number)

    def token(self, value: str | None) -> Token | None:
        """The token if it exists and has not expired on the virtual clock."""
        if not value:
            return None
        token = self.tokens.get(value)
        if token is None:
            return None
        if token.expires_at is not None and self.clock.now() >= token.expires_at:
            return None
        return token
