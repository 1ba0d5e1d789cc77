"""The Shopify simulator driven over HTTP with raw GraphQL: reads, auth, cost, throttle.

Mutations are in ``test_simulator_inventory.py``; bulk operations, the token grant and
faults in ``test_simulator_bulk.py`` and ``test_simulator_faults.py``.
"""

from __future__ import annotations

import doctest
import threading

import pytest
import requests

from shopify_stock_sync.engine.data import LevelKey
from shopify_stock_sync.engine.shopify import documents
from tests.simulator import Simulator, clock, connections, search
from tests.simulator.raw import RawClient

TOKEN = "shpat_simulator_tests"
# Cost tests use this document rather than the engine's, whose shape may change:
# one level costs 1 + 1 (item) + 1 (quantities) = 3 points.
LEVELS = """
query Levels($ids: [ID!]!) {
  nodes(ids: $ids) {
    ... on InventoryLevel {
      id item { id } quantities(names: ["available"]) { quantity }
    }
  }
}
"""
LEVEL_DETAILS = """
query Levels($ids: [ID!]!) {
  nodes(ids: $ids) {
    ... on InventoryLevel {
      id isActive updatedAt item { id tracked } location { id }
      quantities(names: ["available", "on_hand", "committed"]) { name quantity }
    }
  }
}
"""
ALL_SCOPES = ("read_products", "read_inventory", "write_inventory", "read_locations")


@pytest.fixture
def shop():
    with Simulator(plan="standard") as sim:
        sim.add_token(TOKEN, scopes=ALL_SCOPES)
        yield sim


@pytest.fixture
def api(shop) -> RawClient:
    return RawClient(shop.base_url, TOKEN)


def stock(sim: Simulator, location: str, count: int, available: int = 5) -> list[str]:
    items = []
    for n in range(count):
        variant = sim.add_variant(sku=f"S-{len(sim.shop.items)}-{n}")
        sim.set_level(variant.inventory_item_id, location, available=available)
        items.append(variant.inventory_item_id)
    return items


def level_ids(items: list[str], location: str) -> list[str]:
    return [LevelKey(item, location).level_gid for item in items]


@pytest.mark.parametrize("module", [clock, search, connections])
def test_module_doctests(module) -> None:
    assert doctest.testmod(module).failed == 0


# Server, shop, auth -------------------------------------------------------------


def test_serves_on_loopback_ephemeral_port(shop) -> None:
    assert shop.base_url.startswith("http://127.0.0.1:")
    assert int(shop.base_url.rsplit(":", 1)[1]) > 0
    assert shop.domain == "sim-shop.myshopify.com"


def test_shop_info_and_granted_scopes(api, shop) -> None:
    data = api.data(documents.SHOP_INFO)
    assert data["shop"]["myshopifyDomain"] == "sim-shop.myshopify.com"
    assert set(data["shop"]) == {"name", "myshopifyDomain"}  # what the addon uses
    handles = {s["handle"] for s in data["currentAppInstallation"]["accessScopes"]}
    assert handles == set(ALL_SCOPES)
    assert shop.stats.by_operation == {"ShopInfo": 1}
    assert shop.stats.requests == 1


def test_any_api_version_is_served_and_recorded(shop) -> None:
    for version in ("2026-10", "2026-04", "unstable"):
        RawClient(shop.base_url, TOKEN, version).data(documents.SHOP_INFO)
    assert shop.stats.api_versions == {"2026-10": 1, "2026-04": 1, "unstable": 1}


def test_every_answer_carries_the_cost_extension(api) -> None:
    body = api.run(documents.SHOP_INFO)
    cost = body["extensions"]["cost"]
    assert set(cost) == {"requestedQueryCost", "actualQueryCost", "throttleStatus"}
    assert cost["throttleStatus"] == {
        "maximumAvailable": 1000.0,
        "currentlyAvailable": 1000 - cost["actualQueryCost"],
        "restoreRate": 100.0,
    }


@pytest.mark.parametrize("token", [None, "", "shpat_wrong"])
def test_unknown_token_is_401(api, token) -> None:
    response = api.post(documents.SHOP_INFO, token=token)
    assert response.status_code == 401
    assert response.json() == {
        "errors": "[API] Invalid API key or access token (unrecognized login or wrong "
        "password)"
    }


def test_missing_read_scope_is_access_denied(shop) -> None:
    shop.add_token("shpat_products_only", scopes=("read_products",))
    api = RawClient(shop.base_url, "shpat_products_only")
    shop.add_location("Main")
    body = api.run(documents.LOCATIONS, first=10)
    assert body["data"] is None
    codes = {e["extensions"]["code"] for e in body["errors"]}
    assert codes == {"ACCESS_DENIED"}
    assert "`read_locations` access scope" in body["errors"][0]["message"]


def test_missing_write_scope_refuses_the_mutation(shop) -> None:
    shop.add_token("shpat_read_only", scopes=("read_inventory",))
    api = RawClient(shop.base_url, "shpat_read_only")
    location = shop.add_location("Main")
    (item,) = stock(shop, location, 1, available=3)
    body = api.run(
        documents.SET_QUANTITIES,
        input=set_input([(item, location, 9, 3)]),
        key="k-denied",
    )
    assert body["data"] == {"inventorySetQuantities": None}
    assert body["errors"][0]["extensions"]["code"] == "ACCESS_DENIED"
    assert body["errors"][0]["path"] == ["inventorySetQuantities"]
    assert shop.level(item, location)["available"] == 3
    assert shop.stats.applied_writes == []


def test_location_id_alone_is_readable_with_read_inventory(shop) -> None:
    shop.add_token("shpat_inventory", scopes=("read_inventory",))
    location = shop.add_location("Main")
    (item,) = stock(shop, location, 1)
    api = RawClient(shop.base_url, "shpat_inventory")
    data = api.data(
        "query { inventoryItem(id: $id) { id } }".replace("$id", f'"{item}"')
    )
    assert data == {"inventoryItem": {"id": item}}
    body = api.run("query L($id: ID!) { location(id: $id) { id name } }", id=location)
    assert body["data"] == {"location": None}  # name needs read_locations
    assert body["errors"][0]["path"] == ["location", "name"]


def set_input(rows, name="available", reason="correction"):
    return {
        "name": name,
        "reason": reason,
        "referenceDocumentUri": "gid://odoo-sync/SyncJob/1",
        "quantities": [
            {
                "inventoryItemId": item,
                "locationId": location,
                "quantity": quantity,
                "changeFromQuantity": expected,
            }
            for item, location, quantity, expected in rows
        ],
    }


# Reads ----------------------------------------------------------------------------


def test_locations_page_with_cursors_and_filters(api, shop) -> None:
    for name in ("Berlin", "Amsterdam", "Cologne"):
        shop.add_location(name)
    shop.add_location("Closed", active=False)
    shop.add_location("Legacy 3PL", fulfillment_service=True, legacy=True)
    document = """
    query L($first: Int!, $after: String, $inactive: Boolean, $legacy: Boolean) {
      locations(first: $first, after: $after, includeInactive: $inactive,
                includeLegacy: $legacy) {
        nodes { name isActive isFulfillmentService }
        pageInfo { hasNextPage endCursor }
      }
    }"""
    first = api.data(document, first=2)["locations"]
    assert [n["name"] for n in first["nodes"]] == ["Amsterdam", "Berlin"]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = api.data(document, first=2, after=first["pageInfo"]["endCursor"])
    assert [n["name"] for n in rest["locations"]["nodes"]] == ["Cologne"]
    assert rest["locations"]["pageInfo"]["hasNextPage"] is False
    everything = api.data(document, first=10, inactive=True, legacy=True)["locations"]
    by_name = {n["name"]: n for n in everything["nodes"]}
    assert len(by_name) == 5
    assert by_name["Closed"]["isActive"] is False
    assert by_name["Legacy 3PL"]["isFulfillmentService"] is True


def test_engine_locations_document_lists_everything(api, shop) -> None:
    shop.add_location("Main")
    shop.add_location("Closed", active=False)
    data = api.data(documents.LOCATIONS, first=250)
    assert {n["name"] for n in data["locations"]["nodes"]} == {"Main", "Closed"}


def test_variants_found_by_sku_and_barcode(api, shop) -> None:
    shop.add_variant(sku="ABC-1", barcode="111", title="Red / M", product_title="Shirt")
    wanted = shop.add_variant(
        sku="ABC-2", barcode="222", title="Red / L", product_title="Shirt"
    )
    shop.add_variant(sku="XYZ", barcode="333")
    by_sku = api.data(documents.VARIANTS, first=10, query="sku:ABC-2")
    (node,) = by_sku["productVariants"]["nodes"]
    assert node["id"] == wanted.id
    assert node["inventoryItem"] == {"id": wanted.inventory_item_id, "tracked": True}
    assert node["title"] == "Red / L"
    assert node["product"] == {"id": wanted.product_id, "title": "Shirt"}
    by_barcode = api.data(documents.VARIANTS, first=10, query="barcode:222")
    assert [n["sku"] for n in by_barcode["productVariants"]["nodes"]] == ["ABC-2"]
    either = api.data(documents.VARIANTS, first=10, query="sku:XYZ OR barcode:111")
    assert {n["sku"] for n in either["productVariants"]["nodes"]} == {"XYZ", "ABC-1"}
    # Search is case-insensitive: exact-case checks are the engine's business.
    lower = api.data(documents.VARIANTS, first=10, query="sku:abc-1")
    assert [n["sku"] for n in lower["productVariants"]["nodes"]] == ["ABC-1"]
    assert (
        api.data(documents.VARIANTS, first=10, query="sku:ABC")["productVariants"][
            "nodes"
        ]
        == []
    )


def test_variants_paginate_to_the_end(api, shop) -> None:
    made = {shop.add_variant(sku=f"P-{n}").id for n in range(7)}
    seen, after, pages = [], None, 0
    while True:
        page = api.data(documents.VARIANTS, first=3, after=after)["productVariants"]
        seen += [n["id"] for n in page["nodes"]]
        pages += 1
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert pages == 3
    assert len(seen) == len(set(seen)) == 7 and set(seen) == made


def test_levels_read_by_level_gid(api, shop) -> None:
    location = shop.add_location("Main")
    other = shop.add_location("Outlet")
    stocked = shop.add_variant(sku="A", tracked=False).inventory_item_id
    shop.set_level(stocked, location, available=7, committed=2)
    gids = [
        LevelKey(stocked, location).level_gid,
        LevelKey(stocked, other).level_gid,  # not stocked there
        "gid://shopify/InventoryLevel/1?inventory_item_id=2",  # unknown
    ]
    nodes = api.data(LEVEL_DETAILS, ids=gids)["nodes"]
    assert nodes[1] is None and nodes[2] is None
    level = nodes[0]
    assert level["id"] == gids[0]
    assert level["isActive"] is True
    assert level["item"] == {"id": stocked, "tracked": False}
    assert level["location"] == {"id": location}
    assert level["updatedAt"].endswith("Z")
    quantities = {q["name"]: q["quantity"] for q in level["quantities"]}
    assert quantities == {"available": 7, "on_hand": 9, "committed": 2}


def test_invalid_global_id_is_an_error(api) -> None:
    body = api.run(LEVEL_DETAILS, ids=["gid://shopify/InventoryLevel/1", "42"])
    assert body["data"] is None
    assert body["errors"][0]["message"] == "Invalid global id '42'"


def test_orders_move_committed_then_on_hand(shop) -> None:
    location = shop.add_location("Main")
    (item,) = stock(shop, location, 1, available=10)
    shop.place_order(item, location, 3)
    assert shop.level(item, location) == {"available": 7, "on_hand": 10, "committed": 3}
    shop.fulfil_order(item, location, 2)
    assert shop.level(item, location) == {"available": 7, "on_hand": 8, "committed": 1}
    assert shop.level(shop.add_variant(sku="B").inventory_item_id, location) is None


def test_nodes_and_objects_by_id(api, shop) -> None:
    location = shop.add_location("Main")
    variant = shop.add_variant(sku="N-1", barcode="999")
    shop.set_level(variant.inventory_item_id, location, available=4)
    data = api.data(
        """
        query N($ids: [ID!]!, $item: ID!, $loc: ID!) {
          nodes(ids: $ids) {
            __typename
            ... on ProductVariant { sku inventoryQuantity }
            ... on Location { name }
            ... on InventoryItem { sku inventoryLevel(locationId: $loc) {
              quantities(names: ["available"]) { quantity } } }
          }
          inventoryItem(id: $item) { legacyResourceId variants(first: 1) {
            nodes { barcode } } }
        }""",
        ids=[variant.id, location, variant.inventory_item_id],
        item=variant.inventory_item_id,
        loc=location,
    )
    assert data["nodes"][0] == {
        "__typename": "ProductVariant",
        "sku": "N-1",
        "inventoryQuantity": 4,
    }
    assert data["nodes"][1] == {"__typename": "Location", "name": "Main"}
    assert data["nodes"][2]["inventoryLevel"]["quantities"] == [{"quantity": 4}]
    item = data["inventoryItem"]
    assert item["legacyResourceId"] == variant.inventory_item_id.rsplit("/", 1)[1]
    assert item["variants"]["nodes"] == [{"barcode": "999"}]


def test_documents_outside_the_subset_are_refused(api) -> None:
    body = api.run("query { orders(first: 1) { nodes { id } } }")
    assert "data" not in body
    assert "orders" in body["errors"][0]["message"]


def test_a_connection_needs_first_or_last(api) -> None:
    body = api.run("query { locations { nodes { id } } }")
    assert body["errors"][0]["message"] == "you must provide one of first or last"


# Cost and throttling -------------------------------------------------------------


def test_requested_cost_is_static_and_the_rest_refunded(api, shop) -> None:
    for n in range(3):
        shop.add_location(f"L{n}")
    cost = api.run(documents.LOCATIONS, first=50)["extensions"]["cost"]
    assert cost["requestedQueryCost"] == 2 + 50 * 1
    assert cost["actualQueryCost"] == 2 + 3 * 1
    assert cost["throttleStatus"]["currentlyAvailable"] == 1000 - 5
    assert shop.stats.cost_requested == 52 and shop.stats.cost_actual == 5


def test_cost_of_nodes_and_mutations(api, shop) -> None:
    location = shop.add_location("Main")
    items = stock(shop, location, 3)
    ids = level_ids(items, location) + [
        "gid://shopify/InventoryLevel/1?inventory_item_id=1"
    ]
    cost = api.run(LEVELS, ids=ids)["extensions"]["cost"]
    per_level = 1 + 1 + 1  # the level, its item, its quantities
    assert cost["requestedQueryCost"] == 4 * per_level
    assert cost["actualQueryCost"] == 3 * per_level  # the unknown id returned null
    body = api.run(
        documents.SET_QUANTITIES, input=set_input([(items[0], location, 1, 5)]), key="c"
    )
    cost = body["extensions"]["cost"]
    assert cost["requestedQueryCost"] == 10 + 1 + 1  # group and userErrors
    assert cost["actualQueryCost"] == 10 + 1  # no user errors came back


def test_bucket_restores_on_the_virtual_clock(api, shop) -> None:
    location = shop.add_location("Main")
    ids = level_ids(stock(shop, location, 250), location)
    first = api.run(LEVELS, ids=ids)["extensions"]["cost"]
    assert first["requestedQueryCost"] == first["actualQueryCost"] == 750
    assert first["throttleStatus"]["currentlyAvailable"] == 250
    shop.clock.advance(2.0)  # 200 points back
    assert shop.throttle_status()["currentlyAvailable"] == 450
    shop.clock.advance(60.0)  # never above the maximum
    assert shop.throttle_status()["currentlyAvailable"] == 1000


def test_bucket_restores_in_real_time_when_asked() -> None:
    # realtime=True: for a client in another process that paces with time.sleep
    with Simulator(plan="standard", realtime=True) as sim:
        sim.add_token(TOKEN, scopes=ALL_SCOPES)
        location = sim.add_location("Main")
        ids = level_ids(stock(sim, location, 250), location)
        RawClient(sim.base_url, TOKEN).run(LEVELS, ids=ids)
        spent = sim.throttle_status()["currentlyAvailable"]
        assert spent < 400  # 750 points taken, a few back since (100/s)
        sim.clock.sleep(0.3)  # really sleeps: about 30 points back at 100/s
        back = sim.throttle_status()["currentlyAvailable"] - spent
        assert 25 <= back < 1000 - spent


def test_throttled_with_http_200(api, shop) -> None:
    location = shop.add_location("Main")
    (item,) = stock(shop, location, 1, available=1)
    ids = level_ids([item], location) * 250  # 750 points each
    api.data(LEVELS, ids=ids)
    shop.reset_stats()
    response = api.post(LEVELS, {"ids": ids})
    assert response.status_code == 200
    body = response.json()
    assert "data" not in body
    assert body["errors"] == [
        {
            "message": "Throttled",
            "extensions": {
                "code": "THROTTLED",
                "documentation": "https://shopify.dev/api/usage/rate-limits",
            },
        }
    ]
    assert body["extensions"]["cost"] == {
        "requestedQueryCost": 750,
        "actualQueryCost": None,
        "throttleStatus": {
            "maximumAvailable": 1000.0,
            "currentlyAvailable": 250,
            "restoreRate": 100.0,
        },
    }
    assert shop.stats.throttled == 1
    assert shop.stats.cost_requested == 0  # nothing charged, nothing ran
    shop.clock.advance((750 - 250) / 100)
    assert api.post(LEVELS, {"ids": ids}).status_code == 200
    assert shop.stats.throttled == 1


def test_throttled_with_http_429_and_retry_after(api, shop) -> None:
    shop.throttle_http_status = 429
    location = shop.add_location("Main")
    (item,) = stock(shop, location, 1, available=1)
    ids = level_ids([item], location) * 250
    api.data(LEVELS, ids=ids)
    response = api.post(LEVELS, {"ids": ids})
    assert response.status_code == 429
    assert float(response.headers["Retry-After"]) == 5.0
    assert response.json()["errors"][0]["extensions"]["code"] == "THROTTLED"


@pytest.mark.parametrize(("fault", "status"), [("throttled", 200), ("http_429", 429)])
def test_injected_throttle_ignores_a_full_bucket(api, shop, fault, status) -> None:
    shop.inject(fault)
    response = api.post(documents.SHOP_INFO)
    assert response.status_code == status
    body = response.json()
    assert "data" not in body and body["errors"][0]["extensions"]["code"] == "THROTTLED"
    assert body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 1000
    assert shop.stats.throttled == 1 and shop.stats.faults == {fault: 1}
    assert api.post(documents.SHOP_INFO).status_code == 200


@pytest.mark.parametrize(
    ("plan", "maximum", "rate"),
    [
        ("standard", 1000.0, 100.0),
        ("advanced", 2000.0, 200.0),
        ("plus", 10000.0, 1000.0),
    ],
)
def test_plans(plan, maximum, rate) -> None:
    with Simulator(plan=plan) as sim:
        sim.add_token(TOKEN)
        body = RawClient(sim.base_url, TOKEN).data(
            "query { shop { plan { shopifyPlus } } }"
        )
        assert body["shop"]["plan"]["shopifyPlus"] is (plan == "plus")
        status = sim.throttle_status()
        assert (status["maximumAvailable"], status["restoreRate"]) == (maximum, rate)


def test_every_engine_read_document_runs(api, shop) -> None:
    location = shop.add_location("Main")
    variant = shop.add_variant(sku="E-1")
    shop.set_level(variant.inventory_item_id, location, available=2)
    level = LevelKey(variant.inventory_item_id, location).level_gid
    assert api.data(documents.SHOP_INFO)["shop"]
    assert api.data(documents.LOCATIONS, first=5)["locations"]["nodes"]
    assert api.data(documents.VARIANTS, first=5, query="sku:E-1")["productVariants"][
        "nodes"
    ]
    assert api.data(documents.LEVELS, ids=[level])["nodes"][0]["id"] == level


def test_too_costly_query_refused_before_it_runs(api, shop) -> None:
    body = api.run(
        "query Big { productVariants(first: 250) { nodes { id "
        "inventoryItem { inventoryLevels(first: 250) { nodes { id } } } } } }"
    )
    assert "data" not in body
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "MAX_COST_EXCEEDED"
    assert error["extensions"]["cost"] == 2 + 250 * (1 + 1 + 2 + 250)
    assert shop.throttle_status()["currentlyAvailable"] == 1000


def test_input_arrays_over_250_are_refused(api, shop) -> None:
    location = shop.add_location("Main")
    (item,) = stock(shop, location, 1, available=1)
    body = api.run(LEVELS, ids=level_ids([item], location) * 251)
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "MAX_INPUT_SIZE_EXCEEDED"
    items = stock(shop, location, 251, available=0)
    rows = [(i, location, 1, 0) for i in items]
    body = api.run(documents.SET_QUANTITIES, input=set_input(rows), key="big")
    assert body["errors"][0]["extensions"]["code"] == "MAX_INPUT_SIZE_EXCEEDED"
    assert body["errors"][0]["path"] == [
        "inventorySetQuantities",
        "input",
        "quantities",
    ]
    assert shop.stats.applied_writes == []
    body = api.run(documents.SET_QUANTITIES, input=set_input(rows[:250]), key="ok")
    assert body["data"]["inventorySetQuantities"]["userErrors"] == []


def test_concurrent_requests_are_serialised(shop) -> None:
    location = shop.add_location("Main")
    items = stock(shop, location, 40, available=0)
    errors: list[object] = []

    def push(index: int, item: str) -> None:
        api = RawClient(shop.base_url, TOKEN)
        body = api.run(
            documents.SET_QUANTITIES,
            input=set_input([(item, location, index + 1, 0)]),
            key=f"thread-{index}",
        )
        errors.extend(body["data"]["inventorySetQuantities"]["userErrors"])

    threads = [threading.Thread(target=push, args=pair) for pair in enumerate(items)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [shop.level(i, location)["available"] for i in items] == list(range(1, 41))
    assert len(shop.stats.applied_writes) == 40
    assert shop.stats.cost_actual == 40 * 11


def test_bad_request_bodies(shop) -> None:
    url = f"{shop.base_url}/admin/api/2026-10/graphql.json"
    headers = {"X-Shopify-Access-Token": TOKEN}
    response = requests.post(url, data=b"not json", headers=headers, timeout=5)
    assert response.status_code == 400
    response = requests.post(
        f"{shop.base_url}/admin/api/2026-10/other.json", headers=headers, timeout=5
    )
    assert response.status_code == 404
