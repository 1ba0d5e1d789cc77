"""Pushing Odoo quantities to Shopify: batched, compare-and-set, idempotent.

For each batch of at most 250 level changes:

1. read the batch's current Shopify levels in one call (``nodes(ids:)``), except those
   the caller remembers from its last sync (``LevelChange.known``): the compare-and-set
   below checks them anyway, so a steady flow costs one call per 250 levels;
2. decide each target with the quantity rule and the in-flight order guard
   (:func:`.rule.available_target`); pairs already equal need no write;
3. stock the pairs Shopify does not stock yet (``inventoryActivate``);
4. set the others in one ``inventorySetQuantities`` with ``changeFromQuantity`` = the
   quantity just read, so a sale that lands in between makes the write fail instead
   of overwriting it.  Only the items the user errors name are read again (a stale
   compare: k reads for k stale items, whatever the batch size; an item that may no
   longer be stocked: read once, activated and set); the others are recorded as
   written when Shopify applied them (the answer carries an adjustment group), or
   sent again unchanged in the next round when it applied nothing; a bounded number
   of rounds.

On a two-way mapping a stale compare may reveal a correction made in Shopify (its on
hand moved, not by orders: :func:`.inbound.measure`).  It is not overwritten: the
outcome is ``SHOPIFY_MOVED`` and the caller decides by the mapping's conflict rule
(:func:`.inbound.shopify_moved`), as for the webhook that would have told of it.

Each set request has its own idempotency key, derived from the request itself: the
client's retries of the same request send the same key (a retry after a lost reply is
replayed, not applied twice), and any other request gets another key.
"""

from __future__ import annotations

import hashlib
import json
import math
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from . import messages
from .data import (
    Direction,
    ErrorCategory,
    ItemError,
    LevelChange,
    LevelKey,
    OutcomeStatus,
    PushOutcome,
    ShopifyLevel,
)
from .inbound import measure
from .inventory import PAGE_SIZE
from .readings import Reading, read_readings
from .rule import QuantityRule, available_target
from .shopify import documents
from .shopify.client import ShopifyClient

STALE_CODES = frozenset({"CHANGE_FROM_QUANTITY_STALE", "COMPARE_QUANTITY_STALE"})
# Codes that may mean "not stocked here (any more)": read again once before giving up.
# 2026-10 says INVALID_LOCATION (or INVALID_INVENTORY_ITEM), or gives no code at all
# (``code`` is nullable); older versions said ITEM_NOT_STOCKED_AT_LOCATION.
RECHECK_CODES = frozenset(
    {
        "INVALID_LOCATION",
        "INVALID_INVENTORY_ITEM",
        "ITEM_NOT_STOCKED_AT_LOCATION",
        None,
    }
)
QUANTITY_NAMES = ("available", "on_hand")


@dataclass(frozen=True)
class PushSettings:
    """How quantities are written.

    ``name``: ``available`` (default) sets what Shopify may sell; ``on_hand`` sets the
    physical count and lets Shopify subtract its own committed units.  Both apply the
    same in-flight order guard.  ``reference_uri`` shows in the shop's inventory
    history.
    """

    name: str = "available"
    reason: str = "correction"
    reference_uri: str = "gid://shopify-stock-sync/Push/0"
    max_rounds: int = 4

    def __post_init__(self) -> None:
        if self.name not in QUANTITY_NAMES:
            raise ValueError(
                f"Quantity name {self.name!r} cannot be set: use 'available' or "
                "'on_hand'."
            )
        if self.max_rounds < 1:
            raise ValueError("max_rounds must be at least 1.")


@dataclass
class _Planned:
    change: LevelChange
    level: ShopifyLevel
    target: int  # the available quantity Shopify should show
    value: int  # the quantity written under settings.name
    current: int  # the quantity read under settings.name (changeFromQuantity)


def push(
    client: ShopifyClient,
    changes: Iterable[LevelChange],
    rule: QuantityRule,
    settings: PushSettings | None = None,
    *,
    salt: str | None = None,
) -> list[PushOutcome]:
    """Make Shopify follow Odoo for every change; one outcome per change, same order.

    ``salt`` seeds the idempotency keys: pass a stable one (a job's id) so that a rerun
    of exactly the same request reuses its key.  Transient failures that outlast the
    client's retries are raised (``TransientError``): levels already done stay done, and
    a rerun reads again before writing anything.
    """
    settings = settings or PushSettings()
    salt = salt or uuid.uuid4().hex
    changes = list(changes)
    outcomes: dict[int, PushOutcome] = {}
    last_index: dict[LevelKey, int] = {}
    for index, change in enumerate(changes):
        if change.key in last_index:
            earlier = last_index[change.key]
            outcomes[earlier] = PushOutcome(
                changes[earlier],
                OutcomeStatus.ERROR,
                category=ErrorCategory.REQUEST,
                message=messages.request_refused(
                    changes[earlier].subject,
                    "the same level was pushed twice in one batch; the later "
                    "quantity was pushed instead of this one.",
                ),
            )
        last_index[change.key] = index
    todo = sorted(last_index.values())
    for start in range(0, len(todo), PAGE_SIZE):
        batch = [changes[i] for i in todo[start : start + PAGE_SIZE]]
        batch_outcomes = _Batch(client, rule, settings, salt, start).run(batch)
        for index, outcome in zip(
            todo[start : start + PAGE_SIZE], batch_outcomes, strict=True
        ):
            outcomes[index] = outcome
    return [outcomes[i] for i in range(len(changes))]


class _Batch:
    """One batch of at most 250 changes, through its rounds.

    A round reads what it must (nothing for levels remembered in the first round),
    plans, and writes once.  After a refused write only the items the user errors
    name are read again; the others are either recorded as written (Shopify applied
    them: the answer has an adjustment group) or sent again as they were (Shopify
    applied nothing), with the same compare-and-set base.
    """

    def __init__(
        self,
        client: ShopifyClient,
        rule: QuantityRule,
        settings: PushSettings,
        salt: str,
        offset: int,
    ) -> None:
        self.client = client
        self.rule = rule
        self.settings = settings
        self.salt = f"{salt}:{offset}"
        self.done: dict[LevelKey, PushOutcome] = {}
        self.stale_count: dict[LevelKey, int] = {}
        self.rechecked: set[LevelKey] = set()
        # the level each refused compare-and-set was made against, by key
        self.compared: dict[LevelKey, ShopifyLevel] = {}
        self.restocked: set[LevelKey] = set()

    def run(self, batch: Sequence[LevelChange]) -> list[PushOutcome]:
        to_read: list[LevelChange] = list(batch)
        carried: list[_Planned] = []
        rounds = 0
        while (to_read or carried) and rounds < self.settings.max_rounds:
            rounds += 1
            to_read, carried = self._round(to_read, carried, rounds)
        for change in to_read:
            self.done[change.key] = PushOutcome(
                change,
                OutcomeStatus.RETRY,
                category=ErrorCategory.TRANSIENT,
                message=messages.stale_gave_up(
                    change.subject, self.stale_count.get(change.key, rounds)
                ),
            )
        for plan in carried:
            self.done[plan.change.key] = PushOutcome(
                plan.change,
                OutcomeStatus.RETRY,
                category=ErrorCategory.TRANSIENT,
                message=messages.batch_unfinished(plan.change.subject, rounds),
            )
        return [
            replace(self.done[c.key], stale_hits=self.stale_count[c.key])
            if c.key in self.stale_count
            else self.done[c.key]
            for c in batch
        ]

    def _round(
        self, to_read: list[LevelChange], carried: list[_Planned], round_no: int
    ) -> tuple[list[LevelChange], list[_Planned]]:
        """Read, decide, write once; return (changes to read again, plans to send
        again as they are)."""
        # The first round trusts the levels the caller last saw; a change is read in
        # a later round only because Shopify refused it.
        known = {
            change.key: change.trusted_known
            for change in to_read
            if round_no == 1 and change.trusted_known
        }
        unknown = [c.key for c in to_read if c.key not in known]
        read = read_readings(self.client, unknown) if unknown else {}
        planned = list(carried)
        for change in to_read:
            reading = read.get(change.key)
            if reading is not None and self._shopify_moved(change, reading):
                continue  # two-way: Shopify's own correction, for the caller
            level = reading.level if reading is not None else known[change.key]
            if change.key in self.rechecked and not level.stocked:
                self.restocked.add(change.key)
            plan = self._plan(change, level, verify=change.key in known)
            if plan is None:
                continue  # decided (error, or nothing to write)
            if not level.stocked:
                if not self._activate(plan, round_no):
                    continue
            planned.append(plan)
        if not planned:
            return [], []
        return self._set(planned, round_no)

    def _shopify_moved(self, change: LevelChange, reading: Reading) -> bool:
        """On a two-way level refused as stale: did Shopify's on hand move by a
        correction (not orders) since the compared level?  Then it is not
        overwritten: the outcome hands the movement back to the caller."""
        base = self.compared.get(change.key)
        if (
            change.direction is not Direction.TWO_WAY
            or change.key not in self.stale_count
            or base is None
            or not base.stocked
            or not reading.level.stocked
        ):
            return False
        move = measure(base, reading)
        if not move.correction:
            return False  # orders: the guard takes care of them
        self.done[change.key] = PushOutcome(
            change,
            OutcomeStatus.SHOPIFY_MOVED,
            before=base,
            after=reading.level,
            movement=move,
            message=messages.shopify_moved(change.subject, move.correction),
        )
        return True

    def _plan(
        self, change: LevelChange, level: ShopifyLevel, verify: bool = False
    ) -> _Planned | None:
        """Decide one level.  ``verify``: the level was not read but remembered, so
        write even if equal (a compare-and-set of the same value proves it)."""
        subject = change.subject
        if not math.isfinite(change.odoo_quantity):
            return self._fail(
                change,
                level,
                ErrorCategory.DATA,
                messages.request_refused(
                    subject, f"the Odoo quantity {change.odoo_quantity!r} is no number."
                ),
            )
        if level.stocked and level.tracked is False:
            return self._fail(
                change, level, ErrorCategory.DATA, messages.not_tracked(subject)
            )
        if level.stocked and level.active is False:
            return self._fail(
                change, level, ErrorCategory.CONFIG, messages.level_inactive(subject)
            )
        committed = level.committed or 0
        target = available_target(
            self.rule, change.odoo_quantity, committed, change.committed_known_to_odoo
        )
        available = level.available or 0
        if self.settings.name == "available":
            value, current = target, available
        else:
            on_hand = level.on_hand or 0
            unavailable = max(on_hand - available - committed, 0)
            value, current = target + committed + unavailable, on_hand
        if value == current and not verify and (level.stocked or target == 0):
            # Already right (an unstocked pair with nothing to sell needs no level).
            self.done[change.key] = PushOutcome(
                change, OutcomeStatus.SYNCED, target=target, before=level, after=level
            )
            return None
        return _Planned(change, level, target, value, current)

    def _fail(
        self,
        change: LevelChange,
        level: ShopifyLevel | None,
        category: ErrorCategory,
        message: str,
    ) -> None:
        self.done[change.key] = PushOutcome(
            change,
            OutcomeStatus.ERROR,
            before=level,
            category=category,
            message=message,
        )
        return None

    def _activate(self, plan: _Planned, round_no: int) -> bool:
        """Stock the item at the location; after it, the level holds 0 of everything."""
        key = plan.change.key
        variables = {"item": key.inventory_item_id, "location": key.location_id}
        variables["key"] = self._key("activate", round_no, variables)
        result = self.client.execute(documents.ACTIVATE, variables)["inventoryActivate"]
        if result["userErrors"]:
            detail = "; ".join(e["message"] for e in result["userErrors"])
            self._fail(
                plan.change,
                plan.level,
                ErrorCategory.CONFIG,
                messages.activation_failed(plan.change.subject, detail),
            )
            return False
        if self.settings.name == "on_hand":
            plan.value = plan.target
        plan.current = 0
        return True

    def _set(
        self, planned: list[_Planned], round_no: int
    ) -> tuple[list[LevelChange], list[_Planned]]:
        quantities = [
            {
                "inventoryItemId": p.change.key.inventory_item_id,
                "locationId": p.change.key.location_id,
                "quantity": p.value,
                "changeFromQuantity": p.current,
            }
            for p in planned
        ]
        payload = {
            "name": self.settings.name,
            "reason": self.settings.reason,
            "referenceDocumentUri": self.settings.reference_uri,
            "quantities": quantities,
        }
        key = self._key("set", round_no, payload)
        result = self.client.execute(
            documents.SET_QUANTITIES, {"input": payload, "key": key}
        )["inventorySetQuantities"]
        errors = [
            ItemError(e.get("code"), tuple(e.get("field") or ()), e["message"])
            for e in result["userErrors"]
        ]
        if not errors:
            for p in planned:
                self._written(p, key)
            return [], []
        applied = result.get("inventoryAdjustmentGroup") is not None
        return self._after_errors(planned, errors, key if applied else None)

    def _written(self, plan: _Planned, idempotency_key: str) -> None:
        key = plan.change.key
        note = (
            messages.restocked(plan.change.subject, plan.target)
            if key in self.restocked
            else ""
        )
        self.done[key] = PushOutcome(
            plan.change,
            OutcomeStatus.SYNCED,
            target=plan.target,
            before=plan.level,
            after=self._after(plan),
            written=True,
            idempotency_key=idempotency_key,
            message=note,
        )

    def _after(self, plan: _Planned) -> ShopifyLevel:
        """Shopify's level once ``plan`` is written: setting one quantity moves the
        other (available and on hand move together; committed stays)."""
        level = plan.level
        delta = plan.value - plan.current
        stocked = level.stocked  # else it was just activated, at zero
        available = (level.available or 0) if stocked else 0
        on_hand = (level.on_hand or 0) if stocked else 0
        return ShopifyLevel(
            key=level.key,
            stocked=True,
            available=available + delta,
            on_hand=on_hand + delta,
            committed=(level.committed or 0) if stocked else 0,
            tracked=True if level.tracked is None else level.tracked,
            active=True,
            updated_at=level.updated_at,
        )

    def _after_errors(
        self,
        planned: list[_Planned],
        errors: list[ItemError],
        applied_key: str | None,
    ) -> tuple[list[LevelChange], list[_Planned]]:
        """Sort out a write with user errors: the items they name are read again
        (stale, maybe no longer stocked) or fail; the others were applied
        (``applied_key``: Shopify answered with an adjustment group) or are sent
        again unchanged."""
        by_index: dict[int, ItemError] = {}
        batch_errors: list[ItemError] = []
        for error in errors:
            index = _quantity_index(error.field)
            if index is None or index >= len(planned):
                batch_errors.append(error)
            else:
                by_index.setdefault(index, error)
        if batch_errors and not _only_idempotency(batch_errors):
            detail = "; ".join(
                f"{e.message} ({e.code})" if e.code else e.message for e in batch_errors
            )
            for p in planned:
                self._fail(
                    p.change,
                    p.level,
                    ErrorCategory.REQUEST,
                    messages.request_refused(p.change.subject, detail),
                )
            return [], []
        to_read: list[LevelChange] = []
        carried: list[_Planned] = []
        for index, p in enumerate(planned):
            error = by_index.get(index)
            key = p.change.key
            if error is None:
                if applied_key is not None and not batch_errors:
                    self._written(p, applied_key)
                else:
                    carried.append(p)  # not applied because of other items
            elif error.code in STALE_CODES:
                self.stale_count[key] = self.stale_count.get(key, 0) + 1
                self.compared[key] = p.level
                to_read.append(p.change)
            elif error.code in RECHECK_CODES and key not in self.rechecked:
                self.rechecked.add(key)
                to_read.append(p.change)
            else:
                self._fail(
                    p.change,
                    p.level,
                    ErrorCategory.DATA,
                    messages.refused(p.change.subject, error),
                )
        return to_read, carried

    def _key(self, what: str, round_no: int, variables: dict) -> str:
        canonical = json.dumps(variables, sort_keys=True, separators=(",", ":"))
        digest = hashlib.sha256(
            f"{self.salt}:{what}:{round_no}:{canonical}".encode()
        ).hexdigest()
        return f"sss-{digest[:40]}"


def _quantity_index(field: tuple[str, ...]) -> int | None:
    """``("input", "quantities", "3", "changeFromQuantity")`` → 3."""
    for position, part in enumerate(field[:-1]):
        if part == "quantities":
            try:
                return int(field[position + 1])
            except ValueError:
                return None
    return None


def _only_idempotency(errors: list[ItemError]) -> bool:
    """Idempotency conflicts of a whole request: another round with a new key."""
    return all((e.code or "").startswith("IDEMPOTENCY_") for e in errors)
