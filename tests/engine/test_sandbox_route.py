"""The sandbox route: only a loopback URL, only for its own domain."""

import pytest

from shopify_stock_sync.engine.shopify.errors import ConfigurationError
from shopify_stock_sync.engine.shopify.sandbox import SandboxRoute, sandbox_route


def test_the_route_sends_its_own_domain_to_the_simulator():
    route = sandbox_route(" sandbox-shop.myshopify.com=http://localhost:8070/ ")
    assert route == SandboxRoute("sandbox-shop.myshopify.com", "http://localhost:8070")
    assert route.base_url_for("sandbox-shop.myshopify.com") == "http://localhost:8070"
    assert route.base_url_for("real-shop.myshopify.com") is None
    assert route.base_url_for(None) is None
    assert route.page_url == "http://localhost:8070/sandbox"


@pytest.mark.parametrize("value", [None, "", "   "])
def test_no_setting_no_route(value):
    assert sandbox_route(value) is None


@pytest.mark.parametrize(
    "value",
    [
        "sandbox-shop.myshopify.com",
        "sandbox-shop.myshopify.com=https://127.0.0.1:8070",
        "sandbox-shop.myshopify.com=http://10.0.0.5:8070",
        "sandbox-shop.myshopify.com=http://sandbox-shop.myshopify.com",
    ],
)
def test_a_route_off_loopback_is_refused(value):
    with pytest.raises(ConfigurationError, match="on loopback"):
        sandbox_route(value)


def test_a_route_for_a_bad_domain_is_refused():
    with pytest.raises(ConfigurationError, match="not a Shopify shop domain"):
        sandbox_route("not a domain=http://127.0.0.1:8070")
