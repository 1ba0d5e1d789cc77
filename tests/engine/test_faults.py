"""1,000 level pushes through 20% injected faults of every kind.

Each ``push`` call plays one run of the queue job: a transient failure that outlasts
the client's own retries ends the run, and the job runs again later with what is left.
At the end Shopify must hold exactly the intended quantities, no write may have been
applied twice, and every retry must have been bounded.
"""

from __future__ import annotations

import random
from collections import Counter

from shopify_stock_sync.engine.data import LevelChange, LevelKey, OutcomeStatus
from shopify_stock_sync.engine.push import push
from shopify_stock_sync.engine.rule import QuantityRule
from shopify_stock_sync.engine.shopify.errors import TransientError
from tests.engine.conftest import make_client

FAULTS = (
    "http_500",
    "http_502",
    "http_503",
    "timeout",
    "timeout_after_apply",
    "lost_reply",
    "throttled",
    "http_429",
)
MAX_RUNS = 30


def test_thousand_pushes_with_twenty_percent_faults(sim):
    rng = random.Random(2026)
    locations = [sim.add_location("Main"), sim.add_location("Outlet")]
    intended: dict[LevelKey, int] = {}
    for n in range(500):
        variant = sim.add_variant(sku=f"F-{n}")
        for location in locations:
            key = LevelKey(variant.inventory_item_id, location)
            sim.set_level(key.inventory_item_id, location, available=rng.randint(0, 40))
            intended[key] = rng.randint(0, 60)
    changes = [LevelChange(key, quantity) for key, quantity in intended.items()]
    # Two attempts per call, so some job runs do fail and run again.
    # Bursts are small, so a short read timeout holds and stalls stay cheap.
    sim.timeout_delay = 0.6
    client = make_client(sim, timeout=(1.0, 0.3), max_attempts=2)
    sim.reset_stats()
    sim.fault_rate(0.2, kinds=FAULTS, seed=7)

    # The changes arrive as 100 bursts of 10 levels: one job each, run until done.
    runs = failed_runs = 0
    for burst in range(0, len(changes), 10):
        pending = changes[burst : burst + 10]
        job_runs = 0
        while pending and job_runs < MAX_RUNS:
            job_runs += 1
            try:
                outcomes = push(
                    client, pending, QuantityRule(), salt=f"{burst}-{job_runs}"
                )
            except TransientError:
                failed_runs += 1
                continue
            assert not [o.message for o in outcomes if o.status is OutcomeStatus.ERROR]
            pending = [o.change for o in outcomes if o.status is OutcomeStatus.RETRY]
        assert not pending, f"burst {burst} still pending after {job_runs} runs"
        runs += job_runs
    sim.fault_rate(0)

    for key, quantity in intended.items():
        assert (
            sim.level(key.inventory_item_id, key.location_id)["available"] == quantity
        )
    # Faults of every kind were met on the way.
    assert set(sim.stats.faults) == set(FAULTS), sim.stats.faults
    # No write applied twice: each (request key, pair) applied at most once ...
    applied = Counter((w[4], w[0], w[1]) for w in sim.stats.applied_writes)
    assert max(applied.values()) == 1
    # ... and each pair written no more often than its retries could explain.
    per_pair = Counter((w[0], w[1]) for w in sim.stats.applied_writes)
    assert max(per_pair.values()) <= 2
    # Retries were bounded: some runs failed and were run again, none ran away.
    assert 0 < failed_runs < runs
    assert client.calls <= runs * client.max_attempts * 3
