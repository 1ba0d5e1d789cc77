"""A reconciliation run: its plan, its cursor, and a whole run against the simulator."""

from __future__ import annotations

import json

import pytest

from shopify_stock_sync.engine.corrections import (
    Action,
    OdooLocation,
    Pair,
    reconcile_chunk,
)
from shopify_stock_sync.engine.data import Direction, LevelChange, LevelKey, Subject
from shopify_stock_sync.engine.findings import (
    CATALOGUE_KINDS,
    PAIR_KINDS,
    FindingKind,
    SnapshotScope,
    collect_snapshot,
)
from shopify_stock_sync.engine.inventory import read_levels, snapshot_levels
from shopify_stock_sync.engine.push import push
from shopify_stock_sync.engine.reconciliation import (
    DEFAULT_BULK_THRESHOLD,
    DEFAULT_CHUNK_SIZE,
    Chunk,
    ChunkState,
    Progress,
    RunCursor,
    RunPlan,
    RunState,
    SnapshotMode,
    choose_snapshot,
    plan_run,
)
from shopify_stock_sync.engine.rule import QuantityRule

# -- the plan -------------------------------------------------------------------------


def test_chunks_hold_whole_links_with_contiguous_bounds() -> None:
    # Link 4 has 3 pairs: it does not fit beside links 1 and 2 (2 pairs each).
    plan = plan_run({2: 2, 1: 2, 4: 3, 7: 1, 8: 0, 9: 1}, chunk_size=4)
    assert [(c.number, c.first_link, c.end_link, c.pairs) for c in plan.chunks] == [
        (0, 1, 4, 4),
        (1, 4, 9, 4),
        (2, 9, 10, 1),
    ]
    assert plan.total == 9
    # Every link id from the first to the last falls in exactly one chunk.
    for link in range(1, 10):
        assert sum(c.covers(link) for c in plan.chunks) == 1
    assert not any(c.covers(0) or c.covers(10) for c in plan.chunks)
    assert plan.chunk_for(8) == plan.chunks[1]
    assert plan.chunk_for(1) == plan.chunks[0]
    assert plan.chunk_for(10) is None
    assert plan.chunk_for(0) is None
    assert plan.chunks[1].name == "links 4-8"


def test_a_snapshot_is_split_by_the_chunks_of_its_items_links() -> None:
    plan = plan_run({1: 2, 2: 2, 3: 2}, chunk_size=2)
    store, depot = "gid://shopify/Location/1", "gid://shopify/Location/2"
    # item A is linked twice (links 1 and 3: two chunks); item C is not linked
    items = {1: "A", 2: "B", 3: "A"}
    levels = {
        LevelKey("A", store): 1,
        LevelKey("A", depot): 2,
        LevelKey("B", store): 3,
        LevelKey("C", store): 4,
    }
    split = plan.split_levels(items, levels)
    assert split == {
        0: {LevelKey("A", store): 1, LevelKey("A", depot): 2},
        1: {LevelKey("B", store): 3},
        2: {LevelKey("A", store): 1, LevelKey("A", depot): 2},
    }
    # a link planned in no chunk (created since) takes no level
    assert plan.split_levels({7: "B"}, levels) == {}


def test_a_link_larger_than_a_chunk_is_a_chunk_of_its_own() -> None:
    plan = plan_run({1: 1, 2: 10, 3: 1}, chunk_size=4)
    assert [(c.first_link, c.end_link, c.pairs) for c in plan.chunks] == [
        (1, 2, 1),
        (2, 3, 10),
        (3, 4, 1),
    ]


def test_default_chunks_and_snapshot_mode() -> None:
    pairs = {link: 4 for link in range(1, 1_201)}  # 4,800 pairs
    plan = plan_run(pairs)
    assert [c.pairs for c in plan.chunks] == [DEFAULT_CHUNK_SIZE, 2_000, 800]
    assert plan.mode is SnapshotMode.BULK and not plan.dry_run
    assert plan.covers == CATALOGUE_KINDS | PAIR_KINDS
    small = plan_run({1: 4}, dry_run=True)
    assert small.mode is SnapshotMode.READ and small.dry_run
    assert small.covers == PAIR_KINDS
    assert plan_run({1: 4}, bulk_threshold=0).mode is SnapshotMode.BULK
    empty = plan_run({})
    assert (empty.chunks, empty.total, empty.mode) == ((), 0, SnapshotMode.READ)


def test_snapshot_mode_threshold() -> None:
    assert choose_snapshot(DEFAULT_BULK_THRESHOLD) is SnapshotMode.READ
    assert choose_snapshot(DEFAULT_BULK_THRESHOLD + 1) is SnapshotMode.BULK
    assert choose_snapshot(0, bulk_threshold=0) is SnapshotMode.READ
    assert choose_snapshot(1, bulk_threshold=0) is SnapshotMode.BULK
    with pytest.raises(ValueError, match="bulk threshold must be 0 or more"):
        choose_snapshot(1, bulk_threshold=-1)


def test_chunk_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="chunk size must be at least 1, not 0"):
        plan_run({1: 1}, chunk_size=0)


# -- progress --------------------------------------------------------------------------


def test_progress_adds_up_across_chunks() -> None:
    a = Progress(total=10, checked=10, mismatches=2, corrections=2)
    b = Progress(total=5, checked=4, mismatches=1, corrections=0, failures=1)
    assert a + b == Progress(15, 14, 3, 2, 1)
    assert Progress.merge([a, b, Progress()]) == a + b
    assert Progress.merge([]) == Progress()
    assert (a + b).percent == 100.0
    assert Progress(total=8, checked=2).percent == 25.0
    assert Progress().percent == 100.0  # nothing to check: done
    assert Progress(total=2, checked=3).percent == 100.0  # pairs added meanwhile


# -- the cursor ------------------------------------------------------------------------


def three_chunks() -> RunPlan:
    return plan_run({1: 2, 2: 2, 3: 2}, chunk_size=2)


def test_cursor_runs_every_chunk_once_then_is_done() -> None:
    plan = three_chunks()
    cursor = RunCursor.start(plan)
    assert cursor.state is RunState.RUNNING and not cursor.finished
    assert cursor.covers == frozenset()
    seen = []
    while (chunk := cursor.next_chunk()) is not None:
        seen.append(chunk)
        cursor = cursor.record_done(chunk, Progress(2, 2, mismatches=1, corrections=1))
    assert seen == list(plan.chunks)
    assert cursor.state is RunState.DONE and cursor.finished
    assert cursor.progress == Progress(6, 6, 3, 3, 0)
    assert cursor.covers == PAIR_KINDS
    assert cursor.failures == []


def test_a_failed_chunk_is_retried_after_the_others_then_given_up() -> None:
    plan = three_chunks()
    first, second, third = plan.chunks
    cursor = RunCursor.start(plan, max_attempts=2)
    assert cursor.failure_of(first) == ""
    cursor = cursor.record_failure(first, "the job was killed")
    assert cursor.status(first).state is ChunkState.PENDING
    assert cursor.status(first).attempts == 1
    assert cursor.failure_of(first) == (
        "Chunk 1 (links 1-1, 2 pairs) FAILED (attempt 1 of 2), nothing of it was "
        "kept: the job was killed. It is tried again after the other chunks."
    )
    # The others complete first; the crashed chunk comes back alone.
    assert cursor.next_chunk() == second
    cursor = cursor.record_done(second, Progress(2, 2))
    cursor = cursor.record_done(third, Progress(2, 2, mismatches=1))
    assert cursor.next_chunk() == first
    assert not cursor.finished
    cursor = cursor.record_failure(first, "the job was killed again")
    assert cursor.status(first).state is ChunkState.FAILED
    assert cursor.next_chunk() is None
    assert cursor.state is RunState.DONE_WITH_FAILURES and cursor.finished
    # Its pairs count as failures; a run that lost a chunk closes no finding.
    assert cursor.progress == Progress(6, 4, 1, 0, 2)
    assert cursor.covers == frozenset()
    assert cursor.failures == [
        "Chunk 1 (links 1-1, 2 pairs) failed 2 times and was given up: the job was "
        "killed again"
    ]


def test_a_retried_chunk_that_succeeds_counts_once() -> None:
    plan = three_chunks()
    cursor = RunCursor.start(plan)
    chunk = plan.chunks[0]
    cursor = cursor.record_failure(chunk, "lost")
    cursor = cursor.record_done(chunk, Progress(2, 2, mismatches=2, corrections=2))
    assert cursor.failure_of(chunk) == ""
    status = cursor.status(chunk)
    assert (status.state, status.attempts, status.progress.checked) == (
        ChunkState.DONE,
        1,
        2,
    )
    assert cursor.progress.checked == 2


def test_cursor_refuses_a_chunk_of_another_run() -> None:
    cursor = RunCursor.start(three_chunks())
    stranger = Chunk(9, 100, 200, 5)
    with pytest.raises(KeyError, match="links 100-199 is not a chunk of this run"):
        cursor.record_done(stranger, Progress())
    with pytest.raises(ValueError, match="max_attempts must be at least 1"):
        RunCursor.start(three_chunks(), max_attempts=0)


def test_cursor_survives_storage_as_json() -> None:
    plan = plan_run({1: 2, 2: 2, 3: 2}, chunk_size=2, bulk_threshold=0, dry_run=True)
    cursor = RunCursor.start(plan, max_attempts=5)
    cursor = cursor.record_done(plan.chunks[1], Progress(2, 2, 1, 0, 0))
    cursor = cursor.record_failure(plan.chunks[0], "Shopify was unreachable")
    stored = json.loads(json.dumps(cursor.to_dict()))
    again = RunCursor.from_dict(stored)
    assert again == cursor
    assert again.plan.mode is SnapshotMode.BULK and again.plan.dry_run
    assert again.next_chunk() == plan.chunks[2]


# -- a whole run against the simulator -------------------------------------------------


def _catalogue(sim, items: int):
    main = sim.add_location("Main store")
    outlet = sim.add_location("Outlet")
    popup = sim.add_location("Pop-up")  # not mapped
    mappings = {
        main: (1, Direction.ODOO_TO_SHOPIFY, OdooLocation(10, "WH/Stock")),
        outlet: (2, Direction.SHOPIFY_TO_ODOO, OdooLocation(20, "OUT/Stock")),
    }
    pairs, odoo = [], {}
    for n in range(items):
        variant = sim.add_variant(sku=f"R-{n}")
        for location, (mapping_id, direction, odoo_location) in mappings.items():
            sim.set_level(variant.inventory_item_id, location, available=5)
            key = LevelKey(variant.inventory_item_id, location)
            subject = Subject(f"R-{n}", f"Product {n}", location, odoo_location.name)
            pairs.append(
                Pair(key, direction, n + 1, mapping_id, subject, (odoo_location,))
            )
            odoo[key] = 5.0
        sim.set_level(variant.inventory_item_id, popup, available=1)
    stray = sim.add_variant(sku="STRAY")  # in Shopify, linked to nothing
    sim.set_level(stray.inventory_item_id, main, available=3)
    return main, outlet, popup, pairs, odoo


def test_a_bulk_run_corrects_each_side_the_right_way(sim, client) -> None:
    main, outlet, popup, pairs, odoo = _catalogue(sim, 12)
    # Drift: Odoo sold 2 of item 0 (Odoo-owned: Shopify must follow); Shopify counted
    # 1 less of item 1 at the outlet (Shopify-owned: Odoo must follow).
    odoo[pairs[0].key] = 3.0
    sim.set_level(pairs[3].key.inventory_item_id, outlet, available=4)
    plan = plan_run(
        {p.link_id: 2 for p in pairs}, chunk_size=8, bulk_threshold=0
    )  # 3 chunks of 4 links
    assert plan.mode is SnapshotMode.BULK and len(plan.chunks) == 3
    scope = SnapshotScope(
        {p.key.inventory_item_id for p in pairs},
        {main: "Main store", outlet: "Outlet"},
        {popup: "Pop-up"},
    )
    sim.reset_stats()
    snapshot = collect_snapshot(snapshot_levels(client, poll_every=1.0), scope)
    assert sim.stats.by_operation["BulkRunQuery"] == 1  # one snapshot
    assert len(snapshot.levels) == 24
    assert {f.kind for f in snapshot.findings} == {
        FindingKind.UNLINKED_ITEM,
        FindingKind.UNMAPPED_STOCK,
    }
    cursor = RunCursor.start(plan)
    to_push, adjustments = [], []
    while (chunk := cursor.next_chunk()) is not None:
        mine = [p for p in pairs if chunk.covers(p.link_id)]
        result = reconcile_chunk(
            mine, odoo, snapshot.levels, QuantityRule(), chunk=chunk
        )
        assert result.chunk == chunk
        to_push.extend(result.to_push)
        adjustments.extend(result.adjustments)
        cursor = cursor.record_done(chunk, result.progress)
    assert cursor.progress == Progress(24, 24, 2, 2, 0)
    assert [p.key for p in to_push] == [pairs[0].key]
    assert [(a.pair.key, a.before, a.after) for a in adjustments] == [
        (pairs[3].key, 5.0, 4)
    ]
    # The Odoo side marks the level pending; the push corrects Shopify in a batch.
    changes = [
        LevelChange(p.key, odoo[p.key], known=snapshot.levels[p.key]) for p in to_push
    ]
    sim.reset_stats()
    outcomes = push(client, changes, QuantityRule())
    assert [o.written for o in outcomes] == [True]
    assert sim.stats.requests == 1  # one compare-and-set, no read
    assert sim.level(pairs[0].key.inventory_item_id, main)["available"] == 3
    # The Shopify-owned level is left as it is: Odoo followed it.
    assert sim.level(pairs[3].key.inventory_item_id, outlet)["available"] == 4
    odoo[pairs[3].key] = adjustments[0].after
    # A second run finds nothing left to do.
    again = reconcile_chunk(pairs, odoo, read_levels(client, odoo), QuantityRule())
    assert again.progress == Progress(24, 24, 0, 0, 0)


def test_a_dry_run_reads_and_changes_nothing(sim, client) -> None:
    main, _outlet, _popup, pairs, odoo = _catalogue(sim, 3)
    odoo[pairs[0].key] = 1.0
    plan = plan_run({p.link_id: 2 for p in pairs}, dry_run=True)
    assert plan.mode is SnapshotMode.READ
    sim.reset_stats()
    levels = read_levels(client, [p.key for p in pairs])
    result = reconcile_chunk(pairs, odoo, levels, QuantityRule(), dry_run=plan.dry_run)
    assert [m.action for m in result.mismatches] == [Action.REPORT]
    assert result.to_push == () and result.adjustments == ()
    assert result.mismatches[0].note.endswith("dry run, nothing changed.")
    assert sim.stats.applied_writes == [] and sim.stats.requests == 1
    assert sim.level(pairs[0].key.inventory_item_id, main)["available"] == 5
