"""Our own pushes, remembered so that Shopify's webhooks about them are known as echoes.

Shopify sends ``inventory_levels/update`` for our own writes too.  A level keeps its
several most recent pushes (quantity name, value written, when), not only the last:
two quick pushes produce two webhooks, often late and in any order.

After a push that wrote, :func:`record_push` gives the two things to store on the
level in the same transaction: Shopify's level as it now is (``PushOutcome.after``,
the new last known state, keeping the ``updated_at`` Shopify last showed) and the push
to remember.  :func:`after_push` works the same level out from a push alone (when the
push was recorded before its outcome came back).

>>> from .data import LevelKey, ShopifyLevel
>>> key = LevelKey("gid://shopify/InventoryItem/1", "gid://shopify/Location/2")
>>> before = ShopifyLevel(key, True, available=4, on_hand=6, committed=2,
...                       updated_at="2026-11-02T09:00:00Z")
>>> push = RecentPush("available", 9, moment("2026-11-02T10:00:00Z"))
>>> after_push(before, push).on_hand
11
>>> pushes_from_json(pushes_to_json([push])) == (push,)
True
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from .data import PushOutcome, ShopifyLevel
from .readings import moment

PUSH_NAMES = ("available", "on_hand")
KEEP = 8  # pushes remembered per level
# How far apart a push and Shopify's time of the change it caused may be (clock skew,
# the client's own retries); an echo found outside it is measured like any change,
# which is safe: a push explains no movement the level did not make.
ECHO_WINDOW = timedelta(minutes=10)


@dataclass(frozen=True)
class RecentPush:
    """One write we made: ``name`` set to ``value`` at ``at`` (aware; naive is UTC)."""

    name: str
    value: int
    at: datetime

    def __post_init__(self) -> None:
        if self.name not in PUSH_NAMES:
            raise ValueError(
                f"A push sets 'available' or 'on_hand', not {self.name!r}."
            )
        at = moment(self.at)
        if at is None:
            raise ValueError(f"A push needs the time it was made, not {self.at!r}.")
        object.__setattr__(self, "at", at)

    def available_on(self, level: ShopifyLevel) -> int:
        """The ``available`` this push leaves on ``level`` (for an ``on_hand`` push:
        less the level's committed and unavailable units)."""
        if self.name == "available":
            return self.value
        return self.value - (level.committed or 0) - _unavailable(level)

    def within(self, when: datetime | None, window: timedelta = ECHO_WINDOW) -> bool:
        return when is not None and abs(when - self.at) <= window


def _unavailable(level: ShopifyLevel) -> int:
    """Units counted in ``on_hand`` that are neither available nor committed."""
    if level.on_hand is None or level.available is None:
        return 0
    return max(level.on_hand - level.available - (level.committed or 0), 0)


def after_push(level: ShopifyLevel, push: RecentPush) -> ShopifyLevel:
    """``level`` once ``push`` is applied: committed stays, on hand follows available.
    ``updated_at`` stays what Shopify last showed (Shopify's own time of the write is
    not known until read)."""
    committed = level.committed or 0 if level.stocked else 0
    unavailable = _unavailable(level) if level.stocked else 0
    available = push.available_on(replace(level, committed=committed))
    return replace(
        level,
        stocked=True,
        available=available,
        on_hand=available + committed + unavailable,
        committed=committed,
    )


def record_push(
    outcome: PushOutcome, at: datetime, name: str = "available"
) -> tuple[ShopifyLevel, RecentPush] | None:
    """For a push outcome that wrote: (Shopify's level now, the push to remember).

    The level is the outcome's ``after``; ``name`` is the quantity the push set
    (``PushSettings.name``).  None when nothing was written (already equal, or
    failed): then there is no echo to expect.
    """
    after = outcome.after
    if not outcome.written or after is None:
        return None
    value = after.available if name == "available" else after.on_hand
    return after, RecentPush(name, value or 0, at)


def remember(
    pushes: Iterable[RecentPush], push: RecentPush, keep: int = KEEP
) -> tuple[RecentPush, ...]:
    """``pushes`` with ``push`` added: the ``keep`` most recent, oldest first."""
    ordered = sorted([*pushes, push], key=lambda p: p.at)
    return tuple(ordered[-keep:]) if keep > 0 else ()


def latest(pushes: Iterable[RecentPush]) -> RecentPush | None:
    ordered = sorted(pushes, key=lambda p: p.at)
    return ordered[-1] if ordered else None


def pushes_to_json(pushes: Iterable[RecentPush]) -> str:
    """The pushes as a JSON text (for one text field on the level)."""
    return json.dumps(
        [{"name": p.name, "value": p.value, "at": p.at.isoformat()} for p in pushes],
        separators=(",", ":"),
    )


def pushes_from_json(text: str | None) -> tuple[RecentPush, ...]:
    """The pushes of :func:`pushes_to_json`; a damaged text reads as none (the
    decision then measures every change, which never takes an echo for stock)."""
    try:
        rows = json.loads(text or "[]")
        return tuple(
            RecentPush(str(row["name"]), int(row["value"]), row["at"]) for row in rows
        )
    except (ValueError, TypeError, KeyError):
        return ()
