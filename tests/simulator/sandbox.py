"""The sandbox Shopify shop as its own process, kept in a state file between runs.

``python -m tests.simulator.sandbox --port PORT --state FILE [--host 127.0.0.1]``, from
the repository root with the project's ``.venv`` Python:

- serves a ``Simulator(realtime=True, domain=sandbox_seed.DOMAIN)`` on ``host:port``
  (loopback only; port 0: any free one), the GraphQL, token and bulk routes as in the
  tests, plus the sandbox's page and JSON (``sandbox_page``);
- on its first run seeds the shop (``sandbox_seed.seed``); keeps its whole state in
  ``FILE`` (``persist``), written atomically every 2 s when something changed and on
  SIGTERM/SIGINT, and reloads it on the next run (same GIDs, levels, subscriptions,
  tokens, next ids).  A file it cannot read is set aside as ``FILE.bad-<time>`` and
  the shop starts afresh, said on stderr;
- delivers webhooks for real: every 0.5 s the pending deliveries are POSTed to their
  subscriptions' loopback addresses, signed with the app's client secret; after a
  failed POST it waits longer (up to 5 s), as Shopify backs off; a delivery to a
  non-loopback address is dropped and said on stderr (the sandbox reaches no other
  machine);
- when ready, prints one line of JSON on stdout, ``{"ready": true, "base_url",
  "domain", "client_id", "client_secret", "page"}``; logs go to stderr.  Exits 0 on
  SIGTERM/SIGINT after saving; 2 when it cannot start (port taken, host not
  loopback).
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import sandbox_page, sandbox_seed
from .persist import StateError, dump, load, shop_bytes, write_atomic
from .simulator import Simulator
from .webhooks import Webhooks, is_loopback

DELIVER_EVERY = 0.5  # seconds between delivery rounds while they succeed
MAX_BACKOFF = 5.0  # longest wait after failed rounds
SAVE_EVERY = 2.0  # seconds between checks for a change to save
POST_TIMEOUT = 5.0
KEEP_SENT = 500  # POSTs kept in ``webhooks.sent`` (the total is counted apart)

log = logging.getLogger("sandbox")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.simulator.sandbox",
        description="The sandbox Shopify shop: a simulator kept in a state file.",
    )
    parser.add_argument("--port", type=int, required=True, help="0: any free port")
    parser.add_argument("--state", type=Path, required=True, help="the state file")
    parser.add_argument("--host", default="127.0.0.1", help="a loopback address")
    args = parser.parse_args(argv)
    if not is_loopback(f"http://{args.host}/"):
        parser.error(f"--host must be a loopback address, not {args.host!r}")
    return args


def set_aside(path: Path) -> Path:
    """Move an unreadable state file out of the way; returns where it went."""
    target = path.with_name(f"{path.name}.bad-{time.strftime('%Y%m%dT%H%M%S')}")
    path.replace(target)
    return target


def open_shop(path: Path, host: str, port: int) -> tuple[Simulator, dict[str, Any]]:
    """The simulator serving the saved shop, or a new seeded one; and the saved
    extra values (``sent_total``; ``shop_id``, new with each seeded shop, so that
    whoever set Odoo up against an earlier one knows to do it again)."""
    if path.exists():
        try:
            shop, extra = load(path.read_bytes())
        except (StateError, OSError) as exc:
            aside = set_aside(path)
            log.error(
                "cannot read %s (%s): kept as %s, starting afresh", path, exc, aside
            )
        else:
            log.info("restored the shop from %s", path)
            return Simulator(shop=shop, host=host, port=port), extra
    sim = Simulator(realtime=True, domain=sandbox_seed.DOMAIN, host=host, port=port)
    sandbox_seed.seed(sim)
    log.info("seeded a new sandbox shop (%d variants)", len(sandbox_seed.PRODUCTS))
    return sim, {"shop_id": uuid.uuid4().hex}


def drop_outside(webhooks: Webhooks) -> list[str]:
    """Drop the pending deliveries to non-loopback addresses; returns those
    addresses (``Webhooks.deliver`` would refuse every delivery while one is left)."""
    with webhooks.lock:
        outside = sorted({d.uri for d in webhooks.pending if not is_loopback(d.uri)})
        if outside:
            webhooks.pending = [d for d in webhooks.pending if is_loopback(d.uri)]
    return outside


class Sandbox:
    """The background work of the process: delivering and saving, until ``stop``."""

    def __init__(
        self,
        sim: Simulator,
        path: Path,
        sent_total: int = 0,
        stop: threading.Event | None = None,
        shop_id: str = "",
    ) -> None:
        self.sim = sim
        self.path = path
        self.stop = stop or threading.Event()
        self.sent_total = sent_total
        self.shop_id = shop_id or uuid.uuid4().hex
        self._saved: bytes | None = None

    def sent(self) -> int:
        """Webhook POSTs made by this shop, over every run."""
        with self.sim.shop.lock:
            return self.sent_total

    def deliver_once(self) -> bool:
        """POST what is pending; False if any POST failed (to back off)."""
        webhooks = self.sim.webhooks
        for uri in drop_outside(webhooks):
            log.warning("dropped webhooks to %s: the sandbox delivers on loopback", uri)
        with webhooks.lock:
            if not webhooks.pending:
                return True
        statuses = webhooks.deliver(timeout=POST_TIMEOUT)
        with webhooks.lock:
            self.sent_total += len(statuses)
            del webhooks.sent[:-KEEP_SENT]
        log.info("webhooks sent: %s", " ".join(str(s) for s in statuses))
        return all(s is not None and 200 <= s < 300 for s in statuses)

    def deliver_forever(self) -> None:
        failures = 0
        while not self.stop.wait(min(MAX_BACKOFF, DELIVER_EVERY * 2**failures)):
            try:
                failures = 0 if self.deliver_once() else min(failures + 1, 8)
            except Exception:  # never let one bad round end the deliveries
                log.exception("webhook delivery failed")
                failures = min(failures + 1, 8)

    def save(self, force: bool = False) -> bool:
        """Write the state file if the shop changed since the last write (or
        ``force``); returns whether it wrote."""
        shop = self.sim.shop
        with shop.lock:
            now = shop_bytes(shop)
            if now == self._saved and not force:
                return False
            data = dump(shop, {"sent_total": self.sent_total, "shop_id": self.shop_id})
        write_atomic(self.path, data)
        self._saved = now
        return True

    def save_forever(self) -> None:
        while not self.stop.wait(SAVE_EVERY):
            try:
                self.save()
            except OSError:
                log.exception("could not save %s", self.path)

    def start(self) -> list[threading.Thread]:
        threads = [
            threading.Thread(target=self.deliver_forever, name="deliver", daemon=True),
            threading.Thread(target=self.save_forever, name="save", daemon=True),
        ]
        for thread in threads:
            thread.start()
        return threads


def ready_line(sim: Simulator, shop_id: str) -> str:
    """The one line of JSON that says the sandbox is serving (``shop``: the id of
    this seeded shop, the same across restarts)."""
    return json.dumps(
        {
            "ready": True,
            "shop": shop_id,
            "base_url": sim.base_url,
            "domain": sim.domain,
            "client_id": sandbox_seed.CLIENT_ID,
            "client_secret": sandbox_seed.CLIENT_SECRET,
            "page": sim.base_url + sandbox_page.PAGE,
        }
    )


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="sandbox: %(message)s"
    )
    args = parse_args(argv)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    try:
        sim, extra = open_shop(args.state, args.host, args.port)
    except OSError as exc:
        log.error("cannot serve on %s:%s: %s", args.host, args.port, exc)
        return 2
    sandbox = Sandbox(
        sim,
        args.state,
        int(extra.get("sent_total", 0)),
        stop,
        shop_id=str(extra.get("shop_id") or ""),
    )
    sandbox_page.install(sim, sandbox.sent)
    sandbox.save(force=True)
    threads = sandbox.start()
    sys.stdout.write(ready_line(sim, sandbox.shop_id) + "\n")
    sys.stdout.flush()
    while not stop.wait(0.2):
        pass
    log.info("stopping")
    for thread in threads:
        thread.join(timeout=POST_TIMEOUT * 2)
    sandbox.save(force=True)
    sim.close()
    log.info("saved %s", args.state)
    return 0


if __name__ == "__main__":
    sys.exit(main())
