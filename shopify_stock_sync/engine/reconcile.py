"""The reconciliation diff: Odoo quantities against Shopify levels, pair by pair.

Pure: the caller reads Shopify (``inventory.read_levels``) and sums Odoo quantities per
mapping; this module only compares.  Every pair lands in exactly one bucket:

* ``matched`` — Shopify's ``available`` is what the sync would set;
* ``mismatched`` — it is not (``difference`` is what a push would change);
* ``not_stocked`` — Shopify has no level for the item at the location (a push must
  activate it first);
* ``untracked`` — Shopify does not track the item's inventory, nothing to compare.

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

from collections.abc import Mapping
from dataclasses import dataclass, field

from .data import LevelKey, ShopifyLevel, Subject
from .rule import QuantityRule, available_target


@dataclass(frozen=True)
class PairDiff:
    """One (inventory item, Shopify location) pair as compared.

    ``odoo_quantity`` is the Odoo quantity of the rule's basis, summed over the
    mapping's locations; ``target`` is the ``available`` the sync would set (the rule
    and the in-flight order guard applied); ``difference`` is ``target - available``:
    the change a push would make in Shopify (negative: Shopify shows too many units).
    """

    key: LevelKey
    subject: Subject
    odoo_quantity: float
    target: int
    available: int | None = None
    on_hand: int | None = None
    committed: int | None = None

    @property
    def difference(self) -> int | None:
        if self.available is None:
            return None
        return self.target - self.available

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
    """Compare every pair known to either side.

    A pair only in ``shopify_levels`` has an Odoo quantity of 0 (a linked product
    without stock at the mapped locations); a pair only in ``odoo_quantities`` is not
    stocked in Shopify.  ``committed_known_to_odoo`` defaults to 0 per pair, as in the
    push.
    """
    subjects = subjects or {}
    known = committed_known_to_odoo or {}
    result = Reconciliation()
    for key in set(odoo_quantities) | set(shopify_levels):
        quantity = float(odoo_quantities.get(key, 0.0))
        level = shopify_levels.get(key)
        subject = subjects.get(key, Subject())
        if level is None or not level.stocked:
            target = available_target(rule, quantity, 0)
            result.not_stocked.append(PairDiff(key, subject, quantity, target))
            continue
        target = available_target(rule, quantity, level.committed, known.get(key, 0))
        pair = PairDiff(
            key,
            subject,
            quantity,
            target,
            available=level.available,
            on_hand=level.on_hand,
            committed=level.committed,
        )
        if level.tracked is False:
            result.untracked.append(pair)
        elif level.available == target:
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
