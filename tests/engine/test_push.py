"""Pushing levels: batches, compare-and-set, the in-flight order guard, activation and
per-item errors, all against the simulator over real HTTP."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import pytest
import requests

from shopify_stock_sync.engine import inbound
from shopify_stock_sync.engine.data import (
    Direction,
    ErrorCategory,
    LevelChange,
    LevelKey,
    OutcomeStatus,
    Subject,
)
from shopify_stock_sync.engine.push import PushSettings, push
from shopify_stock_sync.engine.rule import QuantityRule
from tests.engine.conftest import make_client

RULE = QuantityRule()


def stock(sim, location, count, available=0, **variant):
    """``count`` tracked variants stocked at ``location``; returns their level keys."""
    keys = []
    for n in range(count):
        v = sim.add_variant(sku=f"SKU-{len(sim.stats.by_operation)}-{n}", **variant)
        sim.set_level(v.inventory_item_id, location, available=available)
        keys.append(LevelKey(v.inventory_item_id, location))
    return keys


def change(key, quantity, **kw):
    subject = Subject("SKU-X", "Shirt", "Main", "WH/Stock")
    return LevelChange(key, quantity, subject=subject, **kw)


def test_push_sets_quantities_in_one_read_and_one_write(sim, client):
    location = sim.add_location("Main")
    keys = stock(sim, location, 3, available=1)
    sim.reset_stats()
    outcomes = push(client, [change(k, 7.8) for k in keys], RULE)
    assert [o.status for o in outcomes] == [OutcomeStatus.SYNCED] * 3
    assert all(o.written and o.target == 7 for o in outcomes)
    assert {sim.level(k.inventory_item_id, location)["available"] for k in keys} == {7}
    assert sim.stats.by_operation == {"Levels": 1, "SetQuantities": 1}
    key_used = outcomes[0].idempotency_key
    assert key_used and all(o.idempotency_key == key_used for o in outcomes)


def test_levels_already_equal_are_not_written(sim, client):
    location = sim.add_location("Main")
    keys = stock(sim, location, 2, available=5)
    sim.reset_stats()
    outcomes = push(client, [change(k, 5) for k in keys], RULE)
    assert all(o.status is OutcomeStatus.SYNCED and not o.written for o in outcomes)
    assert sim.stats.by_operation == {"Levels": 1}


def test_batches_of_250(sim, client):
    location = sim.add_location("Main")
    keys = stock(sim, location, 600)
    sim.reset_stats()
    outcomes = push(client, [change(k, 3) for k in keys], RULE)
    assert all(o.status is OutcomeStatus.SYNCED for o in outcomes)
    assert sim.stats.by_operation == {"Levels": 3, "SetQuantities": 3}
    assert sim.stats.throttled == 0


def test_rule_buffer_cap_and_negative(sim, client):
    location = sim.add_location("Main")
    keys = stock(sim, location, 3, available=9)
    rule = QuantityRule(safety_buffer=2, cap=50)
    outcomes = push(
        client, [change(keys[0], 10.9), change(keys[1], -4), change(keys[2], 999)], rule
    )
    assert [o.target for o in outcomes] == [8, 0, 50]
    assert [sim.level(k.inventory_item_id, location)["available"] for k in keys] == [
        8,
        0,
        50,
    ]


def test_sale_between_pushes_is_never_given_back(sim, client):
    """The in-flight order guard: an order Odoo does not know yet stays sold."""
    location = sim.add_location("Main")
    (key,) = stock(sim, location, 1)
    push(client, [change(key, 10)], RULE)
    assert sim.level(key.inventory_item_id, location)["available"] == 10
    sim.place_order(key.inventory_item_id, location, 2)  # Shopify: available 8
    # Odoo receives 5 more, still unaware of the Shopify sale: 15 free.
    (outcome,) = push(client, [change(key, 15)], RULE)
    level = sim.level(key.inventory_item_id, location)
    assert outcome.target == 13
    assert level["available"] == 13  # 15 real units, 2 already sold
    assert level["available"] + level["committed"] <= 15
    # Once Odoo reserves the order, the committed units are known and not taken twice.
    (outcome,) = push(client, [change(key, 13, committed_known_to_odoo=2)], RULE)
    assert outcome.target == 13 and not outcome.written


def test_sale_during_push_makes_compare_stale_then_retried(sim):
    """A sale lands between our read and our write: refused, read again, redone."""
    location = sim.add_location("Main")
    (key,) = stock(sim, location, 1, available=4)
    sold = []

    class SaleBeforeFirstWrite(requests.Session):
        def post(self, url, *args, **kwargs):
            body = kwargs.get("json") or {}
            if "SetQuantities" in body.get("query", "") and not sold:
                sim.place_order(key.inventory_item_id, location, 3)
                sold.append(1)
            return super().post(url, *args, **kwargs)

    client = make_client(sim, session=SaleBeforeFirstWrite())
    (outcome,) = push(client, [change(key, 10)], RULE)
    level = sim.level(key.inventory_item_id, location)
    assert sold and outcome.status is OutcomeStatus.SYNCED
    assert outcome.stale_hits == 1
    assert level == {"available": 7, "on_hand": 10, "committed": 3}
    assert sim.stats.by_operation["SetQuantities"] == 2


def test_compare_stale_every_time_gives_up_bounded(sim):
    location = sim.add_location("Main")
    (key,) = stock(sim, location, 1, available=50)

    class SaleBeforeEveryWrite(requests.Session):
        def post(self, url, *args, **kwargs):
            if "SetQuantities" in (kwargs.get("json") or {}).get("query", ""):
                sim.place_order(key.inventory_item_id, location, 1)
            return super().post(url, *args, **kwargs)

    client = make_client(sim, session=SaleBeforeEveryWrite())
    (outcome,) = push(client, [change(key, 10)], RULE, PushSettings(max_rounds=3))
    assert outcome.status is OutcomeStatus.RETRY
    assert outcome.category is ErrorCategory.TRANSIENT
    assert outcome.stale_hits == 3
    assert "3 times in a row" in outcome.message and "SKU-X" in outcome.message
    assert sim.stats.by_operation["SetQuantities"] == 3
    assert sim.stats.applied_writes == []


def test_unstocked_pair_is_activated_then_set(sim, client):
    location = sim.add_location("Pop-up")
    variant = sim.add_variant(sku="NEW-1")
    key = LevelKey(variant.inventory_item_id, location)
    (outcome,) = push(client, [change(key, 4)], RULE)
    assert outcome.status is OutcomeStatus.SYNCED and outcome.written
    assert sim.level(variant.inventory_item_id, location)["available"] == 4
    assert sim.stats.by_operation["Activate"] == 1


def test_unstocked_pair_with_nothing_to_sell_is_left_alone(sim, client):
    location = sim.add_location("Pop-up")
    variant = sim.add_variant(sku="NEW-2")
    key = LevelKey(variant.inventory_item_id, location)
    (outcome,) = push(client, [change(key, 0.4)], RULE)
    assert outcome.status is OutcomeStatus.SYNCED and not outcome.written
    assert sim.level(variant.inventory_item_id, location) is None
    assert "Activate" not in sim.stats.by_operation


def test_activation_refused_is_a_level_error(sim, client):
    location = sim.add_location("Old shop", active=False)
    variant = sim.add_variant(sku="NEW-3")
    key = LevelKey(variant.inventory_item_id, location)
    (outcome,) = push(client, [change(key, 2)], RULE)
    assert outcome.status is OutcomeStatus.ERROR
    assert outcome.category is ErrorCategory.CONFIG
    assert "not stocked at this Shopify location" in outcome.message


def test_set_on_a_level_that_vanished_activates_it(sim, client):
    """2026-10 may report an unstocked set as INVALID_LOCATION: read, activate."""
    location = sim.add_location("Main")
    (key,) = stock(sim, location, 1, available=1)

    class DisconnectBeforeFirstWrite(requests.Session):
        done = False

        def post(self, url, *args, **kwargs):
            if "SetQuantities" in (kwargs.get("json") or {}).get("query", ""):
                if not self.done:
                    sim.unstock(key.inventory_item_id, location)
                    self.done = True
            return super().post(url, *args, **kwargs)

    client = make_client(sim, session=DisconnectBeforeFirstWrite())
    (outcome,) = push(client, [change(key, 6)], RULE)
    assert outcome.status is OutcomeStatus.SYNCED
    assert sim.level(key.inventory_item_id, location)["available"] == 6


def test_untracked_item_is_a_level_error_without_write(sim, client):
    location = sim.add_location("Main")
    keys = stock(sim, location, 1, available=1, tracked=False)
    tracked = stock(sim, location, 1, available=1)
    outcomes = push(client, [change(keys[0], 5), change(tracked[0], 5)], RULE)
    assert outcomes[0].status is OutcomeStatus.ERROR
    assert outcomes[0].category is ErrorCategory.DATA
    assert "does not track inventory" in outcomes[0].message
    assert "Not retried automatically" in outcomes[0].message
    assert outcomes[1].status is OutcomeStatus.SYNCED and outcomes[1].written


def test_refused_item_does_not_block_the_others(sim, client):
    """One item Shopify refuses: it gets its error, the rest of the batch is set."""
    location = sim.add_location("Main")
    keys = stock(sim, location, 3, available=0)
    sim.make_immutable(
        keys[1].inventory_item_id
    )  # a bundle: NON_MUTABLE_INVENTORY_ITEM
    outcomes = push(client, [change(k, 2) for k in keys], RULE)
    assert [o.status for o in outcomes] == [
        OutcomeStatus.SYNCED,
        OutcomeStatus.ERROR,
        OutcomeStatus.SYNCED,
    ]
    assert "NON_MUTABLE_INVENTORY_ITEM" in outcomes[1].message
    assert "bundle" in outcomes[1].message
    assert sim.level(keys[0].inventory_item_id, location)["available"] == 2


def test_whole_request_refused(sim, client):
    location = sim.add_location("Main")
    keys = stock(sim, location, 2)
    settings = PushSettings(reason="not-a-reason")
    outcomes = push(client, [change(k, 2) for k in keys], RULE, settings)
    assert {o.status for o in outcomes} == {OutcomeStatus.ERROR}
    assert {o.category for o in outcomes} == {ErrorCategory.REQUEST}
    assert "INVALID_REASON" in outcomes[0].message


def test_on_hand_mode_keeps_committed(sim, client):
    location = sim.add_location("Main")
    (key,) = stock(sim, location, 1, available=10)
    sim.place_order(key.inventory_item_id, location, 4)
    (outcome,) = push(client, [change(key, 20)], RULE, PushSettings(name="on_hand"))
    assert outcome.target == 16
    assert sim.level(key.inventory_item_id, location) == {
        "available": 16,
        "on_hand": 20,
        "committed": 4,
    }


def test_lost_reply_is_replayed_not_applied_twice(sim, client):
    location = sim.add_location("Main")
    keys = stock(sim, location, 2, available=1)
    sim.inject("lost_reply", count=1, operation="SetQuantities")
    outcomes = push(client, [change(k, 9) for k in keys], RULE)
    assert all(o.status is OutcomeStatus.SYNCED for o in outcomes)
    assert sim.stats.replays == 1
    assert len(sim.stats.applied_writes) == 2  # one request, two quantities, once


def test_duplicate_and_invalid_changes(sim, client):
    location = sim.add_location("Main")
    keys = stock(sim, location, 2, available=1)
    outcomes = push(
        client,
        [change(keys[0], 3), change(keys[0], 4), change(keys[1], math.nan)],
        RULE,
    )
    assert outcomes[0].status is OutcomeStatus.ERROR
    assert "pushed twice" in outcomes[0].message
    assert outcomes[1].status is OutcomeStatus.SYNCED and outcomes[1].target == 4
    assert (
        outcomes[2].status is OutcomeStatus.ERROR and "no number" in outcomes[2].message
    )


def test_settings_refuse_bad_values():
    with pytest.raises(ValueError, match="cannot be set"):
        PushSettings(name="committed")
    with pytest.raises(ValueError, match="max_rounds"):
        PushSettings(max_rounds=0)


def test_rule_refuses_bad_values():
    with pytest.raises(ValueError, match="safety buffer"):
        QuantityRule(safety_buffer=-1)
    with pytest.raises(ValueError, match="cap"):
        QuantityRule(cap=-1)
    with pytest.raises(ValueError):
        QuantityRule(basis="stock_value")


def test_outcome_after_is_what_shopify_holds(sim, client):
    """``after`` can be kept as the next push's ``known``: it equals Shopify's level."""
    location, popup = sim.add_location("Main"), sim.add_location("Pop-up")
    sold, equal, new = stock(sim, location, 3, available=6)
    sim.place_order(sold.inventory_item_id, location, 2)
    fresh = LevelKey(new.inventory_item_id, popup)  # not stocked: activated
    changes = [change(sold, 9), change(equal, 6), change(fresh, 3)]
    for settings in (PushSettings(), PushSettings(name="on_hand")):
        for outcome in push(client, changes, RULE, settings):
            held = sim.level(
                outcome.change.key.inventory_item_id, outcome.change.key.location_id
            )
            after = outcome.after
            assert (after.available, after.on_hand, after.committed) == (
                held["available"],
                held["on_hand"],
                held["committed"],
            ), outcome
            assert after.stocked and after.key == outcome.change.key
        changes = [
            change(c.key, c.odoo_quantity + 1, known=o.after)
            for c, o in zip(changes, push(client, changes, RULE), strict=True)
        ]


# -- refused writes: only the named items are read again (issue 12, item 7) ----------


def synced(sim, client, location, count, quantity=10, **kw):
    """``count`` levels pushed to ``quantity``; returns changes that remember them."""
    keys = stock(sim, location, count)
    outcomes = push(client, [change(k, quantity, **kw) for k in keys], RULE)
    assert all(o.status is OutcomeStatus.SYNCED for o in outcomes)
    return [change(o.change.key, quantity, known=o.after, **kw) for o in outcomes]


@pytest.mark.parametrize("batches", ["all_or_nothing", "partial"])
def test_stale_on_k_of_n_reads_only_the_k(sim, client, batches):
    """3 of 40 remembered levels sold in Shopify: the write is refused for those 3;
    only they are read again (3 nodes, not 40), and nothing is written twice."""
    sim.set_batches = batches
    location = sim.add_location("Main")
    changes = synced(sim, client, location, 40)
    sold = [c.key for c in changes[5:8]]
    for key in sold:
        sim.place_order(key.inventory_item_id, location, 2)
    sim.reset_stats()
    outcomes = push(client, [replace(c, odoo_quantity=12) for c in changes], RULE)
    assert all(o.status is OutcomeStatus.SYNCED and o.written for o in outcomes)
    assert sim.stats.by_operation == {"SetQuantities": 2, "Levels": 1}
    assert sim.stats.nodes_read == 3
    assert [o.stale_hits for o in outcomes].count(1) == 3
    held = {k: sim.level(k.inventory_item_id, location) for k in sold}
    assert {(v["available"], v["committed"]) for v in held.values()} == {(10, 2)}
    assert len(sim.stats.applied_writes) == 40  # each level applied once
    for outcome in outcomes:  # ``after`` is still what Shopify holds
        now = sim.level(outcome.change.key.inventory_item_id, location)
        assert (outcome.after.available, outcome.after.committed) == (
            now["available"],
            now["committed"],
        )
    if batches == "partial":  # the 37 were applied by the first write, once
        first_key = {w[4] for w in sim.stats.applied_writes[:37]}
        assert len(first_key) == 1
        assert {o.idempotency_key for o in outcomes} == first_key | {
            sim.stats.applied_writes[-1][4]
        }


def test_refused_batch_is_sent_again_without_reading(sim, client):
    """Shopify applied nothing (an item it refused for good): the others go again
    with the same compare base, no read."""
    location = sim.add_location("Main")
    changes = synced(sim, client, location, 5)
    sim.make_immutable(changes[2].key.inventory_item_id)
    sim.reset_stats()
    outcomes = push(client, [replace(c, odoo_quantity=3) for c in changes], RULE)
    assert [o.status for o in outcomes].count(OutcomeStatus.SYNCED) == 4
    assert outcomes[2].status is OutcomeStatus.ERROR
    assert sim.stats.by_operation == {"SetQuantities": 2}
    assert sim.stats.nodes_read == 0


def test_refused_batch_again_and_again_is_left_for_later(sim):
    """Other items stale every round: the rest is left for the next push, said so."""
    location = sim.add_location("Main")
    changes = synced(sim, make_client(sim), location, 3)
    busy = changes[0].key

    class SaleBeforeEveryWrite(requests.Session):
        def post(self, url, *args, **kwargs):
            if "SetQuantities" in (kwargs.get("json") or {}).get("query", ""):
                sim.place_order(busy.inventory_item_id, location, 1)
            return super().post(url, *args, **kwargs)

    client = make_client(sim, session=SaleBeforeEveryWrite())
    outcomes = push(
        client,
        [replace(c, odoo_quantity=20) for c in changes],
        RULE,
        PushSettings(max_rounds=2),
    )
    assert {o.status for o in outcomes} == {OutcomeStatus.RETRY}
    assert "times in a row (sales in progress)" in outcomes[0].message
    assert "because other items' quantities kept changing" in outcomes[1].message
    assert sim.stats.applied_writes[-1][3] == 10  # nothing of this push applied


# -- an item removed from a location after its first sync (issue 12, item 6) ---------


@pytest.mark.parametrize("answer", ["error", "error_no_code", "older_code"])
def test_item_removed_in_shopify_is_stocked_again_and_set(sim, answer):
    """Shopify answers INVALID_LOCATION, a user error without code (2026-10 allows
    it) or ITEM_NOT_STOCKED_AT_LOCATION (older versions): read once, stocked again,
    set, and the outcome says so."""

    class OlderCode(requests.Session):
        def post(self, url, *args, **kwargs):
            response = super().post(url, *args, **kwargs)
            if answer == "older_code":
                response._content = response.content.replace(
                    b'"INVALID_LOCATION"', b'"ITEM_NOT_STOCKED_AT_LOCATION"'
                )
            return response

    sim.unstocked_set = "error_no_code" if answer == "error_no_code" else "error"
    location = sim.add_location("Main")
    client = make_client(sim, session=OlderCode())
    kept, removed = synced(sim, client, location, 2)
    sim.unstock(removed.key.inventory_item_id, location)
    sim.reset_stats()
    outcomes = push(
        client, [replace(c, odoo_quantity=6) for c in (kept, removed)], RULE
    )
    assert [o.status for o in outcomes] == [OutcomeStatus.SYNCED] * 2
    assert sim.level(removed.key.inventory_item_id, location)["available"] == 6
    assert sim.level(kept.key.inventory_item_id, location)["available"] == 6
    assert len(sim.stats.activations) == 1 and sim.stats.nodes_read == 1
    assert outcomes[0].message == ""
    assert "had been removed from this Shopify location" in outcomes[1].message
    assert "set it to 6" in outcomes[1].message


def test_other_refusal_without_code_is_an_error_after_one_read(sim):
    """A user error without code on an item still stocked: read once, then an error
    with Shopify's message."""
    location = sim.add_location("Main")
    (remembered,) = synced(sim, make_client(sim), location, 1)

    class NoCode(requests.Session):
        """Shopify refuses every set with an unnamed error (and applies nothing)."""

        def post(self, url, *args, **kwargs):
            body = kwargs.get("json") or {}
            setting = "SetQuantities" in body.get("query", "")
            if setting:  # applies nothing: each quantity set to what it is
                for quantity in body["variables"]["input"]["quantities"]:
                    quantity["quantity"] = quantity["changeFromQuantity"]
            response = super().post(url, *args, **kwargs)
            if setting:
                data = response.json()
                data["data"]["inventorySetQuantities"] = {
                    "inventoryAdjustmentGroup": None,
                    "userErrors": [
                        {
                            "code": None,
                            "field": ["input", "quantities", "0", "quantity"],
                            "message": "Something Shopify did not name.",
                        }
                    ],
                }
                response._content = json.dumps(data).encode()
            return response

    client = make_client(sim, session=NoCode())
    sim.reset_stats()
    (outcome,) = push(client, [replace(remembered, odoo_quantity=4)], RULE)
    assert outcome.status is OutcomeStatus.ERROR
    assert "Something Shopify did not name." in outcome.message
    assert sim.stats.nodes_read == 1


# -- two-way: a correction made in Shopify is not overwritten (issue 12, item 3) -----


def test_two_way_stale_compare_hands_shopify_correction_back(sim, client):
    location = sim.add_location("Main")
    (remembered,) = synced(sim, client, location, 1, direction=Direction.TWO_WAY)
    item = remembered.key.inventory_item_id
    sim.edit_on_hand(item, location, -3)  # counted in Shopify: 7
    sim.reset_stats()
    (outcome,) = push(client, [replace(remembered, odoo_quantity=9)], RULE)
    assert outcome.status is OutcomeStatus.SHOPIFY_MOVED
    assert not outcome.written and outcome.stale_hits == 1
    assert outcome.movement.correction == -3
    assert (outcome.before.on_hand, outcome.after.on_hand) == (10, 7)
    assert sim.level(item, location)["available"] == 7  # not overwritten
    assert "changed by -3 in Shopify" in outcome.message


def test_two_way_stale_compare_by_an_order_is_pushed(sim, client):
    """Orders are not corrections: the guard keeps the sold units, Odoo's quantity
    is written."""
    location = sim.add_location("Main")
    (remembered,) = synced(sim, client, location, 1, direction=Direction.TWO_WAY)
    item = remembered.key.inventory_item_id
    sim.place_order(item, location, 2)
    (outcome,) = push(client, [replace(remembered, odoo_quantity=9)], RULE)
    assert outcome.status is OutcomeStatus.SYNCED and outcome.written
    assert sim.level(item, location) == {"available": 7, "on_hand": 9, "committed": 2}


def test_odoo_owned_stale_compare_overwrites_shopify(sim, client):
    location = sim.add_location("Main")
    (remembered,) = synced(sim, client, location, 1)
    item = remembered.key.inventory_item_id
    sim.edit_on_hand(item, location, -3)
    (outcome,) = push(client, [replace(remembered, odoo_quantity=9)], RULE)
    assert outcome.status is OutcomeStatus.SYNCED and outcome.written
    assert sim.level(item, location)["available"] == 9


def _inbound_level(remembered, outcome, rule, odoo_now=9.0):
    return inbound.InboundLevel(
        key=remembered.key,
        direction=Direction.TWO_WAY,
        subject=remembered.subject,
        conflict_rule=rule,
        known=outcome.before,
        odoo_quantity=odoo_now,
        odoo_quantity_at_sync=10.0,
        odoo_stock=(inbound.OdooStock("1", odoo_now, "WH/Stock"),),
    )


@pytest.mark.parametrize(
    ("rule", "applied"),
    [(inbound.ConflictRule.ODOO_WINS, 0), (inbound.ConflictRule.SHOPIFY_WINS, -3)],
)
def test_shopify_moved_is_decided_by_the_conflict_rule(sim, client, rule, applied):
    location = sim.add_location("Main")
    (remembered,) = synced(sim, client, location, 1, direction=Direction.TWO_WAY)
    sim.edit_on_hand(remembered.key.inventory_item_id, location, -3)
    (outcome,) = push(client, [replace(remembered, odoo_quantity=9)], RULE)
    level = _inbound_level(remembered, outcome, rule)
    decision = inbound.shopify_moved(level, outcome.after, outcome.movement)
    assert decision.kind is inbound.InboundKind.CONFLICT
    assert decision.review and decision.mark_for_push
    assert decision.adjustment == applied
    assert sum(p.quantity for p in decision.placements) == applied
    assert decision.known == outcome.after
    assert "Odoo 9, Shopify 7 on hand (7 available)" in decision.message


def test_shopify_moved_without_odoo_move_is_a_correction(sim, client):
    location = sim.add_location("Main")
    (remembered,) = synced(sim, client, location, 1, direction=Direction.TWO_WAY)
    sim.edit_on_hand(remembered.key.inventory_item_id, location, -3)
    (outcome,) = push(client, [replace(remembered, odoo_quantity=10)], RULE)
    assert outcome.status is OutcomeStatus.SHOPIFY_MOVED
    level = _inbound_level(
        remembered, outcome, inbound.ConflictRule.ODOO_WINS, odoo_now=10.0
    )
    decision = inbound.shopify_moved(level, outcome.after, outcome.movement)
    assert decision.kind is inbound.InboundKind.CORRECTION
    assert decision.adjustment == -3 and not decision.review
    with pytest.raises(ValueError, match="known level"):
        inbound.shopify_moved(
            replace(level, known=None), outcome.after, outcome.movement
        )
