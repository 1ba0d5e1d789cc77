"""The quantity rule: from an Odoo quantity to the quantity Shopify may sell.

>>> rule = QuantityRule(safety_buffer=2)
>>> rule.quantity(7.9)
5
>>> rule.quantity(1.0)
0
>>> QuantityRule(cap=100).quantity(250)
100
>>> available_target(QuantityRule(), 15, shopify_committed=2)
13
>>> available_target(QuantityRule(), 15, shopify_committed=2, committed_known_to_odoo=2)
15
"""

from __future__ import annotations

import math
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from enum import Enum

# Odoo quantities are floats with a few decimals of precision: 2.9999999 is 3 units.
_EPSILON = 1e-6


class Basis(str, Enum):
    """Which Odoo quantity feeds Shopify (the product.product field of that name)."""

    FREE = "free_qty"  # on hand minus reserved: what can still be promised
    ON_HAND = "qty_available"  # physically there, reservations ignored
    FORECAST = "virtual_available"  # on hand plus incoming minus outgoing


@dataclass(frozen=True)
class QuantityRule:
    """Basis, safety buffer, cap.  Always whole units, rounded down, never negative."""

    basis: Basis = Basis.FREE
    safety_buffer: float = 0.0
    cap: int | None = None

    def __post_init__(self) -> None:
        if self.safety_buffer < 0:
            raise ValueError(
                f"The safety buffer must be 0 or more, not {self.safety_buffer}."
            )
        if self.cap is not None and self.cap < 0:
            raise ValueError(f"The cap must be 0 or more, not {self.cap}.")
        object.__setattr__(self, "basis", Basis(self.basis))

    def quantity(self, odoo_quantity: float) -> int:
        """The sellable whole units for an Odoo quantity of the rule's basis."""
        units = math.floor(odoo_quantity - self.safety_buffer + _EPSILON)
        units = max(units, 0)
        if self.cap is not None:
            units = min(units, self.cap)
        return units


def available_target(
    rule: QuantityRule,
    odoo_quantity: float,
    shopify_committed: int | None,
    committed_known_to_odoo: int = 0,
) -> int:
    """The ``available`` quantity to set in Shopify: the in-flight order guard.

    Shopify's ``committed`` counts units of orders placed in Shopify and not yet
    fulfilled.  The part of it that Odoo does not reserve yet (orders not imported) is
    still inside Odoo's quantity, so it is taken off: those units are sold, giving them
    back would oversell.  With nothing known (``committed_known_to_odoo=0``) every
    committed unit is taken off, which may hide a few units for a while but never sells
    one twice.
    """
    committed = max(shopify_committed or 0, 0)
    unknown = max(committed - max(committed_known_to_odoo, 0), 0)
    return max(rule.quantity(odoo_quantity) - unknown, 0)


def to_push_again(
    rule_before: QuantityRule,
    rule_after: QuantityRule,
    scope_before: AbstractSet[int],
    scope_after: AbstractSet[int],
) -> set[int]:
    """The products whose levels Shopify should be told again after a shop's rule or
    sync scope changed: every product in scope under a new rule; under the same rule,
    only those that entered the scope (those that left it are no longer synced).

    >>> same = QuantityRule()
    >>> sorted(to_push_again(same, same, {1, 2}, {2, 3}))
    [3]
    >>> sorted(to_push_again(same, QuantityRule(safety_buffer=5), {1, 2}, {2, 3}))
    [2, 3]
    """
    if rule_after != rule_before:
        return set(scope_after)
    return set(scope_after) - set(scope_before)
