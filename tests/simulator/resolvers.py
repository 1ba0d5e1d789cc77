"""Resolvers of the read side: the query root and the objects it reaches."""

from __future__ import annotations

import re
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo

from . import gids
from .connections import connection
from .context import attributes, context, resolver
from .search import matches
from .state import (
    QUANTITY_NAMES,
    InventoryItem,
    Level,
    Location,
    Product,
    Shop,
    Variant,
)

GLOBAL_ID = re.compile(r"^gid://shopify/[A-Za-z]+/\S+$")
PLAN_NAMES = {"standard": "Shopify", "advanced": "Advanced", "plus": "Plus"}


def find_node(shop: Shop, gid: object) -> Any | None:
    """The object a GID names, or None (unknown kind, unknown id, not stocked)."""
    kind = gids.kind_of(gid)
    if kind == "InventoryLevel":
        return shop.level(gid)
    if kind == "Location":
        return shop.location(gid)
    if kind == "InventoryItem":
        return shop.item(gid)
    if kind == "ProductVariant":
        return shop.variant(gid)
    if kind == "Product":
        number = gids.parse(gid, "Product")
        return shop.products.get(number) if number is not None else None
    if kind == "BulkOperation":
        number = gids.parse(gid, "BulkOperation")
        return shop.bulk_operations.get(number) if number is not None else None
    if kind == "WebhookSubscription":
        number = gids.parse(gid, "WebhookSubscription")
        return shop.webhooks.subscriptions.get(number) if number is not None else None
    if kind == "Shop" and gid == shop.gid:
        return shop
    return None


def resolve_type(value: Any, _info: GraphQLResolveInfo, _type: Any) -> str:
    """Type resolver of the ``Node`` interface: every state object names its type."""
    return value.typename


# QueryRoot --------------------------------------------------------------------------


@resolver("QueryRoot", "shop")
def shop(_root: Any, info: GraphQLResolveInfo) -> Shop:
    return context(info).shop


@resolver("QueryRoot", "currentAppInstallation")
def current_app_installation(_root: Any, info: GraphQLResolveInfo) -> dict[str, Any]:
    scopes = sorted(context(info).scopes)
    return {
        "id": "gid://shopify/AppInstallation/1",
        "accessScopes": [
            {"handle": s, "description": f"Access scope {s}."} for s in scopes
        ],
    }


@resolver("QueryRoot", "locations")
def locations(
    _root: Any,
    info: GraphQLResolveInfo,
    includeInactive: bool = False,
    includeLegacy: bool = False,
    query: str | None = None,
    **page: Any,
) -> dict[str, Any]:
    found = [
        loc
        for loc in context(info).shop.locations.values()
        if (loc.active or includeInactive)
        and (not loc.legacy or includeLegacy)
        and matches(query, _location_fields(loc), ("name",))
    ]
    found.sort(key=lambda loc: (loc.name.casefold(), loc.number))  # sortKey NAME
    return connection(found, lambda loc: loc.number, **page)


def _location_fields(loc: Location) -> dict[str, list[str | None]]:
    return {
        "name": [loc.name],
        "id": [str(loc.number)],
        "location_id": [str(loc.number)],
        "active": [str(loc.active).lower()],
        "legacy": [str(loc.legacy).lower()],
    }


@resolver("QueryRoot", "location")
def location(
    _root: Any, info: GraphQLResolveInfo, id: str | None = None
) -> Location | None:
    shop = context(info).shop
    return shop.primary_location() if id is None else shop.location(id)


@resolver("QueryRoot", "productVariants")
def product_variants(
    _root: Any, info: GraphQLResolveInfo, query: str | None = None, **page: Any
) -> dict[str, Any]:
    shop = context(info).shop
    found = [
        v
        for _, v in sorted(shop.variants.items())
        if matches(query, _variant_fields(shop, v))
    ]
    return connection(found, lambda v: v.number, **page)


def _variant_fields(shop: Shop, variant: Variant) -> dict[str, list[str | None]]:
    product = shop.products[variant.product_number]
    return {
        "sku": [variant.sku],
        "barcode": [variant.barcode],
        "title": [variant.title, product.title],
        "id": [str(variant.number)],
        "product_id": [str(product.number)],
        "inventory_item_id": [str(variant.item_number)],
    }


@resolver("QueryRoot", "productVariant")
def product_variant(_root: Any, info: GraphQLResolveInfo, id: str) -> Variant | None:
    return context(info).shop.variant(id)


@resolver("QueryRoot", "inventoryItems")
def inventory_items(
    _root: Any, info: GraphQLResolveInfo, query: str | None = None, **page: Any
) -> dict[str, Any]:
    shop = context(info).shop
    found = [
        item
        for _, item in sorted(shop.items.items())
        if matches(query, {"sku": [item.sku], "id": [str(item.number)]}, ("sku",))
    ]
    return connection(found, lambda item: item.number, **page)


@resolver("QueryRoot", "inventoryItem")
def inventory_item(
    _root: Any, info: GraphQLResolveInfo, id: str
) -> InventoryItem | None:
    return context(info).shop.item(id)


@resolver("QueryRoot", "inventoryLevel")
def inventory_level(_root: Any, info: GraphQLResolveInfo, id: str) -> Level | None:
    return context(info).shop.level(id)


def _check_global_ids(ids: list[str]) -> None:
    for gid in ids:
        if not GLOBAL_ID.match(gid):
            raise GraphQLError(
                f"Invalid global id '{gid}'",
                extensions={
                    "code": "argumentLiteralsIncompatible",
                    "typeName": "CoercionError",
                },
            )


@resolver("QueryRoot", "node")
def node(_root: Any, info: GraphQLResolveInfo, id: str) -> Any | None:
    _check_global_ids([id])
    return find_node(context(info).shop, id)


@resolver("QueryRoot", "nodes")
def nodes(_root: Any, info: GraphQLResolveInfo, ids: list[str]) -> list[Any | None]:
    _check_global_ids(ids)
    shop = context(info).shop
    shop.stats.nodes_read += len(ids)
    return [find_node(shop, gid) for gid in ids]


# Objects ----------------------------------------------------------------------------

attributes(
    "Shop",
    id=lambda shop: shop.gid,
    name=lambda shop: "Simulated Shop",
    myshopifyDomain=lambda shop: shop.domain,
    plan=lambda shop: {
        "partnerDevelopment": False,
        "publicDisplayName": PLAN_NAMES[shop.plan],
        "shopifyPlus": shop.plan == "plus",
    },
)


def _fulfillment_service(loc: Location) -> dict[str, Any] | None:
    if not loc.fulfillment_service:
        return None
    handle = "-".join(loc.name.lower().split())
    return {
        "id": gids.gid("FulfillmentService", loc.number),
        "handle": handle,
        "serviceName": loc.name,
        "inventoryManagement": True,
    }


@resolver("Location", "hasActiveInventory")
def location_has_inventory(loc: Location, info: GraphQLResolveInfo) -> bool:
    return bool(context(info).shop.levels_at(loc.number))


@resolver("Location", "deactivatedAt")
def location_deactivated_at(loc: Location, info: GraphQLResolveInfo) -> str | None:
    if loc.deactivated_at is None:
        return None
    return context(info).shop.clock.iso(loc.deactivated_at)


attributes(
    "Location",
    id=lambda loc: loc.gid,
    legacyResourceId=lambda loc: str(loc.number),
    isActive=lambda loc: loc.active,
    activatable=lambda loc: not loc.active,
    deactivatable=lambda loc: loc.active and not loc.fulfillment_service,
    fulfillsOnlineOrders=lambda loc: loc.fulfills_online_orders,
    isFulfillmentService=lambda loc: loc.fulfillment_service,
    fulfillmentService=_fulfillment_service,
    shipsInventory=lambda loc: False,
)


@resolver("Location", "inventoryLevel")
def location_level(
    loc: Location,
    info: GraphQLResolveInfo,
    inventoryItemId: str,
    includeInactive: bool = False,
) -> Level | None:
    shop = context(info).shop
    item = shop.item(inventoryItemId)
    level = shop.levels.get((item.number, loc.number)) if item else None
    return level if level and (loc.active or includeInactive) else None


@resolver("Location", "inventoryLevels")
def location_levels(
    loc: Location, info: GraphQLResolveInfo, includeInactive: bool = False, **page: Any
) -> dict[str, Any]:
    levels = context(info).shop.levels_at(loc.number)
    if not loc.active and not includeInactive:
        levels = []
    return connection(levels, lambda lvl: lvl.item_number, **page)


@resolver("InventoryItem", "inventoryLevel")
def item_level(
    item: InventoryItem,
    info: GraphQLResolveInfo,
    locationId: str,
    includeInactive: bool = False,
) -> Level | None:
    shop = context(info).shop
    loc = shop.location(locationId)
    level = shop.levels.get((item.number, loc.number)) if loc else None
    return level if level and (loc.active or includeInactive) else None  # type: ignore[union-attr]


@resolver("InventoryItem", "inventoryLevels")
def item_levels(
    item: InventoryItem,
    info: GraphQLResolveInfo,
    includeInactive: bool = False,
    **page: Any,
) -> dict[str, Any]:
    shop = context(info).shop
    levels = [
        lvl
        for lvl in shop.levels_of_item(item.number)
        if includeInactive or shop.locations[lvl.location_number].active
    ]
    return connection(levels, lambda lvl: lvl.location_number, **page)


@resolver("InventoryItem", "variant")
def item_variant(item: InventoryItem, info: GraphQLResolveInfo) -> Variant:
    return context(info).shop.variants[item.variant_number]


@resolver("InventoryItem", "variants")
def item_variants(
    item: InventoryItem, info: GraphQLResolveInfo, **page: Any
) -> dict[str, Any]:
    variant = context(info).shop.variants[item.variant_number]
    return connection([variant], lambda v: v.number, **page)


@resolver("InventoryItem", "duplicateSkuCount")
def item_duplicate_sku_count(item: InventoryItem, info: GraphQLResolveInfo) -> int:
    return context(info).shop.duplicate_sku_count(item)


@resolver("InventoryItem", "createdAt")
def item_created_at(item: InventoryItem, info: GraphQLResolveInfo) -> str:
    return context(info).shop.clock.iso(item.created_at)


@resolver("InventoryItem", "updatedAt")
def item_updated_at(item: InventoryItem, info: GraphQLResolveInfo) -> str:
    return context(info).shop.clock.iso(item.updated_at)


attributes(
    "InventoryItem",
    id=lambda item: item.gid,
    legacyResourceId=lambda item: str(item.number),
)


@resolver("InventoryLevel", "isActive")
def level_is_active(level: Level, info: GraphQLResolveInfo) -> bool:
    return context(info).shop.locations[level.location_number].active


@resolver("InventoryLevel", "item")
def level_item(level: Level, info: GraphQLResolveInfo) -> InventoryItem:
    return context(info).shop.items[level.item_number]


@resolver("InventoryLevel", "location")
def level_location(level: Level, info: GraphQLResolveInfo) -> Location:
    return context(info).shop.locations[level.location_number]


@resolver("InventoryLevel", "createdAt")
def level_created_at(level: Level, info: GraphQLResolveInfo) -> str:
    return context(info).shop.clock.iso(level.created_at)


@resolver("InventoryLevel", "updatedAt")
def level_updated_at(level: Level, info: GraphQLResolveInfo) -> str:
    return context(info).shop.clock.iso(level.updated_at)


@resolver("InventoryLevel", "quantities")
def level_quantities(
    level: Level, info: GraphQLResolveInfo, names: list[str]
) -> list[dict[str, Any]]:
    unknown = [name for name in names if name not in QUANTITY_NAMES]
    if unknown:
        raise GraphQLError(
            f"Invalid quantity names: {', '.join(unknown)}. Valid names are: "
            f"{', '.join(QUANTITY_NAMES)}."
        )
    clock = context(info).shop.clock
    return [
        {
            "id": f"gid://shopify/InventoryQuantity/{level.location_number}"
            f"?inventory_item_id={level.item_number}&name={name}",
            "name": name,
            "quantity": level.quantity(name),
            "updatedAt": clock.iso(level.quantity_updated_at(name)),
        }
        for name in names
    ]


attributes("InventoryLevel", id=lambda level: level.gid)


@resolver("ProductVariant", "product")
def variant_product(variant: Variant, info: GraphQLResolveInfo) -> Product:
    return context(info).shop.products[variant.product_number]


@resolver("ProductVariant", "inventoryItem")
def variant_item(variant: Variant, info: GraphQLResolveInfo) -> InventoryItem:
    return context(info).shop.items[variant.item_number]


@resolver("ProductVariant", "displayName")
def variant_display_name(variant: Variant, info: GraphQLResolveInfo) -> str:
    product = context(info).shop.products[variant.product_number]
    return f"{product.title} - {variant.title}"


@resolver("ProductVariant", "inventoryQuantity")
def variant_inventory_quantity(variant: Variant, info: GraphQLResolveInfo) -> int:
    shop = context(info).shop
    return sum(
        lvl.available
        for lvl in shop.levels_of_item(variant.item_number)
        if shop.locations[lvl.location_number].active
    )


attributes(
    "ProductVariant",
    id=lambda v: v.gid,
    legacyResourceId=lambda v: str(v.number),
)
attributes(
    "Product",
    id=lambda p: p.gid,
    legacyResourceId=lambda p: str(p.number),
)
