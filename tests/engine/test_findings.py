"""Other findings: sorted out of a snapshot stream, keyed once, closed when gone."""

from __future__ import annotations

from shopify_stock_sync.engine.data import LevelKey, ShopifyLevel
from shopify_stock_sync.engine.findings import (
    CATALOGUE_KINDS,
    PAIR_KINDS,
    Finding,
    FindingKind,
    SnapshotScope,
    collect_snapshot,
    finding_key,
    findings_delta,
    kind_of,
    unlinked_item,
    unmapped_stock,
)
from shopify_stock_sync.engine.inventory import SnapshotLevel

ITEM = "gid://shopify/InventoryItem/{}"
LOC = "gid://shopify/Location/{}"


def row(
    item: int,
    location: int,
    available: int,
    on_hand: int | None = None,
    tracked: bool = True,
    sku: str | None = None,
) -> SnapshotLevel:
    key = LevelKey(ITEM.format(item), LOC.format(location))
    level = ShopifyLevel(
        key,
        stocked=True,
        available=available,
        on_hand=available if on_hand is None else on_hand,
        committed=0,
        tracked=tracked,
    )
    return SnapshotLevel(level, sku if sku is not None else f"SKU-{item}")


SCOPE = SnapshotScope(
    linked_items={ITEM.format(1), ITEM.format(2)},
    mapped_locations={LOC.format(1): "Main store", LOC.format(2): "Outlet"},
    location_names={LOC.format(3): "Pop-up"},
)


def test_snapshot_keeps_linked_levels_at_mapped_locations_only() -> None:
    stream = [
        row(1, 1, 5),
        row(1, 2, 0),  # no stock, still a level of the run
        row(1, 3, 4),  # linked, but at an unmapped location
        row(2, 1, 2, tracked=False),  # untracked: compared (and found) per chunk
    ]
    snapshot = collect_snapshot(iter(stream), SCOPE)
    assert snapshot.rows == 4
    assert sorted(snapshot.levels) == sorted(
        r.level.key for r in (stream[0], stream[1], stream[3])
    )
    assert snapshot.levels[stream[0].level.key].available == 5
    # The linked item's 4 units at the unmapped location are its stock.
    assert [(f.kind, f.items, f.units) for f in snapshot.findings] == [
        (FindingKind.UNMAPPED_STOCK, 1, 4)
    ]


def test_unlinked_items_with_stock_at_mapped_locations_once_per_item() -> None:
    stream = [
        row(7, 1, 3, sku=" TS-RED "),
        row(7, 2, -1, on_hand=2, sku=" TS-RED "),  # oversold, but 2 on hand
        row(8, 1, 0, sku="TS-BLUE"),  # stocked, nothing there: not listed
        row(9, 1, 6, tracked=False, sku="GIFT"),  # untracked: quantities mean nothing
        row(10, 2, 1, sku=""),
    ]
    findings = collect_snapshot(stream, SCOPE).findings
    assert [(f.kind, f.key) for f in findings] == [
        (FindingKind.UNLINKED_ITEM, "unlinked_item:gid://shopify/InventoryItem/10"),
        (FindingKind.UNLINKED_ITEM, "unlinked_item:gid://shopify/InventoryItem/7"),
    ]
    blank, red = findings
    assert (red.sku, red.shopify_location, red.units) == (
        "TS-RED",
        "Main store, Outlet",
        5,
    )
    assert red.inventory_item_id == ITEM.format(7)
    assert red.message.startswith(
        "SKU TS-RED (gid://shopify/InventoryItem/7) has stock in Shopify at Main "
        "store, Outlet (5 on hand) but is linked to no Odoo product"
    )
    assert "Link Variants" in red.message
    assert blank.message.startswith("An item without SKU (gid://shopify/")


def test_unmapped_locations_with_stock_once_per_location() -> None:
    stream = [
        row(7, 3, 3),
        row(8, 3, 0, on_hand=2),  # committed units are stock too
        row(9, 3, 0),  # nothing there
        row(10, 4, 1),  # a location the scope has no name for
        row(11, 4, 5, tracked=False),
    ]
    findings = collect_snapshot(stream, SCOPE).findings
    assert [
        (f.location_id, f.shopify_location, f.items, f.units) for f in findings
    ] == [
        (LOC.format(3), "Pop-up", 2, 5),
        (LOC.format(4), LOC.format(4), 1, 1),
    ]
    assert findings[0].key == finding_key(FindingKind.UNMAPPED_STOCK, LOC.format(3))
    assert findings[0].message.startswith(
        "Shopify location 'Pop-up' holds 5 units of 2 items but no Odoo location "
        "feeds it"
    )
    assert "of 1 item but" in findings[1].message


def test_empty_snapshot() -> None:
    snapshot = collect_snapshot([], SCOPE)
    assert (snapshot.levels, snapshot.findings, snapshot.rows) == ({}, [], 0)


def test_keys_are_stable_and_name_their_kind() -> None:
    a = unlinked_item(ITEM.format(7), "X", ["Outlet"], 1)
    b = unlinked_item(ITEM.format(7), "X", ["Outlet", "Main store"], 9)
    assert a.key == b.key == "unlinked_item:gid://shopify/InventoryItem/7"
    assert b.shopify_location == "Main store, Outlet"
    key = unmapped_stock(LOC.format(3), "Pop-up", 1, 1).key
    assert kind_of(key) is FindingKind.UNMAPPED_STOCK
    pair_key = finding_key(FindingKind.NOT_STOCKED, ITEM.format(1), LOC.format(2))
    assert pair_key == (
        "not_stocked:gid://shopify/InventoryItem/1:gid://shopify/Location/2"
    )
    assert kind_of(pair_key) is FindingKind.NOT_STOCKED
    assert kind_of("something_else:1") is None
    assert kind_of("") is None
    assert CATALOGUE_KINDS.isdisjoint(PAIR_KINDS)
    assert CATALOGUE_KINDS | PAIR_KINDS == set(FindingKind)


def _finding(kind: FindingKind, *ids: str, message: str = "m") -> Finding:
    return Finding(kind, finding_key(kind, *ids), message)


def test_delta_lists_each_finding_once_and_closes_what_is_gone() -> None:
    unlinked = _finding(FindingKind.UNLINKED_ITEM, ITEM.format(7))
    again = _finding(FindingKind.UNLINKED_ITEM, ITEM.format(7), message="later")
    untracked = _finding(FindingKind.UNTRACKED, ITEM.format(1))
    gone_pair = finding_key(FindingKind.NOT_STOCKED, ITEM.format(2), LOC.format(1))
    gone_item = finding_key(FindingKind.UNLINKED_ITEM, ITEM.format(8))
    open_keys = [untracked.key, gone_pair, gone_item, "legacy:1"]
    delta = findings_delta(open_keys, [unlinked, untracked, again], CATALOGUE_KINDS)
    assert delta.new == (unlinked,)  # once, the first seen
    assert delta.seen == (untracked,)
    # A catalogue run closes the unlinked item; the pair finding it did not look for
    # and keys of no known kind stay open.
    assert delta.resolved == (gone_item,)
    delta = findings_delta(open_keys, [untracked], CATALOGUE_KINDS | PAIR_KINDS)
    assert delta.resolved == (gone_pair, gone_item)  # sorted
    assert delta.new == ()


def test_delta_of_a_run_that_lost_a_chunk_closes_nothing() -> None:
    open_key = finding_key(FindingKind.UNTRACKED, ITEM.format(1))
    delta = findings_delta([open_key], [], covered=frozenset())
    assert delta.resolved == () and delta.new == () and delta.seen == ()
