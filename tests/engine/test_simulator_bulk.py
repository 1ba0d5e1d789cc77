"""The simulator's bulk operations (JSONL as Shopify writes it) and token grant."""

from __future__ import annotations

import json

import pytest
import requests

from shopify_stock_sync.engine.shopify import documents
from tests.simulator import Simulator
from tests.simulator.raw import RawClient

TOKEN = "shpat_simulator_tests"
SECRET = "client-secret-for-tests"
SCOPES = ("read_products", "read_inventory", "write_inventory", "read_locations")
OP_DETAILS = """
query Op($id: ID!) {
  bulkOperation(id: $id) {
    status objectCount rootObjectCount fileSize url type query createdAt completedAt
  }
}
"""


@pytest.fixture
def shop():
    with Simulator() as sim:
        sim.add_token(TOKEN)
        yield sim


@pytest.fixture
def api(shop) -> RawClient:
    return RawClient(shop.base_url, TOKEN)


def start(api: RawClient, query: str = documents.BULK_LEVELS) -> dict:
    return api.data(documents.BULK_RUN_QUERY, query=query)["bulkOperationRunQuery"]


def poll(api: RawClient, op_id: str) -> dict:
    return api.data(documents.BULK_OPERATION, id=op_id)["bulkOperation"]


def catalogue(shop: Simulator) -> tuple[list[str], list[str]]:
    locations = [shop.add_location("Main"), shop.add_location("Outlet")]
    items = []
    for n in range(3):
        items.append(shop.add_variant(sku=f"B-{n}").inventory_item_id)
    for index, item in enumerate(items[:2]):
        for offset, location in enumerate(locations):
            shop.set_level(item, location, available=index * 10 + offset)
    shop.place_order(items[0], locations[0], 0)
    return items, locations  # items[2] is stocked nowhere


# Bulk operations ---------------------------------------------------------------


def test_bulk_goes_created_running_completed_by_polls(api, shop) -> None:
    catalogue(shop)
    started = start(api)
    assert started["userErrors"] == []
    op = started["bulkOperation"]
    assert op["id"].startswith("gid://shopify/BulkOperation/")
    assert op["status"] == "CREATED"
    running = poll(api, op["id"])
    assert (running["status"], running["url"], running["objectCount"]) == (
        "RUNNING",
        None,
        "0",
    )
    done = poll(api, op["id"])
    assert done["status"] == "COMPLETED"
    assert done["errorCode"] is None and done["partialDataUrl"] is None
    assert done["url"] == f"{shop.base_url}/bulk/{op['id'].rsplit('/', 1)[1]}.jsonl"
    assert done["objectCount"] == "7"  # 3 items + 4 levels, as a string like Shopify


def test_bulk_completes_after_two_virtual_seconds(api, shop) -> None:
    catalogue(shop)
    op = start(api)["bulkOperation"]
    shop.clock.advance(2.0)
    assert poll(api, op["id"])["status"] == "COMPLETED"


def test_bulk_jsonl_is_shopifys_format(api, shop) -> None:
    items, locations = catalogue(shop)
    op = start(api)["bulkOperation"]
    poll(api, op["id"])
    url = poll(api, op["id"])["url"]
    response = requests.get(url, timeout=5)  # no token: a signed URL
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/jsonl"
    text = response.text
    assert text.endswith("\n")
    lines = [json.loads(line) for line in text.splitlines()]
    assert lines[0] == {"id": items[0], "sku": "B-0", "tracked": True}
    assert lines[1] == {
        "location": {"id": locations[0]},
        "quantities": [
            {"name": "available", "quantity": 0},
            {"name": "on_hand", "quantity": 0},
            {"name": "committed", "quantity": 0},
        ],
        "__parentId": items[0],
    }
    seen: set[str] = set()
    parents = []
    for line in lines:
        if "__parentId" in line:
            assert line["__parentId"] in seen  # a child comes after its parent
            assert "id" not in line  # the query did not ask for the level id
        else:
            assert "inventoryLevels" not in line  # the connection is not inline
            seen.add(line["id"])
            parents.append(line["id"])
    assert parents == items
    children = [line for line in lines if "__parentId" in line]
    got = {
        (c["__parentId"], c["location"]["id"]): c["quantities"][0]["quantity"]
        for c in children
    }
    assert got == {
        (items[0], locations[0]): 0,
        (items[0], locations[1]): 1,
        (items[1], locations[0]): 10,
        (items[1], locations[1]): 11,
    }


def test_bulk_details_and_snapshot_at_completion(api, shop) -> None:
    items, locations = catalogue(shop)
    op = start(api)["bulkOperation"]
    shop.set_level(items[1], locations[1], available=99)  # before it completes
    shop.clock.advance(3.0)
    details = api.data(OP_DETAILS, id=op["id"])["bulkOperation"]
    assert details["type"] == "QUERY"
    assert details["query"] == documents.BULK_LEVELS
    assert details["rootObjectCount"] == "3"
    body = requests.get(details["url"], timeout=5).content
    assert details["fileSize"] == str(len(body))
    assert b'"quantity":99' in body
    assert details["createdAt"] < details["completedAt"]


def test_bulk_has_no_page_size_limit(api, shop) -> None:
    location = shop.add_location("Main")
    for n in range(600):
        item = shop.add_variant(sku=f"M-{n}").inventory_item_id
        shop.set_level(item, location, available=n)
    op = start(api)["bulkOperation"]
    shop.clock.advance(2.0)
    done = poll(api, op["id"])
    assert done["objectCount"] == "1200"
    assert len(requests.get(done["url"], timeout=5).text.splitlines()) == 1200


def test_bulk_file_is_404_until_completed(api, shop) -> None:
    catalogue(shop)
    op = start(api)["bulkOperation"]
    number = op["id"].rsplit("/", 1)[1]
    assert (
        requests.get(f"{shop.base_url}/bulk/{number}.jsonl", timeout=5).status_code
        == 404
    )
    assert requests.get(f"{shop.base_url}/bulk/1.jsonl", timeout=5).status_code == 404


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("{ nodes(ids: []) { id } }", "top level"),
        ("{ shop { name } }", "at least one connection"),
        ("{ inventoryItems { edges { node { id ", "Invalid bulk query"),
        ("{ orders { edges { node { id } } } }", "Invalid bulk query"),
        (
            "{ inventoryItems { edges { node { id inventoryLevels { edges { node { "
            "id location { id inventoryLevels { edges { node { id } } } } } } } } } "
            "} }",
            "nested",
        ),
        (
            "{ inventoryItems { edges { node { sku inventoryLevels { edges { node { "
            "id } } } } } } }",
            "`id`",
        ),
        (
            'mutation { bulkOperationRunQuery(query: "") { userErrors { code } } }',
            "query",
        ),
    ],
)
def test_bulk_refuses_invalid_queries(api, shop, query, words) -> None:
    result = start(api, query)
    assert result["bulkOperation"] is None
    (error,) = result["userErrors"]
    assert error["code"] == "INVALID" and error["field"] == ["query"]
    assert words in error["message"]


def test_bulk_limit_of_five_running(api, shop) -> None:
    catalogue(shop)
    for _ in range(5):
        assert start(api)["userErrors"] == []
    refused = start(api)
    assert refused["bulkOperation"] is None
    assert refused["userErrors"][0]["code"] == "LIMIT_REACHED"
    shop.clock.advance(2.0)  # the five complete
    assert start(api)["userErrors"] == []


def test_bulk_without_read_inventory_fails_access_denied(shop) -> None:
    shop.add_token("shpat_products", scopes=("read_products",))
    api = RawClient(shop.base_url, "shpat_products")
    catalogue(shop)
    op = start(api)["bulkOperation"]
    shop.clock.advance(2.0)
    failed = poll(api, op["id"])
    assert (failed["status"], failed["errorCode"], failed["url"]) == (
        "FAILED",
        "ACCESS_DENIED",
        None,
    )


def test_unknown_bulk_operation_is_null(api) -> None:
    assert poll(api, "gid://shopify/BulkOperation/1") is None


# Client-credentials grant ------------------------------------------------------


def grant(shop: Simulator, client_id: str = "app-id", secret: str = SECRET, **extra):
    form = {"grant_type": "client_credentials", "client_id": client_id}
    form["client_secret"] = secret
    form.update(extra)
    return requests.post(
        f"{shop.base_url}/admin/oauth/access_token", data=form, timeout=5
    )


def test_grant_issues_a_token_with_the_apps_scopes(shop) -> None:
    shop.add_app("app-id", SECRET, scopes=SCOPES)
    response = grant(shop)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "scope", "expires_in"}
    assert body["scope"] == ",".join(SCOPES)
    assert body["expires_in"] == 86399
    assert body["access_token"].startswith("shpca_")
    api = RawClient(shop.base_url, body["access_token"])
    assert api.data(documents.SHOP_INFO)["shop"]["name"]
    assert shop.stats.token_requests == 1
    assert grant(shop).json()["access_token"] != body["access_token"]


def test_granted_token_expires_on_the_virtual_clock(shop) -> None:
    shop.add_app("app-id", SECRET, scopes=SCOPES, expires_in=100)
    api = RawClient(shop.base_url, grant(shop).json()["access_token"])
    shop.clock.advance(99.5)
    assert api.post(documents.SHOP_INFO).status_code == 200
    shop.clock.advance(0.5)
    response = api.post(documents.SHOP_INFO)
    assert response.status_code == 401
    assert "Invalid API key or access token" in response.json()["errors"]


@pytest.mark.parametrize(
    ("client_id", "secret", "extra", "error"),
    [
        ("app-id", "wrong", {}, "invalid_client"),
        ("other-app", SECRET, {}, "invalid_client"),
        (
            "app-id",
            SECRET,
            {"grant_type": "authorization_code"},
            "unsupported_grant_type",
        ),
    ],
)
def test_grant_refusals(shop, client_id, secret, extra, error) -> None:
    shop.add_app("app-id", SECRET)
    response = grant(shop, client_id, secret, **extra)
    assert response.status_code == 400
    assert response.json()["error"] == error
    assert "access_token" not in response.json()


def test_grant_accepts_a_json_body(shop) -> None:
    shop.add_app("app-id", SECRET)
    response = requests.post(
        f"{shop.base_url}/admin/oauth/access_token",
        json={
            "grant_type": "client_credentials",
            "client_id": "app-id",
            "client_secret": SECRET,
        },
        timeout=5,
    )
    assert response.status_code == 200 and response.json()["access_token"]


def test_granted_scopes_are_enforced(shop) -> None:
    shop.add_app("narrow", SECRET, scopes=("read_products",))
    shop.add_location("Main")
    api = RawClient(shop.base_url, grant(shop, "narrow").json()["access_token"])
    body = api.run(documents.LOCATIONS, first=5)
    assert body["errors"][0]["extensions"]["code"] == "ACCESS_DENIED"
    scopes = api.run(documents.SHOP_INFO)["data"]["currentAppInstallation"]
    assert scopes == {"accessScopes": [{"handle": "read_products"}]}


def test_revoked_tokens_are_401_and_legacy_tokens_stay(shop) -> None:
    shop.add_app("app-id", SECRET)
    granted = RawClient(shop.base_url, grant(shop).json()["access_token"])
    assert shop.revoke_tokens() == 1
    assert granted.post(documents.SHOP_INFO).status_code == 401
    assert RawClient(shop.base_url, TOKEN).post(documents.SHOP_INFO).status_code == 200
