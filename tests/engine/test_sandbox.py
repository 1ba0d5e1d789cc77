"""The sandbox Shopify shop: its seed data, its saved state, its page and JSON routes,
and the process itself (started with ``subprocess``, stopped with SIGTERM).

Waits are bounded polls with a deadline; nothing asserts how long anything took.
"""

from __future__ import annotations

import json
import pickle
import select
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from shopify_stock_sync.engine.shopify import documents
from shopify_stock_sync.engine.shopify.auth import REQUIRED_SCOPES
from shopify_stock_sync.engine.webhook import inventory_level_event, verify
from tests.simulator import Simulator, sandbox_page
from tests.simulator.persist import StateError, dump, load, shop_bytes
from tests.simulator.raw import RawClient
from tests.simulator.receiver import Receiver
from tests.simulator.sandbox import Sandbox
from tests.simulator.sandbox_seed import (
    CLIENT_ID,
    CLIENT_SECRET,
    DOMAIN,
    LOCATIONS,
    PRODUCTS,
    SCOPES,
    seed,
)
from tests.simulator.webhooks import TOPIC_SCOPES

ROOT = Path(__file__).resolve().parents[2]
DEADLINE = 30.0  # seconds any wait may last before the test fails


def until(check: Callable[[], Any], what: str, deadline: float = DEADLINE) -> Any:
    """Poll ``check`` until it returns something truthy; fail after ``deadline``."""
    end = time.monotonic() + deadline
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > end:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver()
    yield made
    made.close()


# The seed data ---------------------------------------------------------------------


def test_seed_has_one_duplicate_sku_and_one_blank_sku():
    skus = Counter(row.sku for row in PRODUCTS)
    assert [sku for sku, n in skus.items() if sku and n > 1] == ["MUG-TRAVEL"]
    assert skus["MUG-TRAVEL"] == 2
    assert skus[""] == 1


def test_seed_shape_locations_sizes_orders_and_mismatches():
    assert len(LOCATIONS) == 3
    assert 18 <= len(PRODUCTS) <= 24
    sizes: dict[str, set[str]] = {}
    for row in PRODUCTS:
        sizes.setdefault(row.product, set()).add(row.variant)
    assert sum(1 for s in sizes.values() if {"S", "M", "L"} <= s) >= 2
    assert len({row.key for row in PRODUCTS}) == len(PRODUCTS)
    barcodes = [row.barcode for row in PRODUCTS if row.barcode]
    assert len(set(barcodes)) == len(barcodes)
    for row in PRODUCTS:
        assert set(row.shopify) <= set(LOCATIONS)
        assert set(row.odoo) == {"A", "B"}
        for name, qty in row.open_orders:
            assert 0 < qty <= row.shopify[name]
    assert sum(len(row.open_orders) for row in PRODUCTS) >= 3
    mismatched = [
        row
        for row in PRODUCTS
        if row.odoo["A"] != row.shopify.get(LOCATIONS[0], 0)
        or row.odoo["B"] != row.shopify.get(LOCATIONS[1], 0)
    ]
    assert 3 <= len(mismatched) <= 8
    assert all(row.note for row in mismatched)


def test_app_scopes_cover_the_addon_and_every_webhook_topic():
    assert set(REQUIRED_SCOPES) <= set(SCOPES)
    for topic, needed in TOPIC_SCOPES.items():
        assert set(needed) & set(SCOPES), topic


@pytest.fixture
def seeded() -> Iterator[tuple[Simulator, Any]]:
    with Simulator(realtime=True, domain=DOMAIN) as sim:
        yield sim, seed(sim)


def test_seed_stocks_the_simulator_as_the_data_says(seeded):
    sim, made = seeded
    assert list(made.locations) == list(LOCATIONS)
    assert set(made.variants) == {row.key for row in PRODUCTS}
    for row in PRODUCTS:
        handle = made.variants[row.key]
        assert (handle.sku, handle.barcode) == (row.sku, row.barcode or None)
        for name, gid in made.locations.items():
            ordered = sum(qty for where, qty in row.open_orders if where == name)
            expected = (
                None
                if name not in row.shopify
                else {
                    "available": row.shopify[name] - ordered,
                    "committed": ordered,
                    "on_hand": row.shopify[name],
                }
            )
            assert sim.level(handle.inventory_item_id, gid) == expected, row.key


def test_seeded_app_gets_a_token_and_signs_webhooks_with_its_secret(seeded, receiver):
    sim, made = seeded
    grant = requests.post(
        f"{sim.base_url}/admin/oauth/access_token",
        data={
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        },
        timeout=10,
    )
    assert grant.status_code == 200
    assert grant.json()["scope"].split(",") == list(SCOPES)
    sim.add_subscription("INVENTORY_LEVELS_UPDATE", receiver.url)
    tee = made.variants["TEE-CLS-M"]
    sim.place_order(tee.inventory_item_id, made.locations[LOCATIONS[0]], 1)
    assert sim.webhooks.deliver() == [200]
    headers, body = receiver.received[0]
    assert verify(headers, body, [CLIENT_SECRET]) == 0
    assert headers["X-Shopify-Shop-Domain"] == DOMAIN


# The saved state ---------------------------------------------------------------------


def test_state_round_trips_with_new_locks_and_a_clock_going_on(seeded, receiver):
    sim, made = seeded
    sim.add_subscription("INVENTORY_LEVELS_UPDATE", receiver.url)
    tee, main = made.variants["TEE-CLS-S"], made.locations[LOCATIONS[0]]
    sim.place_order(tee.inventory_item_id, main, 2)
    saved_at = sim.clock.now()
    shop, extra = load(dump(sim.shop, {"sent_total": 7}))
    assert extra == {"sent_total": 7}
    assert shop.lock is not sim.shop.lock
    assert shop.webhooks.lock is shop.lock
    assert shop.clock.now() >= saved_at
    with Simulator(shop=shop) as again:
        assert again.domain == DOMAIN
        assert again.subscriptions() == sim.subscriptions()
        assert len(again.webhooks.payloads()) == 1
        for row in PRODUCTS:
            item = made.variants[row.key].inventory_item_id
            for gid in made.locations.values():
                assert again.level(item, gid) == sim.level(item, gid)
        # The id counters went on: a new variant takes the next numbers.
        assert again.add_variant("NEW").id == sim.add_variant("NEW").id
        again.edit_on_hand(tee.inventory_item_id, main, value=1)
        assert again.level(tee.inventory_item_id, main)["on_hand"] == 1
        assert sim.level(tee.inventory_item_id, main)["on_hand"] == 12


def test_shop_bytes_change_with_the_shop_only(seeded):
    sim, made = seeded
    before = shop_bytes(sim.shop)
    sim.clock.advance(60)
    assert shop_bytes(sim.shop) == before
    bottle = made.variants["BTL-WTR"].inventory_item_id
    sim.edit_on_hand(bottle, made.locations[LOCATIONS[1]], value=3)
    assert shop_bytes(sim.shop) != before


@pytest.mark.parametrize(
    "data",
    [
        b"not a pickle",
        pickle.dumps({"format": 99}),
        pickle.dumps(["a list"]),
        pickle.dumps(
            {"format": 1, "clock": ("real", 0.0), "shop": pickle.dumps(3), "extra": {}}
        ),
    ],
)
def test_unreadable_states_are_refused(data):
    with pytest.raises(StateError):
        load(data)


def test_a_state_of_another_shop_version_is_refused(seeded):
    sim, _made = seeded
    del sim.shop.apps  # as if saved before ``Shop`` had ``apps``
    with pytest.raises(StateError, match="another version"):
        load(dump(sim.shop))
    sim.shop.apps = {}


# The page and its actions, in process ----------------------------------------------


@pytest.fixture
def page(seeded) -> tuple[str, Simulator, Any]:
    sim, made = seeded
    sandbox_page.install(sim)
    return sim.base_url, sim, made


def post(base: str, path: str, **given: Any) -> requests.Response:
    return requests.post(base + path, json=given, timeout=10)


def test_page_lists_every_level_escaped_with_its_forms(page):
    base, sim, made = page
    loc = made.locations[LOCATIONS[0]]
    odd = sim.add_variant("<b>X&Y</b>", product_title="<script>alert(1)</script>")
    sim.set_level(odd.inventory_item_id, loc, available=2)
    answer = requests.get(base + "/sandbox", timeout=10)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/html")
    text = answer.text
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "&lt;b&gt;X&amp;Y&lt;/b&gt;" in text
    levels = sum(len(row.shopify) for row in PRODUCTS) + 1
    assert text.count(">Sell 1</button>") == levels
    assert text.count("name='on_hand'") == levels
    assert "location.reload" in text
    assert "src=" not in text and "<link" not in text  # no external asset


def test_state_json_lists_locations_levels_and_webhooks(page):
    base, _sim, made = page
    state = requests.get(base + "/sandbox/state.json", timeout=10).json()
    assert state["locations"] == [
        {"gid": gid, "name": name} for name, gid in made.locations.items()
    ]
    assert len(state["levels"]) == sum(len(row.shopify) for row in PRODUCTS)
    assert state["webhooks"] == {"subscriptions": 0, "sent": 0, "pending": 0}
    tee = next(
        lvl
        for lvl in state["levels"]
        if lvl["sku"] == "TEE-CLS-S" and lvl["location"] == LOCATIONS[0]
    )
    assert tee == {
        "sku": "TEE-CLS-S",
        "barcode": made.variants["TEE-CLS-S"].barcode,
        "product": "Classic Tee",
        "variant": "S",
        "item_gid": made.variants["TEE-CLS-S"].inventory_item_id,
        "location_gid": made.locations[LOCATIONS[0]],
        "location": LOCATIONS[0],
        "available": 11,
        "committed": 1,
        "on_hand": 12,
    }


def test_sell_and_set_move_the_level_and_queue_webhooks(page, receiver):
    base, sim, made = page
    sim.add_subscription("INVENTORY_LEVELS_UPDATE", receiver.url)
    item = made.variants["BEANIE-GRY"].inventory_item_id
    loc = made.locations[LOCATIONS[1]]
    sold = post(base, "/sandbox/sell", item_gid=item, location_gid=loc, qty=2)
    assert sold.status_code == 200
    assert sold.json()["level"]["available"] == 1
    assert sold.json()["level"]["committed"] == 2
    form = {"item_gid": item, "location_gid": loc, "on_hand": "10"}
    counted = requests.post(
        base + "/sandbox/set", data=form, allow_redirects=False, timeout=10
    )
    assert (counted.status_code, counted.headers["Location"]) == (303, "/sandbox")
    assert sim.level(item, loc) == {"available": 8, "committed": 2, "on_hand": 10}
    assert sim.webhooks.deliver() == [200, 200]
    events = [inventory_level_event(h, b) for h, b in receiver.received]
    assert [e.available for e in events] == [1, 8]


def test_a_form_sale_defaults_to_one_unit(page):
    base, sim, made = page
    item = made.variants["PIN-SET"].inventory_item_id
    loc = made.locations[LOCATIONS[0]]
    answer = requests.post(
        base + "/sandbox/sell",
        data={"item_gid": item, "location_gid": loc, "qty": ""},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 303
    assert sim.level(item, loc)["committed"] == 1


@pytest.mark.parametrize(
    ("path", "given", "message"),
    [
        ("/sandbox/sell", {"location_gid": "L"}, "item_gid is required"),
        ("/sandbox/sell", {"item_gid": "I"}, "location_gid is required"),
        ("/sandbox/sell", {"item_gid": "x", "location_gid": "L"}, "no inventory item"),
        ("/sandbox/sell", {"item_gid": "I", "location_gid": "x"}, "no location"),
        ("/sandbox/sell", {"item_gid": "I", "location_gid": "L", "qty": "0"}, "qty"),
        ("/sandbox/sell", {"item_gid": "I", "location_gid": "L", "qty": 99}, "only 6"),
        ("/sandbox/sell", {"item_gid": "C", "location_gid": "L"}, "not stocked"),
        ("/sandbox/set", {"item_gid": "I", "location_gid": "L"}, "on_hand is required"),
        (
            "/sandbox/set",
            {"item_gid": "I", "location_gid": "L", "on_hand": "2.5"},
            "on_hand must be a whole number",
        ),
        (
            "/sandbox/set",
            {"item_gid": "I", "location_gid": "L", "on_hand": -1},
            "between 0 and",
        ),
    ],
)
def test_bad_input_is_answered_400_with_what_is_wrong(page, path, given, message):
    base, sim, made = page
    names = {
        "I": made.variants["TEE-ORG-S"].inventory_item_id,
        "C": made.variants["CANDLE-01"].inventory_item_id,
        "L": made.locations[LOCATIONS[0]],
    }
    fields = {key: names.get(value, value) for key, value in given.items()}
    before = requests.get(base + "/sandbox/state.json", timeout=10).json()
    answer = post(base, path, **fields)
    assert answer.status_code == 400
    assert message in answer.json()["error"]
    as_form = requests.post(base + path, data=fields, timeout=10)
    assert as_form.status_code == 400
    assert "Back to the shop" in as_form.text
    assert requests.get(base + "/sandbox/state.json", timeout=10).json() == before


@pytest.mark.parametrize(
    ("body", "message"),
    [(b"{not json", "not valid JSON"), (b"[1, 2]", "JSON object")],
)
def test_a_body_that_is_no_json_object_is_answered_400(page, body, message):
    base, _sim, _made = page
    answer = requests.post(
        base + "/sandbox/sell",
        data=body,
        headers={"content-type": "application/json"},  # names in any case
        timeout=10,
    )
    assert answer.status_code == 400
    assert message in answer.json()["error"]


def test_a_post_from_another_site_is_refused(page):
    base, sim, made = page
    item = made.variants["TEE-ORG-S"].inventory_item_id
    loc = made.locations[LOCATIONS[0]]
    answer = requests.post(
        base + "/sandbox/sell",
        data={"item_gid": item, "location_gid": loc},
        headers={"Origin": "http://elsewhere.example"},
        timeout=10,
    )
    assert answer.status_code == 403
    assert sim.level(item, loc)["committed"] == 0


def test_shopify_routes_are_unchanged_beside_the_pages(page):
    base, _sim, _made = page
    assert requests.get(base + "/bulk/1.jsonl", timeout=10).status_code == 404
    assert requests.get(base + "/nowhere", timeout=10).status_code == 404
    assert requests.post(base + "/sandbox", timeout=10).status_code == 404
    graphql = requests.post(
        base + "/admin/api/2026-10/graphql.json",
        json={"query": "{shop{id}}"},
        timeout=10,
    )
    assert graphql.status_code == 401


def test_the_simulator_listens_on_loopback_only():
    with pytest.raises(ValueError, match="loopback"):
        Simulator(host="0.0.0.0")


# The process's background work, in process ------------------------------------------


def test_deliveries_reach_loopback_only_and_a_failure_says_so(seeded, tmp_path):
    sim, made = seeded
    failing, answering = Receiver(status=500), Receiver()
    try:
        sim.add_subscription("INVENTORY_LEVELS_UPDATE", "https://example.com/hook")
        sim.add_subscription("INVENTORY_LEVELS_UPDATE", answering.url)
        work = Sandbox(sim, tmp_path / "shop.state", sent_total=5)
        item = made.variants["MUG-WHT"].inventory_item_id
        sim.place_order(item, made.locations[LOCATIONS[0]], 1)
        assert work.deliver_once() is True
        assert len(answering.received) == 1
        assert sim.webhooks.pending == []  # the one to example.com was dropped
        assert work.sent() == 6
        assert work.deliver_once() is True  # nothing pending: nothing sent
        assert work.sent() == 6
        sim.add_subscription("INVENTORY_LEVELS_UPDATE", failing.url)
        sim.place_order(item, made.locations[LOCATIONS[0]], 1)
        assert work.deliver_once() is False
        assert len(sim.webhooks.pending) == 1  # kept for the next round
    finally:
        failing.close()
        answering.close()


def test_the_state_file_is_written_when_the_shop_changed(seeded, tmp_path):
    sim, made = seeded
    path = tmp_path / "deep" / "shop.state"
    work = Sandbox(sim, path)
    assert work.save() is True
    assert work.save() is False
    assert list(path.parent.iterdir()) == [path]  # no temporary file left
    item = made.variants["NOTE-A5"].inventory_item_id
    sim.edit_on_hand(item, made.locations[LOCATIONS[1]], value=12)
    assert work.save() is True
    shop, extra = load(path.read_bytes())
    assert extra == {"sent_total": 0, "shop_id": work.shop_id}
    assert shop.levels == sim.shop.levels


# The process ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Process:
    """The sandbox process, started from the repository root as ``run.sh`` would."""

    def __init__(self, state: Path, port: int) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.simulator.sandbox",
                "--port",
                str(port),
                "--state",
                str(state),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.ready = json.loads(self._first_line())
        self.base = self.ready["base_url"]

    def _first_line(self) -> str:
        assert self.proc.stdout is not None
        readable, _, _ = select.select([self.proc.stdout], [], [], DEADLINE)
        if not readable:
            self.kill()
            pytest.fail("the sandbox printed no ready line")
        return self.proc.stdout.readline()

    def state(self) -> dict[str, Any]:
        return requests.get(self.base + "/sandbox/state.json", timeout=10).json()

    def stop(self, signum: int = signal.SIGTERM) -> tuple[int, str]:
        """Signal it to stop; its exit code and what it logged."""
        self.proc.send_signal(signum)
        _out, err = self.proc.communicate(timeout=DEADLINE)
        return self.proc.returncode, err

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate(timeout=DEADLINE)


@pytest.fixture
def start(tmp_path) -> Iterator[Callable[..., Process]]:
    started: list[Process] = []

    def run(state: Path | None = None, port: int | None = None) -> Process:
        sandbox = Process(state or tmp_path / "shop.state", port or free_port())
        started.append(sandbox)
        return sandbox

    yield run
    for sandbox in started:
        sandbox.kill()


def level_of(state: dict[str, Any], sku: str, location: str) -> dict[str, Any]:
    return next(
        lvl
        for lvl in state["levels"]
        if lvl["sku"] == sku and lvl["location"] == location
    )


def subscribe(base: str, uri: str) -> None:
    """Subscribe ``uri`` to level updates as the addon does: a token from the
    client-credentials grant, then ``webhookSubscriptionCreate``."""
    grant = requests.post(
        base + "/admin/oauth/access_token",
        data={
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        },
        timeout=10,
    ).json()
    api = RawClient(base, grant["access_token"])
    made = api.data(
        documents.WEBHOOK_SUBSCRIPTION_CREATE, topic="INVENTORY_LEVELS_UPDATE", uri=uri
    )
    assert made["webhookSubscriptionCreate"]["userErrors"] == []


def test_the_process_serves_sells_sets_and_delivers_webhooks(start, receiver):
    port = free_port()
    sandbox = start(port=port)
    shop_id = sandbox.ready["shop"]
    assert len(shop_id) == 32 and int(shop_id, 16) >= 0
    assert sandbox.ready == {
        "ready": True,
        "shop": shop_id,
        "base_url": f"http://127.0.0.1:{port}",
        "domain": DOMAIN,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "page": f"http://127.0.0.1:{port}/sandbox",
    }
    state = sandbox.state()
    assert [loc["name"] for loc in state["locations"]] == list(LOCATIONS)
    assert len(state["levels"]) == sum(len(row.shopify) for row in PRODUCTS)
    subscribe(sandbox.base, receiver.url)
    wallet = level_of(state, "WALLET-LTH", LOCATIONS[0])
    target = {"item_gid": wallet["item_gid"], "location_gid": wallet["location_gid"]}
    sold = post(sandbox.base, "/sandbox/sell", **target).json()["level"]
    assert (sold["available"], sold["committed"]) == (3, 2)
    counted = post(sandbox.base, "/sandbox/set", **target, on_hand=9).json()["level"]
    assert (counted["available"], counted["on_hand"]) == (7, 9)
    until(lambda: len(receiver.received) >= 2, "two webhook deliveries")
    for headers, body in receiver.received:
        assert verify(headers, body, [CLIENT_SECRET]) == 0
    events = [inventory_level_event(h, b) for h, b in receiver.received]
    assert [e.available for e in events] == [3, 7]
    assert {e.key.inventory_item_id for e in events} == {wallet["item_gid"]}
    hooks = until(
        lambda: (w := sandbox.state()["webhooks"])["sent"] == 2 and w,
        "both deliveries counted",
    )
    assert hooks == {"subscriptions": 1, "sent": 2, "pending": 0}
    bad = post(sandbox.base, "/sandbox/set", **target, on_hand="many")
    assert bad.status_code == 400
    assert "on_hand must be a whole number" in bad.json()["error"]
    page = requests.get(sandbox.ready["page"], timeout=10)
    assert "Leather Wallet" in page.text
    code, _err = sandbox.stop()
    assert code == 0


def test_the_shop_survives_a_restart(start, tmp_path, receiver):
    port, path = free_port(), tmp_path / "kept.state"
    first = start(path, port)
    subscribe(first.base, receiver.url)
    candle = level_of(first.state(), "CANDLE-01", LOCATIONS[1])
    target = {"item_gid": candle["item_gid"], "location_gid": candle["location_gid"]}
    post(first.base, "/sandbox/sell", **target, qty=3)
    until(lambda: first.state()["webhooks"]["sent"] == 1, "the sale's webhook")
    before = first.state()
    code, err = first.stop()
    assert code == 0
    assert "saved" in err
    second = start(path, port)
    assert second.ready == first.ready
    assert second.state() == before
    assert level_of(second.state(), "CANDLE-01", LOCATIONS[1])["committed"] == 3
    post(second.base, "/sandbox/set", **target, on_hand=0)
    until(lambda: len(receiver.received) == 2, "the restarted shop's webhook")
    assert second.stop()[0] == 0


def test_an_unreadable_state_is_set_aside_and_the_shop_starts_afresh(start, tmp_path):
    path = tmp_path / "broken.state"
    path.write_bytes(b"\x80\x05 half a pickle")
    sandbox = start(path)
    assert len(sandbox.state()["levels"]) == sum(len(row.shopify) for row in PRODUCTS)
    code, err = sandbox.stop(signal.SIGINT)  # Ctrl-C saves and exits 0 too
    assert code == 0
    aside = list(tmp_path.glob("broken.state.bad-*"))
    assert len(aside) == 1
    assert aside[0].read_bytes() == b"\x80\x05 half a pickle"
    assert f"cannot read {path}" in err
    assert load(path.read_bytes())[0].domain == DOMAIN
