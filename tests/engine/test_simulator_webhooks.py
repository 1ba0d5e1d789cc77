"""The simulator's webhooks: subscriptions over the API, and signed deliveries of level
and location changes, POSTed over real HTTP to a loopback receiver and checked with the
engine's own verification."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from shopify_stock_sync.engine.data import LevelKey
from shopify_stock_sync.engine.shopify import documents
from shopify_stock_sync.engine.webhook import (
    InvalidSignature,
    inventory_level_event,
    verify,
)
from tests.simulator import Simulator
from tests.simulator.raw import RawClient
from tests.simulator.receiver import Receiver
from tests.simulator.webhooks import header_topic, is_loopback, triggered_iso

TOKEN = "shpat_webhook_tests"
SECRET = "shpss_webhook_tests_secret"


@pytest.fixture
def shop():
    with Simulator() as sim:
        sim.add_token(TOKEN)
        sim.webhook_secret = SECRET
        yield sim


@pytest.fixture
def api(shop) -> RawClient:
    return RawClient(shop.base_url, TOKEN)


@pytest.fixture
def receiver():
    made = Receiver()
    yield made
    made.close()


@pytest.fixture
def stocked(shop):
    loc = shop.add_location("Store")
    variant = shop.add_variant(sku="WH-1")
    shop.set_level(variant.inventory_item_id, loc, available=5)
    return variant.inventory_item_id, loc


def create(api: RawClient, topic: str, uri: str) -> dict:
    return api.data(documents.WEBHOOK_SUBSCRIPTION_CREATE, topic=topic, uri=uri)[
        "webhookSubscriptionCreate"
    ]


def listed(api: RawClient) -> list[dict]:
    return api.data(documents.WEBHOOK_SUBSCRIPTIONS, first=50)["webhookSubscriptions"][
        "nodes"
    ]


# Subscriptions over the API -----------------------------------------------------------


def test_create_list_and_delete_a_subscription(api, receiver):
    made = create(api, "INVENTORY_LEVELS_UPDATE", receiver.url)
    assert made["userErrors"] == []
    subscription = made["webhookSubscription"]
    assert subscription["id"].startswith("gid://shopify/WebhookSubscription/")
    assert (subscription["topic"], subscription["uri"], subscription["format"]) == (
        "INVENTORY_LEVELS_UPDATE",
        receiver.url,
        "JSON",
    )
    assert subscription["apiVersion"] == {"handle": "2026-10"}
    assert subscription["includeFields"] == [] and subscription["filter"] is None
    assert [s["id"] for s in listed(api)] == [subscription["id"]]
    gone = api.data(documents.WEBHOOK_SUBSCRIPTION_DELETE, id=subscription["id"])[
        "webhookSubscriptionDelete"
    ]
    assert gone == {
        "deletedWebhookSubscriptionId": subscription["id"],
        "userErrors": [],
    }
    assert listed(api) == []


def test_the_same_topic_and_address_twice_is_taken(api, receiver):
    create(api, "INVENTORY_LEVELS_UPDATE", receiver.url)
    again = create(api, "INVENTORY_LEVELS_UPDATE", receiver.url)
    assert again["webhookSubscription"] is None
    assert again["userErrors"] == [
        {
            "field": ["webhookSubscription", "uri"],
            "message": "Address for this topic has already been taken",
        }
    ]
    other_topic = create(api, "INVENTORY_LEVELS_CONNECT", receiver.url)
    assert other_topic["userErrors"] == []


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("", "Address can't be blank"),
        ("http://example.com/hook", "Address protocol http:// is not supported"),
        ("ftp://example.com/hook", "Address is invalid"),
        ("https://", "Address is invalid"),
    ],
)
def test_addresses_shopify_refuses(api, uri, message):
    refused = create(api, "INVENTORY_LEVELS_UPDATE", uri)
    assert refused["userErrors"] == [
        {"field": ["webhookSubscription", "uri"], "message": message}
    ]


@pytest.mark.parametrize(
    "uri",
    [
        "https://odoo.example.com/shopify/webhook",
        "pubsub://project:topic",
        "arn:aws:events:us-east-1::event-source/aws.partner/shopify.com/1/x",
    ],
)
def test_addresses_shopify_accepts(api, uri):
    assert create(api, "LOCATIONS_UPDATE", uri)["userErrors"] == []


def test_a_topic_needs_its_scope(shop):
    shop.add_token("shpat_products_only", scopes=("read_products",))
    api = RawClient(shop.base_url, "shpat_products_only")
    refused = create(api, "INVENTORY_LEVELS_UPDATE", "https://odoo.example.com/hook")
    assert refused["webhookSubscription"] is None
    [error] = refused["userErrors"]
    assert error["field"] == ["topic"]
    assert "inventory_levels/update" in error["message"]
    assert "read_inventory" in error["message"]


def test_deleting_an_unknown_subscription_is_a_user_error(api):
    gone = api.data(
        documents.WEBHOOK_SUBSCRIPTION_DELETE,
        id="gid://shopify/WebhookSubscription/1",
    )["webhookSubscriptionDelete"]
    assert gone == {
        "deletedWebhookSubscriptionId": None,
        "userErrors": [
            {"field": ["id"], "message": "Webhook subscription does not exist"}
        ],
    }


def test_subscriptions_page_filter_and_resolve_as_nodes(shop, api):
    uris = [f"https://odoo.example.com/hook/{n}" for n in range(3)]
    for uri in uris:
        create(api, "LOCATIONS_CREATE", uri)
    create(api, "INVENTORY_LEVELS_UPDATE", uris[0])
    page = api.data(documents.WEBHOOK_SUBSCRIPTIONS, first=2)["webhookSubscriptions"]
    assert len(page["nodes"]) == 2 and page["pageInfo"]["hasNextPage"]
    rest = api.data(
        documents.WEBHOOK_SUBSCRIPTIONS, first=2, after=page["pageInfo"]["endCursor"]
    )["webhookSubscriptions"]
    assert len(rest["nodes"]) == 2 and not rest["pageInfo"]["hasNextPage"]
    query = """
    query($uri: String, $topics: [WebhookSubscriptionTopic!], $id: ID!) {
      webhookSubscriptions(first: 10, uri: $uri, topics: $topics, format: JSON) {
        nodes { id topic createdAt updatedAt legacyResourceId name
                apiVersion { handle displayName supported } }
      }
      webhookSubscription(id: $id) { id }
      node(id: $id) { ... on WebhookSubscription { uri } }
    }
    """
    first = page["nodes"][0]["id"]
    data = api.data(query, uri=uris[0], topics=["LOCATIONS_CREATE"], id=first)
    [only] = data["webhookSubscriptions"]["nodes"]
    assert only["topic"] == "LOCATIONS_CREATE" and only["name"] is None
    assert only["legacyResourceId"] == first.rsplit("/", 1)[1]
    assert only["apiVersion"] == {
        "handle": "2026-10",
        "displayName": "2026-10",
        "supported": True,
    }
    assert data["webhookSubscription"] == {"id": first}
    assert data["node"] == {"uri": uris[0]}
    assert [s[1] for s in shop.subscriptions()] == ["LOCATIONS_CREATE"] * 3 + [
        "INVENTORY_LEVELS_UPDATE"
    ]


def test_add_subscription_without_the_api(shop):
    with pytest.raises(ValueError, match="emits no"):
        shop.add_subscription("ORDERS_CREATE", "http://127.0.0.1:1/x")
    gid = shop.add_subscription("INVENTORY_LEVELS_UPDATE", "http://127.0.0.1:1/x")
    assert shop.subscriptions() == [
        (gid, "INVENTORY_LEVELS_UPDATE", "http://127.0.0.1:1/x")
    ]


# Deliveries ---------------------------------------------------------------------------


def test_a_set_by_the_api_queues_a_signed_level_update(shop, api, receiver, stocked):
    item, loc = stocked
    create(api, "INVENTORY_LEVELS_UPDATE", receiver.url)
    shop.clock.advance(7)
    quantity = {
        "inventoryItemId": item,
        "locationId": loc,
        "quantity": 9,
        "changeFromQuantity": 5,
    }
    payload = {"name": "available", "reason": "correction", "quantities": [quantity]}
    api.data(documents.SET_QUANTITIES, input=payload, key="k-1")
    [(headers, body)] = shop.webhooks.payloads()
    assert verify(headers, body, [SECRET]) == 0
    sent = json.loads(body)
    item_number = int(item.rsplit("/", 1)[1])
    loc_number = int(loc.rsplit("/", 1)[1])
    assert sent == {
        "inventory_item_id": item_number,
        "location_id": loc_number,
        "available": 9,
        "updated_at": sent["updated_at"],
        "admin_graphql_api_id": LevelKey(item, loc).level_gid,
    }
    assert headers["X-Shopify-Topic"] == "inventory_levels/update"
    assert headers["X-Shopify-Shop-Domain"] == shop.domain
    assert headers["X-Shopify-API-Version"] == "2026-10"
    assert headers["X-Shopify-Triggered-At"] == triggered_iso(shop.clock.now())
    event = inventory_level_event(headers, body)
    assert event.key == LevelKey(item, loc) and event.available == 9
    assert event.updated_at == datetime.fromisoformat(
        shop.clock.iso().replace("Z", "+00:00")
    )
    assert event.updated_at.utcoffset().total_seconds() == -5 * 3600
    assert shop.webhooks.deliver() == [200]
    assert receiver.received == [(receiver.received[0][0], body)]
    assert verify(receiver.received[0][0], receiver.received[0][1], [SECRET]) == 0
    assert shop.webhooks.pending == []
    [sent_record] = shop.webhooks.sent
    assert sent_record.status == 200


def test_a_wrong_secret_does_not_verify(shop, receiver, stocked):
    item, loc = stocked
    shop.add_subscription("INVENTORY_LEVELS_UPDATE", receiver.url)
    shop.edit_on_hand(item, loc, 1)
    [(headers, body)] = shop.webhooks.payloads()
    with pytest.raises(InvalidSignature):
        verify(headers, body, ["shpss_another_app"])
    shop.webhook_secret = "shpss_rotated"
    shop.edit_on_hand(item, loc, 1)
    (old_headers, old_body), (new_headers, new_body) = shop.webhooks.payloads()
    assert verify(new_headers, new_body, [SECRET, "shpss_rotated"]) == 1
    assert verify(old_headers, old_body, [SECRET, "shpss_rotated"]) == 0
    with pytest.raises(ValueError):
        shop.webhook_secret = ""


def test_orders_fulfilments_cancellations_and_edits_queue_updates(
    shop, receiver, stocked
):
    item, loc = stocked
    shop.add_subscription("INVENTORY_LEVELS_UPDATE", receiver.url)
    shop.place_order(item, loc, 2)  # 3 available, 2 committed
    shop.fulfil_order(item, loc, 1)  # 3 available, 1 committed
    shop.cancel_order(item, loc, 1)  # 4 available, 0 committed
    assert shop.edit_on_hand(item, loc, -1) == {
        "available": 3,
        "on_hand": 3,
        "committed": 0,
    }
    assert shop.edit_on_hand(item, loc, value=10)["available"] == 10
    availables = [json.loads(body)["available"] for _, body in shop.webhooks.payloads()]
    assert availables == [3, 3, 4, 3, 10]
    assert shop.webhooks.deliver() == [200] * 5
    with pytest.raises(ValueError, match="not both"):
        shop.edit_on_hand(item, loc, 1, value=2)
    with pytest.raises(ValueError, match="cannot cancel"):
        shop.cancel_order(item, loc, 1)


def test_nothing_is_queued_without_a_subscription_of_the_topic(shop, stocked):
    item, loc = stocked
    shop.add_subscription("INVENTORY_LEVELS_CONNECT", "http://127.0.0.1:1/x")
    shop.add_subscription("INVENTORY_LEVELS_UPDATE", "https://odoo.example.com/x")
    shop.add_subscription("INVENTORY_LEVELS_UPDATE", "pubsub://project:topic")
    shop.add_subscription("INVENTORY_LEVELS_UPDATE", "http://127.0.0.1:2/x", "XML")
    shop.edit_on_hand(item, loc, 1)
    [(headers, _)] = shop.webhooks.payloads()  # only the HTTPS JSON one
    assert shop.webhooks.pending[0].uri == "https://odoo.example.com/x"
    with pytest.raises(ValueError, match="loopback addresses only"):
        shop.webhooks.deliver()
    assert len(shop.webhooks.pending) == 1  # nothing was sent
    assert shop.webhooks.clear() == 1 and shop.webhooks.payloads() == []


def test_every_subscription_gets_its_own_delivery_of_one_event(shop, stocked):
    item, loc = stocked
    first = Receiver()
    second = Receiver()
    try:
        shop.add_subscription("INVENTORY_LEVELS_UPDATE", first.url)
        shop.add_subscription("INVENTORY_LEVELS_UPDATE", second.url)
        shop.place_order(item, loc, 1)
        assert shop.webhooks.deliver() == [200, 200]
        [(h1, b1)], [(h2, b2)] = first.received, second.received
        assert b1 == b2
        assert h1["X-Shopify-Event-Id"] == h2["X-Shopify-Event-Id"]
        assert h1["X-Shopify-Webhook-Id"] != h2["X-Shopify-Webhook-Id"]
    finally:
        first.close()
        second.close()


def test_connect_and_disconnect(shop, api, receiver):
    loc = shop.add_location("Store")
    variant = shop.add_variant(sku="C-1")
    item = variant.inventory_item_id
    shop.add_subscription("INVENTORY_LEVELS_CONNECT", receiver.url)
    shop.add_subscription("INVENTORY_LEVELS_DISCONNECT", receiver.url)
    api.data(documents.ACTIVATE, item=item, location=loc, key="a-1")
    shop.unstock(item, loc)
    shop.unstock(item, loc)  # no level: nothing more
    shop.set_level(item, loc, available=3)  # stocked again: connect
    topics = [
        (h["X-Shopify-Topic"], json.loads(b)) for h, b in shop.webhooks.payloads()
    ]
    assert [t for t, _ in topics] == [
        "inventory_levels/connect",
        "inventory_levels/disconnect",
        "inventory_levels/connect",
    ]
    disconnect = topics[1][1]
    assert set(disconnect) == {"inventory_item_id", "location_id"}
    headers, body = shop.webhooks.payloads()[1]
    event = inventory_level_event(headers, body)
    assert event.available is None and event.updated_at is None
    assert topics[0][1]["available"] == 0


def test_a_set_that_stocks_a_new_level_connects_it(shop, api, receiver):
    shop.unstocked_set = "stock"
    loc = shop.add_location("Store")
    item = shop.add_variant(sku="S-1").inventory_item_id
    shop.add_subscription("INVENTORY_LEVELS_CONNECT", receiver.url)
    shop.add_subscription("INVENTORY_LEVELS_UPDATE", receiver.url)
    quantity = {
        "inventoryItemId": item,
        "locationId": loc,
        "quantity": 4,
        "changeFromQuantity": None,
    }
    payload = {"name": "available", "reason": "correction", "quantities": [quantity]}
    api.data(documents.SET_QUANTITIES, input=payload, key="s-1")
    sent = [
        (h["X-Shopify-Topic"], json.loads(b)["available"])
        for h, b in shop.webhooks.payloads()
    ]
    assert sent == [("inventory_levels/connect", 0), ("inventory_levels/update", 4)]


def test_location_changes(shop, receiver):
    for topic in ("LOCATIONS_CREATE", "LOCATIONS_ACTIVATE", "LOCATIONS_DEACTIVATE"):
        shop.add_subscription(topic, receiver.url)
    loc = shop.add_location("Pop-up")
    shop.set_location_active(loc, False)
    shop.set_location_active(loc, True)
    sent = [(h["X-Shopify-Topic"], json.loads(b)) for h, b in shop.webhooks.payloads()]
    assert [t for t, _ in sent] == [
        "locations/create",
        "locations/deactivate",
        "locations/activate",
    ]
    assert sent[1][1]["active"] is False
    assert sent[0][1]["admin_graphql_api_id"] == loc
    assert sent[0][1]["name"] == "Pop-up"


@pytest.mark.parametrize(
    ("order", "expected"),
    [("fifo", [1, 2, 3]), ("reverse", [3, 2, 1])],
)
def test_delivery_order(shop, receiver, stocked, order, expected):
    item, loc = stocked
    shop.add_subscription("INVENTORY_LEVELS_UPDATE", receiver.url)
    for value in (1, 2, 3):
        shop.edit_on_hand(item, loc, value=value)
    shop.webhooks.deliver(order=order)
    assert [json.loads(b)["available"] for _, b in receiver.received] == expected


def test_shuffled_duplicates_are_repeatable(shop, stocked):
    item, loc = stocked
    runs = []
    for _ in range(2):
        receiver = Receiver()
        try:
            shop.webhooks.subscriptions.clear()
            shop.add_subscription("INVENTORY_LEVELS_UPDATE", receiver.url)
            for value in range(6):
                shop.edit_on_hand(item, loc, value=value)
            statuses = shop.webhooks.deliver(order="shuffle", duplicate=True, seed=4)
            assert statuses == [200] * 12
            runs.append([h["X-Shopify-Webhook-Id"] for h, _ in receiver.received])
            availables = [json.loads(b)["available"] for _, b in receiver.received]
            assert sorted(availables) == sorted(list(range(6)) * 2)
            assert availables != sorted(availables)
            ids = runs[-1]
            assert len(set(ids)) == 6 and all(ids.count(i) == 2 for i in ids)
        finally:
            receiver.close()
    positions = [[run.index(i) for i in run] for run in runs]
    assert positions[0] == positions[1]  # same seed, same shuffle


def test_failed_deliveries_stay_pending_for_a_retry(shop, stocked):
    item, loc = stocked
    receiver = Receiver(status=500)
    try:
        shop.add_subscription("INVENTORY_LEVELS_UPDATE", receiver.url)
        shop.edit_on_hand(item, loc, 1)
        assert shop.webhooks.deliver() == [500]
        assert len(shop.webhooks.pending) == 1
        receiver.status = 200
        assert shop.webhooks.deliver() == [200]
        first, second = receiver.received
        assert first == second  # a retry is the same delivery, byte for byte
        assert shop.webhooks.pending == []
    finally:
        receiver.close()


def test_an_unreachable_receiver_answers_nothing(shop, stocked):
    item, loc = stocked
    closed = Receiver()
    closed.close()
    shop.add_subscription("INVENTORY_LEVELS_UPDATE", closed.url)
    shop.edit_on_hand(item, loc, 1)
    assert shop.webhooks.deliver(timeout=1.0) == [None]
    assert shop.webhooks.sent[-1].error
    assert len(shop.webhooks.pending) == 1


def test_many_deliveries_at_once(shop, receiver, stocked):
    item, loc = stocked
    shop.add_subscription("INVENTORY_LEVELS_UPDATE", receiver.url)
    for value in range(40):
        shop.edit_on_hand(item, loc, value=value)
    assert shop.webhooks.deliver(workers=8) == [200] * 40
    assert len(receiver.received) == 40
    ids = {h["X-Shopify-Webhook-Id"] for h, _ in receiver.received}
    assert len(ids) == 40
    with pytest.raises(ValueError, match="order is one of"):
        shop.webhooks.deliver(order="random")


def test_each_quantity_says_when_it_last_changed(shop, api, stocked):
    item, loc = stocked
    start = shop.clock.iso()
    shop.clock.advance(60)
    shop.place_order(item, loc, 1)
    ordered = shop.clock.iso()
    shop.clock.advance(60)
    shop.edit_on_hand(item, loc, 2)
    edited = shop.clock.iso()
    [node] = api.data(documents.LEVELS, ids=[LevelKey(item, loc).level_gid])["nodes"]
    stamps = {q["name"]: (q["quantity"], q["updatedAt"]) for q in node["quantities"]}
    assert stamps == {
        "available": (6, edited),
        "on_hand": (7, edited),
        "committed": (1, ordered),
    }
    assert node["updatedAt"] == edited
    assert start < ordered < edited


def test_helpers():
    assert header_topic("INVENTORY_LEVELS_UPDATE") == "inventory_levels/update"
    assert header_topic("LOCATIONS_DEACTIVATE") == "locations/deactivate"
    assert is_loopback("http://localhost:8069/x")
    assert is_loopback("http://[::1]:8069/x")
    assert not is_loopback("http://10.0.0.1/x")
    assert not is_loopback("https://odoo.example.com/x")
    assert triggered_iso(0.1234) == "1970-01-01T00:00:00.123Z"
