"""``bash run.sh`` serves the sandbox it promises, and Ctrl-C leaves nothing behind.

Starts the sandbox on free ports with its own data directory, as a merchant would start
it, then: a warehouse user validates a receipt over JSON-RPC and the simulator's level
follows through queue_job's runner; a unit sold in the simulator reaches Odoo as a
webhook event; Ctrl-C (SIGINT to the process group, as a terminal sends it) stops Odoo,
the simulator and PostgreSQL.  Every wait is bounded; nothing is timed.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
DB = "shopify_sandbox"
READY_LINE = "Ctrl-C stops everything"  # the last line of what run.sh prints
START_DEADLINE = 1500.0  # seconds: a first run may build the Odoo runtime and database
SYNC_DEADLINE = 120.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def listening(port: int) -> bool:
    """Whether a server still accepts connections on the port of 127.0.0.1."""
    with socket.socket() as sock:
        sock.settimeout(2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_for(what: str, condition: Callable[[], Any], deadline: float) -> Any:
    """Poll ``condition`` until it returns a true value, at most ``deadline`` s."""
    end = time.monotonic() + deadline
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"{what}: not within {deadline:.0f} s")
        time.sleep(0.5)


@dataclass
class Sandbox:
    process: subprocess.Popen[str]
    data_dir: Path
    odoo_url: str
    sim_url: str
    output: list[str]

    def log_tail(self) -> str:
        logs = self.data_dir / "logs"
        parts = ["".join(self.output[-40:])]
        for name in ("odoo.log", "setup.out", "simulator.log"):
            path = logs / name
            if path.exists():
                parts.append(f"--- {name}\n" + path.read_text()[-4000:])
        return "\n".join(parts)


class Odoo:
    """JSON-RPC as one user, with the web client's session."""

    def __init__(self, url: str, login: str) -> None:
        self.url = url
        self.http = requests.Session()
        answer = self.http.post(
            f"{url}/web/session/authenticate",
            json={
                "jsonrpc": "2.0",
                "params": {"db": DB, "login": login, "password": login},
            },
            timeout=60,
        ).json()
        assert answer.get("result", {}).get("uid"), answer

    def call(self, model: str, method: str, *args: Any, **kwargs: Any) -> Any:
        answer = self.http.post(
            f"{self.url}/web/dataset/call_kw",
            json={
                "jsonrpc": "2.0",
                "params": {
                    "model": model,
                    "method": method,
                    "args": list(args),
                    "kwargs": kwargs,
                },
            },
            timeout=120,
        ).json()
        assert "error" not in answer, json.dumps(answer["error"], indent=1)[:3000]
        return answer["result"]


def stop_leftovers(data_dir: Path) -> None:
    """After a failure only: stop a PostgreSQL the sandbox could not stop itself."""
    pid_file = data_dir / "pg" / "data" / "postmaster.pid"
    if pid_file.exists():
        try:
            os.kill(int(pid_file.read_text().split()[0]), signal.SIGQUIT)
        except (ProcessLookupError, ValueError):
            pass


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    data_dir = Path(tempfile.mkdtemp(prefix="sandbox-smoke-"))
    data_dir.chmod(0o711)  # the cluster's owner (postgres, as root) must reach it
    odoo_port, sim_port = free_port(), free_port()
    process = subprocess.Popen(
        [
            "bash",
            str(REPO / "run.sh"),
            "--port",
            str(odoo_port),
            "--sim-port",
            str(sim_port),
            "--data-dir",
            str(data_dir),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, as in a terminal
    )
    output: list[str] = []
    box = Sandbox(
        process,
        data_dir,
        f"http://127.0.0.1:{odoo_port}",
        f"http://127.0.0.1:{sim_port}",
        output,
    )
    try:
        end = time.monotonic() + START_DEADLINE
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            if READY_LINE in line or time.monotonic() > end:
                break
        assert any(READY_LINE in line for line in output), box.log_tail()
        yield box
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=90)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        stop_leftovers(data_dir)
        shutil.rmtree(data_dir, ignore_errors=True)


def sim_state(box: Sandbox) -> dict[str, Any]:
    return requests.get(f"{box.sim_url}/sandbox/state.json", timeout=10).json()


def sim_level(box: Sandbox, item_gid: str, location: str) -> dict[str, Any] | None:
    return next(
        (
            level
            for level in sim_state(box)["levels"]
            if level["item_gid"] == item_gid and level["location"] == location
        ),
        None,
    )


def linked_product_at(admin: Odoo, location: str) -> tuple[dict, dict]:
    """A linked product and the mapping of the Shopify location named ``location``."""
    [mapping] = admin.call(
        "shopify.location.mapping",
        "search_read",
        [("shopify_location_name", "=", location)],
        ["location_ids", "direction"],
    )
    [link] = admin.call(
        "shopify.variant.link",
        "search_read",
        [("product_id.default_code", "!=", False)],
        ["product_id", "inventory_item_gid"],
        limit=1,
        order="id",
    )
    return link, mapping


def test_the_sandbox_prints_true_things(sandbox: Sandbox) -> None:
    text = "".join(sandbox.output)
    assert sandbox.odoo_url in text and f"{sandbox.sim_url}/sandbox" in text
    assert requests.get(f"{sandbox.sim_url}/sandbox", timeout=10).status_code == 200
    assert requests.get(f"{sandbox.odoo_url}/web/login", timeout=30).status_code == 200
    admin = Odoo(sandbox.odoo_url, "admin")
    [shop] = admin.call(
        "shopify.shop", "search_read", [], ["name", "state", "is_sandbox"]
    )
    assert (shop["name"], shop["state"], shop["is_sandbox"]) == (
        "Sandbox",
        "connected",
        True,
    )
    directions = admin.call(
        "shopify.location.mapping", "search_read", [], ["direction"]
    )
    assert {"odoo_to_shopify", "two_way"} <= {d["direction"] for d in directions}
    assert admin.call("shopify.variant.link", "search_count", []) >= 10


def test_a_receipt_reaches_the_simulator(sandbox: Sandbox) -> None:
    admin = Odoo(sandbox.odoo_url, "admin")
    link, mapping = linked_product_at(admin, "Main Warehouse")
    assert mapping["direction"] == "odoo_to_shopify"
    product_id, shelf_id = link["product_id"][0], mapping["location_ids"][0]

    warehouse = Odoo(sandbox.odoo_url, "warehouse")
    [receipt_type] = warehouse.call(
        "stock.picking.type",
        "search_read",
        [("code", "=", "incoming")],
        ["default_location_src_id"],
        limit=1,
    )
    source = receipt_type["default_location_src_id"][0]
    picking = warehouse.call(
        "stock.picking",
        "create",
        {
            "picking_type_id": receipt_type["id"],
            "location_id": source,
            "location_dest_id": shelf_id,
            "move_ids": [
                (
                    0,
                    0,
                    {
                        "product_id": product_id,
                        "product_uom_qty": 7,
                        "location_id": source,
                        "location_dest_id": shelf_id,
                    },
                )
            ],
        },
    )
    warehouse.call("stock.picking", "action_confirm", [picking])
    [move] = warehouse.call(
        "stock.move", "search_read", [("picking_id", "=", picking)], ["id"]
    )
    warehouse.call("stock.move", "write", [move["id"]], {"quantity": 7, "picked": True})
    warehouse.call("stock.picking", "button_validate", [picking])
    [state] = warehouse.call("stock.picking", "read", [picking], ["state"])
    assert state["state"] == "done", state

    [odoo_qty] = admin.call(
        "product.product",
        "read",
        [product_id],
        ["free_qty"],
        context={"location": shelf_id},
    )

    def pushed() -> bool:
        level = sim_level(sandbox, link["inventory_item_gid"], "Main Warehouse")
        return bool(level) and level["on_hand"] == odoo_qty["free_qty"]

    try:
        wait_for("the receipt's quantity in the simulator", pushed, SYNC_DEADLINE)
    except AssertionError:
        level = sim_level(sandbox, link["inventory_item_gid"], "Main Warehouse")
        raise AssertionError(
            f"Odoo {odoo_qty}, simulator {level}\n{sandbox.log_tail()}"
        ) from None


def test_a_sale_in_the_simulator_reaches_odoo(sandbox: Sandbox) -> None:
    admin = Odoo(sandbox.odoo_url, "admin")
    link, mapping = linked_product_at(admin, "Downtown Store")
    assert mapping["direction"] == "two_way"
    level = sim_level(sandbox, link["inventory_item_gid"], "Downtown Store")
    assert level is not None and level["available"] > 0, level
    before = admin.call("shopify.webhook.event", "search_count", [])
    sold = requests.post(
        f"{sandbox.sim_url}/sandbox/sell",
        json={
            "item_gid": link["inventory_item_gid"],
            "location_gid": level["location_gid"],
            "qty": 1,
        },
        timeout=10,
    )
    assert sold.status_code == 200, sold.text
    wait_for(
        "the sale's webhook event in Odoo",
        lambda: admin.call("shopify.webhook.event", "search_count", []) > before,
        SYNC_DEADLINE,
    )


def test_ctrl_c_stops_everything(sandbox: Sandbox) -> None:
    process = sandbox.process
    os.killpg(process.pid, signal.SIGINT)
    process.wait(timeout=90)  # raises if run.sh is still running
    with pytest.raises(ProcessLookupError):
        os.killpg(process.pid, 0)  # no process of the group is left
    odoo_port = int(sandbox.odoo_url.rsplit(":", 1)[1])
    sim_port = int(sandbox.sim_url.rsplit(":", 1)[1])
    assert not listening(odoo_port) and not listening(sim_port)
    assert not (sandbox.data_dir / "pg" / "data" / "postmaster.pid").exists()
