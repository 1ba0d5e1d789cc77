"""A change made in Shopify: what it was, and what Odoo does about it.

A webhook only says that a level changed (and its ``available``).  The job reads the
level afresh (:func:`.readings.read_reading`) and :func:`decide` compares that reading
with what Odoo last knew of the level (``InboundLevel.known``), then says what kind of
change it was and what to do.  The webhook is the trigger; the movement between the
known state and the reading is what gets classified, so a replayed, late or reordered
webhook finds nothing left to move and changes nothing.

============== ========================================== ========== ==== ======
kind           when                                       Odoo       push review
============== ========================================== ========== ==== ======
UNKNOWN_PAIR   item not linked, location not mapped,      nothing    no   no
               mapping off, or no Odoo location to adjust
STALE          the event is older than the known state
               (``updated_at`` or ``triggered_at``), or   nothing    no   no
               the reading shows nothing new
BASELINE       nothing known of the level yet (Shopify-   nothing    [1]  no
               owned: and Odoo has Shopify's on hand)
DISCONNECTED   no level in Shopify any more               nothing    no   yes
ECHO           the event is one of our recent pushes and  nothing    no   no
               the level has not moved since
ORDER_DRIVEN   ``committed`` moved (by value or time) and nothing    no   [3]
               ``on_hand`` did not rise
NO_STOCK_      only ``available`` moved (damaged,         nothing    no   no
CHANGE         reserved...)
CORRECTION     ``on_hand`` moved otherwise (Shopify-owned, +delta     no   no
               or two-way with Odoo unchanged); or the
               first reading of a Shopify-owned level
               differs from Odoo's on hand [4]
CONFLICT       two-way; Odoo moved too since the last     rule [2]   yes  yes
               sync
WRONG_         Odoo owns the mapping and Shopify moved    nothing    yes  no
DIRECTION      (a correction, ``available`` alone, or the
               level is gone)
============== ========================================== ========== ==== ======

[1] yes for an Odoo-owned mapping (the push makes Shopify right).
[2] ``odoo_wins`` (default): Shopify's correction is not applied and the push
overwrites it; ``shopify_wins``: it is applied (Odoo's own moves since the sync are
real moves and stay), then the push sends the sum.
[3] yes when on hand fell by more than committed did (``Movement.unexplained_fall``):
a sale placed and shipped in one window, or a correction hidden among orders.
[4] Shopify owns the count: Odoo's on hand over the mapping is set to Shopify's, as a
reconciliation would (compared by :func:`.reconcile.mirror_diff`, whole units), so the
level is never taken as in step while the two differ.

How a movement is measured (:func:`measure`).  ``on_hand`` moves with corrections and
fulfilments, ``committed`` with orders (placed, cancelled, fulfilled).  When orders
moved in the window (``committed``'s value, or its ``updatedAt`` after the known
state: a sale placed and fulfilled between two reads leaves the value where it was), a
fall of ``on_hand`` is taken as fulfilments and only a rise as a correction.  So an
order never becomes an adjustment, and a correction mixed with orders in one window is
applied partly at most, never beyond what Shopify shows, never with the wrong sign
(and the decision is flagged for review).  Each Shopify change is its own webhook, so
a job that handles each promptly measures one change at a time; a reconciliation
settles what a crowded window hid.

An event older than the known state that matches a recent push is reported as ECHO
rather than STALE (the second of two quick pushes made the first one's webhook old).

Pushes (``InboundLevel.recent_pushes``) matter twice: an event that matches one
(same value, within ``ECHO_WINDOW`` of it) with nothing moved since is an ECHO; and a
push newer than the known state that the known state does not show (the push was
recorded before its outcome was stored) is laid over the known state before measuring,
so our own write is never measured as a correction.

After a decision the caller stores ``decision.known`` as the level's last known Shopify
state (when not None), applies ``placements`` as inventory adjustments (``stock.quant``
inventory mode) without marking the level for push, adds ``adjustment`` to the Odoo
quantity at last sync, and marks the level for push when ``mark_for_push``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import Enum

from . import messages
from .data import Direction, LevelKey, ShopifyLevel, Subject
from .echo import ECHO_WINDOW, RecentPush, after_push, latest
from .placement import OdooStock, Placement, place
from .readings import Reading, moment
from .reconcile import mirror_diff
from .webhook import InventoryLevelEvent

_EPSILON = 1e-6


class InboundKind(str, Enum):
    UNKNOWN_PAIR = "unknown_pair"
    STALE = "stale"
    BASELINE = "baseline"
    DISCONNECTED = "disconnected"
    ECHO = "echo"
    ORDER_DRIVEN = "order_driven"
    NO_STOCK_CHANGE = "no_stock_change"
    CORRECTION = "correction"
    CONFLICT = "conflict"
    WRONG_DIRECTION = "wrong_direction"


class ConflictRule(str, Enum):
    """Who wins when both sides moved on a two-way mapping."""

    ODOO_WINS = "odoo_wins"
    SHOPIFY_WINS = "shopify_wins"


@dataclass(frozen=True)
class InboundLevel:
    """What Odoo knows of one level when a webhook about it comes in.

    ``direction`` None: the Shopify location is not mapped; ``linked`` False: the item
    is linked to no product.  ``known``: Shopify's level as Odoo last stored it (after
    a push: :func:`.echo.record_push`).  ``odoo_quantity`` and
    ``odoo_quantity_at_sync``: Odoo's on hand over the mapping now and at the last
    sync (two-way conflicts).  ``odoo_stock``: the mapping's locations, the default
    first (:mod:`.placement`).
    """

    key: LevelKey
    direction: Direction | None
    linked: bool = True
    subject: Subject = field(default_factory=Subject)
    conflict_rule: ConflictRule = ConflictRule.ODOO_WINS
    known: ShopifyLevel | None = None
    recent_pushes: tuple[RecentPush, ...] = ()
    odoo_quantity: float | None = None
    odoo_quantity_at_sync: float | None = None
    odoo_stock: tuple[OdooStock, ...] = ()

    @property
    def odoo_on_hand(self) -> float:
        """Odoo's on hand over the mapping: the sum of ``odoo_stock``."""
        return sum(entry.quantity for entry in self.odoo_stock)

    @property
    def odoo_moved(self) -> float:
        """How far Odoo's quantity moved since the last sync (0 when unknown)."""
        if self.odoo_quantity is None or self.odoo_quantity_at_sync is None:
            return 0.0
        moved = self.odoo_quantity - self.odoo_quantity_at_sync
        return moved if abs(moved) > _EPSILON else 0.0


@dataclass(frozen=True)
class Movement:
    """How a level moved between two states; ``orders``: order activity between."""

    on_hand: int
    committed: int
    available: int
    orders: bool

    @property
    def correction(self) -> int:
        """The part of the on-hand move that no order explains."""
        return max(self.on_hand, 0) if self.orders else self.on_hand

    @property
    def unexplained_fall(self) -> int:
        """Units on hand fell by beyond what committed fell by: fulfilments of orders
        placed in the same window, or a correction among orders (taken as orders)."""
        return max(-self.on_hand - max(-self.committed, 0), 0) if self.orders else 0

    @property
    def quiet(self) -> bool:
        return not (self.on_hand or self.committed or self.available or self.orders)


@dataclass(frozen=True)
class InboundDecision:
    """What to do about one webhook (see the module's table)."""

    kind: InboundKind
    message: str
    adjustment: float = 0  # units to add in Odoo over the mapping (negative: remove)
    placements: tuple[Placement, ...] = ()
    mark_for_push: bool = False
    review: bool = False
    known: ShopifyLevel | None = None  # store as the last known state (None: keep)
    movement: Movement | None = None
    on_hand: int | None = None  # Shopify's on hand as read
    echo_of: RecentPush | None = None

    @property
    def applies(self) -> bool:
        return bool(self.placements)


def triage(event: InventoryLevelEvent, level: InboundLevel) -> InboundDecision | None:
    """What can be decided without reading Shopify: unknown pairs and events older
    than the known state.  None: read the level and :func:`decide`."""
    if event.key != level.key:
        raise ValueError(f"The event is about {event.key}, not {level.key}.")
    cause = _unknown_cause(level)
    if cause:
        message = messages.inbound_unknown_pair(
            level.subject, level.key.inventory_item_id, level.key.location_id, cause
        )
        return InboundDecision(InboundKind.UNKNOWN_PAIR, message)
    known = level.known
    known_at = moment(known.updated_at) if known else None
    if known is None or known_at is None:
        return None
    for when in (event.updated_at, event.triggered_at):
        if when is not None and when < known_at:
            pushed = echo_of(event, known, level.recent_pushes)
            if pushed is not None:  # a late echo: say so rather than "stale"
                message = messages.inbound_echo(
                    level.subject, pushed.name, pushed.value, pushed.at.isoformat()
                )
                return InboundDecision(InboundKind.ECHO, message, echo_of=pushed)
            message = messages.inbound_stale(
                level.subject, when.isoformat(), known_at.isoformat()
            )
            return InboundDecision(InboundKind.STALE, message)
    return None


def _unknown_cause(level: InboundLevel) -> str | None:
    if level.direction is None:
        return "the Shopify location is not mapped to Odoo"
    if level.direction == Direction.OFF:
        return "sync is off for this location mapping"
    if not level.linked:
        return "the Shopify variant is not linked to an Odoo product"
    if level.direction != Direction.ODOO_TO_SHOPIFY and not level.odoo_stock:
        return "the location mapping has no Odoo location to adjust"
    return None


def decide(
    event: InventoryLevelEvent,
    level: InboundLevel,
    fresh: Reading,
    *,
    echo_window: timedelta = ECHO_WINDOW,
) -> InboundDecision:
    """Classify the change ``event`` tells of, from ``fresh`` (read after it came)."""
    early = triage(event, level)
    if early is not None:
        return early
    if fresh.key != level.key:
        raise ValueError(f"The reading is of {fresh.key}, not {level.key}.")
    now = fresh.level
    subject = level.subject
    owned_by_odoo = level.direction == Direction.ODOO_TO_SHOPIFY
    if not now.stocked:
        if owned_by_odoo:
            what = "the item was removed from this location"
            return _wrong_direction(subject, what, now, None)
        message = messages.inbound_disconnected(subject)
        return InboundDecision(
            InboundKind.DISCONNECTED, message, review=True, known=now
        )
    base = baseline(level.known, level.recent_pushes)
    if base is None:
        return _first_reading(level, now)
    move = measure(base, fresh)
    echo = echo_of(event, base, level.recent_pushes, echo_window)
    if echo is not None and move.quiet:
        message = messages.inbound_echo(
            subject, echo.name, echo.value, echo.at.isoformat()
        )
        return _noted(InboundKind.ECHO, message, now, move, echo=echo)
    if move.correction == 0:
        if move.orders:
            message = messages.inbound_order_driven(
                subject, move.committed, move.on_hand, move.unexplained_fall
            )
            return _noted(
                InboundKind.ORDER_DRIVEN,
                message,
                now,
                move,
                review=bool(move.unexplained_fall),
            )
        if move.available:
            if owned_by_odoo:
                what = f"available moved by {move.available:+d} alone"
                return _wrong_direction(subject, what, now, move)
            message = messages.inbound_no_stock_change(subject, move.available)
            return _noted(InboundKind.NO_STOCK_CHANGE, message, now, move)
        message = messages.inbound_already_known(subject)
        return _noted(InboundKind.STALE, message, now, move)
    if owned_by_odoo:
        what = f"on hand changed by {move.correction:+d}"
        return _wrong_direction(subject, what, now, move)
    return _correction(level, base, now, move)


def _first_reading(level: InboundLevel, now: ShopifyLevel) -> InboundDecision:
    """Nothing known of a stocked level yet.  Odoo-owned: the push makes Shopify
    right.  Shopify-owned: Odoo follows Shopify's on hand now when the two differ (as
    a reconciliation compares them), else the reading is the baseline; a reading
    without on hand cannot be compared, and is listed for review.  Two-way: when the
    two differ, nobody can tell which side moved, so the conflict rule decides as for
    a conflict: Shopify wins, Odoo follows it; Odoo wins, the next push makes Shopify
    Odoo's and the reading is listed for review with both quantities (never lost
    silently)."""
    owned_by_odoo = level.direction == Direction.ODOO_TO_SHOPIFY
    two_way = level.direction == Direction.TWO_WAY
    odoo = level.odoo_on_hand
    differs = (
        level.direction in (Direction.SHOPIFY_TO_ODOO, Direction.TWO_WAY)
        and mirror_diff({level.key: odoo}, {level.key: now}).mismatched
    )
    if differs and two_way and level.conflict_rule == ConflictRule.ODOO_WINS:
        return InboundDecision(
            InboundKind.BASELINE,
            messages.inbound_first_reading_kept(level.subject, odoo, now.on_hand),
            review=True,
            mark_for_push=True,
            known=now,
            on_hand=now.on_hand,
        )
    if differs:
        if now.on_hand is None:
            return InboundDecision(
                InboundKind.BASELINE,
                messages.inbound_baseline(level.subject),
                review=True,
                known=now,
            )
        delta = now.on_hand - odoo
        placements = place(delta, level.odoo_stock)
        message = messages.inbound_first_reading_followed(
            level.subject, odoo, now.on_hand, _describe(placements), two_way=two_way
        )
        return InboundDecision(
            InboundKind.CORRECTION,
            message,
            adjustment=delta,
            placements=placements,
            known=now,
            on_hand=now.on_hand,
        )
    return InboundDecision(
        InboundKind.BASELINE,
        messages.inbound_baseline(level.subject),
        mark_for_push=owned_by_odoo,
        known=now,
        on_hand=now.on_hand,
    )


def _noted(
    kind: InboundKind,
    message: str,
    now: ShopifyLevel,
    move: Movement,
    echo: RecentPush | None = None,
    review: bool = False,
) -> InboundDecision:
    return InboundDecision(
        kind,
        message,
        review=review,
        known=now,
        movement=move,
        on_hand=now.on_hand,
        echo_of=echo,
    )


def _wrong_direction(
    subject: Subject, what: str, now: ShopifyLevel, move: Movement | None
) -> InboundDecision:
    return InboundDecision(
        InboundKind.WRONG_DIRECTION,
        messages.inbound_wrong_direction(subject, what),
        mark_for_push=True,
        known=now,
        movement=move,
        on_hand=now.on_hand,
    )


def _correction(
    level: InboundLevel, base: ShopifyLevel, now: ShopifyLevel, move: Movement
) -> InboundDecision:
    delta = move.correction
    placements = place(delta, level.odoo_stock)
    where = _describe(placements)
    odoo_moved = level.odoo_moved if level.direction == Direction.TWO_WAY else 0.0
    if not odoo_moved:
        message = messages.inbound_correction(
            level.subject, delta, base.on_hand or 0, now.on_hand or 0, where
        )
        return InboundDecision(
            InboundKind.CORRECTION,
            message,
            adjustment=delta,
            placements=placements,
            known=now,
            movement=move,
            on_hand=now.on_hand,
        )
    if level.conflict_rule == ConflictRule.SHOPIFY_WINS:
        outcome = (
            f"Rule 'Shopify wins': Shopify's change is applied to Odoo ({where}) and "
            "the sum is pushed back."
        )
        applied, placed = delta, placements
    else:
        outcome = (
            "Rule 'Odoo wins': Shopify's change is not applied; Odoo's quantity is "
            "pushed to Shopify."
        )
        applied, placed = 0, ()
    return InboundDecision(
        InboundKind.CONFLICT,
        messages.inbound_conflict(level.subject, odoo_moved, delta, outcome),
        adjustment=applied,
        placements=placed,
        mark_for_push=True,
        review=True,
        known=now,
        movement=move,
        on_hand=now.on_hand,
    )


def shopify_moved(
    level: InboundLevel, now: ShopifyLevel, move: Movement
) -> InboundDecision:
    """A correction made in Shopify that a push found first: on a two-way level the
    push's compare-and-set was refused, and the level read since shows ``move`` (with
    a correction) from ``level.known``, the level the push compared with.  Decided by
    the same rule as a webhook's (:func:`_correction`); the message names both
    quantities."""
    if level.known is None:
        raise ValueError("A movement is measured from a known level.")
    decision = _correction(level, level.known, now, move)
    note = messages.found_by_push(
        level.odoo_quantity, now.on_hand or 0, now.available or 0
    )
    return replace(decision, message=f"{decision.message} {note}")


def _describe(placements: Sequence[Placement]) -> str:
    return ", ".join(f"{p.quantity:+g} at {p.label}" for p in placements)


def baseline(
    known: ShopifyLevel | None, pushes: Sequence[RecentPush]
) -> ShopifyLevel | None:
    """The state to measure from: ``known``, with our latest push laid over it when
    the push is newer and ``known`` does not show it.  None: nothing known."""
    if known is None:
        return None
    push = latest(pushes)
    if push is None:
        return known
    shown = known.available if push.name == "available" else known.on_hand
    known_at = moment(known.updated_at)
    if shown == push.value or (known_at is not None and push.at <= known_at):
        return known
    return after_push(known, push)


def measure(base: ShopifyLevel, fresh: Reading) -> Movement:
    """How the level moved from ``base`` to ``fresh`` (an unstocked base counts as
    zero everywhere)."""
    now = fresh.level

    def value(level: ShopifyLevel, name: str) -> int:
        return (getattr(level, name) or 0) if level.stocked else 0

    committed = value(now, "committed") - value(base, "committed")
    orders = committed != 0
    committed_at = moment(fresh.committed_updated_at)
    base_at = moment(base.updated_at)
    if committed_at is not None and base_at is not None and committed_at > base_at:
        orders = True
    return Movement(
        on_hand=value(now, "on_hand") - value(base, "on_hand"),
        committed=committed,
        available=value(now, "available") - value(base, "available"),
        orders=orders,
    )


def echo_of(
    event: InventoryLevelEvent,
    base: ShopifyLevel,
    pushes: Sequence[RecentPush],
    window: timedelta = ECHO_WINDOW,
) -> RecentPush | None:
    """The recent push ``event`` reports back, if any: the same ``available`` (an
    ``on_hand`` push: what it leaves available), at a time within ``window``."""
    if event.available is None:
        return None
    found = [
        push
        for push in pushes
        if push.within(event.updated_at, window)
        and push.available_on(base) == event.available
    ]
    return min(found, key=lambda p: _distance(p, event.updated_at), default=None)


def _distance(push: RecentPush, when: datetime | None) -> timedelta:
    assert when is not None  # within() held
    return abs(when - push.at)


__all__ = [
    "ConflictRule",
    "InboundDecision",
    "InboundKind",
    "InboundLevel",
    "Movement",
    "OdooStock",
    "Placement",
    "RecentPush",
    "baseline",
    "decide",
    "echo_of",
    "measure",
    "shopify_moved",
    "triage",
]
