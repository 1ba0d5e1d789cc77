"""Webhook subscriptions over the API: ``webhookSubscriptions``,
``webhookSubscription``, ``webhookSubscriptionCreate``, ``webhookSubscriptionDelete``.

Modelled assumptions (``UserError`` has no code; the messages are Shopify's where they
are known from public reports, ours otherwise):

* ``uri`` is required here (``callbackUrl`` is not served): blank is "Address can't be
  blank";
* ``https://``, ``pubsub://`` and ``arn:aws:events:`` addresses are accepted; plain
  ``http://`` only on loopback (Shopify refuses it everywhere: the simulator's own
  receivers are plain HTTP): elsewhere "Address protocol http:// is not supported";
  anything else "Address is invalid";
* the same topic and address twice: "Address for this topic has already been taken";
* a topic whose scope the token lacks (``read_inventory`` for inventory levels,
  ``read_locations`` for locations) is refused on ``topic``;
* deleting an unknown id: "Webhook subscription does not exist" on ``id``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from graphql import GraphQLResolveInfo

from . import gids
from .connections import connection
from .context import attributes, context, resolver
from .state import Shop
from .webhooks import TOPIC_SCOPES, Subscription, header_topic, is_loopback

TAKEN = "Address for this topic has already been taken"
BLANK = "Address can't be blank"
INVALID = "Address is invalid"
HTTP_REFUSED = "Address protocol http:// is not supported"
NOT_FOUND = "Webhook subscription does not exist"


def create_subscription(
    shop: Shop,
    topic: str,
    uri: str,
    format: str = "JSON",  # noqa: A002
    filter: str | None = None,  # noqa: A002
    include_fields: tuple[str, ...] = (),
    name: str | None = None,
) -> Subscription:
    now = shop.clock.now()
    subscription = Subscription(
        shop.next_number("WebhookSubscription"),
        topic,
        uri,
        format,
        filter,
        include_fields,
        name,
        now,
        now,
    )
    shop.webhooks.subscriptions[subscription.number] = subscription
    return subscription


def find_subscription(shop: Shop, gid: object) -> Subscription | None:
    number = gids.parse(gid, "WebhookSubscription")
    return None if number is None else shop.webhooks.subscriptions.get(number)


def _address_problem(uri: str) -> str | None:
    text = uri.strip()
    if not text:
        return BLANK
    if text.startswith("arn:aws:events:"):
        return None
    parts = urlsplit(text)
    if parts.scheme == "pubsub" and parts.netloc:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return INVALID
    if parts.scheme == "http" and not is_loopback(text):
        return HTTP_REFUSED
    return None


@resolver("QueryRoot", "webhookSubscriptions")
def webhook_subscriptions(
    _root: Any,
    info: GraphQLResolveInfo,
    topics: list[str] | None = None,
    uri: str | None = None,
    format: str | None = None,  # noqa: A002
    **page: Any,
) -> dict[str, Any]:
    shop = context(info).shop
    found = [
        s
        for _, s in sorted(shop.webhooks.subscriptions.items())
        if (topics is None or s.topic in topics)
        and (uri is None or s.uri == uri)
        and (format is None or s.format == format)
    ]
    return connection(found, lambda s: s.number, **page)


@resolver("QueryRoot", "webhookSubscription")
def webhook_subscription(
    _root: Any, info: GraphQLResolveInfo, id: str
) -> Subscription | None:
    return find_subscription(context(info).shop, id)


@resolver("Mutation", "webhookSubscriptionCreate")
def webhook_subscription_create(
    _root: Any,
    info: GraphQLResolveInfo,
    topic: str,
    webhookSubscription: dict[str, Any],
) -> dict[str, Any]:
    ctx = context(info)
    shop = ctx.shop
    given = webhookSubscription
    uri = (given.get("uri") or "").strip()
    errors = []
    needed = TOPIC_SCOPES[topic]
    if not set(needed) & ctx.scopes:
        errors.append(
            {
                "field": ["topic"],
                "message": (
                    f"You do not have permission to create or update webhooks with "
                    f"{header_topic(topic)} topic. This topic requires the "
                    f"{' or '.join(needed)} access scope."
                ),
            }
        )
    problem = _address_problem(uri)
    if problem:
        errors.append({"field": ["webhookSubscription", "uri"], "message": problem})
    elif any(
        s.topic == topic and s.uri == uri for s in shop.webhooks.subscriptions.values()
    ):
        errors.append({"field": ["webhookSubscription", "uri"], "message": TAKEN})
    if errors:
        return {"webhookSubscription": None, "userErrors": errors}
    subscription = create_subscription(
        shop,
        topic,
        uri,
        given.get("format") or "JSON",
        given.get("filter"),
        tuple(given.get("includeFields") or ()),
        given.get("name"),
    )
    return {"webhookSubscription": subscription, "userErrors": []}


@resolver("Mutation", "webhookSubscriptionDelete")
def webhook_subscription_delete(
    _root: Any, info: GraphQLResolveInfo, id: str
) -> dict[str, Any]:
    shop = context(info).shop
    subscription = find_subscription(shop, id)
    if subscription is None:
        return {
            "deletedWebhookSubscriptionId": None,
            "userErrors": [{"field": ["id"], "message": NOT_FOUND}],
        }
    del shop.webhooks.subscriptions[subscription.number]
    return {"deletedWebhookSubscriptionId": subscription.gid, "userErrors": []}


@resolver("WebhookSubscription", "apiVersion")
def subscription_api_version(
    _subscription: Subscription, info: GraphQLResolveInfo
) -> dict[str, Any]:
    handle = context(info).shop.webhooks.api_version
    return {"handle": handle, "displayName": handle, "supported": True}


@resolver("WebhookSubscription", "createdAt")
def subscription_created_at(s: Subscription, info: GraphQLResolveInfo) -> str:
    return context(info).shop.clock.iso(s.created_at)


@resolver("WebhookSubscription", "updatedAt")
def subscription_updated_at(s: Subscription, info: GraphQLResolveInfo) -> str:
    return context(info).shop.clock.iso(s.updated_at)


attributes(
    "WebhookSubscription",
    id=lambda s: s.gid,
    legacyResourceId=lambda s: str(s.number),
    includeFields=lambda s: list(s.include_fields),
)
