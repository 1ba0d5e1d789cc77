"""Reading from Shopify: locations, variants, and levels (batched or in bulk).

Read-only: nothing here writes to a shop (the audit relies on that).  Writing quantities
is :mod:`.push`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .data import LevelKey, Location, ShopifyLevel, Variant
from .shopify import documents
from .shopify.client import ShopifyClient
from .shopify.errors import RequestError, TransientError

PAGE_SIZE = 250  # Shopify's largest page and input array
# Requested cost of one level in LEVELS: the node, its item, its location, quantities.
LEVEL_COST = 4


def list_locations(client: ShopifyClient) -> list[Location]:
    """Every location of the shop, deactivated and legacy ones included."""
    locations = []
    after = None
    while True:
        data = client.execute(
            documents.LOCATIONS, {"first": PAGE_SIZE, "after": after}
        )["locations"]
        for node in data["nodes"]:
            locations.append(
                Location(
                    id=node["id"],
                    name=node["name"],
                    active=bool(node["isActive"]),
                    fulfills_online_orders=bool(node["fulfillsOnlineOrders"]),
                    fulfillment_service=bool(node["isFulfillmentService"]),
                )
            )
        if not data["pageInfo"]["hasNextPage"]:
            return locations
        after = data["pageInfo"]["endCursor"]


def iter_variants(
    client: ShopifyClient, query: str | None = None, page_size: int = PAGE_SIZE
) -> Iterator[Variant]:
    """Every product variant (optionally filtered by a Shopify search ``query``)."""
    after = None
    while True:
        data = client.execute(
            documents.VARIANTS, {"first": page_size, "after": after, "query": query}
        )["productVariants"]
        for node in data["nodes"]:
            item = node["inventoryItem"]
            yield Variant(
                id=node["id"],
                inventory_item_id=item["id"],
                sku=node.get("sku"),
                barcode=node.get("barcode"),
                tracked=bool(item["tracked"]),
                title=node.get("title") or "",
                product_title=(node.get("product") or {}).get("title") or "",
            )
        if not data["pageInfo"]["hasNextPage"]:
            return
        after = data["pageInfo"]["endCursor"]


def read_levels(
    client: ShopifyClient, keys: Iterable[LevelKey]
) -> dict[LevelKey, ShopifyLevel]:
    """Shopify's levels for many pairs: one call per 250 pairs, any locations mixed."""
    return {key: level_from_node(key, node) for key, node in level_nodes(client, keys)}


def level_nodes(
    client: ShopifyClient, keys: Iterable[LevelKey]
) -> Iterator[tuple[LevelKey, dict | None]]:
    """The raw LEVELS node of each pair (None: not stocked), 250 pairs a call."""
    unique = sorted(set(keys))
    for start in range(0, len(unique), PAGE_SIZE):
        batch = unique[start : start + PAGE_SIZE]
        nodes = client.execute(
            documents.LEVELS,
            {"ids": [key.level_gid for key in batch]},
            estimated_cost=len(batch) * LEVEL_COST,
        )["nodes"]
        yield from zip(batch, nodes, strict=True)


def level_from_node(key: LevelKey, node: dict | None) -> ShopifyLevel:
    if not node:
        return ShopifyLevel(key=key, stocked=False)
    quantities = {q["name"]: q["quantity"] for q in node.get("quantities") or ()}
    item = node.get("item") or {}
    return ShopifyLevel(
        key=key,
        stocked=True,
        available=quantities.get("available"),
        on_hand=quantities.get("on_hand"),
        committed=quantities.get("committed"),
        tracked=item.get("tracked"),
        active=node.get("isActive"),
        updated_at=node.get("updatedAt"),
    )


@dataclass(frozen=True)
class SnapshotLevel:
    """One level of a bulk snapshot, with the item's SKU and tracked flag."""

    level: ShopifyLevel
    sku: str | None


def snapshot_levels(
    client: ShopifyClient,
    *,
    poll_every: float = 2.0,
    give_up_after: float = 6 * 3600.0,
) -> Iterator[SnapshotLevel]:
    """Every level of the catalogue through a bulk operation, streamed line by line.

    The JSONL file is read as a stream: memory stays flat whatever the catalogue size
    (items are kept only by id, to join each level line to its item line).
    """
    started = client.clock()
    operation = client.execute(
        documents.BULK_RUN_QUERY, {"query": documents.BULK_LEVELS}
    )["bulkOperationRunQuery"]
    if operation["userErrors"]:
        error = operation["userErrors"][0]
        raise RequestError(
            f"Shopify refused the bulk snapshot: {error['message']}",
            code=error.get("code"),
        )
    operation_id = operation["bulkOperation"]["id"]
    while True:
        state = client.execute(documents.BULK_OPERATION, {"id": operation_id})[
            "bulkOperation"
        ]
        status = state["status"]
        if status == "COMPLETED":
            break
        if status in ("FAILED", "CANCELED", "CANCELING", "EXPIRED"):
            raise RequestError(
                f"Shopify's bulk snapshot ended {status} "
                f"({state.get('errorCode') or 'no error code'}).",
                code=state.get("errorCode"),
            )
        if client.clock() - started > give_up_after:
            raise TransientError(
                f"Shopify's bulk snapshot is still {status} after "
                f"{give_up_after:.0f} s.",
                retry_after=poll_every,
            )
        client.sleep(poll_every)
    if not state.get("url"):
        return  # an empty catalogue has no file
    yield from _read_jsonl(client, state["url"])


def _read_jsonl(client: ShopifyClient, url: str) -> Iterator[SnapshotLevel]:
    items: dict[str, tuple[str | None, bool]] = {}
    try:
        response = client.session.get(url, stream=True, timeout=client.timeout)
    except Exception as exc:  # requests raises many kinds; all are transient here
        raise TransientError(
            f"Could not download the bulk snapshot ({type(exc).__name__})."
        ) from None
    with response:
        if response.status_code != 200:
            raise TransientError(
                f"The bulk snapshot download failed (HTTP {response.status_code}).",
                status=response.status_code,
            )
        for raw in response.iter_lines():
            if not raw:
                continue
            row = json.loads(raw)
            parent = row.get("__parentId")
            if parent is None:
                items[row["id"]] = (row.get("sku"), bool(row.get("tracked")))
                continue
            sku, tracked = items.get(parent, (None, None))
            key = LevelKey(parent, row["location"]["id"])
            quantities = {q["name"]: q["quantity"] for q in row.get("quantities") or ()}
            yield SnapshotLevel(
                ShopifyLevel(
                    key=key,
                    stocked=True,
                    available=quantities.get("available"),
                    on_hand=quantities.get("on_hand"),
                    committed=quantities.get("committed"),
                    tracked=tracked,
                ),
                sku,
            )
