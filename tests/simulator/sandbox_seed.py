"""The sandbox shop: plain data, and :func:`seed` to stock a ``Simulator`` with it.

Importing this module starts nothing and reads no file: Odoo's seeding script imports
it to create the matching Odoo products and stock.

- 3 Shopify locations, :data:`LOCATIONS`.  The sandbox's Odoo maps Odoo sub-location
  ``"A"`` to the first (Odoo -> Shopify) and ``"B"`` to the second (two-way); the third
  is left unmapped (its stock is what a bulk snapshot calls an unmapped location).
- 21 variants, :data:`PRODUCTS`: two T-shirts and a hoodie in sizes, homeware, one SKU
  on two variants (``MUG-TRAVEL``: an old listing kept alive, no barcode, so nothing
  links it), one variant without a SKU (linked by its barcode), one variant not stocked
  at the first location although Odoo has some, a few open orders (committed units),
  and a few quantities on which Shopify and Odoo disagree (``note`` says which).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import TYPE_CHECKING

from .simulator import DEFAULT_SCOPES
from .webhooks import TOPIC_SCOPES

if TYPE_CHECKING:
    from .simulator import Simulator
    from .state import VariantHandle

DOMAIN = "sandbox-shop.myshopify.com"
CLIENT_ID = "sandbox-client-id-0001"
CLIENT_SECRET = "shpss_sandbox_client_secret_0001"
# What the addon needs (DEFAULT_SCOPES are the engine's REQUIRED_SCOPES) and what every
# webhook topic the simulator emits needs, each once, in that order.
SCOPES: tuple[str, ...] = tuple(
    dict.fromkeys(
        [*DEFAULT_SCOPES, *(s for needed in TOPIC_SCOPES.values() for s in needed)]
    )
)

MAIN, DOWNTOWN, ONLINE = "Main Warehouse", "Downtown Store", "Online Fulfilment"
LOCATIONS: tuple[str, ...] = (MAIN, DOWNTOWN, ONLINE)
ODOO_SUBLOCATIONS: tuple[str, ...] = ("A", "B")  # A <-> MAIN, B <-> DOWNTOWN


@dataclass(frozen=True)
class SandboxVariant:
    """One Shopify variant of the sandbox and its Odoo product's stock.

    ``sku`` / ``barcode``: ``""`` when the variant has none.  ``shopify``: on hand per
    location name (set as ``available``, before ``open_orders`` move units to
    committed); a location missing from it does not stock the variant.  ``odoo``: on
    hand per Odoo sub-location key (``"A"``, ``"B"``).  ``open_orders``: (location name,
    quantity) of orders placed and not fulfilled.  ``key``: how :func:`seed`'s result
    names it, the SKU when no other variant has it, else ``"Product / Variant"``.
    """

    product: str
    variant: str
    sku: str
    barcode: str
    shopify: Mapping[str, int] = field(hash=False)
    odoo: Mapping[str, int] = field(hash=False)
    open_orders: tuple[tuple[str, int], ...] = ()
    note: str = ""
    key: str = ""


def _ean13(number: int) -> str:
    """An EAN-13 in the in-store range 20..., with its check digit."""
    digits = f"200000{number:06d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits))
    return digits + str((10 - total % 10) % 10)


def _variant(
    product: str,
    variant: str,
    sku: str,
    barcode: int | None,
    shopify: tuple[int | None, int | None, int | None],
    odoo: tuple[int, int],
    orders: tuple[tuple[str, int], ...] = (),
    note: str = "",
) -> SandboxVariant:
    pairs = zip(LOCATIONS, shopify, strict=True)
    levels = {name: qty for name, qty in pairs if qty is not None}
    return SandboxVariant(
        product,
        variant,
        sku,
        "" if barcode is None else _ean13(barcode),
        MappingProxyType(levels),
        MappingProxyType(dict(zip(ODOO_SUBLOCATIONS, odoo, strict=True))),
        orders,
        note,
    )


_ROWS = (
    _variant("Classic Tee", "S", "TEE-CLS-S", 1, (12, 4, 0), (12, 4), ((MAIN, 1),)),
    _variant("Classic Tee", "M", "TEE-CLS-M", 2, (15, 5, 0), (15, 5), ((DOWNTOWN, 1),)),
    _variant(
        "Classic Tee",
        "L",
        "TEE-CLS-L",
        3,
        (9, 3, 0),
        (11, 3),
        note="mismatch at Main Warehouse: Odoo 11, Shopify 9",
    ),
    _variant("Organic Tee", "S", "TEE-ORG-S", 4, (6, 2, 2), (6, 2)),
    _variant(
        "Organic Tee",
        "M",
        "TEE-ORG-M",
        5,
        (8, 2, 2),
        (8, 4),
        note="mismatch at Downtown Store (two-way: reported): Odoo 4, Shopify 2",
    ),
    _variant("Organic Tee", "L", "TEE-ORG-L", 6, (5, 1, 0), (5, 1), ((MAIN, 2),)),
    _variant("Zip Hoodie", "M", "HOOD-ZIP-M", 7, (7, 2, 0), (7, 2)),
    _variant(
        "Zip Hoodie",
        "L",
        "HOOD-ZIP-L",
        8,
        (4, 0, 0),
        (6, 0),
        note="mismatch at Main Warehouse: Odoo 6, Shopify 4",
    ),
    _variant("Canvas Tote", "Default Title", "TOTE-CNV", 9, (20, 6, 10), (20, 6)),
    _variant("Ceramic Mug", "White", "MUG-WHT", 10, (14, 8, 0), (14, 8)),
    _variant(
        "Ceramic Mug", "Black", "MUG-BLK", 11, (10, 5, 0), (10, 5), ((DOWNTOWN, 2),)
    ),
    _variant(
        "Travel Mug",
        "Default Title",
        "MUG-TRAVEL",
        None,
        (6, 2, 0),
        (6, 2),
        note="duplicate SKU in Shopify (with the old listing): cannot be linked",
    ),
    _variant(
        "Travel Mug (old listing)",
        "Default Title",
        "MUG-TRAVEL",
        None,
        (0, 0, 0),
        (0, 0),
        note="duplicate SKU in Shopify",
    ),
    _variant("Water Bottle", "Default Title", "BTL-WTR", 14, (18, 7, 5), (18, 7)),
    _variant("Wool Beanie", "Grey", "BEANIE-GRY", 15, (9, 3, 0), (9, 3)),
    _variant(
        "Wool Beanie",
        "Navy",
        "BEANIE-NVY",
        16,
        (3, 1, 0),
        (0, 1),
        note="mismatch at Main Warehouse: Odoo 0, Shopify still sells 3",
    ),
    _variant(
        "Leather Wallet",
        "Default Title",
        "WALLET-LTH",
        17,
        (5, 2, 0),
        (5, 2),
        ((MAIN, 1),),
    ),
    _variant(
        "Notebook A5",
        "Default Title",
        "NOTE-A5",
        18,
        (25, 10, 0),
        (25, 12),
        note="mismatch at Downtown Store (two-way: reported): Odoo 12, Shopify 10",
    ),
    _variant("Enamel Pin Set", "Default Title", "PIN-SET", 19, (30, 12, 0), (30, 12)),
    _variant(
        "Sticker Pack",
        "Default Title",
        "",
        20,
        (40, 15, 0),
        (40, 15),
        note="no SKU in Shopify: linked by its barcode",
    ),
    _variant(
        "Scented Candle",
        "Default Title",
        "CANDLE-01",
        21,
        (None, 4, 0),
        (3, 4),
        note="not stocked at Main Warehouse in Shopify although Odoo has 3",
    ),
)


def _keyed(rows: tuple[SandboxVariant, ...]) -> tuple[SandboxVariant, ...]:
    """Each row with its ``key``: its SKU when unique and not blank, else titles."""
    skus = Counter(row.sku for row in rows)
    return tuple(
        replace(
            row,
            key=row.sku
            if row.sku and skus[row.sku] == 1
            else f"{row.product} / {row.variant}",
        )
        for row in rows
    )


PRODUCTS: tuple[SandboxVariant, ...] = _keyed(_ROWS)


@dataclass(frozen=True)
class Seeded:
    """What :func:`seed` made: location GIDs by name, variants by ``key``."""

    locations: Mapping[str, str]
    variants: Mapping[str, VariantHandle]


def seed(sim: Simulator) -> Seeded:
    """Stock ``sim`` with the sandbox shop: the app (``CLIENT_ID``/``CLIENT_SECRET``
    with :data:`SCOPES`, its secret signing webhooks), the locations, the variants,
    their levels and open orders.  Call it once, on an empty simulator."""
    sim.add_app(CLIENT_ID, CLIENT_SECRET, SCOPES)
    sim.webhook_secret = CLIENT_SECRET
    locations = {name: sim.add_location(name) for name in LOCATIONS}
    variants = {}
    for row in PRODUCTS:
        handle = sim.add_variant(
            sku=row.sku,
            barcode=row.barcode or None,
            title=row.variant,
            product_title=row.product,
        )
        for name, on_hand in row.shopify.items():
            sim.set_level(handle.inventory_item_id, locations[name], available=on_hand)
        for name, qty in row.open_orders:
            sim.place_order(handle.inventory_item_id, locations[name], qty)
        variants[row.key] = handle
    return Seeded(MappingProxyType(locations), MappingProxyType(variants))
