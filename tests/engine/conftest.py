"""Fixtures for the engine tests: a Shopify simulator on loopback and a client for it.

The client runs on the simulator's virtual clock: its pacing and back-off sleeps advance
simulated time instead of waiting, so throttling is exercised in milliseconds.
"""

from __future__ import annotations

import pytest

from shopify_stock_sync.engine.data import LevelKey, ShopifyLevel
from shopify_stock_sync.engine.shopify.auth import Credentials
from shopify_stock_sync.engine.shopify.client import ShopifyClient
from tests.simulator import Simulator

TOKEN = "shpat_test_token_do_not_log"
SCOPES = ("read_products", "read_inventory", "write_inventory", "read_locations")


def key(item: int, location: int = 1) -> LevelKey:
    """The level key of inventory item ``item`` at location ``location``."""
    return LevelKey(
        f"gid://shopify/InventoryItem/{item}", f"gid://shopify/Location/{location}"
    )


def level(
    k: LevelKey,
    available: int,
    on_hand: int | None = None,
    committed: int = 0,
    tracked: bool = True,
) -> ShopifyLevel:
    """A stocked level as Shopify reads it (on hand: available + committed unless
    given)."""
    return ShopifyLevel(
        k,
        stocked=True,
        available=available,
        on_hand=available + committed if on_hand is None else on_hand,
        committed=committed,
        tracked=tracked,
    )


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
