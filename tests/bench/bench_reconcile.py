"""Benchmark: reconciling 50,000 variant x location pairs with 1% drift (engine side).

The engine's reconciliation against a per-pair baseline measured in the same run, both
against the Shopify simulator over real HTTP on loopback, on the Standard plan's cost
model (100 points/s restore; "simulated seconds" is the time Shopify's rate limit
alone imposes, on the simulator's virtual clock).

* engine: plan the run (chunks of 2,000 pairs), ONE bulk snapshot (a bulk query, its
  polls, the JSONL streamed line by line and sorted with ``findings.collect_snapshot``),
  each chunk diffed (``corrections.reconcile_chunk``), then the drifted levels pushed
  in batches (``push.push``, the snapshot as their known level: one compare-and-set
  call per 250 drifts, no read);
* baseline: what a per-record connector does -- for every pair, one read of its level
  and one ``inventorySetQuantities`` of one quantity.

The simulator runs in a child process, so the engine's peak memory (tracemalloc, in
this process) counts the engine and its HTTP client only, not the simulated shop.  The
Odoo side's inputs (pairs, Odoo quantities) are built before tracemalloc starts:
the peak is what a run adds on top of them.  Wall time is measured with tracemalloc
off, in a separate identical run (the drift is put back in between).

Run: python3 tests/bench/bench_reconcile.py [--pairs 50000] [--baseline-sample N]
"""

from __future__ import annotations

import argparse
import bisect
import multiprocessing
import sys
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from shopify_stock_sync.engine.corrections import (  # noqa: E402
    OdooLocation,
    Pair,
    reconcile_chunk,
)
from shopify_stock_sync.engine.data import (  # noqa: E402
    Direction,
    LevelChange,
    LevelKey,
    OutcomeStatus,
    Subject,
)
from shopify_stock_sync.engine.findings import (  # noqa: E402
    SnapshotScope,
    collect_snapshot,
)
from shopify_stock_sync.engine.inventory import (  # noqa: E402
    SnapshotLevel,
    read_levels,
    snapshot_levels,
)
from shopify_stock_sync.engine.push import push  # noqa: E402
from shopify_stock_sync.engine.reconciliation import (  # noqa: E402
    Progress,
    RunCursor,
    plan_run,
)
from shopify_stock_sync.engine.rule import QuantityRule  # noqa: E402
from shopify_stock_sync.engine.shopify import documents  # noqa: E402
from shopify_stock_sync.engine.shopify.auth import Credentials  # noqa: E402
from shopify_stock_sync.engine.shopify.client import ShopifyClient  # noqa: E402

TOKEN = "shpat_bench"
SCOPES = ("read_products", "read_inventory", "write_inventory", "read_locations")
RULE = QuantityRule()
MUTATIONS = ("SetQuantities", "Activate")


def shopify_available(item: int, location: int) -> int:
    return (item * 7 + location * 3) % 11


def set_one_quantity(
    item: str, location: str, quantity: int, change_from: int | None = None
) -> dict[str, Any]:
    """The variables of one ``inventorySetQuantities`` of one quantity: what a
    per-record connector sends for each pair (the baselines' mutation)."""
    return {
        "input": {
            "name": "available",
            "reason": "correction",
            "referenceDocumentUri": "gid://bench/Level/1",
            "quantities": [
                {
                    "inventoryItemId": item,
                    "locationId": location,
                    "quantity": quantity,
                    "changeFromQuantity": change_from,
                }
            ],
        },
        "key": uuid.uuid4().hex,
    }


def even_sample(items: list, size: int) -> tuple[list, float]:
    """``size`` of ``items`` evenly spread (all when ``size`` is 0 or more than
    there are), and the factor that scales a measure of them to all."""
    if not 0 < size < len(items):
        return items, 1.0
    step = len(items) / size
    return [items[int(i * step)] for i in range(size)], len(items) / size


def print_comparison(
    base: dict[str, Any],
    engine: dict[str, Any],
    memory: tuple[dict[str, Any], dict[str, Any]],
    pairs: tuple[int, int, int],
    queries: bool = False,
) -> None:
    """The table of a reconciliation benchmark: each measure of the baseline and
    the engine with the ratio baseline / engine.  ``memory``: the baseline's and
    the engine's runs under tracemalloc; ``pairs``: how many pairs the baseline
    was measured on, of how many, and the pairs of its memory run."""
    sampled, total, memory_pairs = pairs
    if sampled != total:
        say(
            f"BASELINE MEASURED ON {sampled} OF {total} PAIRS (evenly spread) AND "
            f"EXTRAPOLATED x{total / sampled:.1f} to all pairs"
        )
    say(f"baseline peak memory measured on {memory_pairs} pairs")
    rows = [
        ("wall_s", base["wall_s"], engine["wall_s"]),
        ("calls", base["calls"], engine["calls"]),
        ("cost_points", base["cost"], engine["cost"]),
        ("simulated_s", base["simulated_s"], engine["simulated_s"]),
        ("mutations", base["mutations"], engine["mutations"]),
        ("peak_MiB", memory[0]["peak_mib"], memory[1]["peak_mib"]),
    ]
    if queries:
        rows.insert(1, ("sql_queries", base["queries"], engine["queries"]))
    print_ratios(("baseline", "engine"), rows)


def print_ratios(
    columns: tuple[str, str], rows: list[tuple[str, float, float]]
) -> None:
    """A comparison table of the benchmarks: under the two ``columns``, each row's
    two measures and the ratio of the first to the second."""
    say(f"{'':14}{columns[0]:>13}{columns[1]:>13}{'ratio':>10}")
    for name, first, second in rows:
        ratio = first / second if second else float("inf")
        say(f"{name:14}{first:>13.2f}{second:>13.2f}{ratio:>10.2f}x")


# -- the simulated shop, in its own process -------------------------------------------


def _serve(conn: Any, plan: str) -> None:  # pragma: no cover - runs in the child
    from tests.simulator import Simulator

    with Simulator(plan=plan) as sim:
        sim.add_token(TOKEN, scopes=SCOPES)
        conn.send((sim.domain, sim.base_url))
        while True:
            command, args = conn.recv()
            if command == "close":
                conn.send(None)
                return
            conn.send(_COMMANDS[command](sim, *args))


def _build(
    sim: Any, items: int, locations: int
) -> tuple[list[tuple[str, str]], list[str], float]:
    """The shop's ``locations`` and ``items`` variants (SKU ``B-<n>``) stocked at each
    with ``shopify_available``; returns the variants' (variant gid, inventory item
    gid), the location gids and the seconds taken."""
    started = time.perf_counter()
    gids = [sim.add_location(f"Store {n}") for n in range(locations)]
    item_gids = []
    for n in range(items):
        variant = sim.add_variant(sku=f"B-{n:06}", product_title=f"Product {n}")
        item_gids.append((variant.id, variant.inventory_item_id))
        for m, location in enumerate(gids):
            sim.set_level(
                variant.inventory_item_id, location, available=shopify_available(n, m)
            )
    return item_gids, gids, time.perf_counter() - started


def _stats(sim: Any) -> dict[str, Any]:
    stats = sim.stats
    return {
        "calls": stats.requests,
        "cost": stats.cost_actual,
        "by_operation": dict(stats.by_operation),
        "throttled": stats.throttled,
        "writes": len(stats.applied_writes),
        "now": sim.clock.now(),
    }


def _wrong(sim: Any, expected: list[tuple[str, str, int]]) -> int:
    wrong = 0
    for item, location, quantity in expected:
        level = sim.level(item, location)
        wrong += level is None or level["available"] != quantity
    return wrong


def _set_levels(sim: Any, levels: list[tuple[str, str, int]]) -> None:
    for item, location, available in levels:
        sim.set_level(item, location, available=available)


_COMMANDS: dict[str, Callable[..., Any]] = {
    "build": _build,
    "now": lambda sim: sim.clock.now(),
    "sleep": lambda sim, seconds: sim.clock.sleep(seconds),
    "reset": lambda sim: sim.reset_stats(),
    "stats": _stats,
    "wrong": _wrong,
    "set_levels": _set_levels,
}


class Shop:
    """The parent's handle on the simulated shop: a pipe of commands."""

    def __init__(self, plan: str = "standard") -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child, plan), daemon=True)
        self._process.start()
        self.domain, self.base_url = self._conn.recv()

    def __call__(self, command: str, *args: Any) -> Any:
        self._conn.send((command, args))
        return self._conn.recv()

    def now(self) -> float:
        return self("now")

    def sleep(self, seconds: float) -> None:
        self("sleep", seconds)

    def client(self) -> ShopifyClient:
        return ShopifyClient(
            self.domain,
            Credentials.admin_token(TOKEN),
            base_url=self.base_url,
            clock=self.now,
            sleep=self.sleep,
        )

    def close(self) -> None:
        self("close")
        self._process.join(timeout=10)


# -- the Odoo side's inputs ------------------------------------------------------------


@dataclass
class Catalogue:
    pairs: list[Pair]  # sorted by link id
    odoo: dict[LevelKey, float]
    drifted: list[Pair]
    locations: list[str]
    build_seconds: float

    def restore(self, shop: Shop) -> None:
        """Put Shopify back as it was before a run corrected the drift."""
        shop(
            "set_levels",
            [
                (p.key.inventory_item_id, p.key.location_id, self.original(p))
                for p in self.drifted
            ],
        )

    @staticmethod
    def original(pair: Pair) -> int:
        item, location = pair.link_id - 1, pair.mapping_id - 1
        return shopify_available(item, location)

    def expected(self) -> list[tuple[str, str, int]]:
        return [
            (p.key.inventory_item_id, p.key.location_id, int(self.odoo[p.key]))
            for p in self.pairs
        ]


def catalogue(shop: Shop, pairs: int, locations: int, drift: float) -> Catalogue:
    items = max(pairs // locations, 1)
    item_gids, location_gids, build_seconds = shop("build", items, locations)
    every = max(round(1 / drift), 1) if drift else 0
    all_pairs, odoo, drifted = [], {}, []
    odoo_locations = [OdooLocation(m + 1, f"WH{m}/Stock") for m in range(locations)]
    for n, (_variant, item) in enumerate(item_gids):
        for m, location in enumerate(location_gids):
            key = LevelKey(item, location)
            subject = Subject(f"B-{n:06}", f"Product {n}", f"Store {m}", f"WH{m}/Stock")
            pair = Pair(
                key,
                Direction.ODOO_TO_SHOPIFY,
                link_id=n + 1,
                mapping_id=m + 1,
                subject=subject,
                odoo_locations=(odoo_locations[m],),
            )
            quantity = shopify_available(n, m)
            if every and len(all_pairs) % every == 0:
                quantity += 1 + len(drifted) % 5  # Odoo moved; Shopify did not follow
                drifted.append(pair)
            all_pairs.append(pair)
            odoo[key] = float(quantity)
    return Catalogue(all_pairs, odoo, drifted, location_gids, build_seconds)


# -- the two ways ----------------------------------------------------------------------


def engine_run(shop: Shop, cat: Catalogue, chunk_size: int) -> dict[str, Any]:
    """A whole reconciliation as the Odoo side will drive it, minus the database."""
    client = shop.client()
    links = [p.link_id for p in cat.pairs]
    pairs_per_link: dict[int, int] = {}
    for link in links:
        pairs_per_link[link] = pairs_per_link.get(link, 0) + 1
    plan = plan_run(pairs_per_link, chunk_size=chunk_size)
    scope = SnapshotScope(
        {p.key.inventory_item_id for p in cat.pairs},
        {gid: f"Store {n}" for n, gid in enumerate(cat.locations)},
    )
    started = time.perf_counter()
    first_row: list[float] = []

    def timed(rows: Iterator[SnapshotLevel]) -> Iterator[SnapshotLevel]:
        for row in rows:
            if not first_row:
                first_row.append(time.perf_counter())
            yield row

    snapshot = collect_snapshot(timed(snapshot_levels(client)), scope)
    diffed = time.perf_counter()
    cursor = RunCursor.start(plan)
    to_push: list[Pair] = []
    while (chunk := cursor.next_chunk()) is not None:
        start = bisect.bisect_left(links, chunk.first_link)
        end = bisect.bisect_left(links, chunk.end_link)
        result = reconcile_chunk(
            cat.pairs[start:end], cat.odoo, snapshot.levels, RULE, chunk=chunk
        )
        to_push.extend(result.to_push)
        cursor = cursor.record_done(chunk, result.progress)
    changes = [
        LevelChange(p.key, cat.odoo[p.key], ref=p.link_id, known=snapshot.levels[p.key])
        for p in to_push
    ]
    pushed = time.perf_counter()
    outcomes = push(client, changes, RULE)
    done = time.perf_counter()
    failed = [o for o in outcomes if o.status is not OutcomeStatus.SYNCED]
    return {
        "mode": plan.mode.value,
        "chunks": len(plan.chunks),
        "rows": snapshot.rows,
        "progress": cursor.progress,
        "pushed": len(changes),
        "failed": len(failed),
        "phases": (
            first_row[0] - started,
            diffed - first_row[0],
            pushed - diffed,
            done - pushed,
        ),
    }


def baseline_run(shop: Shop, cat: Catalogue, pairs: list[Pair]) -> dict[str, Any]:
    """One read and one mutation per pair, as a per-record connector does."""
    client = shop.client()
    for pair in pairs:
        level = read_levels(client, [pair.key])[pair.key]
        client.execute(
            documents.SET_QUANTITIES,
            set_one_quantity(
                pair.key.inventory_item_id,
                pair.key.location_id,
                RULE.quantity(cat.odoo[pair.key]),
                change_from=level.available,
            ),
        )
    return {"pairs": len(pairs)}


def measure(
    shop: Shop,
    run: Callable[[], dict],
    memory: bool = False,
    queries: Callable[[], int] | None = None,
) -> dict[str, Any]:
    """Run ``run`` and add to its result the wall time, the shop's counters, the
    peak memory (with ``memory``: tracemalloc on) and, given a counter of SQL
    queries, how many were made."""
    shop("reset")
    start_sim = shop.now()
    start_sql = queries() if queries else 0
    if memory:
        tracemalloc.start()
    start = time.perf_counter()
    result = run()
    wall = time.perf_counter() - start
    if memory:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        result["peak_mib"] = peak / 2**20
    stats = shop("stats")
    ops = stats["by_operation"]
    result.update(
        wall_s=wall,
        queries=queries() - start_sql if queries else 0,
        calls=stats["calls"],
        cost=stats["cost"],
        simulated_s=stats["now"] - start_sim,
        throttled=stats["throttled"],
        snapshots=ops.get("BulkRunQuery", 0),
        polls=ops.get("BulkOperation", 0),
        reads=ops.get("Levels", 0),
        mutations=sum(ops.get(name, 0) for name in MUTATIONS),
        writes=stats["writes"],
    )
    return result


# -- report ----------------------------------------------------------------------------


def say(line: str = "") -> None:
    sys.stdout.write(line + "\n")


def add_catalogue_options(parser: argparse.ArgumentParser) -> None:
    """The options of a reconciliation benchmark's catalogue and baseline."""
    parser.add_argument("--pairs", type=int, default=50_000)
    parser.add_argument("--locations", type=int, default=4)
    parser.add_argument("--drift", type=float, default=0.01)
    parser.add_argument(
        "--baseline-sample",
        type=int,
        default=0,
        help="measure the baseline on this many pairs and extrapolate (0: all)",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_catalogue_options(parser)
    parser.add_argument("--chunk-size", type=int, default=2_000)
    args = parser.parse_args()
    shop = Shop()
    try:
        return report(shop, args)
    finally:
        shop.close()


def report(shop: Shop, args: argparse.Namespace) -> int:
    cat = catalogue(shop, args.pairs, args.locations, args.drift)
    total, drifts = len(cat.pairs), len(cat.drifted)
    say(
        f"{total} pairs ({total // args.locations} variants x {args.locations} "
        f"locations), {drifts} drifted ({drifts / total:.1%}), Standard plan"
    )
    say(f"simulated shop built in {cat.build_seconds:.1f} s (not counted below)")
    problems = []

    def run_engine() -> dict[str, Any]:
        return engine_run(shop, cat, args.chunk_size)

    engine = measure(shop, run_engine, memory=False)
    wrong = shop("wrong", cat.expected())
    if wrong or engine["failed"]:
        problems.append(f"engine left {wrong} pairs wrong, {engine['failed']} failed")
    expected_progress = Progress(total, total, drifts, drifts, 0)
    if engine["progress"] != expected_progress:
        problems.append(f"engine progress {engine['progress']}")
    cat.restore(shop)
    engine_memory = measure(shop, run_engine, memory=True)
    cat.restore(shop)

    sample, scale = even_sample(cat.pairs, args.baseline_sample)

    def run_baseline() -> dict[str, Any]:
        return baseline_run(shop, cat, sample)

    base = measure(shop, run_baseline, memory=False)
    memory_sample = sample[:500]
    cat.restore(shop)
    base_memory = measure(
        shop, lambda: baseline_run(shop, cat, memory_sample), memory=True
    )
    for name in ("wall_s", "calls", "cost", "simulated_s", "reads", "mutations"):
        base[name] *= scale

    say(
        f"engine: {engine['mode']} snapshot, {engine['chunks']} chunks, "
        f"{engine['rows']} levels streamed from the JSONL, {engine['pushed']} "
        "levels pushed"
    )
    say(
        "  wall: bulk query and polls until the file's first line {:.2f} s (the "
        "simulator builds the JSONL meanwhile), JSONL streamed and sorted {:.2f} s, "
        "chunks diffed {:.2f} s, push {:.2f} s".format(*engine["phases"])
    )
    say(
        f"  snapshot calls {engine['snapshots']}, polls {engine['polls']}, reads "
        f"{engine['reads']}, mutations {engine['mutations']} "
        f"(target <= {-(-drifts // 250)}), throttled {engine['throttled']}"
    )
    print_comparison(
        base,
        engine,
        (base_memory, engine_memory),
        (len(sample), total, len(memory_sample)),
    )
    say(
        f"throttled responses: baseline {base['throttled']}, "
        f"engine {engine['throttled']}"
    )
    say(
        f"engine wall time with tracemalloc on: {engine_memory['wall_s']:.2f} s; its "
        "peak holds the run's levels from the snapshot, the baseline one level at a "
        "time"
    )
    say(
        "simulated seconds: Shopify's rate limit on the virtual clock; the simulator "
        "completes a bulk operation at its 2nd poll (Shopify's own take longer)"
    )
    if engine["snapshots"] != 1:
        problems.append(f"{engine['snapshots']} snapshots, not one")
    if engine["mutations"] > -(-drifts // 250):
        problems.append(f"{engine['mutations']} mutations for {drifts} drifts")
    for problem in problems:
        say(f"FAILED: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
