"""Reading from Shopify: locations, variants, levels in batches, and bulk snapshots."""

from __future__ import annotations

import pytest
import requests

from shopify_stock_sync.engine.data import LevelKey
from shopify_stock_sync.engine.inventory import (
    iter_variants,
    list_locations,
    read_levels,
    snapshot_levels,
)
from shopify_stock_sync.engine.shopify import documents
from shopify_stock_sync.engine.shopify.auth import Credentials
from shopify_stock_sync.engine.shopify.errors import RequestError, TransientError
from tests.engine.conftest import make_client


def test_list_locations_pages_and_keeps_flags(sim, client):
    for n in range(255):
        sim.add_location(f"Store {n}")
    sim.add_location("Closed", active=False)
    sim.add_location("3PL", fulfillment_service=True, fulfills_online_orders=False)
    locations = list_locations(client)
    assert len(locations) == 257
    assert sim.stats.by_operation["Locations"] == 2
    by_name = {loc.name: loc for loc in locations}
    assert by_name["Store 0"].writable
    assert not by_name["Closed"].active and not by_name["Closed"].writable
    assert by_name["3PL"].fulfillment_service and not by_name["3PL"].writable
    assert not by_name["3PL"].fulfills_online_orders


def test_iter_variants_pages_and_filters(sim, client):
    for n in range(5):
        sim.add_variant(
            sku=f"V-{n}", barcode=f"40{n}", title=f"Size {n}", product_title="Tee"
        )
    sim.add_variant(sku=None, tracked=False)
    variants = list(iter_variants(client, page_size=2))
    assert len(variants) == 6
    assert sim.stats.by_operation["Variants"] == 3
    first = variants[0]
    assert (first.sku, first.barcode, first.title, first.product_title) == (
        "V-0",
        "400",
        "Size 0",
        "Tee",
    )
    assert first.inventory_item_id.startswith("gid://shopify/InventoryItem/")
    assert [v.tracked for v in variants][-1] is False
    assert [v.sku for v in iter_variants(client, query="sku:V-3")] == ["V-3"]


def test_read_levels_many_pairs_across_locations(sim, client):
    main, outlet = sim.add_location("Main"), sim.add_location("Outlet")
    keys = []
    for n in range(150):
        variant = sim.add_variant(sku=f"L-{n}")
        sim.set_level(variant.inventory_item_id, main, available=n)
        keys += [LevelKey(variant.inventory_item_id, main)]
        keys += [LevelKey(variant.inventory_item_id, outlet)]  # not stocked there
    sim.place_order(keys[2].inventory_item_id, main, 1)
    levels = read_levels(client, keys + keys[:10])  # duplicates read once
    assert len(levels) == 300
    assert sim.stats.by_operation["Levels"] == 2  # 250 + 50
    stocked = levels[keys[2]]
    assert (stocked.available, stocked.on_hand, stocked.committed) == (0, 1, 1)
    assert stocked.stocked and stocked.tracked and stocked.active
    assert stocked.updated_at
    assert levels[keys[3]].stocked is False and levels[keys[3]].available is None


def test_snapshot_levels_streams_the_catalogue(sim, client):
    main, outlet = sim.add_location("Main"), sim.add_location("Outlet")
    expected = {}
    for n in range(30):
        variant = sim.add_variant(sku=f"S-{n}", tracked=n % 10 != 0)
        sim.set_level(variant.inventory_item_id, main, available=n)
        expected[LevelKey(variant.inventory_item_id, main)] = (f"S-{n}", n)
        if n % 3 == 0:
            sim.set_level(variant.inventory_item_id, outlet, available=100 + n)
            expected[LevelKey(variant.inventory_item_id, outlet)] = (f"S-{n}", 100 + n)
    rows = list(snapshot_levels(client, poll_every=1.0))
    assert {r.level.key: (r.sku, r.level.available) for r in rows} == expected
    untracked = {r.sku for r in rows if r.level.tracked is False}
    assert untracked == {"S-0", "S-10", "S-20"}
    assert all(r.level.stocked for r in rows)
    assert sim.stats.by_operation["BulkRunQuery"] == 1
    assert sim.stats.by_operation["BulkOperation"] >= 1


def test_snapshot_of_an_empty_catalogue(sim, client):
    assert list(snapshot_levels(client)) == []


def test_snapshot_refused_when_too_many_run(sim, client):
    for _ in range(5):  # Shopify runs at most five bulk queries per app and shop
        client.execute(documents.BULK_RUN_QUERY, {"query": documents.BULK_LEVELS})
    with pytest.raises(RequestError, match="refused the bulk snapshot") as caught:
        list(snapshot_levels(client))
    assert caught.value.code == "LIMIT_REACHED"


def test_snapshot_failed_operation(sim):
    location = sim.add_location("Main")
    variant = sim.add_variant(sku="F-1")
    sim.set_level(variant.inventory_item_id, location, available=1)
    sim.add_token("shpat_products_only", scopes=("read_products",))
    client = make_client(sim, Credentials.admin_token("shpat_products_only"))
    with pytest.raises(RequestError, match="ended FAILED") as caught:
        list(snapshot_levels(client))
    assert caught.value.code == "ACCESS_DENIED"


def test_snapshot_gives_up_after_its_time(sim, client):
    with pytest.raises(TransientError, match="still"):
        list(snapshot_levels(client, poll_every=1.0, give_up_after=-1.0))


def test_snapshot_download_failures_are_transient(sim):
    location = sim.add_location("Main")
    variant = sim.add_variant(sku="D-1")
    sim.set_level(variant.inventory_item_id, location, available=1)

    class Unreachable(requests.Session):
        def get(self, url, *args, **kwargs):
            raise requests.ConnectionError("no route")

    class Gone(requests.Session):
        def get(self, url, *args, **kwargs):
            return super().get(url + ".missing", *args, **kwargs)

    with pytest.raises(TransientError, match="Could not download"):
        list(snapshot_levels(make_client(sim, session=Unreachable())))
    with pytest.raises(TransientError, match="download failed"):
        list(snapshot_levels(make_client(sim, session=Gone())))
