"""The Shopify client against the simulator over real HTTP."""

from __future__ import annotations

import logging

import pytest

from shopify_stock_sync.engine.data import ErrorCategory
from shopify_stock_sync.engine.inventory import list_locations
from shopify_stock_sync.engine.shopify import documents
from shopify_stock_sync.engine.shopify.auth import Credentials, validate_domain
from shopify_stock_sync.engine.shopify.client import ShopifyClient, operation_name
from shopify_stock_sync.engine.shopify.errors import (
    AuthError,
    ConfigurationError,
    RequestError,
    ThrottledError,
    TransientError,
)
from tests.engine.conftest import SCOPES, TOKEN, make_client

SECRET = "very-secret-client-secret"


@pytest.mark.parametrize(
    "domain",
    [
        "shop.myshopify.com.evil.com",
        "https://shop.myshopify.com",
        "Shop.myshopify.com",
        "shop.example.com",
        "-shop.myshopify.com",
        "shop.myshopify.com/admin",
        "shop.myshopify.com\n",
        " shop.myshopify.com",
        "",
        None,
    ],
)
def test_bad_domain_refused_before_any_call(domain):
    with pytest.raises(ConfigurationError, match="not a Shopify shop domain"):
        ShopifyClient(domain, Credentials.admin_token("t"))


def test_good_domain_accepted():
    assert validate_domain("my-shop-2.myshopify.com") == "my-shop-2.myshopify.com"


@pytest.mark.parametrize("version", ["2026-13", "latest", "", "2026-10; drop"])
def test_bad_api_version_refused(version):
    with pytest.raises(ConfigurationError, match="not a Shopify API version"):
        ShopifyClient(
            "a.myshopify.com", Credentials.admin_token("t"), api_version=version
        )


def test_credentials_need_both_parts():
    with pytest.raises(ConfigurationError, match="client secret"):
        Credentials.client_credentials("id", "")
    with pytest.raises(ConfigurationError, match="access token"):
        Credentials.admin_token("")
    with pytest.raises(ConfigurationError, match="max_attempts"):
        ShopifyClient("a.myshopify.com", Credentials.admin_token("t"), max_attempts=0)


def test_secrets_stay_out_of_reprs():
    creds = Credentials.client_credentials("my-id", SECRET)
    token = Credentials.admin_token(TOKEN)
    assert SECRET not in repr(creds) and "my-id" in repr(creds)
    assert TOKEN not in repr(token) and TOKEN not in str(token)
    client = ShopifyClient("a.myshopify.com", creds)
    assert SECRET not in repr(client) and SECRET not in repr(client.tokens)


def test_operation_name():
    assert operation_name(documents.LEVELS) == "Levels"
    assert operation_name("{ shop { name } }") == "anonymous"


def test_legacy_token_reads_and_counts(sim, client):
    sim.add_location("Main")
    data = client.execute(documents.SHOP_INFO)
    assert data["shop"]["myshopifyDomain"] == sim.domain
    assert client.calls == 1
    assert client.cost_points > 0
    assert client.bucket.available is not None


def test_wrong_token_is_an_auth_error(sim):
    client = make_client(sim, Credentials.admin_token("shpat_wrong"))
    with pytest.raises(AuthError) as caught:
        client.execute(documents.SHOP_INFO)
    assert caught.value.category is ErrorCategory.AUTH
    assert caught.value.status == 401
    assert "shpat_wrong" not in str(caught.value)


def test_missing_scope_is_an_auth_error(sim):
    sim.add_token("shpat_readonly", scopes=("read_products",))
    client = make_client(sim, Credentials.admin_token("shpat_readonly"))
    with pytest.raises(AuthError, match="access scope"):
        list_locations(client)


def test_client_credentials_grant_cached_and_renewed_before_lapse(sim):
    sim.add_app("app-id", SECRET, scopes=SCOPES, expires_in=1000)
    client = make_client(sim, Credentials.client_credentials("app-id", SECRET))
    client.execute(documents.SHOP_INFO)
    client.execute(documents.SHOP_INFO)
    assert sim.stats.token_requests == 1  # cached
    assert set(client.tokens.scopes) == set(SCOPES)
    sim.clock.advance(850)  # still valid, but under 10% of its life is not left yet
    client.execute(documents.SHOP_INFO)
    assert sim.stats.token_requests == 1
    sim.clock.advance(100)  # 950 s of 1000: renew before it lapses
    client.execute(documents.SHOP_INFO)
    assert sim.stats.token_requests == 2


def test_client_credentials_renewed_once_on_401(sim):
    sim.add_app("app-id", SECRET, scopes=SCOPES, expires_in=86399)
    client = make_client(sim, Credentials.client_credentials("app-id", SECRET))
    client.execute(documents.SHOP_INFO)
    sim.revoke_tokens()  # the shop revoked the token early
    client.execute(documents.SHOP_INFO)
    assert sim.stats.token_requests == 2


def test_wrong_client_secret(sim, caplog):
    sim.add_app("app-id", SECRET, scopes=SCOPES)
    client = make_client(sim, Credentials.client_credentials("app-id", "wrong-secret"))
    with caplog.at_level(logging.DEBUG), pytest.raises(AuthError) as caught:
        client.execute(documents.SHOP_INFO)
    assert "client id / client secret" in str(caught.value)
    assert "wrong-secret" not in str(caught.value)
    assert "wrong-secret" not in caplog.text


@pytest.mark.parametrize("fault", ["http_500", "http_502", "http_503", "timeout"])
def test_transient_failure_retried_with_back_off(sim, client, fault):
    sim.inject(fault, count=2)
    before = sim.clock.now()
    data = client.execute(documents.SHOP_INFO)
    assert data["shop"]["name"]
    assert client.calls == 3
    assert sim.clock.now() - before >= 3.0  # 1 s then 2 s of back-off


def test_transient_failure_gives_up_after_bounded_attempts(sim, client, caplog):
    sim.inject("http_503", count=10)
    with caplog.at_level(logging.DEBUG), pytest.raises(TransientError) as caught:
        client.execute(documents.SHOP_INFO)
    assert client.calls == client.max_attempts == 4
    assert caught.value.category is ErrorCategory.TRANSIENT
    assert "HTTP 503" in str(caught.value)
    assert TOKEN not in caplog.text


@pytest.mark.parametrize("fault", ["throttled", "http_429"])
def test_throttled_both_ways_waits_and_retries(sim, client, fault):
    sim.inject(fault, count=1)
    before = sim.clock.now()
    client.execute(documents.SHOP_INFO)
    assert client.calls == 2
    assert sim.clock.now() > before


def test_throttled_error_carries_a_delay(sim):
    client = make_client(sim, max_attempts=1)
    sim.inject("throttled", count=1)
    with pytest.raises(ThrottledError) as caught:
        client.execute(documents.SHOP_INFO)
    assert caught.value.retry_after and caught.value.retry_after > 0


def test_pacing_avoids_throttling(sim, client):
    """Expensive reads in a row: the client waits for the bucket, is never refused."""
    location = sim.add_location("Main")
    keys = []
    for n in range(250):
        variant = sim.add_variant(sku=f"P-{n}")
        sim.set_level(variant.inventory_item_id, location, available=n)
        keys.append(variant.inventory_item_id)
    from shopify_stock_sync.engine.data import LevelKey
    from shopify_stock_sync.engine.inventory import read_levels

    pairs = [LevelKey(item, location) for item in keys]
    for _ in range(8):
        read_levels(client, pairs)
    assert sim.stats.throttled == 0
    assert client.waited > 0  # it had to wait for the bucket to refill


def test_too_costly_query_is_a_request_error(sim, client):
    with pytest.raises(RequestError) as caught:
        client.execute(
            "query Big { productVariants(first: 250) { nodes { id "
            "inventoryItem { inventoryLevels(first: 250) { nodes { id } } } } } }",
            estimated_cost=1,
        )
    assert caught.value.category is ErrorCategory.REQUEST
    assert caught.value.code == "MAX_COST_EXCEEDED"


def test_graphql_error_is_a_request_error(client):
    with pytest.raises(RequestError, match="refused"):
        client.execute("query Bad { shop { noSuchField } }")
