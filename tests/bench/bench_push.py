"""Benchmark: pushing 10,000 level changes on the Standard-plan model.

The engine against a baseline measured in the same run: one ``inventorySetQuantities``
mutation per level, the way a per-record connector pushes.  The engine runs twice:
"warm", as in steady operation, where each level remembers Shopify's quantity from its
last sync (one compare-and-set write per 250 levels), and "cold", a first sync that
reads every batch before writing it (two calls per 250 levels).  All run against the
Shopify simulator over real HTTP on loopback, on its virtual clock: cost points restore
at 100/s as on Standard, so "simulated seconds" is the time Shopify's rate limit alone
imposes.

Run: .venv/bin/python tests/bench/bench_push.py [--levels 10000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from shopify_stock_sync.engine.data import (  # noqa: E402
    LevelChange,
    LevelKey,
    ShopifyLevel,
)
from shopify_stock_sync.engine.push import push  # noqa: E402
from shopify_stock_sync.engine.rule import QuantityRule  # noqa: E402
from shopify_stock_sync.engine.shopify import documents  # noqa: E402
from shopify_stock_sync.engine.shopify.auth import Credentials  # noqa: E402
from shopify_stock_sync.engine.shopify.client import ShopifyClient  # noqa: E402
from tests.bench.bench_reconcile import set_one_quantity  # noqa: E402
from tests.simulator import Simulator  # noqa: E402

TOKEN = "shpat_bench"
SCOPES = ("read_products", "read_inventory", "write_inventory", "read_locations")


def catalogue(sim: Simulator, levels: int, warm: bool) -> list[LevelChange]:
    locations = [sim.add_location(f"Store {n}") for n in range(4)]
    changes = []
    for n in range(levels // len(locations)):
        variant = sim.add_variant(sku=f"B-{n}")
        for location in locations:
            sim.set_level(variant.inventory_item_id, location, available=n % 7)
            key = LevelKey(variant.inventory_item_id, location)
            known = None
            if warm:  # what the Odoo level kept from its last sync
                known = ShopifyLevel(key, True, n % 7, n % 7, 0, tracked=True)
            changes.append(LevelChange(key, float(n % 7 + 5), known=known))
    return changes


def client_for(sim: Simulator) -> ShopifyClient:
    return ShopifyClient(
        sim.domain,
        Credentials.admin_token(TOKEN),
        base_url=sim.base_url,
        clock=sim.clock.now,
        sleep=sim.clock.sleep,
    )


def run(levels: int, mode: str) -> dict[str, float]:
    engine = mode != "baseline"
    with Simulator(plan="standard") as sim:
        sim.add_token(TOKEN, scopes=SCOPES)
        changes = catalogue(sim, levels, warm=mode == "warm")
        client = client_for(sim)
        sim.reset_stats()
        start_sim, start_wall = sim.clock.now(), time.perf_counter()
        if engine:
            push(client, changes, QuantityRule())
        else:
            for c in changes:  # the baseline: one mutation per level
                client.execute(
                    documents.SET_QUANTITIES,
                    set_one_quantity(
                        c.key.inventory_item_id,
                        c.key.location_id,
                        int(c.odoo_quantity),
                    ),
                )
        wrong = sum(
            sim.level(c.key.inventory_item_id, c.key.location_id)["available"]
            != int(c.odoo_quantity)
            for c in changes
        )
        return {
            "calls": sim.stats.requests,
            "cost": sim.stats.cost_actual,
            "simulated_s": sim.clock.now() - start_sim,
            "wall_s": time.perf_counter() - start_wall,
            "throttled": sim.stats.throttled,
            "wrong": wrong,
        }


def say(line: str) -> None:
    sys.stdout.write(line + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", type=int, default=10_000)
    args = parser.parse_args()
    results = {mode: run(args.levels, mode) for mode in ("baseline", "warm", "cold")}
    base = results["baseline"]
    say(f"{args.levels} level changes, Standard plan (100 points/s restore)")
    say(f"{'':12}{'baseline':>11}{'warm':>11}{'ratio':>9}{'cold':>11}{'ratio':>9}")
    for name in ("calls", "cost", "simulated_s", "wall_s"):
        row = f"{name:12}{base[name]:>11.1f}"
        for mode in ("warm", "cold"):
            value = results[mode][name]
            ratio = base[name] / value if value else float("inf")
            row += f"{value:>11.1f}{ratio:>8.1f}x"
        say(row)
    say(
        "throttled responses: "
        + ", ".join(f"{mode} {r['throttled']}" for mode, r in results.items())
    )
    wrong = {mode: r["wrong"] for mode, r in results.items() if r["wrong"]}
    if wrong:
        say(f"WRONG levels after the push: {wrong}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
