"""The reconciliation diff: Odoo quantities against Shopify levels, pair by pair.

Pure: the caller reads Shopify (``inventory.read_levels``) and sums Odoo quantities per
mapping; this module only compares.  Every pair lands in exactly one bucket:

* ``matched`` — Shopify's ``available`` is what the sync would set;
* ``mismatched`` — it is not (``difference`` is what a push would change);
* ``not_stocked`` — Shopify has no level for the item at the location (a push must
  activate it first);
* ``untracked`` — Shopify does not track the item's inventory, nothing to compare.

:func:`diff` compares the way Odoo-owned mappings sync: Shopify's ``available``
against the quantity rule applied to Odoo's quantity.  :func:`mirror_diff` compares the
way Shopify-owned mappings sync: Odoo's on-hand quantity against Shopify's ``on_hand``,
whole units, no rule (Odoo follows Shopify's count, not what Shopify may sell).

>>> from .data import LevelKey, ShopifyLevel
>>> key = LevelKey("gid://shopify/InventoryItem/1", "gid://shopify/Location/1")
>>> level = ShopifyLevel(key, stocked=True, available=4, on_hand=6, committed=2,
...                      tracked=True)
>>> result = diff({key: 8.0}, QuantityRule(), {key: level})
>>> result.counts()["mismatched"], result.mismatched[0].target
(1, 6)
>>> result.mismatched[0].difference
2
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from .data import LevelKey, ShopifyLevel, Subject
from .rule import QuantityRule, available_target

AVAILABLE = "available"
ON_HAND = "on_hand"
# Odoo quantities are floats with a few decimals of precision: 2.9999999 is 3 units.
_EPSILON = 1e-6


@dataclass(frozen=True)
class PairDiff:
    """One (inventory item, Shopify location) pair as compared.

    ``odoo_quantity`` is the Odoo quantity compared, summed over the mapping's
    locations; ``name`` is the Shopify quantity it is compared with (``available`` or
    ``on_hand``); ``target`` is the value of that quantity Odoo stands for (for
    ``available``: the rule and the in-flight order guard applied; for ``on_hand``:
    Odoo's whole units); ``difference`` is ``target`` minus Shopify's quantity
    (negative: Shopify shows more units than Odoo).
    """

    key: LevelKey
    subject: Subject
    odoo_quantity: float
    target: int
    available: int | None = None
    on_hand: int | None = None
    committed: int | None = None
    name: str = AVAILABLE

    @property
    def shopify_quantity(self) -> int | None:
        """Shopify's quantity of ``name``: what ``target`` is compared with."""
        return self.on_hand if self.name == ON_HAND else self.available

    @property
    def difference(self) -> int | None:
        if self.shopify_quantity is None:
            return None
        return self.target - self.shopify_quantity

    @property
    def oversold(self) -> bool:
        """Shopify sells more than it holds at this location."""
        return self.available is not None and self.available < 0


@dataclass(frozen=True)
class Reconciliation:
    """The outcome of one diff; each list sorted by subject, then by key."""

    matched: list[PairDiff] = field(default_factory=list)
    mismatched: list[PairDiff] = field(default_factory=list)
    not_stocked: list[PairDiff] = field(default_factory=list)
    untracked: list[PairDiff] = field(default_factory=list)

    @property
    def checked(self) -> int:
        return (
            len(self.matched)
            + len(self.mismatched)
            + len(self.not_stocked)
            + len(self.untracked)
        )

    @property
    def in_sync(self) -> bool:
        """Nothing a push would change (untracked pairs have nothing to change)."""
        return not self.mismatched and not any(p.target for p in self.not_stocked)

    def counts(self) -> dict[str, int]:
        return {
            "checked": self.checked,
            "matched": len(self.matched),
            "mismatched": len(self.mismatched),
            "not_stocked": len(self.not_stocked),
            "untracked": len(self.untracked),
            "oversold": sum(1 for p in self.mismatched + self.matched if p.oversold),
        }


def _order(pair: PairDiff) -> tuple[str, str, str, str, LevelKey]:
    subject = pair.subject
    return (
        subject.sku,
        subject.product,
        subject.shopify_location,
        subject.odoo_location,
        pair.key,
    )


def diff(
    odoo_quantities: Mapping[LevelKey, float],
    rule: QuantityRule,
    shopify_levels: Mapping[LevelKey, ShopifyLevel],
    subjects: Mapping[LevelKey, Subject] | None = None,
    committed_known_to_odoo: Mapping[LevelKey, int] | None = None,
) -> Reconciliation:
    """Compare every pair known to either side, as an Odoo-owned mapping syncs.

    A pair only in ``shopify_levels`` has an Odoo quantity of 0 (a linked product
    without stock at the mapped locations); a pair only in ``odoo_quantities`` is not
    stocked in Shopify.  ``committed_known_to_odoo`` defaults to 0 per pair, as in the
    push.
    """
    known = committed_known_to_odoo or {}

    def target(key: LevelKey, quantity: float, level: ShopifyLevel | None) -> int:
        if level is None or not level.stocked:
            return available_target(rule, quantity, 0)
        return available_target(rule, quantity, level.committed, known.get(key, 0))

    return _compare(odoo_quantities, shopify_levels, subjects, target, AVAILABLE)


def mirror_diff(
    odoo_on_hand: Mapping[LevelKey, float],
    shopify_levels: Mapping[LevelKey, ShopifyLevel],
    subjects: Mapping[LevelKey, Subject] | None = None,
) -> Reconciliation:
    """Compare every pair as a Shopify-owned mapping syncs: Odoo's on hand against
    Shopify's ``on_hand``.

    ``odoo_on_hand`` is Odoo's on-hand quantity (``qty_available``) summed over the
    mapping's locations.  It is compared in whole units (2.9999999 is 3; 2.5 is 2),
    unclamped: an Odoo quantity below zero is a difference too.  A stocked level
    whose ``on_hand`` Shopify did not give is mismatched (nothing proves it equal).

    >>> from .data import LevelKey, ShopifyLevel
    >>> key = LevelKey("gid://shopify/InventoryItem/1", "gid://shopify/Location/1")
    >>> level = ShopifyLevel(key, stocked=True, available=3, on_hand=5, committed=2,
    ...                      tracked=True)
    >>> mirror_diff({key: 5.0}, {key: level}).counts()["matched"]
    1
    >>> mirror_diff({key: 7.0}, {key: level}).mismatched[0].difference
    2
    """

    def target(_key: LevelKey, quantity: float, _level: ShopifyLevel | None) -> int:
        return math.floor(quantity + _EPSILON)

    return _compare(odoo_on_hand, shopify_levels, subjects, target, ON_HAND)


def _compare(
    odoo_quantities: Mapping[LevelKey, float],
    shopify_levels: Mapping[LevelKey, ShopifyLevel],
    subjects: Mapping[LevelKey, Subject] | None,
    target_of: Callable[[LevelKey, float, ShopifyLevel | None], int],
    name: str,
) -> Reconciliation:
    subjects = subjects or {}
    result = Reconciliation()
    for key in set(odoo_quantities) | set(shopify_levels):
        quantity = float(odoo_quantities.get(key, 0.0))
        level = shopify_levels.get(key)
        subject = subjects.get(key, Subject())
        if level is None or not level.stocked:
            target = target_of(key, quantity, None)
            result.not_stocked.append(
                PairDiff(key, subject, quantity, target, name=name)
            )
            continue
        pair = PairDiff(
            key,
            subject,
            quantity,
            target_of(key, quantity, level),
            available=level.available,
            on_hand=level.on_hand,
            committed=level.committed,
            name=name,
        )
        if level.tracked is False:
            result.untracked.append(pair)
        elif pair.shopify_quantity == pair.target:
            result.matched.append(pair)
        else:
            result.mismatched.append(pair)
    for bucket in (
        result.matched,
        result.mismatched,
        result.not_stocked,
        result.untracked,
    ):
        bucket.sort(key=_order)
    return result
