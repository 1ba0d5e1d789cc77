"""A reconciliation's other findings: what is wrong beside the quantities.

Four kinds, each with a **stable key** built from Shopify ids only, so the Odoo side
keeps one record per finding and updates it run after run instead of listing it again
(see :func:`findings_delta`):

* ``unlinked_item`` — a tracked Shopify item with stock at mapped locations that no
  Odoo product is linked to (one finding per item, naming the locations);
* ``not_stocked`` — a linked item that Shopify does not stock at a mapped location and
  that nothing will stock there (one per pair);
* ``unmapped_stock`` — a Shopify location no mapping feeds (or whose mapping is off)
  that holds stock (one per location, with its item and unit counts);
* ``untracked`` — a linked item whose inventory Shopify does not track, so no quantity
  can be compared or set (one per item).

The first and the third need the whole catalogue: :func:`collect_snapshot` finds them
while it sorts a bulk snapshot stream (``inventory.snapshot_levels``), keeping only the
levels of the run's pairs.  The other two come out of each chunk (:mod:`.corrections`).

>>> finding_key(FindingKind.UNTRACKED, "gid://shopify/InventoryItem/7")
'untracked:gid://shopify/InventoryItem/7'
>>> kind_of("untracked:gid://shopify/InventoryItem/7")
<FindingKind.UNTRACKED: 'untracked'>
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum

from .data import LevelKey, ShopifyLevel
from .inventory import SnapshotLevel


class FindingKind(str, Enum):
    UNLINKED_ITEM = "unlinked_item"
    NOT_STOCKED = "not_stocked"
    UNMAPPED_STOCK = "unmapped_stock"
    UNTRACKED = "untracked"


# What a run must have read to say a finding of each kind is gone.
CATALOGUE_KINDS = frozenset({FindingKind.UNLINKED_ITEM, FindingKind.UNMAPPED_STOCK})
PAIR_KINDS = frozenset({FindingKind.NOT_STOCKED, FindingKind.UNTRACKED})


def finding_key(kind: FindingKind, *ids: str) -> str:
    """``kind:id[:id]`` — the same finding gets the same key in every run."""
    return ":".join((kind.value, *ids))


def kind_of(key: str) -> FindingKind | None:
    """The kind of a finding key; None for a key this engine does not make."""
    try:
        return FindingKind(key.split(":", 1)[0])
    except ValueError:
        return None


@dataclass(frozen=True)
class Finding:
    """One finding, with the names an operator reads and the counts behind them.

    ``units`` is Shopify's on-hand units concerned (``unlinked_item``,
    ``unmapped_stock``) or Odoo's units (``not_stocked``); ``items`` counts the items
    of an ``unmapped_stock`` location.
    """

    kind: FindingKind
    key: str
    message: str
    sku: str = ""
    product: str = ""
    shopify_location: str = ""
    odoo_location: str = ""
    inventory_item_id: str = ""
    location_id: str = ""
    units: float = 0
    items: int = 0


def _sku(sku: str | None) -> str:
    sku = (sku or "").strip()
    return f"SKU {sku}" if sku else "An item without SKU"


def unlinked_item(
    item_id: str, sku: str | None, locations: Iterable[str], units: int
) -> Finding:
    names = ", ".join(sorted(locations))
    return Finding(
        FindingKind.UNLINKED_ITEM,
        finding_key(FindingKind.UNLINKED_ITEM, item_id),
        f"{_sku(sku)} ({item_id}) has stock in Shopify at {names} ({units} on hand) "
        "but is linked to no Odoo product, so nothing keeps it right. Link it with "
        "Link Variants, or leave it if Odoo does not hold this product.",
        sku=(sku or "").strip(),
        shopify_location=names,
        inventory_item_id=item_id,
        units=units,
    )


def unmapped_stock(location_id: str, name: str, items: int, units: int) -> Finding:
    return Finding(
        FindingKind.UNMAPPED_STOCK,
        finding_key(FindingKind.UNMAPPED_STOCK, location_id),
        f"Shopify location '{name}' holds {units} units of {items} "
        f"item{'' if items == 1 else 's'} but no Odoo location feeds it (not mapped, "
        "or its mapping is off). Map it to the Odoo locations holding this stock, or "
        "leave it off if Shopify alone manages it.",
        shopify_location=name,
        location_id=location_id,
        units=units,
        items=items,
    )


@dataclass(frozen=True)
class SnapshotScope:
    """What a run compares: the shop's linked items at its mapped locations.

    ``mapped_locations``: Shopify location GID → name, for mappings that are on;
    ``location_names``: every Shopify location's name, to name unmapped ones.
    """

    linked_items: Collection[str]
    mapped_locations: Mapping[str, str]
    location_names: Mapping[str, str] = field(default_factory=dict)


@dataclass
class Snapshot:
    """A bulk snapshot sorted: the levels the run compares, and catalogue findings."""

    levels: dict[LevelKey, ShopifyLevel] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    rows: int = 0  # levels read from the stream


@dataclass
class _Unlinked:
    sku: str | None
    locations: list[str] = field(default_factory=list)
    units: int = 0


def collect_snapshot(stream: Iterable[SnapshotLevel], scope: SnapshotScope) -> Snapshot:
    """Sort a snapshot stream line by line; memory holds the run's levels only (and a
    few numbers per unlinked item and per unmapped location).

    A level with stock is one with a non-zero ``available`` or ``on_hand``; untracked
    items have no meaningful quantity and are left out of both catalogue findings.
    An unmapped location's counts include linked items: their units there reach no
    Odoo location either.
    """
    linked = set(scope.linked_items)
    snapshot = Snapshot()
    unlinked: dict[str, _Unlinked] = {}
    unmapped: dict[str, list[int]] = {}  # location -> [items, units]
    for row in stream:
        snapshot.rows += 1
        level = row.level
        item, location = level.key.inventory_item_id, level.key.location_id
        mapped = location in scope.mapped_locations
        if mapped and item in linked:
            snapshot.levels[level.key] = level
            continue
        if level.tracked is False or not (level.available or level.on_hand):
            continue
        if mapped:
            entry = unlinked.setdefault(item, _Unlinked(row.sku))
            entry.locations.append(scope.mapped_locations[location])
            entry.units += level.on_hand or 0
        else:
            counts = unmapped.setdefault(location, [0, 0])
            counts[0] += 1
            counts[1] += level.on_hand or 0
    for location, (items, units) in unmapped.items():
        name = scope.location_names.get(location, location)
        snapshot.findings.append(unmapped_stock(location, name, items, units))
    for item, entry in unlinked.items():
        snapshot.findings.append(
            unlinked_item(item, entry.sku, entry.locations, entry.units)
        )
    snapshot.findings.sort(key=lambda f: (f.kind.value, f.sku, f.key))
    return snapshot


@dataclass(frozen=True)
class FindingsDelta:
    """What one run changes in the list of open findings.

    ``new``: not open before (create); ``seen``: open before and found again
    (refresh their details, keep when first seen); ``resolved``: open keys the run
    proves gone (close them).
    """

    new: tuple[Finding, ...] = ()
    seen: tuple[Finding, ...] = ()
    resolved: tuple[str, ...] = ()


def findings_delta(
    open_keys: Iterable[str],
    found: Iterable[Finding],
    covered: Collection[FindingKind],
) -> FindingsDelta:
    """Merge one run's findings into the open ones, each key once.

    ``covered``: the kinds the run looked at everywhere — :attr:`RunPlan.covers
    <.reconciliation.RunPlan.covers>` of a run whose chunks all completed, nothing
    for a run that lost a chunk (an open finding is only closed by a run that would
    have found it again).
    """
    open_set = set(open_keys)
    unique: dict[str, Finding] = {}
    for finding in found:
        unique.setdefault(finding.key, finding)
    new = tuple(f for key, f in unique.items() if key not in open_set)
    seen = tuple(f for key, f in unique.items() if key in open_set)
    resolved = tuple(
        sorted(
            key
            for key in open_set
            if key not in unique and kind_of(key) in set(covered)
        )
    )
    return FindingsDelta(new, seen, resolved)
