"""One reconciliation chunk: what each mismatch leads to, by who owns the mapping."""

from __future__ import annotations

import math

import pytest

from shopify_stock_sync.engine.corrections import (
    Action,
    Adjustment,
    AdjustmentLine,
    LocationQuantity,
    OdooLocation,
    Pair,
    odoo_basis,
    plan_adjustment,
    reconcile_chunk,
)
from shopify_stock_sync.engine.data import Direction, ShopifyLevel, Subject
from shopify_stock_sync.engine.findings import FindingKind
from shopify_stock_sync.engine.reconciliation import Chunk, Progress
from shopify_stock_sync.engine.rule import Basis, QuantityRule
from tests.engine.conftest import key, level

STOCK = OdooLocation(10, "WH/Stock")
SHELF = OdooLocation(11, "WH/Stock/Shelf")
BACK = OdooLocation(12, "WH/Back")


def pair(
    item: int,
    direction: Direction = Direction.ODOO_TO_SHOPIFY,
    location: int = 1,
    odoo_locations: tuple[OdooLocation, ...] = (STOCK,),
) -> Pair:
    subject = Subject(f"SKU-{item}", f"Product {item}", f"Store {location}", "WH/Stock")
    return Pair(
        key(item, location),
        direction,
        link_id=item,
        mapping_id=location,
        subject=subject,
        odoo_locations=odoo_locations,
        level_id=100 + item,
    )


RULE = QuantityRule()


def test_which_odoo_quantity_each_direction_compares() -> None:
    forecast = QuantityRule(basis=Basis.FORECAST)
    assert odoo_basis(Direction.SHOPIFY_TO_ODOO, forecast) is Basis.ON_HAND
    assert odoo_basis("shopify_to_odoo", forecast) is Basis.ON_HAND
    assert odoo_basis(Direction.ODOO_TO_SHOPIFY, forecast) is Basis.FORECAST
    assert odoo_basis(Direction.TWO_WAY, RULE) is Basis.FREE


# -- Odoo-owned ----------------------------------------------------------------------


def test_odoo_owned_mismatch_is_marked_for_the_push() -> None:
    pairs = [pair(1), pair(2), pair(3)]
    odoo = {key(1): 7.9, key(2): 4.0, key(3): 6.0}
    shopify = {
        key(1): level(key(1), 9),
        key(2): level(key(2), 4),
        key(3): level(key(3), 4, committed=2),  # an order Odoo does not know yet
        key(9): level(key(9), 1),  # another chunk's pair in the snapshot: ignored
    }
    result = reconcile_chunk(pairs, odoo, shopify, RULE)
    assert result.progress == Progress(3, 3, 1, 1, 0)
    assert result.to_push == (pairs[0],)
    assert result.adjustments == () and result.findings == ()
    (mismatch,) = result.mismatches
    assert mismatch.key == key(1)
    assert mismatch.action is Action.PUSH
    assert mismatch.note == (
        "Shopify shows 9 available, Odoo stands for 7: marked for the push, which sets "
        "Shopify to 7."
    )
    assert mismatch.as_row() == {
        "sku": "SKU-1",
        "product": "Product 1",
        "shopify_location": "Store 1",
        "odoo_locations": "WH/Stock",
        "direction": "odoo_to_shopify",
        "odoo_quantity": 7.9,
        "shopify_quantity": 9,
        "shopify_quantity_name": "available",
        "target": 7,
        "action": "push",
        "note": mismatch.note,
    }


def test_odoo_knows_the_order_so_the_guard_does_not_count_it_twice() -> None:
    shopify = {key(1): level(key(1), 4, committed=2)}
    alone = reconcile_chunk([pair(1)], {key(1): 4.0}, shopify, RULE)
    assert [m.diff.target for m in alone.mismatches] == [2]
    known = reconcile_chunk(
        [pair(1)], {key(1): 4.0}, shopify, RULE, committed_known_to_odoo={key(1): 2}
    )
    assert known.mismatches == () and known.progress.checked == 1


def test_not_stocked_pairs_are_pushed_when_odoo_has_units_else_found() -> None:
    pairs = [pair(1), pair(2), pair(3)]
    # Item 3 has no Odoo quantity and no Shopify level at all.
    result = reconcile_chunk(pairs, {key(1): 4.0, key(2): 0.4}, {}, RULE)
    assert result.to_push == (pairs[0],)
    assert result.mismatches[0].note == (
        "Shopify does not stock the item here, Odoo stands for 4: marked for the "
        "push, which stocks the item there and sets Shopify to 4."
    )
    assert [(f.kind, f.inventory_item_id, f.units) for f in result.findings] == [
        (FindingKind.NOT_STOCKED, key(2).inventory_item_id, 0.4),
        (FindingKind.NOT_STOCKED, key(3).inventory_item_id, 0.0),
    ]
    found = result.findings[0]
    assert found.key == (
        "not_stocked:gid://shopify/InventoryItem/2:gid://shopify/Location/1"
    )
    assert (found.sku, found.shopify_location, found.location_id) == (
        "SKU-2",
        "Store 1",
        key(2).location_id,
    )
    assert "Odoo has nothing to sell there, so the push leaves it" in found.message
    assert result.progress == Progress(3, 3, 1, 1, 0)


def test_untracked_items_are_one_finding_per_item() -> None:
    pairs = [pair(1, location=1), pair(1, location=2)]
    shopify = {k.key: level(k.key, 3, tracked=False) for k in pairs}
    result = reconcile_chunk(pairs, {}, shopify, RULE)
    assert result.mismatches == ()
    (finding,) = result.findings
    assert finding.kind is FindingKind.UNTRACKED
    assert finding.key == "untracked:gid://shopify/InventoryItem/1"
    assert finding.message.startswith(
        "SKU SKU-1 (Product 1): the Shopify variant does not track inventory"
    )
    assert result.progress.checked == 2


# -- Shopify-owned -------------------------------------------------------------------


def test_shopify_owned_mismatch_becomes_an_odoo_adjustment() -> None:
    p = pair(1, Direction.SHOPIFY_TO_ODOO)
    # Shopify counts 5 on hand (3 available, 2 committed); Odoo has 7.
    shopify = {key(1): level(key(1), 3, on_hand=5, committed=2)}
    result = reconcile_chunk([p], {key(1): 7.0}, shopify, RULE)
    (mismatch,) = result.mismatches
    assert mismatch.action is Action.ADJUST
    assert result.adjustments == (Adjustment(p, (AdjustmentLine(STOCK, 7.0, 5.0),)),)
    adjustment = result.adjustments[0]
    assert (adjustment.before, adjustment.after, adjustment.change) == (7, 5, -2)
    assert mismatch.note == (
        "Shopify counts 5 on hand, Odoo has 7: Odoo set to 5 on hand by an inventory "
        "adjustment (WH/Stock 7 → 5)."
    )
    row = mismatch.as_row()
    assert (row["shopify_quantity"], row["shopify_quantity_name"], row["target"]) == (
        5,
        "on_hand",
        7,
    )
    assert result.to_push == ()
    assert result.progress == Progress(1, 1, 1, 1, 0)


def test_shopify_owned_compares_on_hand_not_the_rule() -> None:
    # The buffer and the order guard are for what Shopify may sell, not for Odoo.
    rule = QuantityRule(safety_buffer=2, cap=3)
    p = pair(1, Direction.SHOPIFY_TO_ODOO)
    shopify = {key(1): level(key(1), 3, on_hand=5, committed=2)}
    assert reconcile_chunk([p], {key(1): 5.0}, shopify, rule).mismatches == ()


def test_adjustment_over_several_odoo_locations() -> None:
    p = pair(1, Direction.SHOPIFY_TO_ODOO, odoo_locations=(STOCK, BACK))
    stock = {
        key(1): [
            LocationQuantity(SHELF, 2.0),  # a child of WH/Stock
            LocationQuantity(STOCK, 1.0),
            LocationQuantity(BACK, 6.0),
        ]
    }
    shopify = {key(1): level(key(1), 4)}
    result = reconcile_chunk([p], {key(1): 9.0}, shopify, RULE, odoo_stock=stock)
    (adjustment,) = result.adjustments
    # Fewer in Shopify: taken from the mapping's first location, then the others in
    # the order given, each down to zero.
    assert [(x.location, x.before, x.after) for x in adjustment.lines] == [
        (STOCK, 1.0, 0.0),
        (SHELF, 2.0, 0.0),
        (BACK, 6.0, 4.0),
    ]
    assert result.mismatches[0].note.endswith(
        "(WH/Stock 1 → 0, WH/Stock/Shelf 2 → 0, WH/Back 6 → 4)."
    )
    # More in Shopify: the difference goes to the mapping's first location.
    shopify = {key(1): level(key(1), 12)}
    result = reconcile_chunk([p], {key(1): 9.0}, shopify, RULE, odoo_stock=stock)
    assert [(x.location, x.before, x.after) for x in result.adjustments[0].lines] == [
        (STOCK, 1.0, 4.0)
    ]


def test_adjustment_without_stock_lines_uses_the_first_location() -> None:
    p = pair(1, Direction.SHOPIFY_TO_ODOO, odoo_locations=(OdooLocation(10),))
    shopify = {key(1): level(key(1), 2)}
    result = reconcile_chunk([p], {}, shopify, RULE)
    assert [
        (x.location.id, x.before, x.after) for x in result.adjustments[0].lines
    ] == [(10, 0.0, 2.0)]
    assert result.mismatches[0].note.endswith("adjustment (10 0 → 2).")


def test_shopify_owned_adjustments_that_cannot_be_planned_are_failures() -> None:
    no_location = pair(1, Direction.SHOPIFY_TO_ODOO, odoo_locations=())
    no_on_hand = pair(2, Direction.SHOPIFY_TO_ODOO)
    shopify = {
        key(1): level(key(1), 2),
        key(2): ShopifyLevel(key(2), stocked=True, available=2, tracked=True),
    }
    result = reconcile_chunk(
        [no_location, no_on_hand], {key(1): 5.0, key(2): 5.0}, shopify, RULE
    )
    assert [m.action for m in result.mismatches] == [Action.FAILED, Action.FAILED]
    assert [f.pair for f in result.failures] == [no_location, no_on_hand]
    assert "the location mapping has no Odoo location to adjust" in (
        result.failures[0].message
    )
    assert "Shopify gave no on-hand quantity, so Odoo was not adjusted" in (
        result.failures[1].message
    )
    assert result.mismatches[0].note == result.failures[0].message
    assert result.adjustments == ()
    assert result.progress == Progress(2, 2, 2, 0, 2)


def test_shopify_owned_not_stocked_is_a_finding_even_with_odoo_stock() -> None:
    p = pair(1, Direction.SHOPIFY_TO_ODOO)
    result = reconcile_chunk([p], {key(1): 4.0}, {}, RULE)
    assert result.mismatches == ()
    (finding,) = result.findings
    assert finding.kind is FindingKind.NOT_STOCKED
    assert "so Odoo (4 on hand) cannot follow it" in finding.message


def test_failed_adjustments_count_as_failures_not_corrections() -> None:
    adjusted = pair(1, Direction.SHOPIFY_TO_ODOO)
    pushed = pair(2)
    shopify = {key(1): level(key(1), 3), key(2): level(key(2), 3)}
    result = reconcile_chunk(
        [adjusted, pushed], {key(1): 5.0, key(2): 5.0}, shopify, RULE
    )
    assert result.progress == Progress(2, 2, 2, 2, 0)
    after = result.with_failed_adjustments(
        {key(1): "the product is tracked by lots.", key(2): "ignored: not adjusted"}
    )
    assert [m.action for m in after.mismatches] == [Action.FAILED, Action.PUSH]
    assert after.mismatches[0].note == (
        "Shopify counts 3 on hand, Odoo has 5: Odoo could not be adjusted: the "
        "product is tracked by lots. Adjust it by hand, or run again."
    )
    assert after.progress == Progress(2, 2, 2, 1, 1)
    assert after.adjustments == () and after.to_push == (pushed,)
    assert result.with_failed_adjustments({}) == result


# -- two-way, off, dry run, bad quantities -------------------------------------------


def test_two_way_and_off_mappings_are_reported_only() -> None:
    pairs = [
        pair(1, Direction.TWO_WAY),
        pair(2, Direction.OFF),
        pair(3, Direction.TWO_WAY),
    ]
    shopify = {key(1): level(key(1), 1), key(2): level(key(2), 1)}
    result = reconcile_chunk(pairs, {k.key: 5.0 for k in pairs}, shopify, RULE)
    assert [(m.key, m.action) for m in result.mismatches] == [
        (key(1), Action.REPORT),
        (key(2), Action.REPORT),
        (key(3), Action.REPORT),
    ]
    notes = [m.note for m in result.mismatches]
    assert notes[0] == (
        "Shopify shows 1 available, Odoo stands for 5: reported only: a "
        "reconciliation does not choose a side on a two-way location; Shopify's "
        "changes there are applied as their webhooks come (by the mapping's "
        "conflict rule when Odoo moved too); to settle this difference, correct "
        "the side that is wrong."
    )
    assert notes[1].endswith("reported only: the location mapping is off.")
    assert notes[2].startswith("Shopify does not stock the item here, Odoo stands")
    assert result.progress == Progress(3, 3, 3, 0, 0)


def test_a_dry_run_reports_every_mismatch_and_plans_nothing() -> None:
    pairs = [pair(1), pair(2, Direction.SHOPIFY_TO_ODOO), pair(3)]
    shopify = {key(1): level(key(1), 1), key(2): level(key(2), 1)}
    odoo = {key(1): 5.0, key(2): 5.0, key(3): 2.0}
    result = reconcile_chunk(pairs, odoo, shopify, RULE, dry_run=True)
    assert [m.action for m in result.mismatches] == [Action.REPORT] * 3
    assert result.to_push == () and result.adjustments == ()
    assert result.mismatches[1].note == (
        "Shopify counts 1 on hand, Odoo has 5: dry run, nothing changed."
    )
    assert result.progress == Progress(3, 3, 3, 0, 0)


def test_dry_run_of_a_level_without_on_hand_says_so() -> None:
    p = pair(1, Direction.SHOPIFY_TO_ODOO)
    shopify = {key(1): ShopifyLevel(key(1), stocked=True, available=2, tracked=True)}
    result = reconcile_chunk([p], {key(1): 2.0}, shopify, RULE, dry_run=True)
    assert result.mismatches[0].note.startswith(
        "Shopify gave no on-hand quantity, Odoo has 2: dry run"
    )


def test_quantities_that_are_no_number_are_failures_not_compared() -> None:
    pairs = [pair(1), pair(2)]
    odoo = {key(1): math.nan, key(2): 3.0}
    chunk = Chunk(0, 1, 3, 2)
    result = reconcile_chunk(pairs, odoo, {key(2): level(key(2), 3)}, RULE, chunk=chunk)
    assert [f.pair for f in result.failures] == [pairs[0]]
    assert "the Odoo quantity nan is no number" in result.failures[0].message
    assert result.progress == Progress(2, 1, 0, 0, 1)
    assert result.chunk == chunk


def test_report_is_in_subject_order() -> None:
    pairs = [pair(3), pair(1), pair(2)]
    shopify = {p.key: level(p.key, 0) for p in pairs}
    result = reconcile_chunk(pairs, {p.key: 2.0 for p in pairs}, shopify, RULE)
    assert [m.pair.subject.sku for m in result.mismatches] == [
        "SKU-1",
        "SKU-2",
        "SKU-3",
    ]
    assert reconcile_chunk(iter(pairs), {}, {}, RULE).progress.total == 3


# -- plan_adjustment -------------------------------------------------------------------


def test_no_change_no_lines() -> None:
    stock = [LocationQuantity(STOCK, 2.0000001), LocationQuantity(BACK, 3.0)]
    assert plan_adjustment(5, stock, STOCK) == ()


def test_decrease_skips_negative_quants_then_goes_below_at_the_first() -> None:
    stock = [
        LocationQuantity(SHELF, -1.0),
        LocationQuantity(BACK, 2.0),
        LocationQuantity(STOCK, 0.0),
    ]
    # Odoo has 1 in total, Shopify says -2: take the 2 at BACK, then 1 more at STOCK.
    lines = plan_adjustment(-2, stock, STOCK)
    assert [(x.location, x.before, x.after) for x in lines] == [
        (STOCK, 0.0, -1.0),
        (BACK, 2.0, 0.0),
    ]
    assert sum(x.after - x.before for x in lines) == -3


def test_decrease_that_empties_the_first_location_then_goes_below() -> None:
    stock = [LocationQuantity(STOCK, 2.0)]
    lines = plan_adjustment(-1, stock, STOCK)
    assert [(x.location, x.before, x.after) for x in lines] == [(STOCK, 2.0, -1.0)]


def test_decrease_stops_once_enough_is_taken() -> None:
    stock = [LocationQuantity(STOCK, 5.0), LocationQuantity(BACK, 5.0)]
    lines = plan_adjustment(7.5, stock, STOCK)
    assert [(x.location, x.before, x.after) for x in lines] == [(STOCK, 5.0, 2.5)]


def test_increase_at_a_first_location_without_stock() -> None:
    stock = [LocationQuantity(BACK, 1.0)]
    lines = plan_adjustment(4, stock, STOCK)
    assert [(x.location, x.before, x.after) for x in lines] == [(STOCK, 0.0, 3.0)]


@pytest.mark.parametrize("total", [0, 3, 10])
def test_adjusted_totals_add_up(total: int) -> None:
    stock = [
        LocationQuantity(SHELF, 4.0),
        LocationQuantity(STOCK, 1.5),
        LocationQuantity(BACK, 2.0),
    ]
    lines = plan_adjustment(total, stock, STOCK)
    untouched = sum(
        s.quantity for s in stock if s.location not in {x.location for x in lines}
    )
    assert sum(x.after for x in lines) + untouched == pytest.approx(total)
