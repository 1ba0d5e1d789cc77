"""One reconciliation chunk: compare its pairs, decide what to do, report it.

:func:`reconcile_chunk` takes the chunk's pairs, Odoo's quantities and Shopify's levels
and returns everything the Odoo side writes: the levels to mark pending, the inventory
adjustments to apply, the mismatch report, the findings and the chunk's
:class:`.reconciliation.Progress`.  It changes nothing itself.

What a mismatch leads to depends on who owns the mapping's quantity:

* ``odoo_to_shopify`` — **push**: the level is marked pending and the normal push
  sets Shopify in batches (compare-and-set, in-flight order guard).  Compared as the
  push would write: Shopify's ``available`` against the quantity rule applied to
  Odoo's quantity of the rule's basis (:func:`.reconcile.diff`).  A pair Shopify
  does not stock is a mismatch too when Odoo has units to sell there (the push
  stocks it).
* ``shopify_to_odoo`` — **adjust**: Odoo's on-hand quantity is set to Shopify's
  ``on_hand`` by an inventory adjustment (``stock.quant`` inventory mode, so a
  ``stock.move`` records it).  Compared in whole units: Odoo's on hand
  (``qty_available``) against Shopify's ``on_hand`` (:func:`.reconcile.mirror_diff`);
  the rule does not apply (Odoo follows Shopify's count, not what it may sell).
* ``two_way`` — **report** only (compared as Odoo-owned): a reconciliation cannot
  tell which side changed last.  Shopify's changes there are settled as they come,
  by a webhook or by the push that meets them (:mod:`.inbound`: applied when Odoo
  did not move, else by the mapping's conflict rule and listed for review).  A
  mapping that is ``off`` is reported only, too.
* a **dry run** reports every mismatch and changes nothing.

**Several Odoo locations behind one Shopify location** (a mapping of several
locations, or one with children): Odoo's quantity is their sum, and an adjustment must
say where units come and go (:func:`plan_adjustment`).  The rule is the one of every
adjustment from Shopify (:mod:`.placement`): units Shopify has more go to the mapping's
first Odoo location (``Pair.odoo_locations[0]``); units it has fewer are taken from
the first location, then from the others in the order the caller lists them, each
down to zero; what is still missing (Odoo holds fewer than that) is taken from the
first location, which goes below zero and shows the discrepancy.  The lines give each
location's quantity before and after, so the Odoo side can check nothing moved in
between.  Products tracked by lot or serial number need a lot for an
adjustment: the Odoo side reports those as failures (:meth:`ChunkResult.
with_failed_adjustments`).

Pairs Shopify does not stock and nothing will stock, and untracked items, are
findings (:mod:`.findings`), not mismatches.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any

from . import messages
from .data import Direction, LevelKey, ShopifyLevel, Subject
from .findings import Finding, FindingKind, finding_key
from .placement import OdooStock, place
from .reconcile import ON_HAND, PairDiff, diff, mirror_diff
from .reconciliation import Chunk, Progress
from .rule import Basis, QuantityRule

_EPSILON = 1e-6


def odoo_basis(direction: Direction, rule: QuantityRule) -> Basis:
    """Which Odoo quantity a pair is compared with: on hand for Shopify-owned
    mappings, the rule's basis for the others."""
    if Direction(direction) is Direction.SHOPIFY_TO_ODOO:
        return Basis.ON_HAND
    return rule.basis


@dataclass(frozen=True)
class OdooLocation:
    id: int
    name: str = ""


@dataclass(frozen=True)
class Pair:
    """One (link, mapping) pair of a run, as the Odoo side hands it over.

    ``odoo_locations``: the mapping's Odoo locations, the first receiving the units
    of an adjustment (see the module's note); ``level_id``: the Odoo level, if it
    exists yet.
    """

    key: LevelKey
    direction: Direction
    link_id: int
    mapping_id: int
    subject: Subject = field(default_factory=Subject)
    odoo_locations: tuple[OdooLocation, ...] = ()
    level_id: int | None = None


@dataclass(frozen=True)
class LocationQuantity:
    """Odoo's on-hand quantity of a product at one internal location."""

    location: OdooLocation
    quantity: float


@dataclass(frozen=True)
class AdjustmentLine:
    location: OdooLocation
    before: float
    after: float


@dataclass(frozen=True)
class Adjustment:
    """Set Odoo's on hand of one pair's product, location by location."""

    pair: Pair
    lines: tuple[AdjustmentLine, ...]

    @property
    def before(self) -> float:
        return sum(line.before for line in self.lines)

    @property
    def after(self) -> float:
        return sum(line.after for line in self.lines)

    @property
    def change(self) -> float:
        return self.after - self.before


def plan_adjustment(
    new_total: float, stock: Sequence[LocationQuantity], first: OdooLocation
) -> tuple[AdjustmentLine, ...]:
    """The lines that bring Odoo's on hand over ``stock`` to ``new_total``, placed
    by :func:`.placement.place` (``first`` leads, whatever its place in ``stock``).

    >>> a, b = OdooLocation(1, "WH/Stock"), OdooLocation(2, "WH/Stock/Shelf")
    >>> plan_adjustment(10, [LocationQuantity(a, 3), LocationQuantity(b, 4)], a)
    (AdjustmentLine(location=OdooLocation(id=1, name='WH/Stock'), before=3.0, \
after=6.0),)
    >>> stock = [LocationQuantity(b, 4), LocationQuantity(a, 3)]
    >>> [(line.location.id, line.after) for line in plan_adjustment(2, stock, a)]
    [(1, 0.0), (2, 2.0)]
    """
    held: dict[int, float] = {first.id: 0.0}
    locations = {first.id: first}
    for entry in stock:
        held[entry.location.id] = held.get(entry.location.id, 0.0) + entry.quantity
        locations.setdefault(entry.location.id, entry.location)
    change = new_total - sum(held.values())
    if abs(change) < _EPSILON:
        return ()
    placements = place(change, [OdooStock(str(i), q) for i, q in held.items()])
    lines = []
    for placement in placements:
        location = int(placement.location)
        before = held[location]
        lines.append(
            AdjustmentLine(locations[location], before, before + placement.quantity)
        )
    return tuple(lines)


class Action(str, Enum):
    PUSH = "push"  # the level is marked pending: the push sets Shopify
    ADJUST = "adjust"  # an Odoo inventory adjustment to Shopify's on hand
    REPORT = "report"  # reported only
    FAILED = "failed"  # the correction could not be made


@dataclass(frozen=True)
class Mismatch:
    """One line of the mismatch report: the pair, both quantities, what was done."""

    pair: Pair
    diff: PairDiff
    action: Action
    note: str
    adjustment: Adjustment | None = None

    @property
    def key(self) -> LevelKey:
        return self.pair.key

    def as_row(self) -> dict[str, Any]:
        """The report line's values, named as an operator reads them."""
        subject = self.pair.subject
        return {
            "sku": subject.sku,
            "product": subject.product,
            "shopify_location": subject.shopify_location,
            "odoo_locations": subject.odoo_location,
            "direction": Direction(self.pair.direction).value,
            "odoo_quantity": self.diff.odoo_quantity,
            "shopify_quantity": self.diff.shopify_quantity,
            "shopify_quantity_name": self.diff.name,
            "target": self.diff.target,
            "action": self.action.value,
            "note": self.note,
        }


@dataclass(frozen=True)
class PairFailure:
    pair: Pair
    message: str


@dataclass(frozen=True)
class ChunkResult:
    """Everything a chunk decided; the Odoo side writes it in the chunk's job."""

    progress: Progress
    mismatches: tuple[Mismatch, ...] = ()
    findings: tuple[Finding, ...] = ()
    failures: tuple[PairFailure, ...] = ()
    chunk: Chunk | None = None

    @property
    def to_push(self) -> tuple[Pair, ...]:
        """Pairs whose levels to mark pending (the push then corrects Shopify)."""
        return tuple(m.pair for m in self.mismatches if m.action is Action.PUSH)

    @property
    def adjustments(self) -> tuple[Adjustment, ...]:
        return tuple(
            m.adjustment
            for m in self.mismatches
            if m.action is Action.ADJUST and m.adjustment
        )

    def with_failed_adjustments(self, failed: Mapping[LevelKey, str]) -> ChunkResult:
        """The result once the Odoo side could not apply some adjustments (a lot
        needed, stock moved meanwhile): those lines say why, and count as failures,
        not corrections."""
        mismatches = []
        count = 0
        for mismatch in self.mismatches:
            reason = failed.get(mismatch.key)
            if mismatch.action is Action.ADJUST and reason is not None:
                count += 1
                mismatch = replace(
                    mismatch,
                    action=Action.FAILED,
                    note=_adjust_failed(mismatch, reason),
                )
            mismatches.append(mismatch)
        progress = replace(
            self.progress,
            corrections=self.progress.corrections - count,
            failures=self.progress.failures + count,
        )
        return replace(self, mismatches=tuple(mismatches), progress=progress)


def reconcile_chunk(
    pairs: Iterable[Pair],
    odoo_quantities: Mapping[LevelKey, float],
    shopify_levels: Mapping[LevelKey, ShopifyLevel],
    rule: QuantityRule,
    *,
    dry_run: bool = False,
    odoo_stock: Mapping[LevelKey, Sequence[LocationQuantity]] | None = None,
    committed_known_to_odoo: Mapping[LevelKey, int] | None = None,
    chunk: Chunk | None = None,
) -> ChunkResult:
    """Compare a chunk's pairs and decide, pair by pair.

    ``odoo_quantities``: per pair, Odoo's quantity of :func:`odoo_basis` summed over
    the mapping's locations (missing: 0).  ``shopify_levels``: Shopify's levels (a
    snapshot may hold more pairs; only the chunk's are compared; missing: not
    stocked).  ``odoo_stock``: per Shopify-owned pair, on hand per Odoo location, for
    the adjustments' lines.
    """
    pairs = list(pairs)
    stock = odoo_stock or {}
    by_key: dict[LevelKey, Pair] = {}
    failures: list[PairFailure] = []
    for pair in pairs:
        quantity = odoo_quantities.get(pair.key, 0.0)
        if not math.isfinite(quantity):
            failures.append(PairFailure(pair, _no_number(pair, quantity)))
        else:
            by_key[pair.key] = pair
    mirrored = {
        k
        for k, p in by_key.items()
        if Direction(p.direction) is Direction.SHOPIFY_TO_ODOO
    }
    subjects = {k: p.subject for k, p in by_key.items()}

    def part(keys: Iterable[LevelKey]) -> tuple[dict, dict]:
        keys = list(keys)
        return (
            {k: float(odoo_quantities.get(k, 0.0)) for k in keys},
            {k: shopify_levels[k] for k in keys if k in shopify_levels},
        )

    quantities, levels = part(k for k in by_key if k not in mirrored)
    pushed = diff(quantities, rule, levels, subjects, committed_known_to_odoo)
    adjusted = mirror_diff(*part(mirrored), subjects)
    decide = _Decider(by_key, stock, dry_run)
    for result in (pushed, adjusted):
        for pair_diff in result.mismatched:
            decide.mismatch(pair_diff)
        for pair_diff in sorted(result.not_stocked, key=lambda p: p.key):
            decide.not_stocked(pair_diff)
        for pair_diff in result.untracked:
            decide.untracked(pair_diff)
    failures.extend(decide.failures)
    mismatches = sorted(decide.mismatches, key=lambda m: (_order(m.pair), m.key))
    progress = Progress(
        total=len(pairs),
        checked=pushed.checked + adjusted.checked,
        mismatches=len(mismatches),
        corrections=sum(m.action in (Action.PUSH, Action.ADJUST) for m in mismatches),
        failures=len(failures),
    )
    return ChunkResult(
        progress,
        tuple(mismatches),
        tuple(sorted(decide.findings.values(), key=lambda f: (f.kind.value, f.key))),
        tuple(failures),
        chunk,
    )


def _order(pair: Pair) -> tuple[str, ...]:
    s = pair.subject
    return (s.sku, s.product, s.shopify_location, s.odoo_location)


class _Decider:
    """Turns compared pairs into mismatches, findings and failures."""

    def __init__(
        self,
        pairs: Mapping[LevelKey, Pair],
        stock: Mapping[LevelKey, Sequence[LocationQuantity]],
        dry_run: bool,
    ) -> None:
        self.pairs = pairs
        self.stock = stock
        self.dry_run = dry_run
        self.mismatches: list[Mismatch] = []
        self.findings: dict[str, Finding] = {}
        self.failures: list[PairFailure] = []

    def mismatch(self, pair_diff: PairDiff) -> None:
        pair = self.pairs[pair_diff.key]
        direction = Direction(pair.direction)
        if self.dry_run:
            self._add(pair, pair_diff, Action.REPORT, _reported(pair_diff, "dry run"))
        elif direction is Direction.ODOO_TO_SHOPIFY:
            self._add(pair, pair_diff, Action.PUSH, _queued(pair_diff))
        elif direction is Direction.SHOPIFY_TO_ODOO:
            self._adjust(pair, pair_diff)
        else:
            self._add(pair, pair_diff, Action.REPORT, _reported(pair_diff, direction))

    def _adjust(self, pair: Pair, pair_diff: PairDiff) -> None:
        about = messages.about(pair.subject)
        if pair_diff.on_hand is None:
            self._fail(
                pair,
                pair_diff,
                f"{about}: Shopify gave no on-hand quantity, so Odoo was not "
                "adjusted. It is compared again in the next run.",
            )
            return
        if not pair.odoo_locations:
            self._fail(
                pair,
                pair_diff,
                f"{about}: the location mapping has no Odoo location to adjust. Add "
                "one to the mapping, then run again.",
            )
            return
        stock = self.stock.get(pair.key, ())
        if not stock:
            stock = (LocationQuantity(pair.odoo_locations[0], pair_diff.odoo_quantity),)
        lines = plan_adjustment(pair_diff.on_hand, stock, pair.odoo_locations[0])
        adjustment = Adjustment(pair, lines)
        self._add(
            pair, pair_diff, Action.ADJUST, _adjusted(pair_diff, adjustment), adjustment
        )

    def not_stocked(self, pair_diff: PairDiff) -> None:
        pair = self.pairs[pair_diff.key]
        direction = Direction(pair.direction)
        if direction is not Direction.SHOPIFY_TO_ODOO and pair_diff.target > 0:
            self.mismatch(pair_diff)
            return
        key = finding_key(
            FindingKind.NOT_STOCKED, pair.key.inventory_item_id, pair.key.location_id
        )
        self.findings[key] = Finding(
            FindingKind.NOT_STOCKED,
            key,
            _not_stocked(pair, pair_diff),
            sku=pair.subject.sku,
            product=pair.subject.product,
            shopify_location=pair.subject.shopify_location,
            odoo_location=pair.subject.odoo_location,
            inventory_item_id=pair.key.inventory_item_id,
            location_id=pair.key.location_id,
            units=pair_diff.odoo_quantity,
        )

    def untracked(self, pair_diff: PairDiff) -> None:
        pair = self.pairs[pair_diff.key]
        key = finding_key(FindingKind.UNTRACKED, pair.key.inventory_item_id)
        subject = replace(pair.subject, shopify_location="", odoo_location="")
        self.findings.setdefault(
            key,
            Finding(
                FindingKind.UNTRACKED,
                key,
                messages.not_tracked(subject),
                sku=subject.sku,
                product=subject.product,
                inventory_item_id=pair.key.inventory_item_id,
            ),
        )

    def _fail(self, pair: Pair, pair_diff: PairDiff, message: str) -> None:
        self.failures.append(PairFailure(pair, message))
        self._add(pair, pair_diff, Action.FAILED, message)

    def _add(
        self,
        pair: Pair,
        pair_diff: PairDiff,
        action: Action,
        note: str,
        adjustment: Adjustment | None = None,
    ) -> None:
        self.mismatches.append(Mismatch(pair, pair_diff, action, note, adjustment))


# -- words ---------------------------------------------------------------------------


def _units(quantity: float) -> str:
    return f"{quantity:g}"


def _seen(pair_diff: PairDiff) -> str:
    """``Shopify shows 9 available, Odoo stands for 7``."""
    quantities = (pair_diff.available, pair_diff.on_hand, pair_diff.committed)
    if pair_diff.shopify_quantity is None and any(q is not None for q in quantities):
        shopify = f"Shopify gave no {pair_diff.name.replace('_', '-')} quantity"
    elif pair_diff.shopify_quantity is None:
        shopify = "Shopify does not stock the item here"
    elif pair_diff.name == ON_HAND:
        shopify = f"Shopify counts {pair_diff.shopify_quantity} on hand"
    else:
        shopify = f"Shopify shows {pair_diff.shopify_quantity} available"
    if pair_diff.name == ON_HAND:
        return f"{shopify}, Odoo has {_units(pair_diff.odoo_quantity)}"
    return f"{shopify}, Odoo stands for {pair_diff.target}"


def _queued(pair_diff: PairDiff) -> str:
    stock = "stocks the item there and sets" if pair_diff.available is None else "sets"
    return (
        f"{_seen(pair_diff)}: marked for the push, which {stock} Shopify to "
        f"{pair_diff.target}."
    )


def _reported(pair_diff: PairDiff, why: str | Direction) -> str:
    reasons = {
        "dry run": "dry run, nothing changed",
        Direction.TWO_WAY: "reported only: a reconciliation does not choose a side on "
        "a two-way location; Shopify's changes there are applied as their webhooks "
        "come (by the mapping's conflict rule when Odoo moved too); to settle this "
        "difference, correct the side that is wrong",
        Direction.OFF: "reported only: the location mapping is off",
    }
    return f"{_seen(pair_diff)}: {reasons[why]}."


def _adjusted(pair_diff: PairDiff, adjustment: Adjustment) -> str:
    where = ", ".join(
        f"{line.location.name or line.location.id} {_units(line.before)} → "
        f"{_units(line.after)}"
        for line in adjustment.lines
    )
    return (
        f"{_seen(pair_diff)}: Odoo set to {_units(adjustment.after)} on hand by an "
        f"inventory adjustment ({where})."
    )


def _adjust_failed(mismatch: Mismatch, reason: str) -> str:
    return (
        f"{_seen(mismatch.diff)}: Odoo could not be adjusted: {reason.rstrip('.')}. "
        "Adjust it by hand, or run again."
    )


def _not_stocked(pair: Pair, pair_diff: PairDiff) -> str:
    about = messages.about(pair.subject)
    if Direction(pair.direction) is Direction.SHOPIFY_TO_ODOO:
        return (
            f"{about}: Shopify does not stock the item at this location, so Odoo "
            f"({_units(pair_diff.odoo_quantity)} on hand) cannot follow it. Stock it "
            "there in Shopify, or unlink the product."
        )
    return (
        f"{about}: Shopify does not stock the item at this location; Odoo has nothing "
        "to sell there, so the push leaves it. Nothing to do unless the item should "
        "be offered there."
    )


def _no_number(pair: Pair, quantity: float) -> str:
    return (
        f"{messages.about(pair.subject)}: the Odoo quantity {quantity!r} is no "
        f"number; the pair was not compared. {messages.NO_RETRY}"
    )
