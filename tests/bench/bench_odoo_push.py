"""Benchmark: the Odoo → Shopify push inside a real Odoo 19, against the simulator.

Run by ``bash tests/bench/bench_odoo.sh bench_odoo_push.py [options]`` (a throwaway
database with the addon), with the Odoo Python, as
``bench_odoo_push.py --config odoo.conf --db DB [options]``.

(a) For each size N (``--sizes``): a shop with N/4 linked products at 4 mapped Odoo
    locations and the matching variants in a Standard-plan simulator (in this process,
    virtual clock).  One inventory adjustment of the N quants (the quant hook records
    N changes, one push job is enqueued), then the queue jobs run here, in turn, until
    none is left: the "cold" first sync (levels created, Shopify read then written).
    A second adjustment changes the N quants again: the "warm" push of steady
    operation (levels remember Shopify's quantity).  Reported: Shopify calls, cost
    points and simulated seconds (the simulator's stats and clock), SQL queries and
    wall seconds in Odoo (the jobs only; the adjustment and its hook apart).  The
    virtual clock stands still while Odoo works, so each measured part starts with a
    full bucket (``FULL_BUCKET_S``), as each mode of ``bench_push.py`` does.
(b) The baseline in the same run, same simulator: one ``inventorySetQuantities`` per
    level for the same N targets, through the shop's own client.
(c) With ``--runner-seconds S`` (0 skips it): ``odoo server --workers 2`` with
    queue_job's runner (this script's ``serve`` command, below) on 127.0.0.1, a fresh
    shop on a simulator whose clock follows real time; bursts of stock changes for S
    seconds, each level changed once; the real runner runs the jobs; then the time
    to correction ``synced_at - dirty_since`` of those levels, p50/p95.  Both fields
    are whole seconds (``dirty_since`` is truncated to the second), so ±1 s.

How the server reaches the simulator: the addon only honours its base-URL override
while Odoo runs tests.  ``serve`` is ``odoo server`` after replacing, in its own
process only, the shop's ``_shopify_base_url_override`` with the simulator's URL.
Nothing in the addon or the database enables it, so no production server can be
diverted by a setting; it needs this file as the server's entry point.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from shopify_stock_sync.engine.health import percentile  # noqa: E402
from tests.bench.bench_reconcile import set_one_quantity  # noqa: E402
from tests.simulator import Simulator  # noqa: E402

TOKEN = "shpat_bench"
LOCATIONS = 4
RATIOS = ("calls", "cost", "simulated_s", "wall_s")
FULL_BUCKET_S = 60.0  # virtual seconds: 1,000 points at 100/s take 10


def say(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


# -- the shop's client aimed at the simulator (this process and its children only) ----


def divert(base_url: str, **client_options) -> None:
    """Point every shop's client at ``base_url`` (with ``client_options``, e.g. the
    simulator's virtual clock), by patching the addon's class in this process."""
    from odoo.addons.shopify_stock_sync.models.shopify_shop import ShopifyShop

    original = ShopifyShop.__dict__.get("_bench_original_client")
    if original is None:
        original = ShopifyShop._bench_original_client = ShopifyShop._shopify_client

    def client(shop, **options):
        return original(shop, **{**client_options, **options})

    ShopifyShop._shopify_base_url_override = lambda self: base_url
    ShopifyShop._shopify_client = client


def serve(base_url: str, odoo_args: list[str]) -> None:
    """``odoo server`` with the shops' clients aimed at ``base_url``."""
    from odoo.cli.server import main
    from odoo.modules.module import initialize_sys_path
    from odoo.tools import config

    config.parse_config(list(odoo_args))
    initialize_sys_path()
    divert(base_url)
    main(list(odoo_args))


# -- Odoo ---------------------------------------------------------------------------


def open_registry(conf: str, db: str):
    import odoo
    from odoo.modules.module import initialize_sys_path
    from odoo.modules.registry import Registry
    from odoo.tools import config

    config.parse_config(["-c", conf, "-d", db, "--log-level=warn"], setup_logging=True)
    initialize_sys_path()
    assert odoo.release.version_info[:2] == (19, 0)
    return Registry(db)


def environment(cr):
    from odoo import SUPERUSER_ID, api

    return api.Environment(cr, SUPERUSER_ID, {})


def queries() -> int:
    from odoo import sql_db

    return sql_db.sql_counter


def make_shop(env, sim: Simulator, name: str, products: int):
    """A shop on ``sim``: LOCATIONS mapped Odoo locations, ``products`` linked
    products, their variants stocked at 0 in Shopify; returns (shop, locations,
    products)."""
    shop = env["shopify.shop"].create(
        {
            "name": name,
            "domain": sim.domain,
            "company_id": env.company.id,
            "auth_method": "admin_token",
            "access_token": TOKEN,
        }
    )
    stock = env.ref("stock.warehouse0").lot_stock_id
    locations = env["stock.location"]
    for n in range(LOCATIONS):
        gid = sim.add_location(f"Store {n}")
        location = env["stock.location"].create(
            {"name": f"{name} {n}", "location_id": stock.id, "usage": "internal"}
        )
        env["shopify.location.mapping"].create(
            {
                "shop_id": shop.id,
                "shopify_location_gid": gid,
                "shopify_location_name": f"Store {n}",
                "location_ids": [(6, 0, location.ids)],
                "direction": "odoo_to_shopify",
            }
        )
        locations |= location
    records = env["product.product"].create(
        [
            {"name": f"{name} {n}", "default_code": f"{name}-{n}", "is_storable": True}
            for n in range(products)
        ]
    )
    mappings = env["shopify.location.mapping"].search([("shop_id", "=", shop.id)])
    gids = mappings.mapped("shopify_location_gid")
    links = []
    for product in records:
        variant = sim.add_variant(sku=product.default_code)
        for gid in gids:
            sim.set_level(variant.inventory_item_id, gid, available=0)
        links.append(
            {
                "shop_id": shop.id,
                "product_id": product.id,
                "variant_gid": variant.id,
                "inventory_item_gid": variant.inventory_item_id,
                "shopify_sku": product.default_code,
            }
        )
    env["shopify.variant.link"].create(links)
    return shop, locations, records


def adjust(env, pairs: list[tuple], quantity) -> None:
    """One inventory adjustment setting each (product, location) pair to
    ``quantity(product, location)``."""
    quants = (
        env["stock.quant"]
        .with_context(inventory_mode=True)
        .create(
            [
                {
                    "product_id": product.id,
                    "location_id": location.id,
                    "inventory_quantity": quantity(product, location),
                }
                for product, location in pairs
            ]
        )
    )
    quants.action_apply_inventory()


def run_jobs(registry, limit: int = 200) -> int:
    """Perform the waiting queue jobs here, one transaction each, as the runner's
    controller does, until none is left (eta ignored); returns how many ran."""
    from odoo.addons.queue_job.job import Job

    ran = 0
    while ran < limit:
        with registry.cursor() as cr:
            env = environment(cr)
            todo = env["queue.job"].search(
                [("state", "in", ("pending", "enqueued"))], order="id", limit=1
            )
            if not todo:
                return ran
            job = Job.load(env, todo.uuid)
            job.set_started()
            job.store()
            with cr.savepoint():
                job.perform()
            job.set_done()
            job.store()
            env.flush_all()
            cr.commit()
            ran += 1
    raise RuntimeError(f"more than {limit} jobs: the push keeps enqueueing itself")


def wrong_levels(env, sim: Simulator, shop, locations, products) -> int:
    """Pairs where Shopify's available differs from Odoo's free quantity."""
    mappings = env["shopify.location.mapping"].search([("shop_id", "=", shop.id)])
    by_location = {m.location_ids.id: m.shopify_location_gid for m in mappings}
    links = {
        link.product_id.id: link.inventory_item_gid
        for link in env["shopify.variant.link"].search([("shop_id", "=", shop.id)])
    }
    wrong = 0
    for location in locations:
        free = {p.id: p.free_qty for p in products.with_context(location=location.id)}
        for product in products:
            level = sim.level(links[product.id], by_location[location.id])
            if (level and level["available"]) != int(free[product.id]):
                wrong += 1
    return wrong


# -- (a) and (b) ----------------------------------------------------------------------


def measure(sim: Simulator, work) -> dict[str, float]:
    # Each part starts with a full bucket, as in bench_push.py: the virtual clock
    # stands still while Odoo works (the adjustment took minutes of real time).
    sim.clock.advance(FULL_BUCKET_S)
    sim.reset_stats()
    start_sim, start_wall, start_sql = sim.clock.now(), time.perf_counter(), queries()
    jobs = work()
    return {
        "calls": sim.stats.requests,
        "cost": sim.stats.cost_actual,
        "simulated_s": sim.clock.now() - start_sim,
        "wall_s": time.perf_counter() - start_wall,
        "queries": queries() - start_sql,
        "jobs": jobs,
        "throttled": sim.stats.throttled,
    }


def baseline(shop, targets: list[tuple[str, str, int]]) -> int:
    """One inventorySetQuantities per level, through the shop's own client."""
    from odoo.addons.shopify_stock_sync.engine.shopify import documents

    client = shop._shopify_client()
    for item, location, quantity in targets:
        client.execute(
            documents.SET_QUANTITIES, set_one_quantity(item, location, quantity)
        )
    return 0


def bench_size(registry, levels: int) -> dict[str, dict]:
    name = f"bench{levels}"
    with Simulator(plan="standard", domain=f"{name}.myshopify.com") as sim:
        sim.add_token(TOKEN)
        divert(sim.base_url, clock=sim.clock.now, sleep=sim.clock.sleep)
        with registry.cursor() as cr:
            env = environment(cr)
            setup = time.perf_counter()
            shop, locations, products = make_shop(env, sim, name, levels // LOCATIONS)
            cr.commit()
            say(
                f"  N={levels}: shop, {len(products)} products x {LOCATIONS} locations "
                f"set up in {time.perf_counter() - setup:.0f} s"
            )
            pairs = [(p, loc) for p in products for loc in locations]
            results = {}
            for phase, offset in (("cold", 5), ("warm", 11)):
                start = time.perf_counter()
                adjust(env, pairs, lambda p, loc, o=offset: (p.id + loc.id) % 7 + o)
                env.flush_all()  # the adjustment's own writes, before counting
                sql = queries()
                cr.commit()  # the quant hook's precommit: change rows, one job
                hook = queries() - sql
                say(
                    f"  N={levels} {phase}: adjustment of {len(pairs)} quants "
                    f"{time.perf_counter() - start:.0f} s (hook at commit: "
                    f"{hook} queries)"
                )
                results[phase] = measure(sim, lambda: run_jobs(registry))
                env.invalidate_all()
                wrong = wrong_levels(env, sim, shop, locations, products)
                results[phase]["wrong"] = wrong
            # the same N targets, one mutation each
            mappings = env["shopify.location.mapping"].search(
                [("shop_id", "=", shop.id)]
            )
            gid = {m.location_ids.id: m.shopify_location_gid for m in mappings}
            item = {
                link.product_id.id: link.inventory_item_gid
                for link in env["shopify.variant.link"].search(
                    [("shop_id", "=", shop.id)]
                )
            }
            targets = [
                (item[p.id], gid[loc.id], (p.id + loc.id) % 7 + 11) for p, loc in pairs
            ]
            results["baseline"] = measure(sim, lambda: baseline(shop, targets))
            results["baseline"]["wrong"] = wrong_levels(
                env, sim, shop, locations, products
            )
            shop.active = False  # out of the way of the next parts
            cr.commit()
    return results


def print_table(levels: int, results: dict[str, dict]) -> None:
    """Baseline, warm and cold side by side; "ratio" is baseline / engine."""
    base, warm, cold = results["baseline"], results["warm"], results["cold"]
    say()
    say(f"N = {levels} level changes, Standard plan (100 points/s), in Odoo 19")
    say(f"{'':13}{'baseline':>11}{'warm':>11}{'ratio':>9}{'cold':>11}{'ratio':>9}")
    for key in RATIOS + ("queries", "jobs", "throttled", "wrong"):
        row = f"{key:13}{base[key]:>11.1f}"
        for r in (warm, cold):
            ratio = f"{'-':>9}"
            if key in RATIOS and r[key]:
                ratio = f"{base[key] / r[key]:>8.1f}x"
            row += f"{r[key]:>11.1f}{ratio}"
        say(row)
    say("(queries, wall_s: the push jobs in Odoo, or the baseline's loop; calls")
    say(" include THROTTLED replies retried; jobs: queue jobs run in turn here)")


# -- (c) the job runner --------------------------------------------------------------


def server_command(conf: str, db: str, base_url: str, logfile: str) -> list[str]:
    return [
        sys.executable,
        str(Path(__file__).resolve()),
        "serve",
        base_url,
        "--",
        "-c",
        conf,
        "-d",
        db,
        "--workers=2",
        "--http-interface=127.0.0.1",
        f"--logfile={logfile}",
    ]


@contextmanager
def running_server(conf: str, db: str, base_url: str, logfile: str):
    """``server_command`` started in its own process group, stopped on leaving."""
    server = subprocess.Popen(
        server_command(conf, db, base_url, logfile),
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield server
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def wait_until(condition, timeout: float, step: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return False


def idle(registry, shop_id: int) -> bool:
    """No change row, pending level or unfinished job left for the shop."""
    with registry.cursor() as cr:
        cr.execute(
            "SELECT (SELECT count(*) FROM shopify_stock_change WHERE shop_id = %s)"
            " + (SELECT count(*) FROM shopify_stock_level WHERE shop_id = %s"
            "    AND state = 'pending')"
            " + (SELECT count(*) FROM queue_job WHERE state NOT IN ('done', 'failed',"
            "    'cancelled'))",
            (shop_id, shop_id),
        )
        return cr.fetchone()[0] == 0


def bench_runner(registry, conf: str, db: str, args) -> dict:
    products = args.runner_products
    with Simulator(
        plan="standard", domain="runner.myshopify.com", realtime=True
    ) as sim:
        sim.add_token(TOKEN)
        with registry.cursor() as cr:
            env = environment(cr)
            shop, locations, records = make_shop(env, sim, "runner", products)
            cr.commit()
            pairs = [(p, loc) for p in records for loc in locations]
            shop_id = shop.id
        logfile = os.path.join(os.path.dirname(os.path.abspath(conf)), "runner.log")
        with running_server(conf, db, sim.base_url, logfile):
            with registry.cursor() as cr:  # the first sync, by the runner
                adjust(environment(cr), pairs, lambda p, loc: (p.id + loc.id) % 7 + 5)
                cr.commit()
            if not wait_until(lambda: idle(registry, shop_id), args.drain_seconds):
                raise RuntimeError(
                    f"first sync not done in {args.drain_seconds} s; see {logfile}"
                )
            say(f"  runner: first sync of {len(pairs)} levels done")
            time.sleep(1.0)  # dirty_since is in whole seconds: a second apart
            since = db_now(registry)
            rng = random.Random(1)
            order = rng.sample(pairs, len(pairs))
            bursts = max(1, int(args.runner_seconds / args.burst_every))
            per_burst = min(args.burst_size, len(order) // bursts)
            started = time.monotonic()
            sim.reset_stats()
            for n in range(bursts):
                burst = order[n * per_burst : (n + 1) * per_burst]
                time.sleep(max(0.0, started + n * args.burst_every - time.monotonic()))
                with registry.cursor() as cr:
                    env = environment(cr)
                    adjust(
                        env,
                        [(p.with_env(env), loc.with_env(env)) for p, loc in burst],
                        lambda p, loc, n=n: (p.id + loc.id + n) % 9 + 20,
                    )
                    cr.commit()
            if not wait_until(lambda: idle(registry, shop_id), args.drain_seconds):
                raise RuntimeError(
                    f"jobs not drained in {args.drain_seconds} s; see {logfile}"
                )
            elapsed = time.monotonic() - started
            with registry.cursor() as cr:
                cr.execute(
                    "SELECT EXTRACT(EPOCH FROM synced_at - dirty_since)::float, state"
                    "  FROM shopify_stock_level WHERE shop_id = %s"
                    "   AND dirty_since >= date_trunc('second', %s::timestamp)",
                    (shop_id, since),
                )
                rows = cr.fetchall()
                cr.execute(
                    "SELECT count(*), count(*) FILTER (WHERE state = 'done')"
                    "  FROM queue_job WHERE date_created >= %s",
                    (since,),
                )
                jobs, done = cr.fetchone()
            with registry.cursor() as cr:
                env = environment(cr)
                wrong = wrong_levels(
                    env,
                    sim,
                    env["shopify.shop"].browse(shop_id),
                    locations.with_env(env),
                    records.with_env(env),
                )
        delays = [seconds for seconds, state in rows if state == "synced"]
        return {
            "levels": len(rows),
            "bursts": bursts,
            "per_burst": per_burst,
            "synced": len(delays),
            "p50": percentile(delays, 50),
            "p95": percentile(delays, 95),
            "max": max(delays, default=None),
            "jobs": jobs,
            "done": done,
            "calls": sim.stats.requests,
            "cost": sim.stats.cost_actual,
            "elapsed": elapsed,
            "wrong": wrong,
        }


def db_now(registry):
    """The database's clock (UTC), as Odoo's datetimes are stored."""
    with registry.cursor() as cr:
        cr.execute("SELECT clock_timestamp() AT TIME ZONE 'UTC'")
        return cr.fetchone()[0]


# -- main ---------------------------------------------------------------------------


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "serve":
        serve(sys.argv[2], sys.argv[sys.argv.index("--") + 1 :])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--config", required=True, help="odoo.conf of the bench database"
    )
    parser.add_argument("--db", required=True)
    parser.add_argument(
        "--sizes", default="1000,10000", help="level changes, comma-separated"
    )
    parser.add_argument(
        "--runner-seconds",
        type=float,
        default=60.0,
        help="length of the bursts against the job runner (0: skip)",
    )
    parser.add_argument(
        "--runner-products",
        type=int,
        default=500,
        help="products of the runner's shop (x4 locations = levels)",
    )
    parser.add_argument("--burst-every", type=float, default=10.0)
    parser.add_argument("--burst-size", type=int, default=250)
    parser.add_argument(
        "--drain-seconds",
        type=float,
        default=180.0,
        help="bound on waiting for the runner to finish",
    )
    args = parser.parse_args()
    registry = open_registry(args.config, args.db)
    status = 0
    for levels in [int(n) for n in args.sizes.split(",") if n]:
        results = bench_size(registry, levels)
        print_table(levels, results)
        calls = results["baseline"]["calls"] / max(1, results["warm"]["calls"])
        say(
            f"warm: {calls:.0f}x fewer Shopify calls than one mutation per level "
            f"(target >= 250x)"
        )
        if any(r["wrong"] for r in results.values()):
            status = 1
    if args.runner_seconds > 0:
        say()
        say(
            f"Time to correction with the job runner (odoo server --workers 2, "
            f"queue_job root:2), {args.runner_seconds:.0f} s of bursts"
        )
        r = bench_runner(registry, args.config, args.db, args)
        say(
            f"  {r['bursts']} bursts of {r['per_burst']} level changes every "
            f"{args.burst_every:.0f} s; {r['levels']} levels changed, "
            f"{r['synced']} synced, {r['wrong']} wrong in Shopify after"
        )
        say(
            f"  synced_at - dirty_since: p50 {r['p50']} s, p95 {r['p95']} s, "
            f"max {r['max']} s (whole seconds, +-1 s)"
        )
        say(
            f"  {r['jobs']} jobs ({r['done']} done), {r['calls']} Shopify calls, "
            f"{r['cost']} cost points, drained {r['elapsed']:.0f} s after the first "
            "burst"
        )
        if r["wrong"] or r["synced"] != r["levels"]:
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
