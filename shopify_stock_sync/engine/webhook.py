"""Shopify webhooks: verify the signature, then normalise inventory level payloads.

Shopify signs the raw request body: ``base64(HMAC-SHA256(client secret, body))`` in
the ``X-Shopify-Hmac-Sha256`` header.  The check runs on the raw bytes, before any JSON
parsing, in constant time, against every secret given (the current one and, during a
rotation, the previous one).  No exception raised here carries a secret or the body.

>>> body = b'{"inventory_item_id": 7, "location_id": 3, "available": 5,' \\
...        b' "updated_at": "2026-10-01T10:00:00-04:00"}'
>>> headers = {
...     "x-shopify-hmac-sha256": signature("s3cret", body),
...     "X-Shopify-Topic": "inventory_levels/update",
...     "X-Shopify-Webhook-Id": "b1",
...     "X-Shopify-Shop-Domain": "demo.myshopify.com",
... }
>>> verify(headers, body, ["s3cret"])
0
>>> event = inventory_level_event(headers, body)
>>> event.key.inventory_item_id, event.available, event.updated_at.isoformat()
('gid://shopify/InventoryItem/7', 5, '2026-10-01T10:00:00-04:00')
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .data import LevelKey

# 1 MiB: an inventory level payload is a few hundred bytes.
DEFAULT_MAX_BODY = 1024 * 1024

HMAC_HEADER = "X-Shopify-Hmac-Sha256"
TOPIC_HEADER = "X-Shopify-Topic"
WEBHOOK_ID_HEADER = "X-Shopify-Webhook-Id"
SHOP_HEADER = "X-Shopify-Shop-Domain"
TRIGGERED_AT_HEADER = "X-Shopify-Triggered-At"
API_VERSION_HEADER = "X-Shopify-API-Version"
EVENT_ID_HEADER = "X-Shopify-Event-Id"

LEVEL_UPDATE = "inventory_levels/update"
LEVEL_CONNECT = "inventory_levels/connect"
LEVEL_DISCONNECT = "inventory_levels/disconnect"
LEVEL_TOPICS = frozenset({LEVEL_UPDATE, LEVEL_CONNECT, LEVEL_DISCONNECT})
# a location created, renamed, moved, (de)activated or deleted: the shop's locations
# are read again (the body is not needed: the read is the truth)
LOCATION_TOPICS = frozenset(
    {
        "locations/create",
        "locations/update",
        "locations/delete",
        "locations/activate",
        "locations/deactivate",
    }
)

_SHOP_DOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")
_DIGITS = re.compile(r"^[0-9]+$")


class WebhookError(Exception):
    """Base class: the delivery cannot be accepted; ``str()`` is an message."""


class WebhookRejected(WebhookError):
    """The delivery is not proven to come from Shopify (answer 401)."""


class MissingSignature(WebhookRejected):
    """No (or a blank) ``X-Shopify-Hmac-Sha256`` header."""


class InvalidSignature(WebhookRejected):
    """The signature matches no secret: forged, tampered with, or a wrong secret."""


class BodyTooLarge(WebhookRejected):
    """The body is over the size limit (answer 413); it was not read for a signature."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(
            f"The webhook body is {size} bytes, over the limit of {limit} bytes; "
            "it was refused unread."
        )
        self.size = size
        self.limit = limit


class NoSecret(WebhookError):
    """No usable secret is configured: a setup problem, never the sender's fault."""


class UnsupportedTopic(WebhookError):
    """The topic is not one this endpoint handles."""


class MalformedWebhook(WebhookError):
    """A header or payload field is missing or wrong; ``field`` names it."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"Webhook field {field!r}: {problem}.")
        self.field = field
        self.problem = problem


@dataclass(frozen=True)
class InventoryLevelEvent:
    """One ``inventory_levels/*`` delivery, normalised.

    ``available`` is None for ``disconnect`` (and when Shopify sends null);
    ``updated_at`` is None only for ``disconnect``.  ``webhook_id`` is the dedup key.
    """

    topic: str
    key: LevelKey
    available: int | None
    updated_at: datetime | None
    webhook_id: str
    shop_domain: str
    triggered_at: datetime | None = None
    api_version: str | None = None
    event_id: str | None = None


def signature(secret: str | bytes, body: bytes) -> str:
    """The value Shopify puts in ``X-Shopify-Hmac-Sha256`` for ``body``."""
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    digest = hmac.new(key, bytes(body), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header's value, the name looked up case-insensitively (HTTP/2 lowercases)."""
    value = headers.get(name)
    if value is None:
        wanted = name.lower()
        for candidate, candidate_value in headers.items():
            if candidate.lower() == wanted:
                value = candidate_value
                break
    return value


def check_size(headers: Mapping[str, str], max_body: int = DEFAULT_MAX_BODY) -> None:
    """Refuse a delivery whose declared ``Content-Length`` is over the limit.

    Lets an endpoint refuse before reading the body; :func:`verify` checks the real
    size.
    """
    declared = (header(headers, "Content-Length") or "").strip()
    if _DIGITS.match(declared) and int(declared) > max_body:
        raise BodyTooLarge(int(declared), max_body)


def verify(
    headers: Mapping[str, str],
    body: bytes,
    secrets: Iterable[str | bytes | None],
    max_body: int = DEFAULT_MAX_BODY,
) -> int:
    """Check the delivery's signature; return the position of the secret that matched.

    Blank entries of ``secrets`` (an unset previous secret) are skipped; when none is
    left, :class:`NoSecret`.  Every secret is compared, in constant time, whatever
    matched.
    """
    if not isinstance(body, bytes | bytearray | memoryview):
        raise TypeError("verify() needs the raw body bytes, exactly as received.")
    if len(body) > max_body:
        raise BodyTooLarge(len(body), max_body)
    candidates = [
        (position, secret)
        for position, secret in enumerate(secrets)
        if secret and secret.strip()
    ]
    if not candidates:
        raise NoSecret(
            "No webhook secret is configured for this shop: set the app's client "
            "secret (or API secret key) on the shop."
        )
    received = (header(headers, HMAC_HEADER) or "").strip()
    if not received:
        raise MissingSignature(
            f"The delivery has no {HMAC_HEADER} header: it was not sent by Shopify."
        )
    received_bytes = received.encode("utf-8", "replace")
    matched = None
    for position, secret in candidates:
        expected = signature(secret, bytes(body)).encode("ascii")
        if hmac.compare_digest(expected, received_bytes) and matched is None:
            matched = position
    if matched is None:
        raise InvalidSignature(
            "The webhook signature matches none of the shop's secrets: the body was "
            "changed, or the shop's client secret is not the app's current one."
        )
    return matched


def _parse_time(value: Any, field: str) -> datetime:
    if not isinstance(value, str) or not value.strip():
        raise MalformedWebhook(field, "expected an ISO 8601 date and time")
    text = value.strip()
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise MalformedWebhook(
            field, f"{value!r} is not an ISO 8601 date and time"
        ) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise MalformedWebhook(field, f"{value!r} has no time zone")
    return moment


def _legacy_id(payload: Mapping[str, Any], field: str, resource: str) -> str:
    """A legacy integer id (or its GID) turned into ``gid://shopify/<resource>/<id>``."""
    if field not in payload:
        raise MalformedWebhook(field, "missing")
    value = payload[field]
    prefix = f"gid://shopify/{resource}/"
    if isinstance(value, str) and value.startswith(prefix):
        value = value[len(prefix) :]
    if isinstance(value, str) and _DIGITS.match(value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise MalformedWebhook(field, f"expected a positive integer id, got {value!r}")
    return f"{prefix}{value}"


def _available(payload: Mapping[str, Any]) -> int | None:
    if "available" not in payload:
        raise MalformedWebhook("available", "missing")
    value = payload["available"]
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedWebhook("available", f"expected an integer, got {value!r}")
    return value


def _required_header(headers: Mapping[str, str], name: str) -> str:
    value = (header(headers, name) or "").strip()
    if not value:
        raise MalformedWebhook(name, "missing header")
    return value


def is_location_change(headers: Mapping[str, str]) -> bool:
    """Whether a delivery says one of the shop's locations changed (``locations/*``):
    the Odoo side then reads the shop's locations again.

    >>> is_location_change({"X-Shopify-Topic": "locations/deactivate"})
    True
    >>> is_location_change({"x-shopify-topic": "inventory_levels/update"})
    False
    """
    return (header(headers, TOPIC_HEADER) or "").strip().lower() in LOCATION_TOPICS


def inventory_level_event(
    headers: Mapping[str, str], body: bytes | str
) -> InventoryLevelEvent:
    """Normalise a verified ``inventory_levels/*`` delivery.

    Call :func:`verify` first: this only reads.  Raises :class:`UnsupportedTopic` for
    other topics and :class:`MalformedWebhook` naming the first wrong field.
    """
    topic = _required_header(headers, TOPIC_HEADER).lower()
    if topic not in LEVEL_TOPICS:
        raise UnsupportedTopic(
            f"Webhook topic {topic!r} is not a level change; this endpoint takes "
            f"{', '.join(sorted(LEVEL_TOPICS | LOCATION_TOPICS))}."
        )
    webhook_id = _required_header(headers, WEBHOOK_ID_HEADER)
    shop_domain = _required_header(headers, SHOP_HEADER).lower()
    if not _SHOP_DOMAIN.match(shop_domain):
        raise MalformedWebhook(SHOP_HEADER, f"{shop_domain!r} is not a *.myshopify.com")
    triggered = header(headers, TRIGGERED_AT_HEADER)
    triggered_at = (
        _parse_time(triggered, TRIGGERED_AT_HEADER) if triggered is not None else None
    )
    try:
        payload = json.loads(body)
    except (ValueError, TypeError):  # UnicodeDecodeError is a ValueError
        raise MalformedWebhook("body", "not a JSON document") from None
    if not isinstance(payload, dict):
        raise MalformedWebhook("body", "expected a JSON object")
    key = LevelKey(
        _legacy_id(payload, "inventory_item_id", "InventoryItem"),
        _legacy_id(payload, "location_id", "Location"),
    )
    available = None
    updated_at = None
    if topic != LEVEL_DISCONNECT:
        available = _available(payload)
        updated_at = _parse_time(payload.get("updated_at"), "updated_at")
    elif payload.get("updated_at") is not None:
        updated_at = _parse_time(payload["updated_at"], "updated_at")
    return InventoryLevelEvent(
        topic=topic,
        key=key,
        available=available,
        updated_at=updated_at,
        webhook_id=webhook_id,
        shop_domain=shop_domain,
        triggered_at=triggered_at,
        api_version=(header(headers, API_VERSION_HEADER) or "").strip() or None,
        event_id=(header(headers, EVENT_ID_HEADER) or "").strip() or None,
    )
