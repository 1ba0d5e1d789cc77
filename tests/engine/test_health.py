"""Sync health: mismatch trend, time to correction, errors, oversell signs."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from shopify_stock_sync.engine.data import ErrorCategory
from shopify_stock_sync.engine.health import (
    DAY,
    WEEK,
    Correction,
    CorrectionTimes,
    ErrorGroup,
    MismatchTrend,
    RunSummary,
    correction_times,
    errors_by_category,
    mismatch_trend,
    oversell_signs,
    percentile,
    sync_health,
)

NOW = datetime(2026, 11, 27, 12, 0, 0)


def ago(**delta: float) -> datetime:
    return NOW - timedelta(**delta)


# -- percentile ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("p", "expected"),
    [(0, 15), (5, 15), (30, 20), (40, 20), (50, 35), (95, 50), (100, 50)],
)
def test_nearest_rank_on_five_values(p: float, expected: float) -> None:
    # The textbook example of the nearest-rank method.
    assert percentile([50, 15, 40, 20, 35], p) == expected


@pytest.mark.parametrize(
    ("p", "expected"), [(25, 7), (50, 8), (75, 15), (95, 20), (100, 20)]
)
def test_nearest_rank_on_ten_values(p: float, expected: float) -> None:
    assert percentile([3, 6, 7, 8, 8, 10, 13, 15, 16, 20], p) == expected


def test_percentile_edges() -> None:
    hundred = list(range(1, 101))
    # 29 % of 100 values is the 29th, although 0.29 * 100 is not 29 in floats.
    assert percentile(hundred, 29) == 29
    assert percentile(hundred, 95) == 95
    assert percentile(hundred, 95.5) == 96
    assert percentile([7.5], 50) == 7.5
    assert percentile([], 50) is None
    with pytest.raises(ValueError, match="between 0 and 100, not 101"):
        percentile([1], 101)
    with pytest.raises(ValueError):
        percentile([1], -1)


# -- mismatches ------------------------------------------------------------------------


def test_trend_of_the_last_complete_runs() -> None:
    runs = [
        RunSummary(ago(hours=h), mismatches=m)
        for h, m in [(5, 9), (4, 4), (3, 6), (2, 2)]
    ]
    runs.append(RunSummary(ago(hours=1), mismatches=0, complete=False))
    trend = mismatch_trend(reversed(runs))
    assert trend.counts == (9, 4, 6, 2)
    assert (trend.last, trend.change, trend.direction) == (2, -4, "falling")
    assert mismatch_trend(runs, last=2).counts == (6, 2)
    assert MismatchTrend((1, 1, 4)).direction == "rising"
    assert MismatchTrend((3, 1, 2)).direction == "steady"
    one = MismatchTrend((5,))
    assert (one.last, one.change, one.direction) == (5, None, "steady")
    none = mismatch_trend([])
    assert (none.last, none.change, none.direction) == (None, None, "steady")


# -- time to correction ----------------------------------------------------------------


def test_time_to_correction_over_a_window() -> None:
    corrections = [
        Correction(ago(hours=1, seconds=s), ago(hours=1))
        for s in (4, 1, 2, 30, 3, 6, 5, 8, 7, 9)
    ]
    corrections += [
        Correction(ago(days=3, seconds=600), ago(days=3)),  # this week only
        Correction(ago(days=8, seconds=900), ago(days=8)),  # too old for both
        Correction(ago(seconds=5), NOW + timedelta(seconds=1)),  # after now: out
        # Synced before it was dirty (two clocks): zero, not negative.
        Correction(ago(minutes=10), ago(minutes=10, seconds=3)),
    ]
    day = correction_times(corrections, NOW, DAY)
    assert day == CorrectionTimes(DAY, 11, 5.0, 30.0, 30.0)
    week = correction_times(corrections, NOW, WEEK)
    assert (week.count, week.p50, week.p95, week.longest) == (12, 5.0, 600.0, 600.0)
    empty = correction_times([], NOW, DAY)
    assert (empty.count, empty.p50, empty.p95, empty.longest) == (0, None, None, None)


# -- errors ----------------------------------------------------------------------------


def test_levels_in_error_by_category_with_samples() -> None:
    errors = [
        (ErrorCategory.DATA, "SKU A: not tracked."),
        ("data", "SKU B: not tracked."),
        ("data", "SKU A: not tracked."),
        ("data", "SKU C: refused."),
        ("data", "SKU D: refused."),
        (ErrorCategory.CONFIG, "Location inactive."),
        (None, ""),
        ("transient", "Throttled; it will retry in 10 s."),
    ]
    groups = errors_by_category(errors)
    assert groups == [
        ErrorGroup(
            ErrorCategory.DATA,
            5,
            ("SKU A: not tracked.", "SKU B: not tracked.", "SKU C: refused."),
        ),
        ErrorGroup(ErrorCategory.CONFIG, 1, ("Location inactive.",)),
        ErrorGroup(ErrorCategory.REQUEST, 1, ()),
        ErrorGroup(ErrorCategory.TRANSIENT, 1, ("Throttled; it will retry in 10 s.",)),
    ]
    assert errors_by_category(errors, samples=1)[0].samples == ("SKU A: not tracked.",)
    assert errors_by_category([]) == []
    with pytest.raises(ValueError):
        errors_by_category([("nonsense", "x")])


# -- oversell --------------------------------------------------------------------------


def test_oversell_signs() -> None:
    signs = oversell_signs(
        [("A @ Main", -1), ("B @ Main", 4), ("C @ Outlet", -3), ("D @ Main", None)],
        stale_compares=2,
    )
    assert (signs.oversold, signs.units, signs.stale_compares) == (2, 4, 2)
    assert signs.samples == ("C @ Outlet (-3)", "A @ Main (-1)")
    assert oversell_signs([("A", -1), ("B", -2)], samples=1).samples == ("B (-2)",)
    nothing = oversell_signs([])
    assert (nothing.oversold, nothing.units, nothing.samples) == (0, 0, ())


# -- all of it -------------------------------------------------------------------------


def test_a_healthy_shop_needs_no_one() -> None:
    health = sync_health(
        now=NOW,
        runs=[RunSummary(ago(hours=1), 0, checked=500)],
        corrections=[Correction(ago(minutes=2), ago(minutes=1))],
        shopify_available=[("A", 3)],
        last_push=ago(minutes=1),
        pending=2,
    )
    assert health.mismatches == 0
    assert health.correction_day.p50 == 60.0
    assert health.levels_in_error == 0
    assert health.last_run.checked == 500
    assert health.attention() == []


def test_everything_that_needs_an_operator() -> None:
    health = sync_health(
        now=NOW,
        runs=[
            RunSummary(ago(hours=3), 2),
            RunSummary(ago(hours=2), 5),
            RunSummary(ago(hours=1), 0, complete=False, failures=2_000),
        ],
        errors=[("data", "SKU A: not tracked."), ("config", "")],
        shopify_available=[("A @ Main", -2)],
        stale_compares=3,
        failed_jobs=1,
        last_push=ago(days=2),
        pending=7,
    )
    assert health.mismatches == 5
    assert health.last_run.complete is False
    assert health.levels_in_error == 2
    assert health.oversell.stale_compares == 3
    assert health.attention() == [
        "The last reconciliation lost part of its work (2000 pairs failed): its "
        "counts are partial.",
        "The last complete reconciliation found 5 mismatches (rising).",
        "1 level in error (config).",
        "1 level in error (data): SKU A: not tracked.",
        "1 sync job failed: see the failed jobs.",
        "1 level selling below zero in Shopify (2 units oversold).",
        "7 levels pending, and no push succeeded for over 1 day.",
    ]
    assert (
        health.attention(push_silence=timedelta(hours=60)) == (health.attention()[:-1])
    )
    assert health.attention(push_silence=timedelta(minutes=30))[-1].endswith(
        "for over 1 hour."
    )
    assert health.attention(push_silence=timedelta(hours=5))[-1].endswith(
        "for over 5 hours."
    )


def test_a_new_shop() -> None:
    health = sync_health(now=NOW, pending=1)
    assert health.last_run is None and health.mismatches is None
    assert health.correction_week.count == 0
    assert health.attention() == [
        "No reconciliation has run yet.",
        "1 level pending, and no push has succeeded yet.",
    ]
    one = sync_health(now=NOW, runs=[RunSummary(ago(hours=1), 1)])
    assert one.attention() == [
        "The last complete reconciliation found 1 mismatch (steady)."
    ]


def test_a_shop_that_needs_reconnecting_says_so_first() -> None:
    reason = "Shop 'Main' needs reconnecting: its pushes to Shopify are held."
    health = sync_health(
        now=NOW, runs=[RunSummary(ago(hours=1), 0)], pending=3, blocked=reason
    )
    assert health.attention()[0] == reason
    assert sync_health(now=NOW, runs=[RunSummary(ago(hours=1), 0)]).attention() == []
