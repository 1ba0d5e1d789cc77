"""The public face of the simulator: start it, stock it, break it, read its counters."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .bulk import refresh
from .clock import RealClock, VirtualClock
from .endpoint import Settings
from .faults import DEFAULT_RATE_KINDS, Faults
from .schema import executable_schema
from .server import Page, serve
from .state import (
    App,
    InventoryItem,
    Level,
    Location,
    Product,
    Shop,
    Stats,
    Token,
    Variant,
    VariantHandle,
)
from .subscriptions import create_subscription
from .webhooks import LEVEL_CONNECT, TOPIC_SCOPES, Webhooks

DEFAULT_SCOPES = (
    "read_products",
    "read_inventory",
    "write_inventory",
    "read_locations",
)
UNSTOCKED_MODES = ("error", "error_no_code", "stock")
SET_BATCH_MODES = ("all_or_nothing", "partial")


class Simulator:
    """A simulated Shopify shop serving the Admin GraphQL API on loopback.

    ``with Simulator(plan="standard") as sim:`` starts it on an ephemeral port; GraphQL
    is at ``POST {sim.base_url}/admin/api/{version}/graphql.json``.  Time is virtual
    (``sim.clock``); only fault stalls (``timeout_delay``) take real time.
    ``realtime=True`` makes the clock follow real time instead (``RealClock``), for
    clients in another process that pace themselves with ``time.sleep``.
    ``host``/``port`` choose where it listens (loopback only; port 0: any free one).
    ``shop``: serve a shop restored from a saved state (``persist.load``) instead of
    a new one; its own plan, domain and clock then apply.
    """

    def __init__(
        self,
        plan: str = "standard",
        *,
        domain: str = "sim-shop.myshopify.com",
        realtime: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
        shop: Shop | None = None,
    ) -> None:
        if shop is None:
            shop = Shop(plan, RealClock() if realtime else VirtualClock(), domain)
        self.shop = shop
        self.clock = shop.clock
        self.domain = shop.domain
        self.faults = Faults()
        self.settings = Settings()
        self.pages: dict[tuple[str, str], Page] = {}
        executable_schema()  # build before the first request, not during it
        self._server, self._thread = serve(self, host, port)
        self.base_url = f"http://{host}:{self._server.server_address[1]}"

    # Life cycle -----------------------------------------------------------------

    def __enter__(self) -> Simulator:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def route(self, method: str, path: str, page: Page) -> None:
        """Serve ``page`` for ``method`` (GET, POST) on ``path``, a path none of
        Shopify's routes takes (they are matched first)."""
        self.pages[(method.upper(), path)] = page

    # Settings ---------------------------------------------------------------------

    @property
    def plan(self) -> str:
        return self.shop.plan

    @property
    def timeout_delay(self) -> float:
        """REAL seconds a ``timeout`` / ``timeout_after_apply`` fault stalls."""
        return self.settings.timeout_delay

    @timeout_delay.setter
    def timeout_delay(self, seconds: float) -> None:
        self.settings.timeout_delay = float(seconds)

    @property
    def throttle_http_status(self) -> int:
        """200: THROTTLED as HTTP 200 + errors; 429: HTTP 429 + Retry-After."""
        return self.settings.throttle_http_status

    @throttle_http_status.setter
    def throttle_http_status(self, status: int) -> None:
        if status not in (200, 429):
            raise ValueError("throttle_http_status is 200 or 429")
        self.settings.throttle_http_status = status

    @property
    def unstocked_set(self) -> str:
        """``"error"``: a set on an unstocked pair is INVALID_LOCATION;
        ``"error_no_code"``: the same user error with ``code: null`` (the 2026-10
        schema allows it); ``"stock"``: the pair is stocked and set."""
        return self.shop.unstocked_set

    @unstocked_set.setter
    def unstocked_set(self, mode: str) -> None:
        if mode not in UNSTOCKED_MODES:
            raise ValueError(f"unstocked_set is one of {UNSTOCKED_MODES}")
        self.shop.unstocked_set = mode

    @property
    def set_batches(self) -> str:
        """``"all_or_nothing"`` (default): a set with any user error applies nothing;
        ``"partial"``: the quantities without an error are applied (the answer then
        carries both the adjustment group and the user errors)."""
        return self.shop.set_batches

    @set_batches.setter
    def set_batches(self, mode: str) -> None:
        if mode not in SET_BATCH_MODES:
            raise ValueError(f"set_batches is one of {SET_BATCH_MODES}")
        self.shop.set_batches = mode

    # Catalogue ----------------------------------------------------------------------

    def add_location(
        self,
        name: str,
        active: bool = True,
        fulfillment_service: bool = False,
        fulfills_online_orders: bool = True,
        *,
        legacy: bool = False,
    ) -> str:
        """Add a location; returns its GID."""
        with self.shop.lock:
            now = self.clock.now()
            loc = Location(
                self.shop.next_number("Location"),
                name,
                active=active,
                fulfillment_service=fulfillment_service,
                fulfills_online_orders=fulfills_online_orders,
                legacy=legacy,
                created_at=now,
                deactivated_at=None if active else now,
            )
            self.shop.locations[loc.number] = loc
            self.shop.location_changed(loc, "LOCATIONS_CREATE")
            return loc.gid

    def set_location_active(self, location_gid: str, active: bool) -> None:
        with self.shop.lock:
            loc = self._location(location_gid)
            loc.active = active
            loc.deactivated_at = None if active else self.clock.now()
            topic = "LOCATIONS_ACTIVATE" if active else "LOCATIONS_DEACTIVATE"
            self.shop.location_changed(loc, topic)

    def add_variant(
        self,
        sku: str | None,
        barcode: str | None = None,
        tracked: bool = True,
        title: str = "Default Title",
        product_title: str | None = None,
    ) -> VariantHandle:
        """Add a variant with its inventory item (and its product, shared by title)."""
        with self.shop.lock:
            shop = self.shop
            product_title = product_title or (sku or "Product")
            product = next(
                (p for p in shop.products.values() if p.title == product_title), None
            )
            if product is None:
                product = Product(shop.next_number("Product"), product_title)
                shop.products[product.number] = product
            now = self.clock.now()
            number = shop.next_number("ProductVariant")
            item = InventoryItem(
                shop.next_number("InventoryItem"), sku, tracked, number, now, now
            )
            variant = Variant(number, sku, barcode, title, product.number, item.number)
            shop.items[item.number] = item
            shop.variants[variant.number] = variant
            return VariantHandle(variant.gid, item.gid, product.gid, sku, barcode)

    def edit_variant(
        self, variant_gid: str, *, sku: str | None = None, barcode: str | None = None
    ) -> None:
        """Change a variant's SKU (on its inventory item too) and barcode, as the
        merchant does in Shopify's admin; ``None`` keeps the value."""
        with self.shop.lock:
            variant = self.shop.variant(variant_gid)
            if variant is None:
                raise KeyError(f"no variant {variant_gid!r} in the simulator")
            if sku is not None:
                variant.sku = sku
                self.shop.items[variant.item_number].sku = sku
            if barcode is not None:
                variant.barcode = barcode

    def set_tracked(self, item_gid: str, tracked: bool) -> None:
        with self.shop.lock:
            self._item(item_gid).tracked = tracked

    def make_immutable(self, item_gid: str) -> None:
        """Make the item a parent bundle: sets answer NON_MUTABLE_INVENTORY_ITEM."""
        with self.shop.lock:
            self._item(item_gid).mutable = False

    # Stock ------------------------------------------------------------------------

    def set_level(
        self, item_gid: str, location_gid: str, available: int = 0, committed: int = 0
    ) -> None:
        """Stock the item at the location with these quantities (on_hand = sum).

        Like any change, queues its webhooks (a new level: connect, then update)."""
        with self.shop.lock:
            pair = self.shop.require_pair(item_gid, location_gid)
            now = self.clock.now()
            level = self.shop.levels.get(pair)
            if level is None:
                level = Level(*pair, created_at=now, updated_at=now)
                self.shop.levels[pair] = level
                self.shop.level_changed(level, LEVEL_CONNECT)
            level.available, level.committed = available, committed
            level.touch(now, "available", "committed", "on_hand")
            self.shop.level_changed(level)

    def unstock(self, item_gid: str, location_gid: str) -> None:
        """Remove the item's level at the location (as if deactivated there)."""
        with self.shop.lock:
            pair = self.shop.require_pair(item_gid, location_gid)
            if self.shop.levels.pop(pair, None) is not None:
                self.shop.level_disconnected(*pair)

    def level(self, item_gid: str, location_gid: str) -> dict[str, int] | None:
        """``{"available", "on_hand", "committed"}`` of a pair; None if not stocked."""
        with self.shop.lock:
            level = self.shop.levels.get(self.shop.require_pair(item_gid, location_gid))
            return None if level is None else level.as_dict()

    def place_order(self, item_gid: str, location_gid: str, qty: int) -> None:
        """A sale on Shopify: available -= qty, committed += qty, on_hand unchanged."""
        with self.shop.lock:
            level = self._stocked(item_gid, location_gid)
            level.available -= qty
            level.committed += qty
            level.touch(self.clock.now(), "available", "committed")
            self.shop.level_changed(level)

    def cancel_order(self, item_gid: str, location_gid: str, qty: int) -> None:
        """An unfulfilled sale is cancelled: committed -= qty, available += qty."""
        with self.shop.lock:
            level = self._stocked(item_gid, location_gid)
            if qty > level.committed:
                raise ValueError(
                    f"only {level.committed} committed, cannot cancel {qty}"
                )
            level.available += qty
            level.committed -= qty
            level.touch(self.clock.now(), "available", "committed")
            self.shop.level_changed(level)

    def fulfil_order(self, item_gid: str, location_gid: str, qty: int) -> None:
        """The sale ships: committed -= qty, on_hand -= qty."""
        with self.shop.lock:
            level = self._stocked(item_gid, location_gid)
            if qty > level.committed:
                raise ValueError(
                    f"only {level.committed} committed, cannot fulfil {qty}"
                )
            level.committed -= qty
            level.touch(self.clock.now(), "committed", "on_hand")
            self.shop.level_changed(level)

    def edit_on_hand(
        self,
        item_gid: str,
        location_gid: str,
        delta: int | None = None,
        *,
        value: int | None = None,
    ) -> dict[str, int]:
        """A merchant's manual edit in the Shopify admin: on_hand moves by ``delta``
        (or to ``value``), available with it, committed not.  Returns the level."""
        if (delta is None) == (value is None):
            raise ValueError("give delta or value, not both")
        with self.shop.lock:
            level = self._stocked(item_gid, location_gid)
            change = delta if delta is not None else value - level.on_hand  # type: ignore[operator]
            level.available += change
            level.touch(self.clock.now(), "available", "on_hand")
            self.shop.level_changed(level)
            return level.as_dict()

    # Webhooks -----------------------------------------------------------------------

    @property
    def webhooks(self) -> Webhooks:
        """Subscriptions and deliveries: ``sim.webhooks.deliver()``, ``.payloads()``,
        ``.pending``, ``.sent`` (see ``webhooks.Webhooks``)."""
        return self.shop.webhooks

    @property
    def webhook_secret(self) -> str:
        """The app's client secret that signs deliveries queued from now on."""
        return self.shop.webhooks.secret

    @webhook_secret.setter
    def webhook_secret(self, secret: str) -> None:
        if not secret:
            raise ValueError("the webhook secret cannot be empty")
        with self.shop.lock:
            self.shop.webhooks.secret = secret

    def add_subscription(self, topic: str, uri: str, format: str = "JSON") -> str:  # noqa: A002
        """A webhook subscription made without the API (no checks); returns its GID."""
        if topic not in TOPIC_SCOPES:
            raise ValueError(f"the simulator emits no {topic!r}")
        with self.shop.lock:
            return create_subscription(self.shop, topic, uri, format).gid

    def subscriptions(self) -> list[tuple[str, str, str]]:
        """``(gid, topic, uri)`` of every subscription, oldest first."""
        with self.shop.lock:
            return [
                (s.gid, s.topic, s.uri)
                for _, s in sorted(self.shop.webhooks.subscriptions.items())
            ]

    # Credentials --------------------------------------------------------------------

    def add_app(
        self,
        client_id: str,
        client_secret: str,
        scopes: Iterable[str] = DEFAULT_SCOPES,
        expires_in: int = 86399,
    ) -> None:
        """An app installed on the shop, for the client-credentials grant."""
        with self.shop.lock:
            app = App(client_id, client_secret, tuple(scopes), int(expires_in))
            self.shop.apps[client_id] = app

    def add_token(self, token: str, scopes: Iterable[str] = DEFAULT_SCOPES) -> str:
        """A legacy custom app's Admin API token (no expiry)."""
        with self.shop.lock:
            self.shop.tokens[token] = Token(token, frozenset(scopes))
            return token

    def revoke_tokens(self, client_id: str | None = None) -> int:
        """Revoke the granted tokens (of one app, or all); legacy tokens stay."""
        with self.shop.lock:
            revoked = [
                value
                for value, token in self.shop.tokens.items()
                if token.client_id is not None
                and (client_id is None or token.client_id == client_id)
            ]
            for value in revoked:
                del self.shop.tokens[value]
            return len(revoked)

    def revoke_token(self, token: str) -> None:
        with self.shop.lock:
            self.shop.tokens.pop(token, None)

    # Faults -------------------------------------------------------------------------

    def inject(self, kind: str, count: int = 1, operation: str | None = None) -> None:
        """The next ``count`` GraphQL requests (of ``operation`` only, if given) get
        the fault ``kind`` (see ``faults.KINDS``)."""
        with self.shop.lock:
            self.faults.inject(kind, count, operation)

    def fault_rate(
        self, rate: float, kinds: Iterable[str] = DEFAULT_RATE_KINDS, seed: int = 0
    ) -> None:
        """Random faults on ``rate`` of GraphQL requests, repeatable with ``seed``."""
        with self.shop.lock:
            self.faults.set_rate(rate, kinds, seed)

    # Counters -----------------------------------------------------------------------

    @property
    def stats(self) -> Stats:
        return self.shop.stats

    def reset_stats(self) -> None:
        with self.shop.lock:
            self.shop.stats = Stats()

    def throttle_status(self) -> dict[str, Any]:
        """The bucket now, as ``extensions.cost.throttleStatus`` would show it."""
        with self.shop.lock:
            self.shop.bucket.refill(self.clock.now())
            return self.shop.bucket.status()

    def bulk_file(self, number: int) -> bytes | None:
        """The JSONL of a completed bulk operation (what its URL serves)."""
        with self.shop.lock:
            op = self.shop.bulk_operations.get(number)
            if op is None:
                return None
            refresh(executable_schema(), self.shop, op)
            return op.data if op.status == "COMPLETED" else None

    # Helpers ------------------------------------------------------------------------

    def _item(self, gid: str) -> InventoryItem:
        item = self.shop.item(gid)
        if item is None:
            raise KeyError(f"no inventory item {gid!r} in the simulator")
        return item

    def _location(self, gid: str) -> Location:
        loc = self.shop.location(gid)
        if loc is None:
            raise KeyError(f"no location {gid!r} in the simulator")
        return loc

    def _stocked(self, item_gid: str, location_gid: str) -> Level:
        level = self.shop.levels.get(self.shop.require_pair(item_gid, location_gid))
        if level is None:
            raise ValueError(f"{item_gid} is not stocked at {location_gid}")
        return level
