"""Inbound decisions: every kind of Shopify-side change and what Odoo does about it,
case by case; the pushes remembered for echoes; where an adjustment lands; and the
whole path against the simulator over real HTTP (signed delivery, verification, fresh
reading, decision)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from shopify_stock_sync.engine import echo as echoes
from shopify_stock_sync.engine.data import (
    Direction,
    LevelChange,
    LevelKey,
    OutcomeStatus,
    PushOutcome,
    ShopifyLevel,
    Subject,
)
from shopify_stock_sync.engine.echo import (
    RecentPush,
    after_push,
    pushes_from_json,
    pushes_to_json,
    record_push,
    remember,
)
from shopify_stock_sync.engine.inbound import (
    ConflictRule,
    InboundDecision,
    InboundKind,
    InboundLevel,
    Movement,
    baseline,
    decide,
    echo_of,
    measure,
    triage,
)
from shopify_stock_sync.engine.placement import OdooStock, Placement, place
from shopify_stock_sync.engine.push import PushSettings, push
from shopify_stock_sync.engine.readings import (
    Reading,
    moment,
    read_reading,
    read_readings,
)
from shopify_stock_sync.engine.rule import QuantityRule
from shopify_stock_sync.engine.webhook import InventoryLevelEvent, inventory_level_event

KEY = LevelKey("gid://shopify/InventoryItem/7", "gid://shopify/Location/3")
SUBJECT = Subject("TEE-RED-M", "Tee (Red, M)", "Store", "WH/Stock")
T0 = datetime(2026, 11, 2, 10, 0, tzinfo=timezone.utc)
STOCK = (OdooStock("WH/Stock", 10.0),)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def iso(seconds: float) -> str:
    return at(seconds).strftime("%Y-%m-%dT%H:%M:%SZ")


def shopify(available, committed=0, seconds=0, unavailable=0, stocked=True):
    if not stocked:
        return ShopifyLevel(KEY, stocked=False)
    return ShopifyLevel(
        KEY,
        stocked=True,
        available=available,
        on_hand=available + committed + unavailable,
        committed=committed,
        tracked=True,
        active=True,
        updated_at=iso(seconds),
    )


def reading(available, committed=0, seconds=0, committed_seconds=None, **kw):
    level = shopify(available, committed, seconds, **kw)
    committed_at = None if committed_seconds is None else iso(committed_seconds)
    return Reading(level, committed_at)


def event(available, seconds, triggered=None, topic="inventory_levels/update"):
    return InventoryLevelEvent(
        topic=topic,
        key=KEY,
        available=available,
        updated_at=None if seconds is None else at(seconds),
        webhook_id=f"w-{seconds}-{available}",
        shop_domain="demo.myshopify.com",
        triggered_at=None if triggered is None else at(triggered),
    )


def level(direction=Direction.SHOPIFY_TO_ODOO, **kw) -> InboundLevel:
    kw.setdefault("known", shopify(10, 0, 0))
    kw.setdefault("odoo_stock", STOCK)
    kw.setdefault("subject", SUBJECT)
    return InboundLevel(KEY, direction, **kw)


# Unknown pairs and stale events: decided without reading Shopify ----------------------


@pytest.mark.parametrize(
    ("options", "cause"),
    [
        ({"direction": None}, "not mapped"),
        ({"direction": Direction.OFF}, "sync is off"),
        ({"linked": False}, "not linked"),
        ({"odoo_stock": ()}, "no Odoo location"),
    ],
)
def test_unknown_pairs(options, cause):
    decision = triage(event(9, 5), level(**options))
    assert decision.kind == InboundKind.UNKNOWN_PAIR
    assert cause in decision.message and "TEE-RED-M" in decision.message
    assert decision.known is None and not decision.applies
    assert decide(event(9, 5), level(**options), reading(9, 0, 5)) == decision


def test_an_unknown_pair_without_names_shows_the_ids():
    bare = InboundLevel(KEY, None)
    message = triage(event(9, 5), bare).message
    assert KEY.inventory_item_id in message and KEY.location_id in message


def test_an_odoo_owned_mapping_needs_no_odoo_location_to_repair():
    assert triage(event(9, 5), level(Direction.ODOO_TO_SHOPIFY, odoo_stock=())) is None


def test_an_event_older_than_the_known_state_is_stale():
    known = shopify(10, 0, seconds=60)
    decision = triage(event(4, 30), level(known=known))
    assert decision.kind == InboundKind.STALE
    assert "older than what Odoo already knows" in decision.message
    assert decision.known is None  # keep what is known


def test_an_event_triggered_before_the_known_state_is_stale():
    known = shopify(10, 0, seconds=60)
    assert triage(event(4, 60, triggered=59.5), level(known=known)).kind == (
        InboundKind.STALE
    )
    assert triage(event(4, 60, triggered=60.2), level(known=known)) is None


def test_the_same_second_is_not_stale_by_time_alone():
    # Shopify's times are whole seconds: a second change in the second already known
    # must still be read and measured.
    known = shopify(10, 0, seconds=60)
    assert triage(event(13, 60), level(known=known)) is None
    decision = decide(event(13, 60), level(known=known), reading(13, 0, 60))
    assert decision.kind == InboundKind.CORRECTION and decision.adjustment == 3


def test_nothing_known_or_no_time_known_needs_a_reading():
    assert triage(event(4, 30), level(known=None)) is None
    untimed = ShopifyLevel(KEY, True, available=10, on_hand=10, committed=0)
    assert triage(event(4, 30), level(known=untimed)) is None


def test_an_event_about_another_level_is_refused():
    other = InboundLevel(
        LevelKey(KEY.inventory_item_id, "gid://shopify/Location/4"), None
    )
    with pytest.raises(ValueError, match="is about"):
        triage(event(1, 1), other)
    with pytest.raises(ValueError, match="reading is of"):
        decide(event(1, 1), level(), Reading(ShopifyLevel(other.key, False)))


# Decisions from a fresh reading -------------------------------------------------------


def test_a_manual_correction_on_a_shopify_owned_mapping_is_applied():
    decision = decide(event(14, 5), level(), reading(14, 0, 5))
    assert decision.kind == InboundKind.CORRECTION
    assert decision.adjustment == 4
    assert decision.placements == (Placement("WH/Stock", 4),)
    assert decision.applies and not decision.mark_for_push and not decision.review
    assert decision.known == shopify(14, 0, 5) and decision.on_hand == 14
    assert decision.movement == Movement(4, 0, 4, False)
    for part in ("TEE-RED-M", "Tee (Red, M)", "Store", "+4", "10 → 14", "WH/Stock"):
        assert part in decision.message


def test_a_correction_down():
    decision = decide(event(7, 5), level(), reading(7, 0, 5))
    assert (decision.kind, decision.adjustment) == (InboundKind.CORRECTION, -3)
    assert decision.placements == (Placement("WH/Stock", -3.0),)


def test_a_sale_is_order_driven():
    decision = decide(event(8, 5), level(), reading(8, 2, 5, committed_seconds=5))
    assert decision.kind == InboundKind.ORDER_DRIVEN
    assert decision.adjustment == 0 and not decision.placements
    assert decision.known == shopify(8, 2, 5)
    assert "order connector" in decision.message and "+2" in decision.message


def test_a_fulfilment_is_order_driven_though_on_hand_fell():
    known = shopify(8, 2, 5)
    decision = decide(
        event(8, 9), level(known=known), reading(8, 1, 9, committed_seconds=9)
    )
    assert decision.kind == InboundKind.ORDER_DRIVEN and decision.adjustment == 0
    assert "a fulfilment" in decision.message


def test_a_sale_placed_and_shipped_between_two_reads_is_order_driven():
    # committed is back where it was, but its time says it moved.
    decision = decide(event(9, 9), level(), reading(9, 0, 9, committed_seconds=8))
    assert decision.movement == Movement(-1, 0, -1, True)
    assert decision.kind == InboundKind.ORDER_DRIVEN and decision.adjustment == 0
    assert decision.review and "fell by 1 more than committed" in decision.message
    # The same numbers with committed untouched since: a correction.
    untouched = decide(event(9, 9), level(), reading(9, 0, 9, committed_seconds=0))
    assert (untouched.kind, untouched.adjustment) == (InboundKind.CORRECTION, -1)


def test_a_rise_among_orders_is_a_correction_of_the_rise_only():
    # 2 sold, 5 counted in: on hand +5, committed +2.
    decision = decide(event(13, 9), level(), reading(13, 2, 9, committed_seconds=9))
    assert (decision.kind, decision.adjustment) == (InboundKind.CORRECTION, 5)


def test_only_available_moved():
    decision = decide(event(8, 9), level(), reading(8, 0, 9, unavailable=2))
    assert decision.kind == InboundKind.NO_STOCK_CHANGE
    assert decision.adjustment == 0 and "damaged" in decision.message
    odoo_owned = decide(
        event(8, 9), level(Direction.ODOO_TO_SHOPIFY), reading(8, 0, 9, unavailable=2)
    )
    assert odoo_owned.kind == InboundKind.WRONG_DIRECTION and odoo_owned.mark_for_push


def test_nothing_new_is_stale():
    decision = decide(event(10, 3), level(), reading(10, 0, 0))
    assert decision.kind == InboundKind.STALE and "already knows" in decision.message
    assert decision.known == shopify(10, 0, 0)


def test_a_correction_on_an_odoo_owned_mapping_is_repaired_by_a_push():
    decision = decide(event(14, 5), level(Direction.ODOO_TO_SHOPIFY), reading(14, 0, 5))
    assert decision.kind == InboundKind.WRONG_DIRECTION
    assert decision.mark_for_push and decision.adjustment == 0
    assert not decision.placements
    assert "Odoo owns" in decision.message and "+4" in decision.message
    assert decision.known == shopify(14, 0, 5)  # the push compares against it


def test_orders_on_an_odoo_owned_mapping_need_no_push():
    decision = decide(
        event(8, 5),
        level(Direction.ODOO_TO_SHOPIFY),
        reading(8, 2, 5, committed_seconds=5),
    )
    assert decision.kind == InboundKind.ORDER_DRIVEN and not decision.mark_for_push


def test_a_two_way_correction_with_odoo_unchanged_is_applied():
    two_way = level(Direction.TWO_WAY, odoo_quantity=10, odoo_quantity_at_sync=10)
    decision = decide(event(12, 5), two_way, reading(12, 0, 5))
    assert (decision.kind, decision.adjustment) == (InboundKind.CORRECTION, 2)
    assert not decision.mark_for_push


def test_a_conflict_odoo_wins_by_default():
    two_way = level(Direction.TWO_WAY, odoo_quantity=13, odoo_quantity_at_sync=10)
    decision = decide(event(12, 5), two_way, reading(12, 0, 5))
    assert decision.kind == InboundKind.CONFLICT
    assert decision.adjustment == 0 and not decision.placements
    assert decision.mark_for_push and decision.review
    assert "Odoo wins" in decision.message and "Odoo (by +3)" in decision.message
    assert "on hand by +2" in decision.message and "review" in decision.message


def test_a_conflict_shopify_wins():
    two_way = level(
        Direction.TWO_WAY,
        odoo_quantity=13,
        odoo_quantity_at_sync=10,
        conflict_rule=ConflictRule.SHOPIFY_WINS,
    )
    decision = decide(event(12, 5), two_way, reading(12, 0, 5))
    assert decision.kind == InboundKind.CONFLICT
    assert decision.adjustment == 2 and decision.placements == (
        Placement("WH/Stock", 2),
    )
    assert decision.mark_for_push and decision.review
    assert "Shopify wins" in decision.message


def test_odoo_moves_do_not_conflict_on_a_shopify_owned_mapping():
    owned = level(odoo_quantity=7, odoo_quantity_at_sync=10)
    assert decide(event(12, 5), owned, reading(12, 0, 5)).kind == InboundKind.CORRECTION


def test_odoo_moved_is_zero_when_unknown_or_tiny():
    assert level(odoo_quantity=None, odoo_quantity_at_sync=3).odoo_moved == 0
    assert level(odoo_quantity=3, odoo_quantity_at_sync=None).odoo_moved == 0
    assert level(odoo_quantity=3.0000001, odoo_quantity_at_sync=3).odoo_moved == 0
    assert level(odoo_quantity=2.5, odoo_quantity_at_sync=3).odoo_moved == -0.5


def test_a_multi_location_mapping_takes_removals_in_order():
    stock = (OdooStock("WH/Stock", 1), OdooStock("WH/Back", 4))
    decision = decide(event(7, 5), level(odoo_stock=stock), reading(7, 0, 5))
    assert decision.placements == (
        Placement("WH/Stock", -1.0),
        Placement("WH/Back", -2.0),
    )
    assert "-1 at WH/Stock, -2 at WH/Back" in decision.message


def test_a_level_gone_from_shopify():
    gone = reading(0, stocked=False)
    decision = decide(
        event(None, None, topic="inventory_levels/disconnect"), level(), gone
    )
    assert decision.kind == InboundKind.DISCONNECTED and decision.review
    assert decision.adjustment == 0 and decision.known == gone.level
    assert "no longer stocked" in decision.message
    odoo_owned = decide(event(None, None), level(Direction.ODOO_TO_SHOPIFY), gone)
    assert odoo_owned.kind == InboundKind.WRONG_DIRECTION and odoo_owned.mark_for_push


def test_a_connected_level_counts_from_zero():
    unstocked = ShopifyLevel(KEY, stocked=False)
    decision = decide(
        event(5, 5, topic="inventory_levels/connect"),
        level(known=unstocked),
        reading(5, 0, 5),
    )
    assert (decision.kind, decision.adjustment) == (InboundKind.CORRECTION, 5)


def test_the_first_reading_is_a_baseline():
    in_step = (OdooStock("WH/Stock", 4.0), OdooStock("WH/Shelf", 1.0))
    first = level(known=None, odoo_stock=in_step)
    decision = decide(event(5, 5), first, reading(5, 0, 5))
    assert decision.kind == InboundKind.BASELINE and not decision.mark_for_push
    assert decision.known == shopify(5, 0, 5) and decision.adjustment == 0
    assert not decision.review and "reconciliation" in decision.message
    # Odoo's 5.0000001 is 5 units, as a reconciliation counts them
    almost = level(known=None, odoo_stock=(OdooStock("WH/Stock", 5.0000001),))
    assert decide(event(5, 5), almost, reading(5, 0, 5)).kind == InboundKind.BASELINE
    odoo_owned = decide(
        event(5, 5), level(Direction.ODOO_TO_SHOPIFY, known=None), reading(5, 0, 5)
    )
    assert odoo_owned.kind == InboundKind.BASELINE and odoo_owned.mark_for_push
    two_way = decide(
        event(5, 5), level(Direction.TWO_WAY, known=None), reading(5, 0, 5)
    )
    assert two_way.kind == InboundKind.BASELINE and not two_way.applies


@pytest.mark.parametrize(("shopify_on_hand", "placed"), [(12, 2.0), (7, -3.0)])
def test_a_first_reading_that_differs_is_followed_on_a_shopify_owned_level(
    shopify_on_hand, placed
):
    """Shopify owns the count: a first reading that differs from Odoo's on hand
    (10) sets Odoo to Shopify's, never a baseline taken as in step."""
    decision = decide(
        event(shopify_on_hand, 5), level(known=None), reading(shopify_on_hand, 0, 5)
    )
    assert decision.kind == InboundKind.CORRECTION
    assert decision.adjustment == placed
    assert decision.placements == (Placement("WH/Stock", placed),)
    assert decision.known == shopify(shopify_on_hand, 0, 5)
    assert not decision.mark_for_push and not decision.review
    assert "first reading" in decision.message
    assert f"Shopify counts {shopify_on_hand} on hand, Odoo has 10" in decision.message
    # committed units are on hand too: Odoo follows on hand, not available
    ordered = decide(event(9, 5), level(known=None), reading(9, 3, 5))
    assert (ordered.kind, ordered.adjustment) == (InboundKind.CORRECTION, 2)


def test_a_first_reading_on_a_two_way_level_is_never_lost_silently():
    """Two-way, never synced, the sides differ: which one moved is unknown, so the
    conflict rule decides; Odoo wins lists it for review with both quantities and
    lets the push make Shopify Odoo's, Shopify wins makes Odoo follow."""
    kept = decide(event(13, 5), level(Direction.TWO_WAY, known=None), reading(13, 0, 5))
    assert kept.kind == InboundKind.BASELINE and kept.review and kept.mark_for_push
    assert kept.adjustment == 0 and kept.known == shopify(13, 0, 5)
    assert "Shopify counts 13 on hand, Odoo has 10" in kept.message
    assert "Odoo wins" in kept.message
    followed = decide(
        event(13, 5),
        level(Direction.TWO_WAY, known=None, conflict_rule=ConflictRule.SHOPIFY_WINS),
        reading(13, 0, 5),
    )
    assert (followed.kind, followed.adjustment) == (InboundKind.CORRECTION, 3)
    assert not followed.review and "Shopify wins" in followed.message
    in_step = decide(
        event(10, 5), level(Direction.TWO_WAY, known=None), reading(10, 0, 5)
    )
    assert in_step.kind == InboundKind.BASELINE and not in_step.review


def test_a_first_reading_without_on_hand_is_listed_for_review():
    bare = ShopifyLevel(KEY, stocked=True, available=5, tracked=True)
    decision = decide(event(5, 5), level(known=None), Reading(bare, None))
    assert decision.kind == InboundKind.BASELINE and decision.review
    assert not decision.applies


# Echoes -------------------------------------------------------------------------------


def test_our_own_echo_after_two_quick_pushes():
    first = RecentPush("available", 12, at(5))
    second = RecentPush("available", 15, at(6))
    pushes = remember(remember((), first), second)
    known = after_push(shopify(10, 0, 0), second)  # stored with the second push
    for pushed in (second, first):  # late and in reverse order
        decision = decide(
            event(pushed.value, 5 + (pushed is second)),
            level(known=known, recent_pushes=pushes),
            reading(15, 0, 6),
        )
        assert decision.kind == InboundKind.ECHO and decision.echo_of == pushed
        assert decision.adjustment == 0 and not decision.mark_for_push
        assert f"available = {pushed.value}" in decision.message


def test_an_echo_after_which_a_sale_came_is_that_sale():
    pushed = RecentPush("available", 15, at(6))
    known = after_push(shopify(10, 0, 0), pushed)
    decision = decide(
        event(15, 6),
        level(known=known, recent_pushes=(pushed,)),
        reading(14, 1, 8, committed_seconds=8),
    )
    assert decision.kind == InboundKind.ORDER_DRIVEN and decision.adjustment == 0


def test_an_echo_after_which_a_correction_came_is_that_correction():
    pushed = RecentPush("available", 15, at(6))
    known = after_push(shopify(10, 0, 0), pushed)
    decision = decide(
        event(15, 6), level(known=known, recent_pushes=(pushed,)), reading(18, 0, 8)
    )
    assert (decision.kind, decision.adjustment) == (InboundKind.CORRECTION, 3)


def test_a_push_not_yet_stored_in_the_known_state_is_never_stock():
    # The push was remembered first; its outcome is not stored yet.
    pushed = RecentPush("available", 15, at(6))
    known = shopify(10, 0, 0)
    echo_decision = decide(
        event(15, 6), level(known=known, recent_pushes=(pushed,)), reading(15, 0, 6)
    )
    assert echo_decision.kind == InboundKind.ECHO
    later = decide(
        event(17, 9), level(known=known, recent_pushes=(pushed,)), reading(17, 0, 9)
    )
    assert (later.kind, later.adjustment) == (InboundKind.CORRECTION, 2)


def test_baseline_lays_only_a_newer_unshown_push_over_the_known_state():
    known = shopify(10, 2, seconds=10)
    assert baseline(None, ()) is None
    assert baseline(known, ()) is known
    shown = RecentPush("available", 10, at(20))
    assert baseline(known, (shown,)) is known
    older = RecentPush("available", 4, at(9))
    assert baseline(known, (older,)) is known
    newer = RecentPush("available", 4, at(11))
    assert baseline(known, (older, newer)) == shopify(4, 2, seconds=10)
    on_hand = RecentPush("on_hand", 9, at(11))
    assert baseline(known, (on_hand,)) == shopify(7, 2, seconds=10)
    untimed = ShopifyLevel(KEY, True, available=10, on_hand=12, committed=2)
    assert baseline(untimed, (older,)).available == 4


def test_echo_of_matches_value_and_time():
    base = shopify(10, 2, 0)
    near = RecentPush("available", 9, at(100))
    far = RecentPush("available", 9, at(-1000))
    assert echo_of(event(9, 101), base, (far, near)) == near
    assert echo_of(event(9, 101), base, (far,)) is None
    assert echo_of(event(8, 101), base, (near,)) is None
    assert echo_of(event(None, None), base, (near,)) is None
    on_hand = RecentPush("on_hand", 11, at(100))  # leaves 11 - 2 committed = 9
    assert echo_of(event(9, 100), base, (on_hand,)) == on_hand
    assert echo_of(event(9, 130), base, (near,), window=timedelta(seconds=10)) is None


def test_unexplained_fall():
    assert Movement(-3, -3, 0, True).unexplained_fall == 0  # a fulfilment
    assert Movement(-3, -1, -2, True).unexplained_fall == 2
    assert Movement(-3, 2, -5, True).unexplained_fall == 3
    assert Movement(-3, 0, -3, False).unexplained_fall == 0  # no orders: a correction
    assert Movement(2, -1, 3, True).unexplained_fall == 0


def test_a_late_echo_older_than_the_known_state_says_echo():
    first = RecentPush("available", 12, at(5))
    known = shopify(15, 0, seconds=6)  # read after the second push
    decision = triage(event(12, 5), level(known=known, recent_pushes=(first,)))
    assert decision.kind == InboundKind.ECHO and decision.echo_of == first
    assert decision.known is None and decision.adjustment == 0


def test_measure():
    base = shopify(10, 1, seconds=10)
    assert measure(base, reading(10, 1, 10, committed_seconds=5)).quiet
    assert measure(base, reading(10, 1, 10)).quiet  # no committed time: by value
    assert measure(base, reading(10, 1, 12, committed_seconds=11)).orders
    unstocked = ShopifyLevel(KEY, stocked=False)
    assert measure(unstocked, reading(4, 1, 12)) == Movement(5, 1, 4, True)
    untimed = ShopifyLevel(KEY, True, available=10, on_hand=11, committed=1)
    assert not measure(untimed, reading(12, 1, 12, committed_seconds=11)).orders


def test_a_decision_without_placements_applies_nothing():
    assert not InboundDecision(InboundKind.ECHO, "").applies


# Remembered pushes --------------------------------------------------------------------


def test_recent_push_checks_its_fields():
    with pytest.raises(ValueError, match="not 'committed'"):
        RecentPush("committed", 1, T0)
    with pytest.raises(ValueError, match="time"):
        RecentPush("available", 1, "not a time")
    naive = RecentPush("available", 1, datetime(2026, 11, 2, 10))
    assert naive.at == T0


def test_remember_keeps_the_most_recent():
    pushes: tuple[RecentPush, ...] = ()
    for n in range(12):
        pushes = remember(pushes, RecentPush("available", n, at(-n)))
    assert [p.value for p in pushes] == [7, 6, 5, 4, 3, 2, 1, 0]
    assert remember(pushes, RecentPush("available", 1, T0), keep=0) == ()
    assert echoes.latest(()) is None


def test_pushes_round_trip_through_json():
    pushes = (RecentPush("available", 3, at(1)), RecentPush("on_hand", 5, at(2)))
    assert pushes_from_json(pushes_to_json(pushes)) == pushes
    for damaged in (None, "", "not json", '[{"name": "x"}]', '{"a": 1}', "[1]"):
        assert pushes_from_json(damaged) == ()


def test_after_push_of_an_unstocked_level():
    unstocked = ShopifyLevel(KEY, stocked=False)
    after = after_push(unstocked, RecentPush("on_hand", 4, T0))
    assert (after.stocked, after.available, after.on_hand, after.committed) == (
        True,
        4,
        4,
        0,
    )


def outcome(written=True, after=None) -> PushOutcome:
    change = LevelChange(KEY, 5.0)
    return PushOutcome(
        change, OutcomeStatus.SYNCED, target=5, after=after, written=written
    )


def test_record_push_uses_what_shopify_holds_after_the_push():
    after = shopify(5, 2, 0, unavailable=1)
    known, pushed = record_push(outcome(after=after), T0)
    assert known == after and pushed == RecentPush("available", 5, T0)
    _, by_on_hand = record_push(outcome(after=after), T0, name="on_hand")
    assert by_on_hand == RecentPush("on_hand", 8, T0)
    assert record_push(outcome(written=False, after=after), T0) is None
    assert record_push(outcome(after=None), T0) is None


# Placement ----------------------------------------------------------------------------


def test_place():
    assert place(0, STOCK) == ()
    with pytest.raises(ValueError, match="at least one"):
        place(1, ())
    twice = (OdooStock("A", 1), OdooStock("B", -3), OdooStock("A", 2))
    assert place(-5, twice) == (Placement("A", -5.0),)
    assert place(-0.5, (OdooStock("A", 2.25),)) == (Placement("A", -0.5),)


# Readings -----------------------------------------------------------------------------


def test_moment():
    assert moment(None) is None
    assert moment(" 2026-11-02T10:00:00z ") == T0
    assert moment(T0) is T0


def test_readings_from_the_simulator(sim, client):
    loc = sim.add_location("Store")
    sold = sim.add_variant(sku="R-1").inventory_item_id
    other = sim.add_variant(sku="R-2").inventory_item_id
    sim.set_level(sold, loc, available=5)
    sim.clock.advance(30)
    sim.place_order(sold, loc, 2)
    ordered = sim.clock.iso()
    sim.clock.advance(30)
    sim.edit_on_hand(sold, loc, 1)
    found = read_readings(client, [LevelKey(sold, loc), LevelKey(other, loc)])
    got = found[LevelKey(sold, loc)]
    assert (got.level.available, got.level.on_hand, got.level.committed) == (4, 6, 2)
    assert got.committed_updated_at == ordered
    assert got.level.updated_at == sim.clock.iso()
    assert found[LevelKey(other, loc)] == Reading(
        ShopifyLevel(LevelKey(other, loc), stocked=False)
    )
    assert read_reading(client, LevelKey(sold, loc)) == got


# The whole path against the simulator -------------------------------------------------

SECRET = "shpss_inbound_tests"


class Odoo:
    """What the Odoo side keeps of one level, driven only through the engine."""

    def __init__(self, sim, client, item, loc, direction, quantity=10.0, **kw):
        self.sim, self.client = sim, client
        self.key = LevelKey(item, loc)
        self.direction = direction
        self.quantity = quantity
        self.at_sync = quantity
        self.pushes: tuple[RecentPush, ...] = ()
        self.known = read_reading(client, self.key).level
        self.options = kw
        self.decisions: list[InboundDecision] = []

    def push(self) -> None:
        change = LevelChange(self.key, self.quantity, known=self.known)
        [done] = push(self.client, [change], QuantityRule(), PushSettings())
        self.known = done.after
        recorded = record_push(done, moment(self.sim.clock.iso()))
        if recorded:
            self.known, pushed = recorded
            self.pushes = remember(self.pushes, pushed)
        self.at_sync = self.quantity

    def receive(self, headers, body) -> InboundDecision:
        event = inventory_level_event(headers, body)
        view = InboundLevel(
            self.key,
            self.direction,
            subject=SUBJECT,
            known=self.known,
            recent_pushes=self.pushes,
            odoo_quantity=self.quantity,
            odoo_quantity_at_sync=self.at_sync,
            odoo_stock=(OdooStock("WH/Stock", self.quantity),),
            **self.options,
        )
        decision = triage(event, view) or decide(
            event, view, read_reading(self.client, self.key)
        )
        self.quantity += decision.adjustment
        self.at_sync += decision.adjustment
        if decision.known is not None:
            self.known = decision.known
        if decision.mark_for_push:
            self.push()
        self.decisions.append(decision)
        return decision

    def receive_all(self, **order) -> list[InboundKind]:
        payloads = self.sim.webhooks.payloads()
        self.sim.webhooks.clear()
        if order.get("reverse"):
            payloads.reverse()
        return [self.receive(h, b).kind for h, b in payloads]


@pytest.fixture
def store(sim, client):
    sim.webhook_secret = SECRET
    loc = sim.add_location("Store")
    item = sim.add_variant(sku="TEE-RED-M").inventory_item_id
    sim.set_level(item, loc, available=10)
    sim.add_subscription("INVENTORY_LEVELS_UPDATE", "http://127.0.0.1:9/hook")
    sim.webhooks.clear()
    return item, loc


def test_simulated_echoes_of_two_quick_pushes(sim, client, store):
    odoo = Odoo(sim, client, *store, Direction.TWO_WAY)
    odoo.quantity = 12
    sim.clock.advance(1)
    odoo.push()
    odoo.quantity = 15
    sim.clock.advance(1)
    odoo.push()
    assert odoo.receive_all(reverse=True) == [InboundKind.ECHO, InboundKind.ECHO]
    assert odoo.quantity == 15 and sim.level(*store)["available"] == 15


def test_simulated_sale_fulfilment_and_correction(sim, client, store):
    odoo = Odoo(sim, client, *store, Direction.SHOPIFY_TO_ODOO)
    delivered = []
    kinds = []
    for change in ("sale", "fulfilment", "count"):
        sim.clock.advance(1)
        if change == "sale":
            sim.place_order(*store, 2)
        elif change == "fulfilment":
            sim.fulfil_order(*store, 2)
            odoo.quantity -= 2  # the order connector delivers it in Odoo
        else:
            sim.edit_on_hand(*store, -3)  # a count in the shop
        delivered += sim.webhooks.payloads()
        kinds += odoo.receive_all()  # each webhook handled as it comes
    assert kinds == [
        InboundKind.ORDER_DRIVEN,
        InboundKind.ORDER_DRIVEN,
        InboundKind.CORRECTION,
    ]
    assert not any(d.review for d in odoo.decisions)
    assert odoo.quantity == 5 == sim.level(*store)["on_hand"]
    # Every delivery again, newest first (Shopify's retries): nothing more moves.
    for headers, body in reversed(delivered):
        assert odoo.receive(headers, body).adjustment == 0
    assert odoo.quantity == 5


def test_simulated_crowded_window_never_counts_the_sale(sim, client, store):
    # Sale, shipment and a count, all before the first webhook is handled: the fall
    # of on hand is the orders' (never a second count of the sale), the count is
    # not applied, and the decision asks for review.
    odoo = Odoo(sim, client, *store, Direction.SHOPIFY_TO_ODOO)
    sim.clock.advance(1)
    sim.place_order(*store, 2)
    sim.clock.advance(1)
    sim.fulfil_order(*store, 2)
    odoo.quantity -= 2
    sim.clock.advance(1)
    sim.edit_on_hand(*store, -3)
    kinds = odoo.receive_all()
    assert kinds == [InboundKind.ORDER_DRIVEN, InboundKind.STALE, InboundKind.STALE]
    assert odoo.decisions[0].review
    assert "reconciliation" in odoo.decisions[0].message
    assert odoo.quantity == 8  # Shopify shows 5: a reconciliation settles the 3


def test_simulated_out_of_order_deliveries_converge(sim, client, store):
    odoo = Odoo(sim, client, *store, Direction.SHOPIFY_TO_ODOO)
    for delta in (+4, -1, +2):
        sim.clock.advance(1)
        sim.edit_on_hand(*store, delta)
    kinds = odoo.receive_all(reverse=True)
    assert kinds == [InboundKind.CORRECTION, InboundKind.STALE, InboundKind.STALE]
    assert odoo.quantity == 15 == sim.level(*store)["on_hand"]


def test_simulated_correction_on_an_odoo_owned_mapping(sim, client, store):
    odoo = Odoo(sim, client, *store, Direction.ODOO_TO_SHOPIFY)
    sim.clock.advance(1)
    sim.edit_on_hand(*store, 5)
    assert odoo.receive_all() == [InboundKind.WRONG_DIRECTION]
    assert odoo.quantity == 10 and sim.level(*store)["available"] == 10
    assert odoo.receive_all() == [InboundKind.ECHO]  # the repair's own webhook


def test_simulated_conflict_on_a_two_way_mapping(sim, client, store):
    odoo = Odoo(sim, client, *store, Direction.TWO_WAY)
    odoo.quantity = 13  # a receipt in Odoo, not pushed yet
    sim.clock.advance(1)
    sim.edit_on_hand(*store, -2)
    [decision] = [odoo.receive(h, b) for h, b in sim.webhooks.payloads()]
    assert decision.kind == InboundKind.CONFLICT and decision.review
    assert odoo.quantity == 13 and sim.level(*store)["available"] == 13
