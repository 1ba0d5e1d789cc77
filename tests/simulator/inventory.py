"""The inventory mutations: ``inventorySetQuantities`` and ``inventoryActivate``.

Both need ``@idempotent(key:)`` (a runtime rule of 2026-04 and later).  A key remembers
the field, its arguments and the answer: the same key with the same arguments replays
the answer without applying anything again; with other arguments it is refused with
``IDEMPOTENCY_KEY_PARAMETER_MISMATCH``.  Answers carrying user errors are remembered
too, so a corrected retry needs a new key.

Modelled assumptions (Shopify does not document these; see FACTS.md):

* a batch is all-or-nothing: any user error and no quantity of the batch is applied
  (``Simulator.set_batches = "all_or_nothing"``, the default); or the quantities
  without an error are applied and the answer carries the adjustment group and the
  user errors (``"partial"``);
* an untracked item is refused with ``INVALID_INVENTORY_ITEM`` "The inventory item is
  not tracked";
* a set at a pair with no level is ``INVALID_LOCATION`` "The inventory item is not
  stocked at the location" (``Simulator.unstocked_set = "error"``), the same with
  ``code: null`` (``"error_no_code"``), or stocks the pair and sets it (``"stock"``);
* a deactivated or fulfillment-service location is ``INVALID_LOCATION``, for sets and
  activations alike (``stockAtLegacyLocation`` is not modelled);
* activating a pair that is already stocked answers its level and changes nothing;
* ``write_inventory`` does not imply ``read_inventory`` (ask for both).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from graphql import GraphQLError, GraphQLResolveInfo
from graphql.execution.values import get_directive_values

from . import gids
from .context import attributes, context, resolver
from .state import IdempotentCall, InventoryItem, Level, Location, Shop
from .webhooks import LEVEL_CONNECT

REASONS = frozenset(
    {
        "correction",
        "cycle_count_available",
        "damaged",
        "movement_canceled",
        "movement_created",
        "movement_received",
        "movement_updated",
        "other",
        "promotion",
        "quality_control",
        "received",
        "reservation_created",
        "reservation_deleted",
        "reservation_updated",
        "restock",
        "safety_stock",
        "shrinkage",
    }
)
SETTABLE_NAMES = ("available", "on_hand")
MAX_QUANTITY = 1_000_000_000
REFERENCE_DOCUMENT = re.compile(
    r"^gid://[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z][A-Za-z0-9_]*/[^\s/]+$"
)
MISMATCH = (
    "The same idempotency key cannot be used with different operation parameters."
)
NOT_STOCKED = "The inventory item is not stocked at the location"
NOT_TRACKED = "The inventory item is not tracked"
INACTIVE = "The location is deactivated and can't stock inventory."
FULFILLMENT_SERVICE = (
    "The location is a fulfillment service location; its inventory is managed by the "
    "fulfillment service."
)


@dataclass
class AdjustmentGroup:
    typename: ClassVar[str] = "InventoryAdjustmentGroup"
    number: int
    created_at: float
    reason: str
    reference_document_uri: str | None
    changes: list[dict[str, Any]] = field(default_factory=list)


def idempotency_key(info: GraphQLResolveInfo) -> str:
    """The ``@idempotent(key:)`` of the field being resolved; refuse when missing."""
    directive = info.schema.get_directive("idempotent")
    assert directive is not None
    values = get_directive_values(directive, info.field_nodes[0], info.variable_values)
    if values is None:
        raise GraphQLError(
            "The @idempotent directive is required for this mutation but was not "
            "provided.",
            info.field_nodes,
            extensions={"code": "BAD_REQUEST"},
        )
    key = values["key"]
    if not key.strip():
        raise GraphQLError(
            "The idempotency key cannot be an empty string or whitespace only.",
            info.field_nodes,
            extensions={"code": "BAD_REQUEST"},
        )
    return key


def once(
    info: GraphQLResolveInfo,
    args: dict[str, Any],
    apply: Callable[[str], dict[str, Any]],
    mismatch: dict[str, Any],
) -> dict[str, Any]:
    """Run ``apply(key)`` once per idempotency key; replay or refuse a reused key."""
    key = idempotency_key(info)
    shop = context(info).shop
    fingerprint = json.dumps(args, sort_keys=True, default=str)
    known = shop.idempotency.get(key)
    if known is not None:
        if known.field == info.field_name and known.fingerprint == fingerprint:
            shop.stats.replays += 1
            return known.payload
        return mismatch
    payload = apply(key)
    shop.idempotency[key] = IdempotentCall(info.field_name, fingerprint, payload)
    return payload


# inventorySetQuantities ------------------------------------------------------------


@resolver("Mutation", "inventorySetQuantities")
def inventory_set_quantities(
    _root: Any, info: GraphQLResolveInfo, input: dict[str, Any]
) -> dict[str, Any]:
    idempotency_key(info)
    for quantity in input["quantities"]:
        if "changeFromQuantity" not in quantity:  # omitted, not null: refused
            raise GraphQLError(
                "InventoryQuantityInput must include the following argument: "
                "changeFromQuantity",
                info.field_nodes,
                extensions={"code": "INVALID_FIELD_ARGUMENTS"},
            )
    shop = context(info).shop
    mismatch = _set_payload(
        None,
        [_error(["idempotencyKey"], "IDEMPOTENCY_KEY_PARAMETER_MISMATCH", MISMATCH)],
    )
    return once(
        info, {"input": input}, lambda key: set_quantities(shop, input, key), mismatch
    )


def _error(path: list[str], code: str | None, message: str) -> dict[str, Any]:
    return {"field": path, "code": code, "message": message}


def _set_payload(
    group: AdjustmentGroup | None, errors: list[dict[str, Any]]
) -> dict[str, Any]:
    return {"inventoryAdjustmentGroup": group, "userErrors": errors}


def set_quantities(shop: Shop, input: dict[str, Any], key: str) -> dict[str, Any]:
    """Check the whole batch, then apply all of it or nothing (``partial``: the
    quantities without an error)."""
    name, reason = input["name"], input["reason"]
    reference = input.get("referenceDocumentUri")
    errors: list[dict[str, Any]] = []
    if name not in SETTABLE_NAMES:
        message = "The quantity name must be either 'available' or 'on_hand'."
        errors.append(_error(["input", "name"], "INVALID_NAME", message))
    if reason not in REASONS:
        message = "The specified reason is invalid."
        errors.append(_error(["input", "reason"], "INVALID_REASON", message))
    if reference is not None and not REFERENCE_DOCUMENT.match(reference):
        message = "The specified reference document is invalid."
        errors.append(
            _error(
                ["input", "referenceDocumentUri"], "INVALID_REFERENCE_DOCUMENT", message
            )
        )
    whole_batch = bool(errors)  # errors of the request itself: nothing applies
    accepted: list[tuple[InventoryItem, Location, int]] = []
    seen: set[tuple[int, int]] = set()
    for index, quantity in enumerate(input["quantities"]):
        path = ["input", "quantities", str(index)]
        found = _check_quantity(shop, name, quantity, path, seen)
        if isinstance(found, list):
            errors += found
        else:
            accepted.append(found)
    if errors and (shop.set_batches != "partial" or whole_batch or not accepted):
        return _set_payload(None, errors)
    now = shop.clock.now()
    group = AdjustmentGroup(
        shop.next_number("InventoryAdjustmentGroup"), now, reason, reference
    )
    for item, loc, target in accepted:
        group.changes += _apply(shop, item, loc, name, target, now)
        shop.stats.applied_writes.append((item.gid, loc.gid, name, target, key))
    return _set_payload(group, errors)


def _check_quantity(
    shop: Shop,
    name: str,
    quantity: dict[str, Any],
    path: list[str],
    seen: set[tuple[int, int]],
) -> tuple[InventoryItem, Location, int] | list[dict[str, Any]]:
    """The accepted (item, location, target) of one quantity, or its user errors."""
    item = shop.item(quantity["inventoryItemId"])
    loc = shop.location(quantity["locationId"])
    if item is None:
        message = "The specified inventory item could not be found."
        return [_error([*path, "inventoryItemId"], "INVALID_INVENTORY_ITEM", message)]
    if loc is None:
        message = "The specified location could not be found."
        return [_error([*path, "locationId"], "INVALID_LOCATION", message)]
    pair = (item.number, loc.number)
    if pair in seen:
        message = "The combination of inventoryItemId and locationId must be unique."
        return [_error(path, "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR", message)]
    seen.add(pair)
    errors: list[dict[str, Any]] = []
    location_problem = _location_problem(loc)
    if location_problem:
        errors.append(
            _error([*path, "locationId"], "INVALID_LOCATION", location_problem)
        )
    if not item.mutable:
        message = (
            "The specified inventory item is not allowed to be adjusted via API, "
            "for example a parent bundle."
        )
        errors.append(
            _error([*path, "inventoryItemId"], "NON_MUTABLE_INVENTORY_ITEM", message)
        )
    if not item.tracked:
        errors.append(
            _error([*path, "inventoryItemId"], "INVALID_INVENTORY_ITEM", NOT_TRACKED)
        )
    target = quantity["quantity"]
    if target < 0:
        message = "The quantity can't be negative."
        errors.append(_error([*path, "quantity"], "INVALID_QUANTITY_NEGATIVE", message))
    elif target > MAX_QUANTITY:
        message = "The quantity can't be higher than 1,000,000,000."
        errors.append(_error([*path, "quantity"], "INVALID_QUANTITY_TOO_HIGH", message))
    level = shop.levels.get(pair)
    if level is None and shop.unstocked_set != "stock" and not location_problem:
        code = None if shop.unstocked_set == "error_no_code" else "INVALID_LOCATION"
        errors.append(_error([*path, "locationId"], code, NOT_STOCKED))
    expected = quantity["changeFromQuantity"]
    if name in SETTABLE_NAMES and expected is not None:
        current = level.quantity(name) if level else 0
        if expected != current:
            message = (
                f"The changeFromQuantity value does not match persisted value "
                f"({current})."
            )
            errors.append(
                _error(
                    [*path, "changeFromQuantity"], "CHANGE_FROM_QUANTITY_STALE", message
                )
            )
    return errors or (item, loc, target)


def _location_problem(loc: Location) -> str | None:
    if not loc.active:
        return INACTIVE
    if loc.fulfillment_service:
        return FULFILLMENT_SERVICE
    return None


def _apply(
    shop: Shop, item: InventoryItem, loc: Location, name: str, target: int, now: float
) -> list[dict[str, Any]]:
    """Set ``name`` to ``target``; committed never moves.  Returns the changes."""
    level = shop.levels.get((item.number, loc.number))
    if level is None:  # unstocked_set == "stock"
        level = Level(item.number, loc.number, created_at=now, updated_at=now)
        shop.levels[(item.number, loc.number)] = level
        shop.level_changed(level, LEVEL_CONNECT)
    delta = target - level.quantity(name)
    level.available += delta
    level.touch(now, "available", "on_hand")
    item.updated_at = now
    shop.level_changed(level)
    return [
        {
            "name": changed,
            "delta": delta,
            "quantityAfterChange": level.quantity(changed),
            "item": item,
            "location": loc,
            "ledgerDocumentUri": None,
        }
        for changed in ("available", "on_hand")
    ]


@resolver("InventoryAdjustmentGroup", "changes")
def group_changes(
    group: AdjustmentGroup,
    _info: GraphQLResolveInfo,
    inventoryItemIds: list[str] | None = None,
    locationIds: list[str] | None = None,
    quantityNames: list[str] | None = None,
) -> list[dict[str, Any]]:
    return [
        change
        for change in group.changes
        if (inventoryItemIds is None or change["item"].gid in inventoryItemIds)
        and (locationIds is None or change["location"].gid in locationIds)
        and (quantityNames is None or change["name"] in quantityNames)
    ]


@resolver("InventoryAdjustmentGroup", "createdAt")
def group_created_at(group: AdjustmentGroup, info: GraphQLResolveInfo) -> str:
    return context(info).shop.clock.iso(group.created_at)


attributes(
    "InventoryAdjustmentGroup",
    id=lambda group: gids.gid("InventoryAdjustmentGroup", group.number),
    referenceDocumentUri=lambda group: group.reference_document_uri,
)


# inventoryActivate -----------------------------------------------------------------


@resolver("Mutation", "inventoryActivate")
def inventory_activate(
    _root: Any,
    info: GraphQLResolveInfo,
    inventoryItemId: str,
    locationId: str,
    available: int | None = None,
    onHand: int | None = None,
    stockAtLegacyLocation: bool = False,
) -> dict[str, Any]:
    args = {
        "inventoryItemId": inventoryItemId,
        "locationId": locationId,
        "available": available,
        "onHand": onHand,
        "stockAtLegacyLocation": stockAtLegacyLocation,
    }
    shop = context(info).shop
    mismatch = {
        "inventoryLevel": None,
        "userErrors": [{"field": None, "message": MISMATCH}],
    }
    return once(
        info,
        args,
        lambda key: activate(shop, inventoryItemId, locationId, available, onHand, key),
        mismatch,
    )


def activate(
    shop: Shop,
    item_gid: str,
    location_gid: str,
    available: int | None,
    on_hand: int | None,
    key: str,
) -> dict[str, Any]:
    """Stock an item at a location (0, or the quantity given); keep a level found."""
    item, loc = shop.item(item_gid), shop.location(location_gid)
    errors: list[dict[str, Any]] = []
    if item is None:
        errors.append(
            {"field": ["inventoryItemId"], "message": "Inventory item does not exist."}
        )
    if loc is None:
        errors.append({"field": ["locationId"], "message": "Location does not exist."})
    elif _location_problem(loc):
        errors.append({"field": ["locationId"], "message": _location_problem(loc)})
    if available is not None and on_hand is not None:
        errors.append(
            {"field": ["onHand"], "message": "Specify available or onHand, not both."}
        )
    start = on_hand if on_hand is not None else (available or 0)
    if start < 0:
        errors.append(
            {"field": ["available"], "message": "Quantity can't be negative."}
        )
    if errors or item is None or loc is None:
        return {"inventoryLevel": None, "userErrors": errors}
    level = shop.levels.get((item.number, loc.number))
    if level is None:
        now = shop.clock.now()
        level = Level(item.number, loc.number, start, 0, now, now)
        shop.levels[(item.number, loc.number)] = level
        shop.stats.activations.append((item.gid, loc.gid, start, key))
        shop.level_changed(level, LEVEL_CONNECT)
    return {"inventoryLevel": level, "userErrors": []}
