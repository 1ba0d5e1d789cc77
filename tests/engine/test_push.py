"""Pushing levels: batches, compare-and-set, the in-flight order guard, activation and
per-item errors, all against the simulator over real HTTP."""

from __future__ import annotations

import math

import pytest
import requests

from shopify_stock_sync.engine.data import (
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
