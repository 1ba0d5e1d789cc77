"""Invariants of inbound decisions, over many generated histories (seeded loops and
exhaustive small cases, no extra library).

A tiny model plays one level: Shopify (available, committed, when each changed), Odoo
(its on hand over the mapping), the order connector (a fulfilment in Shopify is a
delivery in Odoo), merchants (counts and edits in Shopify), Odoo's pushes (compare-and-
set against the known level, as the engine pushes) and the webhooks of every change,
handled late, reordered and repeated.  Every decision goes through ``triage`` and
``decide`` with a fresh reading, and its outcome is stored as the Odoo side would.

Held in every history:

* a Shopify sale is never counted twice: with no merchant correction, no adjustment
  is ever made, whatever the order, lateness or repetition of the webhooks;
* an echo never creates stock: our pushes never become adjustments;
* replays change nothing: handling every webhook again, in any order, moves nothing;
* adjustments never exceed Shopify's own corrections, never with the wrong sign;
* handled as they come, corrections reach Odoo exactly once; handled all at the end,
  the outcome does not depend on the order.
"""

from __future__ import annotations

import itertools
import math
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import pytest

from shopify_stock_sync.engine.data import Direction, LevelKey, ShopifyLevel, Subject
from shopify_stock_sync.engine.echo import RecentPush, after_push, remember
from shopify_stock_sync.engine.inbound import (
    ConflictRule,
    InboundKind,
    InboundLevel,
    decide,
    triage,
)
from shopify_stock_sync.engine.placement import OdooStock
from shopify_stock_sync.engine.readings import Reading
from shopify_stock_sync.engine.webhook import InventoryLevelEvent

KEY = LevelKey("gid://shopify/InventoryItem/1", "gid://shopify/Location/1")
T0 = datetime(2026, 11, 2, tzinfo=timezone.utc)
DIRECTIONS = (Direction.SHOPIFY_TO_ODOO, Direction.TWO_WAY, Direction.ODOO_TO_SHOPIFY)


def stamp(second: int) -> str:
    return (T0 + timedelta(seconds=second)).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class World:
    direction: Direction
    rule: ConflictRule = ConflictRule.ODOO_WINS
    second: int = 0
    available: int = 10
    committed: int = 0
    updated: int = 0
    committed_changed: int = 0
    odoo: float = 10.0
    at_sync: float = 10.0
    pushes: tuple[RecentPush, ...] = ()
    known: ShopifyLevel | None = None
    events: list[InventoryLevelEvent] = field(default_factory=list)
    applied: int = 0
    corrections: list[int] = field(default_factory=list)
    shipped: int = 0
    kinds: Counter = field(default_factory=Counter)
    auto_push: bool = False  # Odoo's push flow follows each Odoo move at once

    def __post_init__(self) -> None:
        self.known = self.level()

    # Shopify ----------------------------------------------------------------------

    def level(self) -> ShopifyLevel:
        return ShopifyLevel(
            KEY,
            stocked=True,
            available=self.available,
            on_hand=self.available + self.committed,
            committed=self.committed,
            tracked=True,
            active=True,
            updated_at=stamp(self.updated),
        )

    def reading(self) -> Reading:
        return Reading(self.level(), stamp(self.committed_changed))

    def changed(self, committed: bool = False) -> None:
        self.second += 1  # every change in its own second (see test_inbound.py for
        self.updated = self.second  # two changes within one second)
        if committed:
            self.committed_changed = self.second
        self.events.append(
            InventoryLevelEvent(
                topic="inventory_levels/update",
                key=KEY,
                available=self.available,
                updated_at=T0 + timedelta(seconds=self.second),
                webhook_id=f"w{len(self.events)}",
                shop_domain="model.myshopify.com",
                triggered_at=T0 + timedelta(seconds=self.second, milliseconds=300),
            )
        )

    # What happens in the world -------------------------------------------------------

    def sale(self, n: int) -> None:
        self.available -= n
        self.committed += n
        self.changed(committed=True)

    def cancel(self, n: int) -> None:
        n = min(n, self.committed)
        if n:
            self.available += n
            self.committed -= n
            self.changed(committed=True)

    def fulfil(self, n: int) -> None:
        n = min(n, self.committed)
        if n:
            self.committed -= n
            self.odoo -= n  # the order connector delivers it in Odoo
            self.shipped += n
            self.changed(committed=True)
            self.odoo_moved()

    def correct(self, delta: int) -> None:
        if delta:
            self.available += delta
            self.corrections.append(delta)
            self.changed()

    def odoo_move(self, delta: float) -> None:
        if self.direction != Direction.SHOPIFY_TO_ODOO:
            self.odoo += delta  # a receipt or scrap in Odoo
            self.odoo_moved()

    def odoo_moved(self) -> None:
        if self.auto_push:
            self.push()

    def push(self) -> None:
        """Odoo's push as the engine makes it: compare-and-set against the known
        level, a fresh read when the compare fails; the outcome stored."""
        if self.direction == Direction.SHOPIFY_TO_ODOO:
            return
        known = self.known
        if known is not None and known.stocked and known.available == self.available:
            before = known  # trusted: the compare held
        else:
            before = self.level()
        target = max(math.floor(self.odoo) - (before.committed or 0), 0)
        self.available = target
        self.changed()
        pushed = RecentPush("available", target, T0 + timedelta(seconds=self.second))
        self.known = after_push(before, pushed)
        self.pushes = remember(self.pushes, pushed)
        self.at_sync = self.odoo

    # Odoo's inbound job ---------------------------------------------------------------

    def handle(self, event: InventoryLevelEvent) -> None:
        view = InboundLevel(
            KEY,
            self.direction,
            subject=Subject("M-1", "Model", "Store", "WH/Stock"),
            conflict_rule=self.rule,
            known=self.known,
            recent_pushes=self.pushes,
            odoo_quantity=self.odoo,
            odoo_quantity_at_sync=self.at_sync,
            odoo_stock=(OdooStock("WH/Stock", self.odoo),),
        )
        decision = triage(event, view) or decide(event, view, self.reading())
        self.kinds[decision.kind] += 1
        assert sum(p.quantity for p in decision.placements) == decision.adjustment
        self.odoo += decision.adjustment
        self.at_sync += decision.adjustment
        self.applied += decision.adjustment
        if decision.known is not None:
            self.known = decision.known
        if decision.mark_for_push:
            self.push()

    def snapshot(self) -> tuple:
        return (self.odoo, self.available, self.committed, self.applied)


def act(
    world: World,
    rng: random.Random,
    corrections: bool,
    odoo_moves: bool,
    orders: bool = True,
) -> None:
    kinds = ["sale", "cancel", "fulfil", "push"] if orders else ["push"]
    if corrections:
        kinds.append("correct")
    if odoo_moves:
        kinds.append("odoo")
    kind = rng.choice(kinds)
    if kind == "sale":
        world.sale(rng.randint(1, 3))
    elif kind == "cancel":
        world.cancel(rng.randint(1, 3))
    elif kind == "fulfil":
        world.fulfil(rng.randint(1, 3))
    elif kind == "correct":
        world.correct(rng.choice([-3, -2, -1, 1, 2, 4]))
    elif kind == "odoo":
        world.odoo_move(rng.choice([-2, 3]))
    else:
        world.push()


def run(
    seed: int,
    direction: Direction,
    *,
    corrections: bool,
    odoo_moves: bool = True,
    orders: bool = True,
    prompt: bool = False,
    steps: int = 30,
    rule: ConflictRule = ConflictRule.ODOO_WINS,
) -> World:
    """One history: actions, and webhooks handled promptly (each right after the
    change) or at random moments, shuffled and repeated; then every webhook ever
    sent is handled twice more, in random order."""
    rng = random.Random(seed)
    world = World(direction, rule, auto_push=prompt)
    pending: list[InventoryLevelEvent] = []
    sent = 0

    def collect() -> None:
        nonlocal sent
        pending.extend(world.events[sent:])  # pushes made by decisions too
        sent = len(world.events)

    def handle(event: InventoryLevelEvent) -> None:
        world.handle(event)
        collect()

    for _ in range(steps):
        act(world, rng, corrections, odoo_moves, orders)
        collect()
        if prompt:
            while pending:
                handle(pending.pop(0))
            continue
        while pending and rng.random() < 0.4:
            event = pending.pop(rng.randrange(len(pending)))
            handle(event)
            if rng.random() < 0.2:
                pending.append(event)  # delivered again later
    while pending:
        handle(pending.pop(rng.randrange(len(pending))))
    settled = world.snapshot()
    replay = list(world.events) * 2
    rng.shuffle(replay)
    for event in replay:
        world.handle(event)
    assert world.snapshot() == settled, "a replay moved something"
    return world


SEEDS = range(150)


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_a_sale_is_never_counted_twice_and_an_echo_never_makes_stock(direction):
    for seed in SEEDS:
        world = run(seed, direction, corrections=False)
        assert world.applied == 0, seed
        assert not world.kinds[InboundKind.CORRECTION], seed
        if direction == Direction.SHOPIFY_TO_ODOO:
            # Odoo moved only by the order connector's deliveries.
            assert world.odoo == 10 - world.shipped, seed


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("rule", list(ConflictRule))
def test_adjustments_never_exceed_shopifys_corrections(direction, rule):
    for seed in SEEDS:
        world = run(seed, direction, corrections=True, rule=rule)
        down = sum(c for c in world.corrections if c < 0)
        up = sum(c for c in world.corrections if c > 0)
        assert down <= world.applied <= up, seed
        if direction == Direction.ODOO_TO_SHOPIFY:
            assert world.applied == 0, seed


def test_corrections_alone_reach_odoo_exactly_once_in_any_order():
    for seed in SEEDS:
        world = run(
            seed,
            Direction.SHOPIFY_TO_ODOO,
            corrections=True,
            odoo_moves=False,
            orders=False,
        )
        assert world.applied == sum(world.corrections), seed
        assert world.odoo == 10 + sum(world.corrections) - world.shipped, seed
        assert world.odoo == world.available + world.committed, seed


@pytest.mark.parametrize("direction", [Direction.SHOPIFY_TO_ODOO, Direction.TWO_WAY])
def test_webhooks_handled_as_they_come_are_exact(direction):
    for seed in SEEDS:
        world = run(seed, direction, corrections=True, odoo_moves=False, prompt=True)
        assert world.applied == sum(world.corrections), seed
        assert world.odoo == 10 + sum(world.corrections) - world.shipped, seed
        assert not world.kinds[InboundKind.CONFLICT], seed


def test_an_odoo_owned_level_handled_as_it_comes_shows_odoos_number():
    for seed in SEEDS:
        world = run(seed, Direction.ODOO_TO_SHOPIFY, corrections=True, prompt=True)
        world.push()  # the normal push after the last Odoo move
        assert world.applied == 0
        assert world.available == max(math.floor(world.odoo) - world.committed, 0)


def test_handled_at_the_end_the_order_does_not_matter():
    for seed in range(60):
        rng = random.Random(seed)
        script = [(rng.choice("scfk"), rng.randint(1, 3)) for _ in range(6)]
        outcomes = set()
        for order in range(4):
            world = World(Direction.SHOPIFY_TO_ODOO)
            for kind, n in script:
                {
                    "s": world.sale,
                    "c": world.cancel,
                    "f": world.fulfil,
                    "k": lambda n, w=world: w.correct(n - 2),
                }[kind](n)
            events = list(world.events)
            if order == 1:
                events.reverse()
            elif order >= 2:
                random.Random(order).shuffle(events)
                events += events[:3]
            for event in events:
                world.handle(event)
            outcomes.add(world.snapshot())
        assert len(outcomes) == 1, (seed, script, outcomes)


ACTIONS = {
    "sale": lambda w: w.sale(2),
    "cancel": lambda w: w.cancel(1),
    "fulfil": lambda w: w.fulfil(2),
    "push": lambda w: w.push(),
    "odoo": lambda w: w.odoo_move(3),
}


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_every_short_history_in_every_delivery_order(direction):
    """Exhaustive: every sequence of three order or push actions, every order of
    handling its webhooks (each also handled twice): never an adjustment."""
    for names in itertools.product(ACTIONS, repeat=3):
        probe = World(direction)
        for name in names:
            ACTIONS[name](probe)
        count = len(probe.events)
        for order in itertools.permutations(range(count)):
            world = World(direction)
            for name in names:
                ACTIONS[name](world)
            for index in order:
                world.handle(world.events[index])
                world.handle(world.events[index])
            assert world.applied == 0, (names, order)
