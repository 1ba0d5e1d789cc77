"""Webhook subscriptions: the plan (pure), and check / ensure / remove against the
simulator over real HTTP, with Shopify's refusals mapped to errors an operator can act
on."""

from __future__ import annotations

import pytest

from shopify_stock_sync.engine.data import ErrorCategory, ItemError
from shopify_stock_sync.engine.shopify.auth import Credentials
from shopify_stock_sync.engine.subscriptions import (
    LEVEL_TOPICS,
    TOPICS,
    AlreadySubscribed,
    EndpointRefused,
    Subscription,
    SubscriptionError,
    SubscriptionNotFound,
    SubscriptionResult,
    TopicNotAllowed,
    _refusal,
    check,
    create,
    delete,
    ensure,
    enum_topic,
    header_topic,
    list_subscriptions,
    plan,
    remove_all,
)
from tests.engine.conftest import make_client

ENDPOINT = "http://127.0.0.1:8069/shopify/webhook/1"  # loopback: the simulator takes it
ELSEWHERE = "https://other-odoo.example.com/shopify/webhook/1"


def sub(n: int, topic: str, uri: str = ENDPOINT, **kw) -> Subscription:
    return Subscription(f"gid://shopify/WebhookSubscription/{n}", topic, uri, **kw)


# The plan ----------------------------------------------------------------------------


def test_an_empty_shop_needs_every_topic():
    wanted = plan([], ENDPOINT)
    assert wanted.to_create == TOPICS
    assert wanted.present == wanted.to_remove == wanted.elsewhere == ()
    assert not wanted.ready


def test_a_complete_shop_is_ready():
    have = [sub(n, topic) for n, topic in enumerate(reversed(TOPICS))]
    wanted = plan(have, f"  {ENDPOINT} ")
    assert wanted.ready
    assert [s.topic for s in wanted.present] == list(TOPICS)  # in the wanted order


def test_stale_and_incomplete_subscriptions_at_our_endpoint_are_replaced():
    have = [
        sub(1, "INVENTORY_LEVELS_UPDATE", format="XML"),
        sub(2, "INVENTORY_LEVELS_CONNECT", filter="location_id:1"),
        sub(3, "INVENTORY_LEVELS_DISCONNECT", include_fields=("location_id",)),
        sub(4, "LOCATIONS_UPDATE"),  # not wanted below
        sub(5, "INVENTORY_LEVELS_UPDATE", ELSEWHERE),  # another address: left alone
        sub(6, "PRODUCTS_UPDATE", ELSEWHERE),  # neither ours nor wanted: ignored
    ]
    wanted = plan(have, ENDPOINT, LEVEL_TOPICS)
    assert wanted.to_create == LEVEL_TOPICS
    assert [s.id[-1] for s in wanted.to_remove] == ["1", "2", "3", "4"]
    assert [s.id[-1] for s in wanted.elsewhere] == ["5"]
    assert wanted.present == ()


def test_a_duplicate_at_our_endpoint_is_removed():
    have = [sub(1, "INVENTORY_LEVELS_UPDATE"), sub(2, "INVENTORY_LEVELS_UPDATE")]
    wanted = plan(have, ENDPOINT, ["INVENTORY_LEVELS_UPDATE"] * 2)
    assert [s.id[-1] for s in wanted.present] == ["1"]
    assert [s.id[-1] for s in wanted.to_remove] == ["2"]
    assert wanted.to_create == ()


def test_topic_names():
    assert header_topic("INVENTORY_LEVELS_DISCONNECT") == "inventory_levels/disconnect"
    assert enum_topic(" locations/activate ") == "LOCATIONS_ACTIVATE"
    for topic in TOPICS:
        assert enum_topic(header_topic(topic)) == topic


@pytest.mark.parametrize(
    ("error", "kind", "category"),
    [
        (
            ItemError(None, ("webhookSubscription", "uri"), "Address is invalid"),
            EndpointRefused,
            ErrorCategory.CONFIG,
        ),
        (
            ItemError(None, ("webhookSubscription", "callbackUrl"), "Not https"),
            EndpointRefused,
            ErrorCategory.CONFIG,
        ),
        (
            ItemError(None, ("topic",), "Not for you"),
            TopicNotAllowed,
            ErrorCategory.AUTH,
        ),
        (
            ItemError(None, (), "Missing access scope read_inventory"),
            TopicNotAllowed,
            ErrorCategory.AUTH,
        ),
        (
            ItemError(None, ("uri",), "Address for this topic has already been taken"),
            AlreadySubscribed,
            ErrorCategory.CONFIG,
        ),
        (
            ItemError(None, ("id",), "Webhook subscription not found"),
            SubscriptionNotFound,
            ErrorCategory.CONFIG,
        ),
        (
            ItemError(None, (), "Something else went wrong"),
            SubscriptionError,
            ErrorCategory.CONFIG,
        ),
    ],
)
def test_user_errors_become_specific_errors(error, kind, category):
    refused = _refusal("subscribe to INVENTORY_LEVELS_UPDATE", [error])
    assert type(refused) is kind
    assert refused.category == category
    assert error.message in str(refused)
    assert refused.errors == (error,)


def test_no_user_error_at_all_is_still_an_error():
    refused = _refusal("delete it", [])
    assert type(refused) is SubscriptionError
    assert "no reason given" in str(refused)


# Against the simulator ----------------------------------------------------------------


def test_ensure_subscribes_every_topic_once(sim, client):
    done = ensure(client, ENDPOINT)
    assert [s.topic for s in done.present] == list(TOPICS)
    assert done.removed == ()
    assert all(s.uri == ENDPOINT and s.api_version == "2026-10" for s in done.created)
    assert check(client, ENDPOINT).ready
    calls = client.calls
    again = ensure(client, ENDPOINT)
    assert again.created == again.removed == ()
    assert [s.id for s in again.present] == [s.id for s in done.present]
    assert client.calls == calls + 1  # one listing, nothing to change


def test_ensure_replaces_what_is_wrong_and_leaves_other_addresses(sim, client):
    sim.add_subscription("INVENTORY_LEVELS_UPDATE", ENDPOINT, "XML")
    stale = sim.add_subscription("LOCATIONS_UPDATE", ENDPOINT)
    other = sim.add_subscription("INVENTORY_LEVELS_UPDATE", ELSEWHERE)
    done = ensure(client, ENDPOINT, LEVEL_TOPICS)
    assert stale in done.removed and len(done.removed) == 2
    assert [s.topic for s in done.present] == list(LEVEL_TOPICS)
    assert [s.id for s in done.plan.elsewhere] == [other]
    left = {(topic, uri) for _, topic, uri in sim.subscriptions()}
    assert left == {(t, ENDPOINT) for t in LEVEL_TOPICS} | {
        ("INVENTORY_LEVELS_UPDATE", ELSEWHERE)
    }


def test_remove_all_deletes_only_our_endpoint(sim, client):
    ensure(client, ENDPOINT, LEVEL_TOPICS)
    other = sim.add_subscription("LOCATIONS_CREATE", ELSEWHERE)
    assert len(remove_all(client, ENDPOINT)) == 3
    assert [gid for gid, _, _ in sim.subscriptions()] == [other]
    assert remove_all(client, ENDPOINT) == ()


def test_listing_pages_through_many(sim, client):
    for n in range(105):
        sim.add_subscription("LOCATIONS_UPDATE", f"https://odoo{n}.example.com/hook")
    found = list_subscriptions(client)
    assert len(found) == 105 and len({s.id for s in found}) == 105


def test_a_plain_http_address_is_refused(sim, client):
    with pytest.raises(EndpointRefused) as refused:
        ensure(client, "http://odoo.example.com/shopify/webhook/1")
    assert "Address protocol http:// is not supported" in str(refused.value)
    assert refused.value.category == ErrorCategory.CONFIG
    assert sim.subscriptions() == []


def test_a_missing_scope_is_an_auth_error(sim):
    sim.add_token("shpat_no_locations", scopes=("read_inventory",))
    client = make_client(sim, Credentials.admin_token("shpat_no_locations"))
    with pytest.raises(TopicNotAllowed) as refused:
        ensure(client, ENDPOINT)
    assert refused.value.category == ErrorCategory.AUTH
    assert "read_locations" in str(refused.value)
    # What came before the refusal is done: the level topics are subscribed.
    assert [t for _, t, _ in sim.subscriptions()] == list(LEVEL_TOPICS)


def test_create_twice_and_delete_twice(sim, client):
    made = create(client, "INVENTORY_LEVELS_UPDATE", ENDPOINT)
    with pytest.raises(AlreadySubscribed):
        create(client, "INVENTORY_LEVELS_UPDATE", ENDPOINT)
    assert delete(client, made.id) == made.id
    with pytest.raises(SubscriptionNotFound):
        delete(client, made.id)


class ScriptedClient:
    """A client whose Shopify changes under it between the listing and the writes."""

    def __init__(self, sim, client, before_write):
        self.sim, self.client, self.before_write = sim, client, before_write

    def execute(self, document, variables=None, **kw):
        if document.lstrip().startswith("mutation") and self.before_write:
            action, self.before_write = self.before_write, None
            action(self.sim)
        return self.client.execute(document, variables, **kw)


def test_ensure_takes_a_subscription_made_meanwhile_as_present(sim, client):
    def racer(shop):
        shop.add_subscription("INVENTORY_LEVELS_UPDATE", ENDPOINT)

    raced = ScriptedClient(sim, client, racer)
    done = ensure(raced, ENDPOINT, ["INVENTORY_LEVELS_UPDATE", "LOCATIONS_UPDATE"])
    assert sorted(s.topic for s in done.created) == [
        "INVENTORY_LEVELS_UPDATE",
        "LOCATIONS_UPDATE",
    ]
    assert len(sim.subscriptions()) == 2


def test_a_subscription_deleted_meanwhile_counts_as_removed(sim, client):
    stale = sim.add_subscription("LOCATIONS_UPDATE", ENDPOINT)

    def racer(shop):
        shop.webhooks.subscriptions.clear()

    done = ensure(ScriptedClient(sim, client, racer), ENDPOINT, ())
    assert done.removed == (stale,)
    sim.add_subscription("LOCATIONS_UPDATE", ENDPOINT)
    assert len(remove_all(ScriptedClient(sim, client, racer), ENDPOINT)) == 1
    assert sim.subscriptions() == []


def test_present_lists_other_topics_last():
    have = [sub(1, "PRODUCTS_UPDATE"), sub(2, "LOCATIONS_UPDATE")]
    wanted = plan(have, ENDPOINT, ["PRODUCTS_UPDATE", "LOCATIONS_UPDATE"])
    done = SubscriptionResult(wanted, (), ())
    assert [s.topic for s in done.present] == ["LOCATIONS_UPDATE", "PRODUCTS_UPDATE"]
