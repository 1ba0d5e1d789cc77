"""Webhook deliveries: what the shop queues when a level or a location changes, signed
as Shopify signs them, and sent to the subscriptions' addresses on demand.

A change queues one delivery per subscription of its topic.  Deliveries wait in
``pending`` until a test calls :meth:`Webhooks.deliver` (which POSTs them, loopback
addresses only) or reads them with :meth:`Webhooks.payloads` to post them itself.

What each delivery carries (FACTS.md §8): the REST resource of the topic as the body,
with legacy integer ids; ``X-Shopify-Hmac-Sha256`` = base64 HMAC-SHA256 of the raw body
with the app's client secret (``secret``); ``X-Shopify-Webhook-Id`` unique per delivery
(a resend keeps it); ``X-Shopify-Event-Id`` shared by every delivery of one change;
``X-Shopify-Triggered-At`` the virtual time of the change, in milliseconds.

Modelled assumptions: bodies are signed when queued (a resend is byte-identical);
REST times are printed in the shop's time zone (``utc_offset``, -05:00 by default);
``filter`` and ``includeFields`` of a subscription are kept but not applied; XML and
non-HTTP (Pub/Sub, EventBridge) subscriptions get no deliveries.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import random
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar
from urllib.parse import urlsplit

import requests

from . import gids

DEFAULT_SECRET = "shpss_simulator_webhook_secret"
DEFAULT_API_VERSION = "2026-10"
ORDERS = ("fifo", "reverse", "shuffle")

LEVEL_UPDATE = "INVENTORY_LEVELS_UPDATE"
LEVEL_CONNECT = "INVENTORY_LEVELS_CONNECT"
LEVEL_DISCONNECT = "INVENTORY_LEVELS_DISCONNECT"
# The topics the simulator emits, with the scope a subscription to each needs.
TOPIC_SCOPES: dict[str, tuple[str, ...]] = {
    LEVEL_UPDATE: ("read_inventory",),
    LEVEL_CONNECT: ("read_inventory",),
    LEVEL_DISCONNECT: ("read_inventory",),
    "LOCATIONS_CREATE": ("read_locations",),
    "LOCATIONS_UPDATE": ("read_locations",),
    "LOCATIONS_DELETE": ("read_locations",),
    "LOCATIONS_ACTIVATE": ("read_locations",),
    "LOCATIONS_DEACTIVATE": ("read_locations",),
}


def header_topic(topic: str) -> str:
    """``INVENTORY_LEVELS_UPDATE`` -> ``inventory_levels/update`` (the header form)."""
    resource, _, action = topic.lower().rpartition("_")
    return f"{resource}/{action}"


def is_loopback(uri: str) -> bool:
    host = urlsplit(uri).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class Subscription:
    typename: ClassVar[str] = "WebhookSubscription"
    number: int
    topic: str
    uri: str
    format: str = "JSON"
    filter: str | None = None
    include_fields: tuple[str, ...] = ()
    name: str | None = None
    created_at: float = 0.0
    updated_at: float = 0.0

    @property
    def gid(self) -> str:
        return gids.gid("WebhookSubscription", self.number)

    @property
    def delivers(self) -> bool:
        """Whether changes reach it here: JSON over HTTP(S)."""
        scheme = urlsplit(self.uri).scheme
        return self.format == "JSON" and scheme in ("http", "https")


@dataclass(frozen=True)
class Delivery:
    """One POST Shopify would make: to ``uri``, with these headers and raw body."""

    subscription: str  # the subscription's GID
    uri: str
    topic: str  # header form: inventory_levels/update
    headers: tuple[tuple[str, str], ...]
    body: bytes
    webhook_id: str
    event_id: str

    def header_dict(self) -> dict[str, str]:
        return dict(self.headers)


@dataclass(frozen=True)
class Sent:
    """What one POST of :meth:`Webhooks.deliver` got: status None if no answer."""

    delivery: Delivery
    status: int | None
    seconds: float
    error: str | None = None


@dataclass
class Webhooks:
    """The shop's webhook subscriptions and its queue of deliveries.

    Guarded by the shop's lock (``lock``); :meth:`deliver` sends without holding it,
    so a receiver may call the simulator back while it is being delivered to.
    """

    lock: Any
    domain: str
    secret: str = DEFAULT_SECRET
    api_version: str = DEFAULT_API_VERSION
    utc_offset: timedelta = timedelta(hours=-5)
    subscriptions: dict[int, Subscription] = field(default_factory=dict)
    pending: list[Delivery] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    _send_lock: threading.Lock = field(default_factory=threading.Lock)

    # Queueing ------------------------------------------------------------------------

    def listening(self, topic: str) -> bool:
        """Whether any subscription would get a delivery of ``topic``."""
        return any(s.topic == topic and s.delivers for s in self.subscriptions.values())

    def emit(self, topic: str, payload: dict[str, Any], triggered_at: float) -> str:
        """Queue ``payload`` for every subscription of ``topic``; returns the event id
        (also when nobody listens)."""
        event_id = str(uuid.uuid4())
        body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
        with self.lock:
            for subscription in sorted(
                self.subscriptions.values(), key=lambda s: s.number
            ):
                if subscription.topic != topic or not subscription.delivers:
                    continue
                self.pending.append(
                    self._delivery(subscription, body, event_id, triggered_at)
                )
        return event_id

    def _delivery(
        self,
        subscription: Subscription,
        body: bytes,
        event_id: str,
        triggered_at: float,
    ) -> Delivery:
        webhook_id = str(uuid.uuid4())
        digest = hmac.new(self.secret.encode("utf-8"), body, hashlib.sha256).digest()
        headers = (
            ("Content-Type", "application/json"),
            ("X-Shopify-Topic", header_topic(subscription.topic)),
            ("X-Shopify-Hmac-Sha256", base64.b64encode(digest).decode("ascii")),
            ("X-Shopify-Shop-Domain", self.domain),
            ("X-Shopify-API-Version", self.api_version),
            ("X-Shopify-Webhook-Id", webhook_id),
            ("X-Shopify-Event-Id", event_id),
            ("X-Shopify-Triggered-At", triggered_iso(triggered_at)),
        )
        if subscription.name:
            headers += (("X-Shopify-Name", subscription.name),)
        return Delivery(
            subscription.gid,
            subscription.uri,
            header_topic(subscription.topic),
            headers,
            body,
            webhook_id,
            event_id,
        )

    def rest_time(self, seconds: float) -> str:
        """A REST payload time: whole seconds in the shop's zone, with its offset."""
        zone = timezone(self.utc_offset)
        return datetime.fromtimestamp(int(seconds), tz=zone).isoformat()

    # Reading and sending --------------------------------------------------------------

    def payloads(self) -> list[tuple[dict[str, str], bytes]]:
        """``(headers, raw body)`` of every pending delivery, oldest first; they stay
        pending."""
        with self.lock:
            return [(d.header_dict(), d.body) for d in self.pending]

    def clear(self) -> int:
        """Drop every pending delivery; returns how many there were."""
        with self.lock:
            count = len(self.pending)
            self.pending.clear()
            return count

    def deliver(
        self,
        order: str = "fifo",
        duplicate: bool = False,
        seed: int = 0,
        *,
        timeout: float = 5.0,
        workers: int = 1,
    ) -> list[int | None]:
        """POST the pending deliveries; return the HTTP statuses in sending order.

        ``order``: ``fifo``, ``reverse`` or ``shuffle`` (repeatable with ``seed``);
        ``duplicate``: each delivery is sent twice (same webhook id and body, as a
        Shopify retry).  A delivery answered 2xx leaves ``pending``; any other answer
        (or none: status None) keeps it there for a later call, as Shopify retries.
        ``workers`` > 1 sends that many at once (then the order is only roughly kept).
        Only loopback addresses are ever contacted: any other refuses the whole call
        (ValueError) before anything is sent.
        """
        if order not in ORDERS:
            raise ValueError(f"order is one of {ORDERS}, not {order!r}")
        with self.lock:
            batch = list(self.pending)
        outside = sorted({d.uri for d in batch if not is_loopback(d.uri)})
        if outside:
            raise ValueError(
                "the simulator delivers webhooks to loopback addresses only; "
                f"refused: {', '.join(outside)}"
            )
        sequence = [d for d in batch for _ in range(2 if duplicate else 1)]
        if order == "reverse":
            sequence.reverse()
        elif order == "shuffle":
            random.Random(seed).shuffle(sequence)
        with self._send_lock, requests.Session() as session:
            post = _poster(session, timeout)
            if workers > 1:
                with ThreadPoolExecutor(max_workers=workers) as pool:
                    results = list(pool.map(post, sequence))
            else:
                results = [post(d) for d in sequence]
        delivered = {r.delivery.webhook_id for r in results if _ok(r.status)}
        with self.lock:
            self.sent.extend(results)
            self.pending = [d for d in self.pending if d.webhook_id not in delivered]
        return [r.status for r in results]


def _ok(status: int | None) -> bool:
    return status is not None and 200 <= status < 300


def _poster(session: requests.Session, timeout: float) -> Callable[[Delivery], Sent]:
    def post(delivery: Delivery) -> Sent:
        started = time.perf_counter()
        try:
            response = session.post(
                delivery.uri,
                data=delivery.body,
                headers=delivery.header_dict(),
                timeout=timeout,
            )
        except requests.RequestException as exc:
            return Sent(
                delivery, None, time.perf_counter() - started, type(exc).__name__
            )
        return Sent(delivery, response.status_code, time.perf_counter() - started)

    return post


def triggered_iso(seconds: float) -> str:
    """``X-Shopify-Triggered-At``: UTC with milliseconds, as Shopify sends it."""
    stamp = datetime.fromtimestamp(seconds, tz=timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


# Payloads (the REST resources) -----------------------------------------------------


def level_payload(
    webhooks: Webhooks, item: int, location: int, available: int, updated_at: float
) -> dict[str, Any]:
    return {
        "inventory_item_id": item,
        "location_id": location,
        "available": available,
        "updated_at": webhooks.rest_time(updated_at),
        "admin_graphql_api_id": gids.level_gid(item, location),
    }


def location_payload(
    webhooks: Webhooks, number: int, name: str, active: bool, moment: float
) -> dict[str, Any]:
    return {
        "id": number,
        "name": name,
        "active": active,
        "updated_at": webhooks.rest_time(moment),
        "admin_graphql_api_id": gids.gid("Location", number),
    }
