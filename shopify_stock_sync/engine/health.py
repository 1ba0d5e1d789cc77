"""Sync health: the four numbers that tell a merchant the sync works.

From plain data the Odoo side reads (runs, levels, jobs), :func:`sync_health` gives:

* **mismatch count** — of the last complete reconciliation run, and its trend over the
  last runs;
* **time to correction** — ``synced_at - dirty_since`` of the levels corrected within a
  window (24 h and 7 days), p50 and p95 by the nearest-rank method
  (:func:`percentile`);
* **error quality** — levels in error by category, each with sample messages;
* **oversell signs** — levels whose Shopify ``available`` is below zero at a mapped
  location, and pushes that hit a stale compare (a sale landed during the push);

plus failed jobs, the last successful push and the last run.

>>> percentile([15, 20, 35, 40, 50], 40)
20
>>> percentile([3, 6, 7, 8, 8, 10, 13, 15, 16, 20], 75)
15
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from .data import ErrorCategory

DAY = timedelta(days=1)
WEEK = timedelta(days=7)
TREND_RUNS = 10
SAMPLES = 3


def percentile(values: Sequence[float], p: float) -> float | None:
    """The nearest-rank percentile: the smallest value such that at least ``p`` % of
    the values are less than or equal to it — the ``ceil(p/100 * n)``-th smallest
    (the smallest for ``p = 0``).  Always one of the values, never interpolated;
    None for no values."""
    if not 0 <= p <= 100:
        raise ValueError(f"A percentile is between 0 and 100, not {p}.")
    if not values:
        return None
    ordered = sorted(values)
    # round() first: 0.29 * 100 is 28.999999999999996 in floating point.
    rank = max(math.ceil(round(p * len(ordered) / 100, 9)), 1)
    return ordered[rank - 1]


# -- mismatches ------------------------------------------------------------------------


@dataclass(frozen=True)
class RunSummary:
    """One reconciliation run as the health sees it.  ``complete``: every chunk
    done (a run that lost one undercounts)."""

    finished_at: datetime
    mismatches: int
    complete: bool = True
    dry_run: bool = False
    checked: int = 0
    corrections: int = 0
    failures: int = 0


@dataclass(frozen=True)
class MismatchTrend:
    """Mismatch counts of the last complete runs, oldest first."""

    counts: tuple[int, ...] = ()

    @property
    def last(self) -> int | None:
        return self.counts[-1] if self.counts else None

    @property
    def change(self) -> int | None:
        """Since the run before the last; None with fewer than two runs."""
        if len(self.counts) < 2:
            return None
        return self.counts[-1] - self.counts[-2]

    @property
    def direction(self) -> str:
        """``rising``, ``falling`` or ``steady``: the last run against the average
        of the runs before it (``steady`` with fewer than two runs)."""
        if len(self.counts) < 2:
            return "steady"
        before = sum(self.counts[:-1]) / (len(self.counts) - 1)
        if self.counts[-1] > before:
            return "rising"
        if self.counts[-1] < before:
            return "falling"
        return "steady"


def mismatch_trend(runs: Iterable[RunSummary], last: int = TREND_RUNS) -> MismatchTrend:
    """The trend of complete runs (dry runs count: they measure the same thing)."""
    complete = sorted((r for r in runs if r.complete), key=lambda r: r.finished_at)
    return MismatchTrend(tuple(r.mismatches for r in complete[-last:]))


# -- time to correction ----------------------------------------------------------------


@dataclass(frozen=True)
class Correction:
    """One level that was dirty and is synced again."""

    dirty_since: datetime
    synced_at: datetime

    @property
    def seconds(self) -> float:
        """Never below zero (clocks of two servers may disagree by a little)."""
        return max((self.synced_at - self.dirty_since).total_seconds(), 0.0)


@dataclass(frozen=True)
class CorrectionTimes:
    """Time to correction over a window, in seconds (None: nothing corrected)."""

    window: timedelta
    count: int = 0
    p50: float | None = None
    p95: float | None = None
    longest: float | None = None


def correction_times(
    corrections: Iterable[Correction], now: datetime, window: timedelta
) -> CorrectionTimes:
    """The corrections synced within ``window`` before ``now``."""
    start = now - window
    seconds = [c.seconds for c in corrections if start <= c.synced_at <= now]
    return CorrectionTimes(
        window,
        len(seconds),
        percentile(seconds, 50),
        percentile(seconds, 95),
        max(seconds) if seconds else None,
    )


# -- errors ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ErrorGroup:
    """Levels in error of one category, with its most frequent messages."""

    category: ErrorCategory
    count: int
    samples: tuple[str, ...]


def errors_by_category(
    errors: Iterable[tuple[ErrorCategory | str | None, str]], samples: int = SAMPLES
) -> list[ErrorGroup]:
    """``(category, message)`` per level in error → groups, the largest first.

    A level in error without a category counts as ``request`` (refused, no retry).
    """
    messages: dict[ErrorCategory, Counter[str]] = defaultdict(Counter)
    for category, message in errors:
        group = ErrorCategory(category) if category else ErrorCategory.REQUEST
        messages[group][message or ""] += 1
    groups = [
        ErrorGroup(
            category,
            sum(counter.values()),
            tuple(m for m, _ in _most_common(counter)[:samples] if m),
        )
        for category, counter in messages.items()
    ]
    return sorted(groups, key=lambda g: (-g.count, g.category.value))


def _most_common(counter: Counter[str]) -> list[tuple[str, int]]:
    """By count, then by text: the same samples every time."""
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))


# -- oversell --------------------------------------------------------------------------


@dataclass(frozen=True)
class OversellSigns:
    """``oversold``: levels whose Shopify ``available`` is below zero at a mapped
    location (``samples`` names a few, the most oversold first); ``stale_compares``:
    pushes that found Shopify's quantity changed under them."""

    oversold: int = 0
    units: int = 0
    samples: tuple[str, ...] = ()
    stale_compares: int = 0


def oversell_signs(
    levels: Iterable[tuple[str, int | None]],
    stale_compares: int = 0,
    samples: int = SAMPLES,
) -> OversellSigns:
    """``(name, Shopify available)`` per level at a mapped location."""
    below = sorted(
        ((available, name) for name, available in levels if (available or 0) < 0),
    )
    return OversellSigns(
        oversold=len(below),
        units=-sum(available for available, _ in below),
        samples=tuple(f"{name} ({available})" for available, name in below[:samples]),
        stale_compares=stale_compares,
    )


# -- all of it -------------------------------------------------------------------------


@dataclass(frozen=True)
class SyncHealth:
    trend: MismatchTrend
    last_run: RunSummary | None
    correction_day: CorrectionTimes
    correction_week: CorrectionTimes
    errors: tuple[ErrorGroup, ...]
    oversell: OversellSigns
    failed_jobs: int
    last_push: datetime | None
    pending: int = 0
    now: datetime | None = None
    blocked: str = ""

    @property
    def mismatches(self) -> int | None:
        """The last complete run's mismatch count."""
        return self.trend.last

    @property
    def levels_in_error(self) -> int:
        return sum(group.count for group in self.errors)

    def attention(self, push_silence: timedelta = DAY) -> list[str]:
        """What needs an operator, one sentence each (empty: all is well)."""
        notes = [self.blocked] if self.blocked else []
        if self.last_run is None:
            notes.append("No reconciliation has run yet.")
        elif not self.last_run.complete:
            notes.append(
                "The last reconciliation lost part of its work "
                f"({_count(self.last_run.failures, 'pair')} failed): its counts are "
                "partial."
            )
        if self.mismatches:
            notes.append(
                "The last complete reconciliation found "
                f"{_count(self.mismatches, 'mismatch', 'es')} ({self.trend.direction})."
            )
        for group in self.errors:
            sample = f": {group.samples[0]}" if group.samples else "."
            notes.append(
                f"{_count(group.count, 'level')} in error "
                f"({group.category.value}){sample}"
            )
        if self.failed_jobs:
            notes.append(
                f"{_count(self.failed_jobs, 'sync job')} failed: see the failed jobs."
            )
        if self.oversell.oversold:
            notes.append(
                f"{_count(self.oversell.oversold, 'level')} selling below zero in "
                f"Shopify ({_count(self.oversell.units, 'unit')} oversold)."
            )
        if self.now is not None and self.pending:
            if self.last_push is None:
                notes.append(
                    f"{_count(self.pending, 'level')} pending, and no push has "
                    "succeeded yet."
                )
            elif self.now - self.last_push > push_silence:
                notes.append(
                    f"{_count(self.pending, 'level')} pending, and no push "
                    f"succeeded for over {_span(push_silence)}."
                )
        return notes


def _count(n: int, word: str, plural: str = "s") -> str:
    return f"{n} {word}{'' if n == 1 else plural}"


def _span(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    if hours >= 24:
        return _count(int(hours // 24), "day")
    return _count(max(int(hours), 1), "hour")


def sync_health(
    *,
    now: datetime,
    runs: Iterable[RunSummary] = (),
    corrections: Iterable[Correction] = (),
    errors: Iterable[tuple[ErrorCategory | str | None, str]] = (),
    shopify_available: Iterable[tuple[str, int | None]] = (),
    stale_compares: int = 0,
    failed_jobs: int = 0,
    last_push: datetime | None = None,
    pending: int = 0,
    blocked: str = "",
) -> SyncHealth:
    """``blocked``: why no push can reach Shopify now (a shop that needs
    reconnecting), named first among what needs attention."""
    runs = list(runs)
    corrections = list(corrections)
    last_run = max(runs, key=lambda r: r.finished_at) if runs else None
    return SyncHealth(
        trend=mismatch_trend(runs),
        last_run=last_run,
        correction_day=correction_times(corrections, now, DAY),
        correction_week=correction_times(corrections, now, WEEK),
        errors=tuple(errors_by_category(errors)),
        oversell=oversell_signs(shopify_available, stale_compares),
        failed_jobs=failed_jobs,
        last_push=last_push,
        pending=pending,
        now=now,
        blocked=blocked,
    )
