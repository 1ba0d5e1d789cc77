"""Injected faults: 5xx, stalls before and after the write, lost replies, throttling."""

from __future__ import annotations

import time

import pytest
import requests

from shopify_stock_sync.engine.shopify import documents
from tests.simulator import Simulator
from tests.simulator.raw import RawClient

TOKEN = "shpat_simulator_tests"
STALL = 0.3  # real seconds a timeout fault stalls
CLIENT_TIMEOUT = 0.1


@pytest.fixture
def shop():
    with Simulator() as sim:
        sim.add_token(TOKEN)
        sim.timeout_delay = STALL
        yield sim


@pytest.fixture
def api(shop) -> RawClient:
    return RawClient(shop.base_url, TOKEN)


@pytest.fixture
def pair(shop) -> tuple[str, str]:
    location = shop.add_location("Main")
    item = shop.add_variant(sku="F-1").inventory_item_id
    shop.set_level(item, location, available=1)
    return item, location


def write(api: RawClient, pair: tuple[str, str], target: int, key: str, **options):
    item, location = pair
    payload = {
        "name": "available",
        "reason": "correction",
        "quantities": [
            {
                "inventoryItemId": item,
                "locationId": location,
                "quantity": target,
                "changeFromQuantity": None,
            }
        ],
    }
    return api.post(documents.SET_QUANTITIES, {"input": payload, "key": key}, **options)


@pytest.mark.parametrize(
    ("fault", "status"), [("http_500", 500), ("http_502", 502), ("http_503", 503)]
)
def test_server_errors_do_not_execute(api, shop, pair, fault, status) -> None:
    shop.inject(fault)
    response = write(api, pair, 5, "k1")
    assert response.status_code == status
    assert shop.level(*pair)["available"] == 1
    assert shop.stats.faults == {fault: 1}
    assert shop.stats.requests == 1 and shop.stats.by_operation == {"SetQuantities": 1}
    assert write(api, pair, 5, "k1").status_code == 200  # the retry goes through
    assert shop.level(*pair)["available"] == 5
    assert shop.stats.replays == 0


def test_html_and_json_error_bodies(api, shop) -> None:
    shop.inject("http_500")
    shop.inject("http_502")
    assert api.post(documents.SHOP_INFO).json() == {"errors": "Internal Server Error"}
    response = api.post(documents.SHOP_INFO)
    assert response.headers["Content-Type"].startswith("text/html")
    assert "502" in response.text


def test_timeout_stalls_and_never_executes(api, shop, pair) -> None:
    shop.inject("timeout")
    began = time.monotonic()
    with pytest.raises(requests.ReadTimeout):
        write(api, pair, 5, "k1", timeout=CLIENT_TIMEOUT)
    time.sleep(STALL + 0.2)  # the stalled request has finished by now
    assert shop.level(*pair)["available"] == 1
    assert shop.stats.applied_writes == []
    shop.inject("timeout")
    response = write(api, pair, 5, "k1", timeout=5)  # a patient client gets the 504
    assert response.status_code == 504
    assert time.monotonic() - began >= 2 * STALL
    assert shop.stats.faults == {"timeout": 2}


def test_timeout_after_apply_writes_then_stalls(api, shop, pair) -> None:
    shop.inject("timeout_after_apply")
    with pytest.raises(requests.ReadTimeout):
        write(api, pair, 5, "k1", timeout=CLIENT_TIMEOUT)
    assert shop.level(*pair)["available"] == 5  # applied before the stall
    retry = write(api, pair, 5, "k1")  # the client retries with the same key
    assert retry.json()["data"]["inventorySetQuantities"]["userErrors"] == []
    assert shop.stats.replays == 1
    assert len(shop.stats.applied_writes) == 1


def test_lost_reply_applies_and_hangs_up(api, shop, pair) -> None:
    shop.inject("lost_reply")
    with pytest.raises(requests.ConnectionError):
        write(api, pair, 7, "k1")
    assert shop.level(*pair)["available"] == 7
    assert write(api, pair, 7, "k1").status_code == 200
    assert shop.stats.replays == 1
    assert shop.stats.applied_writes == [(*pair, "available", 7, "k1")]
    assert shop.stats.faults == {"lost_reply": 1}


def test_fault_for_one_operation_only(api, shop, pair) -> None:
    shop.inject("http_503", count=2, operation="SetQuantities")
    assert api.post(documents.SHOP_INFO).status_code == 200
    assert write(api, pair, 2, "k1").status_code == 503
    assert api.post(documents.LEVELS, {"ids": []}).status_code == 200
    assert write(api, pair, 2, "k1").status_code == 503
    assert write(api, pair, 2, "k1").status_code == 200
    assert shop.stats.faults == {"http_503": 2}


def test_faults_queue_in_order(api, shop) -> None:
    shop.inject("http_502")
    shop.inject("http_503", count=2)
    statuses = [api.post(documents.SHOP_INFO).status_code for _ in range(4)]
    assert statuses == [502, 503, 503, 200]


def _statuses(seed: int, rate: float, count: int = 40) -> list[int]:
    with Simulator() as sim:
        sim.add_token(TOKEN)
        sim.fault_rate(rate, kinds=("http_500", "http_503"), seed=seed)
        api = RawClient(sim.base_url, TOKEN)
        return [api.post(documents.SHOP_INFO).status_code for _ in range(count)]


def test_fault_rate_is_repeatable_with_a_seed() -> None:
    first, again, other = _statuses(3, 0.5), _statuses(3, 0.5), _statuses(4, 0.5)
    assert first == again != other
    assert set(first) == {200, 500, 503}
    assert 8 <= sum(s != 200 for s in first) <= 32


def test_fault_rate_zero_turns_it_off(api, shop) -> None:
    shop.fault_rate(1.0, kinds=("http_503",))
    assert api.post(documents.SHOP_INFO).status_code == 503
    shop.fault_rate(0)
    assert {api.post(documents.SHOP_INFO).status_code for _ in range(10)} == {200}
