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
   of overwriting it; that batch is then read again and retried, a bounded number of
   rounds.

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
    ErrorCategory,
    ItemError,
    LevelChange,
    LevelKey,
    OutcomeStatus,
    PushOutcome,
    ShopifyLevel,
)
from .inventory import PAGE_SIZE, read_levels
from .rule import QuantityRule, available_target
from .shopify import documents
from .shopify.client import ShopifyClient

STALE_CODES = frozenset({"CHANGE_FROM_QUANTITY_STALE", "COMPARE_QUANTITY_STALE"})
# Codes that may mean "not stocked here (any more)": read again once before giving up.
RECHECK_CODES = frozenset({"INVALID_LOCATION", "INVALID_INVENTORY_ITEM"})
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
    """One batch of at most 250 changes, through its rounds."""

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

    def run(self, batch: Sequence[LevelChange]) -> list[PushOutcome]:
        todo = list(batch)
        rounds = 0
        while todo and rounds < self.settings.max_rounds:
            rounds += 1
            todo = self._round(todo, rounds)
        for change in todo:
            self.done[change.key] = PushOutcome(
                change,
                OutcomeStatus.RETRY,
                category=ErrorCategory.TRANSIENT,
                message=messages.stale_gave_up(
                    change.subject, self.stale_count.get(change.key, rounds)
                ),
            )
        return [
            replace(self.done[c.key], stale_hits=self.stale_count[c.key])
            if c.key in self.stale_count
            else self.done[c.key]
            for c in batch
        ]

    def _round(self, todo: list[LevelChange], round_no: int) -> list[LevelChange]:
        """Read, decide, write once; return the changes that need another round."""
        # The first round trusts the levels the caller last saw; any later round is
        # there because a compare failed, so it reads afresh.
        known = {
            change.key: change.trusted_known
            for change in todo
            if round_no == 1 and change.trusted_known
        }
        unknown = [c.key for c in todo if c.key not in known]
        levels = read_levels(self.client, unknown) if unknown else {}
        levels.update(known)
        planned: list[_Planned] = []
        for change in todo:
            level = levels[change.key]
            plan = self._plan(change, level, verify=change.key in known)
            if plan is None:
                continue  # decided (error, or nothing to write)
            if not level.stocked:
                if not self._activate(plan, round_no):
                    continue
            planned.append(plan)
        if not planned:
            return []
        return self._set(planned, round_no)

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

    def _set(self, planned: list[_Planned], round_no: int) -> list[LevelChange]:
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
                self.done[p.change.key] = PushOutcome(
                    p.change,
                    OutcomeStatus.SYNCED,
                    target=p.target,
                    before=p.level,
                    after=self._after(p),
                    written=True,
                    idempotency_key=key,
                )
            return []
        return self._after_errors(planned, errors)

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
        self, planned: list[_Planned], errors: list[ItemError]
    ) -> list[LevelChange]:
        """Shopify applies nothing of a batch with errors: sort out what to retry."""
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
            return []
        retry: list[LevelChange] = []
        for index, p in enumerate(planned):
            error = by_index.get(index)
            key = p.change.key
            if error is None:
                retry.append(p.change)  # not applied because of another item
            elif error.code in STALE_CODES:
                self.stale_count[key] = self.stale_count.get(key, 0) + 1
                retry.append(p.change)
            elif error.code in RECHECK_CODES and key not in self.rechecked:
                self.rechecked.add(key)
                retry.append(p.change)
            else:
                self._fail(
                    p.change,
                    p.level,
                    ErrorCategory.DATA,
                    messages.refused(p.change.subject, error),
                )
        return retry

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
