"""Fixtures for the engine tests: a Shopify simulator on loopback and a client for it.

The client runs on the simulator's virtual clock: its pacing and back-off sleeps advance
simulated time instead of waiting, so throttling is exercised in milliseconds.
"""

from __future__ import annotations

import pytest

from shopify_stock_sync.engine.shopify.auth import Credentials
from shopify_stock_sync.engine.shopify.client import ShopifyClient
from tests.simulator import Simulator

TOKEN = "shpat_test_token_do_not_log"
SCOPES = ("read_products", "read_inventory", "write_inventory", "read_locations")


@pytest.fixture
def sim():
    with Simulator(plan="standard") as simulator:
        simulator.add_token(TOKEN, scopes=SCOPES)
        # A stalled answer outlasts the client's read timeout (1 s) by far; normal
        # answers, even of 250 levels under coverage tracing, come well within it.
        simulator.timeout_delay = 2.0
        yield simulator


def make_client(sim, credentials=None, **options) -> ShopifyClient:
    options.setdefault("timeout", (1.0, 1.0))
    return ShopifyClient(
        sim.domain,
        credentials or Credentials.admin_token(TOKEN),
        base_url=sim.base_url,
        clock=sim.clock.now,
        sleep=sim.clock.sleep,
        **options,
    )


@pytest.fixture
def client(sim) -> ShopifyClient:
    return make_client(sim)
