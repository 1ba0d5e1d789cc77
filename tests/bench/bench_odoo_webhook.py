"""Benchmark: a burst of Shopify webhooks at the real Odoo HTTP server, against a
route of Odoo's HTTP stack alone, in the same run.

Run by ``bash tests/bench/bench_odoo.sh bench_odoo_webhook.py [--count 500]`` (a
throwaway database with the addon), with the Odoo Python, as
``bench_odoo_webhook.py --config odoo.conf --db DB [options]``.

The server: ``odoo server --workers 2`` on 127.0.0.1 with queue_job's runner
(``bench_odoo_push.py``'s ``serve``: the shop's client aimed at the simulator).  The
shop: an in-process ``Simulator(realtime=True)``, one linked product at a
Shopify-owned mapping (10 in Odoo and in Shopify), a level subscription to the
shop's webhook address.  The simulator posts the deliveries itself
(``Webhooks.deliver``: 8 at a time, shuffled) and times each (``Sent.seconds``).

* warm-up, not counted: ``--warmup`` deliveries to each route, their jobs done.
* baseline: ``--count`` POSTs of the burst's own deliveries (same bodies, same
  headers), sent the same way, to ``/web/webclient/version_info``: ``auth='none'``,
  no CSRF check, returns the server's version.  (``/web/health`` does even less but
  is a ``type='http'`` route: a POST there without a CSRF token answers 400.)
* burst: ``--count`` edits of the level in Shopify (-1, +1, ...), their deliveries
  to the webhook address: statuses, events stored, then the time until every
  event's job is done (the runner runs them meanwhile, in the same 2 workers, one
  at a time per shop), waited for at most ``--drain-seconds``.

Prints the per-delivery seconds p50/p95/p99/max (nearest rank) of both and the
ratios ours / baseline.  Exits 1 when a delivery is not answered 200, an event or a
job is missing, or a job failed: counts, never times.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from shopify_stock_sync.engine.health import percentile  # noqa: E402
from tests.bench.bench_odoo_push import (  # noqa: E402
    adjust,
    environment,
    idle,
    make_shop,
    open_registry,
    running_server,
    say,
    wait_until,
)
from tests.bench.bench_reconcile import print_ratios  # noqa: E402
from tests.simulator import Simulator  # noqa: E402
from tests.simulator.webhooks import LEVEL_UPDATE  # noqa: E402

SECRET = "shpss_bench_webhook_secret"
BASELINE_ROUTE = "/web/webclient/version_info"
WORKERS = 8
SEED = 5
PERCENTILES = (50, 95, 99, 100)


def set_up(env, sim: Simulator) -> tuple[int, str, str, str]:
    """The shop of ``make_shop`` with its first mapping Shopify-owned, 10 units of
    its product there in Odoo and in Shopify, and the app's webhook secret; returns
    (shop id, webhook token, inventory item gid, Shopify location gid)."""
    shop, _locations, products = make_shop(env, sim, "webhook", 1)
    mapping = env["shopify.location.mapping"].search(
        [("shop_id", "=", shop.id)], order="id", limit=1
    )
    mapping.direction = "shopify_to_odoo"
    shop.api_secret = SECRET
    sim.webhook_secret = SECRET
    link = env["shopify.variant.link"].search([("shop_id", "=", shop.id)])
    item, gid = link.inventory_item_gid, mapping.shopify_location_gid
    sim.set_level(item, gid, available=10)  # no subscription yet: no delivery
    adjust(env, [(products, mapping.location_ids)], lambda _p, _loc: 10)
    return shop.id, shop.webhook_token, item, gid


def edits(sim: Simulator, item: str, gid: str, count: int) -> list:
    """``count`` manual edits of the level in Shopify (-1, +1, ...); returns their
    deliveries, taken out of the simulator's queue."""
    for number in range(count):
        sim.edit_on_hand(item, gid, 1 if number % 2 else -1)
    hooks = sim.webhooks
    with hooks.lock:
        batch = list(hooks.pending)
        hooks.pending.clear()
    return batch


def post(sim: Simulator, deliveries: list, uri: str | None = None) -> list:
    """Post ``deliveries`` (to ``uri`` instead of theirs when given) as the simulator
    delivers webhooks, ``WORKERS`` at a time, shuffled; returns what each got
    (``Sent``).  Unanswered ones are not kept for a retry."""
    hooks = sim.webhooks
    with hooks.lock:
        hooks.pending[:] = [replace(d, uri=uri) if uri else d for d in deliveries]
        before = len(hooks.sent)
    hooks.deliver(workers=WORKERS, order="shuffle", seed=SEED)
    with hooks.lock:
        hooks.pending.clear()
        return hooks.sent[before:]


def summary(sent: list) -> dict:
    seconds = [s.seconds for s in sent]
    return {
        "statuses": Counter(s.status for s in sent),
        "errors": Counter(s.error for s in sent if s.error),
        **{p: percentile(seconds, p) for p in PERCENTILES},
    }


def jobs_after(registry, last_job: int) -> dict[str, int]:
    """The states of the webhook events' jobs created after job ``last_job``."""
    with registry.cursor() as cr:
        cr.execute(
            "SELECT state, count(*) FROM queue_job WHERE id > %s"
            " AND model_name = 'shopify.webhook.event' GROUP BY state",
            (last_job,),
        )
        return dict(cr.fetchall())


def finished(jobs: dict[str, int]) -> int:
    return sum(jobs.get(state, 0) for state in ("done", "failed", "cancelled"))


def bench(registry, args) -> dict:
    from odoo.tools import config

    with Simulator(
        plan="standard", domain="webhook.myshopify.com", realtime=True
    ) as sim:
        sim.add_token("shpat_bench")
        with registry.cursor() as cr:
            shop_id, token, item, gid = set_up(environment(cr), sim)
            cr.commit()
        base = f"http://127.0.0.1:{config['http_port']}"
        sim.add_subscription(LEVEL_UPDATE, f"{base}/shopify_stock_sync/webhook/{token}")
        logfile = os.path.join(
            os.path.dirname(os.path.abspath(args.config)), "webhook.log"
        )
        with running_server(args.config, args.db, sim.base_url, logfile):
            if not wait_until(lambda: health(base), args.start_seconds):
                raise RuntimeError(f"no server at {base}; see {logfile}")
            warm = edits(sim, item, gid, args.warmup)
            warm_sent = post(sim, warm) + post(sim, warm, base + BASELINE_ROUTE)
            if not wait_until(lambda: idle(registry, shop_id), args.drain_seconds):
                raise RuntimeError(f"warm-up jobs not done; see {logfile}")
            say(
                f"  server up, warm-up: {len(warm_sent)} deliveries "
                f"({dict(Counter(s.status for s in warm_sent))}), their jobs done"
            )
            burst = edits(sim, item, gid, args.count)
            baseline = summary(post(sim, burst, base + BASELINE_ROUTE))
            with registry.cursor() as cr:
                cr.execute("SELECT coalesce(max(id), 0) FROM queue_job")
                last_job = cr.fetchone()[0]
            started = time.monotonic()
            ours = summary(post(sim, burst))
            sent_s = time.monotonic() - started
            drained = wait_until(
                lambda: finished(jobs_after(registry, last_job)) >= len(burst),
                args.drain_seconds,
            )
            drain_s = time.monotonic() - started
        with registry.cursor() as cr:
            cr.execute(
                "SELECT kind, count(*) FROM shopify_webhook_event"
                " WHERE shop_id = %s AND webhook_id = ANY(%s) GROUP BY kind",
                (shop_id, [d.webhook_id for d in burst]),
            )
            kinds = dict(cr.fetchall())
            cr.execute(
                "SELECT exec_time FROM queue_job WHERE id > %s"
                " AND model_name = 'shopify.webhook.event' AND state = 'done'",
                (last_job,),
            )
            exec_times = [row[0] or 0.0 for row in cr.fetchall()]
        return {
            "count": len(burst),
            "baseline": baseline,
            "ours": ours,
            "sent_s": sent_s,
            "events": sum(kinds.values()),
            "kinds": kinds,
            "jobs": jobs_after(registry, last_job),
            "drained": drained,
            "drain_s": drain_s,
            "exec_p50": percentile(exec_times, 50) or 0.0,
            "exec_max": max(exec_times, default=0.0),
            "logfile": logfile,
            "log": log_levels(logfile),
        }


def log_levels(logfile: str) -> Counter:
    """How many WARNING, ERROR and CRITICAL lines the server logged."""
    levels = Counter()
    with open(logfile, encoding="utf-8", errors="replace") as log:
        for line in log:
            fields = line.split(" ", 4)
            if len(fields) > 3 and fields[3] in ("WARNING", "ERROR", "CRITICAL"):
                levels[fields[3]] += 1
    return levels


def health(base: str) -> bool:
    try:
        return requests.get(base + "/web/health", timeout=5).status_code == 200
    except requests.RequestException:
        return False


def report(r: dict, args) -> int:
    n, ours, base = r["count"], r["ours"], r["baseline"]
    say()
    say(
        f"{n} webhook deliveries, {WORKERS} at a time, to odoo server --workers 2 "
        f"(127.0.0.1), against {n} POSTs of the same bodies to {BASELINE_ROUTE}"
    )
    print_ratios(
        ("webhook_ms", "baseline_ms"),
        [
            ("max" if p == 100 else f"p{p}", ours[p] * 1000, base[p] * 1000)
            for p in PERCENTILES
        ],
    )
    say(
        "(seconds per delivery as the simulator's sender times it; ratio: ours / "
        "baseline)"
    )
    say(
        f"statuses: webhook {dict(ours['statuses'])}, baseline {dict(base['statuses'])}"
    )
    for name, part in (("webhook", ours), ("baseline", base)):
        if part["errors"]:
            say(f"  {name} unanswered: {dict(part['errors'])}")
    jobs = r["jobs"]
    say(
        f"events stored {r['events']} of {n} {r['kinds']}; their jobs "
        f"{sum(jobs.values())} {jobs}"
    )
    say(
        f"burst sent in {r['sent_s']:.1f} s; each job ran {r['exec_p50']:.2f} s p50, "
        f"{r['exec_max']:.2f} s max"
    )
    if r["drained"]:
        say(
            f"every event's job done {r['drain_s']:.1f} s after the first delivery "
            "(polled every 0.5 s)"
        )
    else:
        say(f"jobs not all done within {args.drain_seconds:.0f} s; see {r['logfile']}")
    say(
        f"server log: {dict(r['log']) or 'no warning'} ({r['logfile']}; a "
        "serialization failure there is retried by queue_job)"
    )
    problems = []
    for name, part in (("webhook", ours), ("baseline", base)):
        if part["statuses"] != Counter({200: n}):
            problems.append(f"{name} deliveries not all 200: {dict(part['statuses'])}")
    if r["events"] != n:
        problems.append(f"{r['events']} events stored for {n} deliveries")
    if sum(jobs.values()) != n:
        problems.append(f"{sum(jobs.values())} jobs for {n} events")
    if jobs.get("failed"):
        problems.append(f"{jobs['failed']} jobs failed")
    for problem in problems:
        say(f"FAILED: {problem}")
    return 1 if problems else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, help="odoo.conf of the database")
    parser.add_argument("--db", required=True)
    parser.add_argument(
        "--count", type=int, default=500, help="deliveries of the burst"
    )
    parser.add_argument(
        "--warmup", type=int, default=16, help="deliveries to each route first"
    )
    parser.add_argument(
        "--drain-seconds",
        type=float,
        default=600.0,
        help="bound on waiting for the events' jobs",
    )
    parser.add_argument(
        "--start-seconds", type=float, default=120.0, help="bound on the server's start"
    )
    args = parser.parse_args()
    registry = open_registry(args.config, args.db)
    say(f"Webhook burst in Odoo 19: {args.count} deliveries, {WORKERS} at a time")
    return report(bench(registry, args), args)


if __name__ == "__main__":
    sys.exit(main())
