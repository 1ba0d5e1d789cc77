"""Benchmark: a reconciliation of 50,000 variant x location pairs with 1% drift,
inside a real Odoo 19, against a per-pair baseline measured in the same run.

Run: ``bash tests/bench/bench_odoo.sh bench_odoo_reconcile.py [--pairs 50000]``
(a throwaway database with the addon; this file runs with the Odoo Python, as
``bench_odoo_reconcile.py --config odoo.conf --db DB``).

The shop: ``--pairs / --locations`` products, linked to as many Shopify variants, at
``--locations`` Odoo-owned mappings (one Odoo location each), after their first sync
(every level synced), or, with ``--cold``, linked but never pushed (no level yet:
a new shop's first reconciliation, whose chunks create the levels they mark).  Odoo's
stock is put in with SQL (no stock change to push),
Shopify's in the simulator (``bench_reconcile.py``'s shop: its own process, so
tracemalloc here counts Odoo and the engine only; the client follows its virtual
clock).  Every ``1/--drift``-th pair has more in Odoo than in Shopify: the drift.

* engine: a run started as the shop form's button does, then the queue jobs, in turn,
  one transaction each, here (as the runner's controller would): the snapshot job (one
  bulk operation, its JSONL streamed), the chunk jobs (Odoo quantities computed per
  mapping and chunk, diffs, drifted levels marked pending), the finish job, then the
  shop's push job (one compare-and-set call per 250 drifted levels).  Measured from
  the button to the last job: wall time, SQL queries, Shopify calls, cost points,
  simulated seconds.
* baseline: what a per-record connector does, as the issue puts it: for each pair, one
  Odoo quantity compute (``free_qty`` of that product at that location) and one
  ``inventorySetQuantities`` of that one quantity.
* peak memory: a second engine run and a 500-pair baseline with tracemalloc on (the
  drift put back in Shopify first); tracemalloc slows Python, so the wall times above
  are from the runs without it.

Exits 1 when a target is missed: one snapshot, at most ceil(drifts / 250) mutations,
every pair right in Shopify after the run, ``--target-seconds`` (60) of wall time.
"""

from __future__ import annotations

import argparse
import cProfile
import faulthandler
import pstats
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.bench.bench_odoo_push import (  # noqa: E402
    divert,
    environment,
    open_registry,
    queries,
    run_jobs,
    say,
)
from tests.bench.bench_reconcile import (  # noqa: E402
    TOKEN,
    Shop,
    add_catalogue_options,
    even_sample,
    measure,
    print_comparison,
    set_one_quantity,
    shopify_available,
)

MEMORY_SAMPLE = 500


@dataclass
class Bench:
    """What the set-up made: ids, and each pair as (product id, Odoo location id,
    inventory item gid, Shopify location gid, Odoo's quantity, Shopify's before)."""

    shop_id: int
    pairs: list[tuple[int, int, str, str, int, int]]
    drifted: list[tuple[int, int, str, str, int, int]]

    def expected(self) -> list[tuple[str, str, int]]:
        return [(item, gid, odoo) for _p, _l, item, gid, odoo, _s in self.pairs]

    def drift_back(self) -> list[tuple[str, str, int]]:
        return [(item, gid, before) for _p, _l, item, gid, _o, before in self.drifted]


# -- set-up ------------------------------------------------------------------------


def set_up(
    env,
    shop_process: Shop,
    pairs: int,
    locations: int,
    drift: float,
    cold: bool = False,
) -> Bench:
    items = max(pairs // locations, 1)
    started = time.perf_counter()
    variants, location_gids, _seconds = shop_process("build", items, locations)
    say(f"  simulator: {items} variants x {locations} locations")
    shop = env["shopify.shop"].create(
        {
            "name": "Reconcile bench",
            "domain": shop_process.domain,
            "company_id": env.company.id,
            "auth_method": "admin_token",
            "access_token": TOKEN,
            "reconcile_interval": 0,
        }
    )
    stock = env.ref("stock.warehouse0").lot_stock_id
    odoo_locations = env["stock.location"].create(
        [
            {"name": f"Bench {n}", "location_id": stock.id, "usage": "internal"}
            for n in range(locations)
        ]
    )
    mappings = env["shopify.location.mapping"].create(
        [
            {
                "shop_id": shop.id,
                "shopify_location_gid": gid,
                "shopify_location_name": f"Store {n}",
                "location_ids": [(6, 0, location.ids)],
                "direction": "odoo_to_shopify",
            }
            for n, (gid, location) in enumerate(
                zip(location_gids, odoo_locations, strict=True)
            )
        ]
    )
    products = env["product.product"].create(
        [
            {"name": f"Product {n}", "default_code": f"B-{n:06}", "is_storable": True}
            for n in range(items)
        ]
    )
    say(f"  odoo: {items} products ({time.perf_counter() - started:.0f} s)")
    links = env["shopify.variant.link"].create(
        [
            {
                "shop_id": shop.id,
                "product_id": product.id,
                "variant_gid": variant,
                "inventory_item_gid": item,
                "shopify_sku": product.default_code,
                "match_method": "sku",
            }
            for product, (variant, item) in zip(products, variants, strict=True)
        ]
    )
    every = max(round(1 / drift), 1) if drift else 0
    all_pairs, drifted = [], []
    for n, (product, (_variant, item)) in enumerate(
        zip(products, variants, strict=True)
    ):
        for m, (gid, location) in enumerate(
            zip(location_gids, odoo_locations, strict=True)
        ):
            before = odoo = shopify_available(n, m)
            pair_drifts = every and len(all_pairs) % every == 0
            if pair_drifts:
                odoo += 1 + len(drifted) % 5  # Odoo moved; Shopify did not follow
            pair = (product.id, location.id, item, gid, odoo, before)
            all_pairs.append(pair)
            if pair_drifts:
                drifted.append(pair)
    put_stock(env, all_pairs)
    if not cold:
        levels = env["shopify.stock.level"]._ensure_levels(links, mappings)
        env.flush_all()
        # after the first sync: every level synced, Shopify's quantity known
        env.cr.execute(
            "UPDATE shopify_stock_level SET state = 'synced', dirty_since = NULL,"
            " synced_at = now() AT TIME ZONE 'UTC' WHERE id = ANY(%s)",
            (levels.ids,),
        )
    env.invalidate_all()
    say(
        f"  odoo: {len(links)} links, {len(all_pairs)} quants, "
        + ("no level (never pushed)" if cold else f"{len(all_pairs)} levels synced")
        + f" ({time.perf_counter() - started:.0f} s in all)"
    )
    return Bench(shop.id, all_pairs, drifted)


def put_stock(env, pairs) -> None:
    """Odoo's on hand of each pair, straight into stock_quant: a set-up, not a stock
    change (the quant hook would queue a push of all of them)."""
    from psycopg2.extras import execute_values

    env.cr.flush()
    execute_values(
        env.cr._obj,
        "INSERT INTO stock_quant (product_id, location_id, company_id, quantity,"
        " reserved_quantity, inventory_quantity_set, in_date, create_uid,"
        " create_date, write_uid, write_date) VALUES %s",
        [
            (product, location, env.company.id, odoo, 0, False)
            for product, location, _item, _gid, odoo, _before in pairs
            if odoo
        ],
        template="(%s, %s, %s, %s, %s, %s, now() AT TIME ZONE 'UTC', 1,"
        " now() AT TIME ZONE 'UTC', 1, now() AT TIME ZONE 'UTC')",
        page_size=5000,
    )


# -- the two ways ------------------------------------------------------------------


def engine_run(registry, bench: Bench) -> dict:
    """The run, from the button to the last queue job (the push included)."""
    with registry.cursor() as cr:
        env = environment(cr)
        cr.execute("SELECT coalesce(max(id), 0) FROM queue_job")
        last_job = cr.fetchone()[0]
        shop = env["shopify.shop"].browse(bench.shop_id)
        run_id = env["shopify.reconciliation.run"]._start(shop).id
        cr.commit()
    jobs = run_jobs(registry, limit=10_000)
    with registry.cursor() as cr:
        env = environment(cr)
        run = env["shopify.reconciliation.run"].browse(run_id)
        cr.execute(
            "SELECT method_name, count(*), sum(exec_time), min(exec_time),"
            " max(exec_time) FROM queue_job"
            " WHERE id > %s GROUP BY method_name ORDER BY min(id)",
            (last_job,),
        )
        by_method = cr.fetchall()
        return {
            "jobs": jobs,
            "by_method": by_method,
            "state": run.state,
            "mode": run.mode,
            "chunks": run.chunk_count,
            "checked": run.pairs_checked,
            "mismatches": run.mismatch_count,
            "corrections": run.correction_count,
            "failures": run.failure_count,
        }


def baseline_run(registry, bench: Bench, pairs) -> dict:
    """One quantity compute and one mutation per pair."""
    from odoo.addons.shopify_stock_sync.engine.shopify import documents

    with registry.cursor() as cr:
        env = environment(cr)
        client = env["shopify.shop"].browse(bench.shop_id)._shopify_client()
        Product = env["product.product"]
        for product, location, item, gid, _odoo, _before in pairs:
            quantity = Product.browse(product).with_context(location=location).free_qty
            client.execute(
                documents.SET_QUANTITIES, set_one_quantity(item, gid, int(quantity))
            )
    return {"pairs": len(pairs)}


# -- report ------------------------------------------------------------------------


def report(registry, shop_process: Shop, args) -> int:
    say(
        f"Reconciliation in Odoo 19: {args.pairs} pairs, {args.drift:.0%} drift, "
        "Standard plan, "
        + ("cold: links never pushed" if args.cold else "after the first sync")
    )
    with registry.cursor() as cr:
        bench = set_up(
            environment(cr),
            shop_process,
            args.pairs,
            args.locations,
            args.drift,
            cold=args.cold,
        )
        cr.commit()
    divert(shop_process.base_url, clock=shop_process.now, sleep=shop_process.sleep)
    total, drifts = len(bench.pairs), len(bench.drifted)
    most = -(-drifts // 250)

    profile = cProfile.Profile() if args.profile else None
    if profile:
        profile.enable()
    engine = measure(shop_process, lambda: engine_run(registry, bench), queries=queries)
    if profile:
        profile.disable()
        pstats.Stats(profile, stream=sys.stdout).sort_stats("cumulative").print_stats(
            args.profile
        )
    wrong = shop_process("wrong", bench.expected())
    shop_process("set_levels", bench.drift_back())
    engine_memory = measure(shop_process, lambda: engine_run(registry, bench), True)

    sample, scale = even_sample(bench.pairs, args.baseline_sample)
    base = measure(
        shop_process, lambda: baseline_run(registry, bench, sample), queries=queries
    )
    for name in ("wall_s", "queries", "calls", "cost", "simulated_s", "mutations"):
        base[name] *= scale
    memory_sample = bench.pairs[:MEMORY_SAMPLE]
    base_memory = measure(
        shop_process, lambda: baseline_run(registry, bench, memory_sample), True
    )

    say(
        f"engine: run {engine['state']}, {engine['mode']} snapshot, "
        f"{engine['chunks']} chunks, {engine['checked']} of {total} pairs checked, "
        f"{engine['mismatches']} mismatches of {drifts} drifted, "
        f"{engine['corrections']} corrections, {engine['failures']} failures"
    )
    for method, count, seconds, fastest, slowest in engine["by_method"]:
        say(
            f"  {count:>4} x {method:<14} {seconds or 0:>7.2f} s "
            f"(each {fastest or 0:.2f} to {slowest or 0:.2f} s)"
        )
    say(
        f"  snapshots {engine['snapshots']}, reads {engine['reads']}, mutations "
        f"{engine['mutations']} (target <= {most}), throttled {engine['throttled']}, "
        f"{wrong} pairs wrong in Shopify after"
    )
    print_comparison(
        base,
        engine,
        (base_memory, engine_memory),
        (len(sample), total, len(memory_sample)),
        queries=True,
    )
    say(
        f"engine wall time with tracemalloc on: {engine_memory['wall_s']:.2f} s "
        f"({engine_memory['mutations']} mutations); simulated seconds: Shopify's "
        "rate limit on the virtual clock (Odoo's work takes none of it)"
    )
    problems = []
    if engine["state"] != "done" or engine["checked"] != total:
        problems.append(f"run {engine['state']}, {engine['checked']} pairs checked")
    if engine["snapshots"] != 1:
        problems.append(f"{engine['snapshots']} snapshots, not one")
    if engine["mutations"] > most:
        problems.append(f"{engine['mutations']} mutations for {drifts} drifts")
    if wrong:
        problems.append(f"{wrong} pairs wrong in Shopify after the run")
    if engine["wall_s"] > args.target_seconds:
        problems.append(
            f"{engine['wall_s']:.0f} s, more than {args.target_seconds:.0f} s"
        )
    for problem in problems:
        say(f"FAILED: {problem}")
    return 1 if problems else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, help="odoo.conf of the database")
    parser.add_argument("--db", required=True)
    add_catalogue_options(parser)
    parser.add_argument("--target-seconds", type=float, default=60.0)
    parser.add_argument(
        "--cold",
        action="store_true",
        help="links never pushed: no level exists before the run (a new shop)",
    )
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        help="profile the engine's run (slower) and print its N costliest functions",
    )
    args = parser.parse_args()
    faulthandler.register(signal.SIGUSR1)  # kill -USR1: where each thread is
    registry = open_registry(args.config, args.db)
    shop_process = Shop()
    try:
        return report(registry, shop_process, args)
    finally:
        shop_process.close()


if __name__ == "__main__":
    sys.exit(main())
