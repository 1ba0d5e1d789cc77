"""Where an inventory adjustment lands when a mapping covers several Odoo locations.

A Shopify location may map to several Odoo locations; a correction from Shopify is
one number.  The rule:

* units added go to the mapping's first location (its default);
* units removed are taken from the locations in order, each down to zero at most; what
  is left (Odoo holds fewer than Shopify removed) is taken from the first location,
  which then goes below zero and shows the discrepancy instead of hiding it.

>>> stock = [OdooStock("WH/Stock", 2), OdooStock("WH/Shelf", 5)]
>>> place(3, stock)
(Placement(location='WH/Stock', quantity=3),)
>>> [(p.location, p.quantity) for p in place(-4, stock)]
[('WH/Stock', -2.0), ('WH/Shelf', -2.0)]
>>> [(p.location, p.quantity) for p in place(-9, stock)]
[('WH/Stock', -4.0), ('WH/Shelf', -5.0)]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class OdooStock:
    """One Odoo location of a mapping (the caller's id or name) and its on hand;
    ``name``, when the id is not one, is what people read."""

    location: str
    quantity: float
    name: str = field(default="", repr=False)


@dataclass(frozen=True)
class Placement:
    """Add ``quantity`` units (negative: remove) at ``location`` (``name``: as
    people read it, when given)."""

    location: str
    quantity: float
    name: str = field(default="", repr=False)

    @property
    def label(self) -> str:
        return self.name or self.location


def place(delta: float, stock: Sequence[OdooStock]) -> tuple[Placement, ...]:
    """Split ``delta`` over the mapping's locations (the first is the default)."""
    if not delta:
        return ()
    if not stock:
        raise ValueError("An adjustment needs at least one Odoo location.")
    names = {entry.location: entry.name for entry in stock}
    if delta > 0:
        return (Placement(stock[0].location, delta, names[stock[0].location]),)
    taken: dict[str, float] = {}
    remaining = -delta
    for entry in stock:
        take = min(remaining, max(entry.quantity, 0.0))
        if take > 0:
            taken[entry.location] = taken.get(entry.location, 0.0) + take
            remaining -= take
    if remaining > 0:
        first = stock[0].location
        taken[first] = taken.get(first, 0.0) + remaining
    order = list(dict.fromkeys(entry.location for entry in stock))
    return tuple(
        Placement(location, -taken[location], names[location])
        for location in order
        if location in taken
    )
