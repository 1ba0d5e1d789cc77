"""The reconciliation diff: every pair lands in one bucket, in a stable order."""

from __future__ import annotations

from shopify_stock_sync.engine.data import ShopifyLevel, Subject
from shopify_stock_sync.engine.reconcile import (
    PairDiff,
    Reconciliation,
    diff,
    mirror_diff,
)
from shopify_stock_sync.engine.rule import Basis, QuantityRule
from tests.engine.conftest import key, level


def test_each_pair_lands_in_one_bucket() -> None:
    rule = QuantityRule()
    odoo = {key(1): 5.0, key(2): 7.9, key(3): 4.0, key(4): 2.0}
    shopify = {
        key(1): level(key(1), 5),
        key(2): level(key(2), 9),
        key(3): ShopifyLevel(key(3), stocked=False),
        key(4): level(key(4), 0, tracked=False),
    }
    result = diff(odoo, rule, shopify)
    assert [p.key for p in result.matched] == [key(1)]
    assert [p.key for p in result.mismatched] == [key(2)]
    assert [p.key for p in result.not_stocked] == [key(3)]
    assert [p.key for p in result.untracked] == [key(4)]
    mismatch = result.mismatched[0]
    assert (mismatch.odoo_quantity, mismatch.target, mismatch.available) == (
        7.9,
        7,
        9,
    )
    assert mismatch.difference == -2
    assert result.not_stocked[0].target == 4
    assert result.not_stocked[0].difference is None
    assert result.counts() == {
        "checked": 4,
        "matched": 1,
        "mismatched": 1,
        "not_stocked": 1,
        "untracked": 1,
        "oversold": 0,
    }
    assert result.checked == 4
    assert not result.in_sync


def test_missing_pairs_on_either_side() -> None:
    # Only in Odoo: not stocked in Shopify.  Only in Shopify: Odoo has 0 there.
    result = diff({key(1): 3.0}, QuantityRule(), {key(2): level(key(2), 4)})
    assert [(p.key, p.target) for p in result.not_stocked] == [(key(1), 3)]
    assert [(p.key, p.odoo_quantity, p.target) for p in result.mismatched] == [
        (key(2), 0.0, 0)
    ]
    assert result.mismatched[0].difference == -4


def test_in_flight_orders_are_kept_out_of_the_target() -> None:
    # Odoo does not know the Shopify order yet: its 10 units still include the 2 sold.
    shopify = {key(1): level(key(1), 8, on_hand=10, committed=2)}
    result = diff({key(1): 10.0}, QuantityRule(), shopify)
    assert [p.target for p in result.matched] == [8]
    # Once Odoo reserves those 2 units, the guard must not take them off twice.
    result = diff(
        {key(1): 8.0}, QuantityRule(), shopify, committed_known_to_odoo={key(1): 2}
    )
    assert [p.target for p in result.matched] == [8]
    result = diff({key(1): 8.0}, QuantityRule(), shopify)
    assert [(p.target, p.difference) for p in result.mismatched] == [(6, -2)]


def test_rule_applies_buffer_and_rounding() -> None:
    rule = QuantityRule(basis=Basis.ON_HAND, safety_buffer=2)
    result = diff({key(1): 5.99}, rule, {key(1): level(key(1), 3)})
    assert [p.target for p in result.matched] == [3]
    result = diff({key(1): 1.0}, rule, {key(1): level(key(1), 0)})
    assert [p.target for p in result.matched] == [0]


def test_unstocked_pair_with_nothing_to_push_keeps_in_sync() -> None:
    result = diff({key(1): 0.0}, QuantityRule(), {})
    assert result.not_stocked and result.in_sync
    result = diff({key(1): 0.0, key(2): 1.0}, QuantityRule(), {})
    assert not result.in_sync


def test_oversold_counts_negative_available() -> None:
    shopify = {
        key(1): level(key(1), -2, on_hand=0, committed=2),
        key(2): level(key(2), 0),
    }
    result = diff({}, QuantityRule(), shopify)
    assert result.counts()["oversold"] == 1
    assert [p.oversold for p in result.mismatched] == [True]
    assert [p.oversold for p in result.matched] == [False]
    assert not PairDiff(key(3), Subject(), 0.0, 0).oversold


def test_order_is_by_subject_then_key_whatever_the_input_order() -> None:
    keys = [key(i, loc) for i in (3, 1, 2) for loc in (2, 1)]
    subjects = {k: Subject(sku=f"SKU-{k.inventory_item_id[-1]}") for k in keys}
    subjects[key(3, 1)] = Subject(sku="A-FIRST")
    odoo = {k: 1.0 for k in keys}
    shopify = {k: level(k, 1) for k in reversed(keys)}
    result = diff(odoo, QuantityRule(), shopify, subjects)
    assert [p.key for p in result.matched] == [
        key(3, 1),
        key(1, 1),
        key(1, 2),
        key(2, 1),
        key(2, 2),
        key(3, 2),
    ]
    assert result.matched[0].subject.sku == "A-FIRST"
    again = diff(dict(reversed(list(odoo.items()))), QuantityRule(), shopify, subjects)
    assert again == result


def test_empty_diff() -> None:
    result = diff({}, QuantityRule(), {})
    assert result == Reconciliation()
    assert result.in_sync and result.checked == 0


def test_mirror_diff_compares_odoo_on_hand_with_shopify_on_hand() -> None:
    shopify = {
        key(1): level(key(1), 3, on_hand=5, committed=2),  # 5 on hand: equal
        key(2): level(key(2), 4, on_hand=4),  # Odoo 2.5 → 2 units: Shopify has more
        key(3): level(key(3), 0, on_hand=0),  # Odoo below zero: a difference too
        key(4): level(key(4), 1, on_hand=1, tracked=False),
    }
    odoo = {key(1): 4.9999999, key(2): 2.5, key(3): -2.0, key(4): 9.0, key(5): 3.0}
    result = mirror_diff(odoo, shopify)
    assert [p.key for p in result.matched] == [key(1)]
    assert [(p.key, p.target, p.difference) for p in result.mismatched] == [
        (key(2), 2, -2),
        (key(3), -2, -2),
    ]
    assert [(p.key, p.target, p.difference) for p in result.not_stocked] == [
        (key(5), 3, None)
    ]
    assert [p.key for p in result.untracked] == [key(4)]
    assert {p.name for p in result.mismatched + result.not_stocked} == {"on_hand"}
    assert result.mismatched[0].shopify_quantity == 4
    assert result.matched[0].available == 3  # kept for the report


def test_mirror_diff_without_on_hand_is_a_mismatch() -> None:
    unknown = ShopifyLevel(key(1), stocked=True, available=2, tracked=True)
    result = mirror_diff({key(1): 2.0}, {key(1): unknown})
    assert [p.key for p in result.mismatched] == [key(1)]
    assert result.mismatched[0].difference is None
    # The Odoo-owned diff compares available, which Shopify did give.
    assert diff({key(1): 2.0}, QuantityRule(), {key(1): unknown}).matched
