"""Webhook subscriptions: which the shop has, which it needs, and making it so.

The shop must send each topic of ``TOPICS`` to the endpoint, as JSON, whole (no filter,
no ``includeFields``).  :func:`plan` compares what Shopify lists with that, touching
nothing (the readiness checklist); :func:`ensure` carries the plan out.  Only
subscriptions pointing at the endpoint are ever removed: those of topics no longer
wanted and those set up otherwise (XML, filtered, trimmed), which are made again.
Subscriptions of our topics pointing elsewhere are reported, never touched (another
Odoo, an old address: the admin decides).

>>> have = [Subscription("gid://shopify/WebhookSubscription/1", "PRODUCTS_UPDATE",
...                      "https://odoo.example.com/shopify/webhook/1")]
>>> wanted = plan(have, "https://odoo.example.com/shopify/webhook/1",
...               ["INVENTORY_LEVELS_UPDATE"])
>>> wanted.to_create, [s.topic for s in wanted.to_remove], wanted.ready
(('INVENTORY_LEVELS_UPDATE',), ['PRODUCTS_UPDATE'], False)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .data import ErrorCategory, ItemError
from .shopify import documents
from .shopify.client import ShopifyClient
from .shopify.errors import RequestError

LEVEL_TOPICS = (
    "INVENTORY_LEVELS_UPDATE",
    "INVENTORY_LEVELS_CONNECT",
    "INVENTORY_LEVELS_DISCONNECT",
)
LOCATION_TOPICS = (
    "LOCATIONS_CREATE",
    "LOCATIONS_UPDATE",
    "LOCATIONS_DELETE",
    "LOCATIONS_ACTIVATE",
    "LOCATIONS_DEACTIVATE",
)
TOPICS = LEVEL_TOPICS + LOCATION_TOPICS
PAGE_SIZE = 100


def header_topic(topic: str) -> str:
    """The ``X-Shopify-Topic`` form of a topic: ``LOCATIONS_UPDATE`` ->
    ``locations/update`` (for the topics here: the resource, then the action)."""
    resource, _, action = topic.lower().rpartition("_")
    return f"{resource}/{action}"


def enum_topic(header: str) -> str:
    """The GraphQL form of an ``X-Shopify-Topic``: ``inventory_levels/update`` ->
    ``INVENTORY_LEVELS_UPDATE`` (to tell when each subscribed topic last arrived)."""
    return header.strip().replace("/", "_").upper()


@dataclass(frozen=True)
class Subscription:
    """One webhook subscription as Shopify lists it."""

    id: str
    topic: str
    uri: str
    format: str = "JSON"
    filter: str | None = None
    include_fields: tuple[str, ...] = ()
    api_version: str | None = None
    created_at: str | None = None

    @property
    def complete(self) -> bool:
        """Sends whole JSON payloads (what the endpoint reads)."""
        return self.format == "JSON" and not self.filter and not self.include_fields


@dataclass(frozen=True)
class SubscriptionPlan:
    """What the shop has and what it lacks, for one endpoint.

    ``present``: ours and right; ``to_create``: topics to subscribe; ``to_remove``: at
    our endpoint but not wanted, or not complete (then also in ``to_create``);
    ``elsewhere``: wanted topics that also go to another address (left alone).
    """

    endpoint: str
    present: tuple[Subscription, ...]
    to_create: tuple[str, ...]
    to_remove: tuple[Subscription, ...]
    elsewhere: tuple[Subscription, ...] = ()

    @property
    def ready(self) -> bool:
        return not self.to_create and not self.to_remove


@dataclass(frozen=True)
class SubscriptionResult:
    """What :func:`ensure` did: the plan it followed and its outcome."""

    plan: SubscriptionPlan
    created: tuple[Subscription, ...]
    removed: tuple[str, ...]  # ids

    @property
    def present(self) -> tuple[Subscription, ...]:
        """Every subscription of the endpoint now, by topic."""
        found = self.plan.present + self.created
        return tuple(sorted(found, key=_topic_order))


class SubscriptionError(RequestError):
    """Shopify refused a subscription change; ``errors`` are its ``userErrors``."""

    category = ErrorCategory.CONFIG

    def __init__(self, message: str, errors: Sequence[ItemError] = ()) -> None:
        super().__init__(message)
        self.errors = tuple(errors)


class EndpointRefused(SubscriptionError):
    """The endpoint address is refused (not HTTPS, malformed, blank)."""


class TopicNotAllowed(SubscriptionError):
    """The app may not subscribe to the topic: an access scope is missing."""

    category = ErrorCategory.AUTH


class AlreadySubscribed(SubscriptionError):
    """The topic already goes to this address (made meanwhile by someone else)."""


class SubscriptionNotFound(SubscriptionError):
    """The subscription to delete does not exist (any more)."""


def _node(node: dict[str, Any]) -> Subscription:
    return Subscription(
        id=node["id"],
        topic=node["topic"],
        uri=node["uri"],
        format=node.get("format") or "JSON",
        filter=node.get("filter") or None,
        include_fields=tuple(node.get("includeFields") or ()),
        api_version=(node.get("apiVersion") or {}).get("handle"),
        created_at=node.get("createdAt"),
    )


def list_subscriptions(client: ShopifyClient) -> list[Subscription]:
    """Every webhook subscription the app made on the shop (any topic, any address)."""
    found: list[Subscription] = []
    after = None
    while True:
        data = client.execute(
            documents.WEBHOOK_SUBSCRIPTIONS, {"first": PAGE_SIZE, "after": after}
        )["webhookSubscriptions"]
        found += [_node(node) for node in data["nodes"]]
        if not data["pageInfo"]["hasNextPage"]:
            return found
        after = data["pageInfo"]["endCursor"]


def plan(
    existing: Iterable[Subscription],
    endpoint: str,
    topics: Iterable[str] = TOPICS,
) -> SubscriptionPlan:
    """Compare the shop's subscriptions with ``topics`` sent to ``endpoint``."""
    endpoint = _clean(endpoint)
    wanted = list(dict.fromkeys(topics))
    present: dict[str, Subscription] = {}
    remove: list[Subscription] = []
    elsewhere: list[Subscription] = []
    for subscription in existing:
        if _clean(subscription.uri) != endpoint:
            if subscription.topic in wanted:
                elsewhere.append(subscription)
            continue
        if (
            subscription.topic in wanted
            and subscription.complete
            and subscription.topic not in present
        ):
            present[subscription.topic] = subscription
        else:
            remove.append(subscription)
    return SubscriptionPlan(
        endpoint=endpoint,
        present=tuple(present[t] for t in wanted if t in present),
        to_create=tuple(t for t in wanted if t not in present),
        to_remove=tuple(remove),
        elsewhere=tuple(elsewhere),
    )


def check(
    client: ShopifyClient, endpoint: str, topics: Iterable[str] = TOPICS
) -> SubscriptionPlan:
    """The plan for the shop as it is now; changes nothing."""
    return plan(list_subscriptions(client), endpoint, topics)


def ensure(
    client: ShopifyClient, endpoint: str, topics: Iterable[str] = TOPICS
) -> SubscriptionResult:
    """Make the shop send exactly ``topics`` to ``endpoint``: remove first, then create.

    A topic found subscribed meanwhile (:class:`AlreadySubscribed`) counts as present
    and a subscription already gone (:class:`SubscriptionNotFound`) as removed; other
    refusals are raised (what was done before them stays done; ``ensure`` again after
    fixing the cause).
    """
    wanted = check(client, endpoint, topics)
    removed: list[str] = []
    for subscription in wanted.to_remove:
        _delete_if_present(client, subscription.id)
        removed.append(subscription.id)
    created: list[Subscription] = []
    raced = False
    for topic in wanted.to_create:
        try:
            created.append(create(client, topic, wanted.endpoint))
        except AlreadySubscribed:
            raced = True
    if raced:  # read back what someone else made meanwhile
        now = check(client, endpoint, topics)
        known = {s.id for s in created}
        created += [
            s for s in now.present if s.id not in known and s.topic in wanted.to_create
        ]
    return SubscriptionResult(wanted, tuple(created), tuple(removed))


def remove_all(client: ShopifyClient, endpoint: str) -> tuple[str, ...]:
    """Delete every subscription pointing at ``endpoint`` (the shop is disconnected)."""
    removed = []
    for subscription in plan(list_subscriptions(client), endpoint, ()).to_remove:
        _delete_if_present(client, subscription.id)
        removed.append(subscription.id)
    return tuple(removed)


def _delete_if_present(client: ShopifyClient, subscription_id: str) -> bool:
    """Delete one subscription; False when it was gone already."""
    try:
        delete(client, subscription_id)
    except SubscriptionNotFound:
        return False
    return True


def create(client: ShopifyClient, topic: str, endpoint: str) -> Subscription:
    """Subscribe ``endpoint`` to ``topic`` (JSON)."""
    result = client.execute(
        documents.WEBHOOK_SUBSCRIPTION_CREATE, {"topic": topic, "uri": _clean(endpoint)}
    )["webhookSubscriptionCreate"]
    errors = _errors(result)
    if errors or not result.get("webhookSubscription"):
        raise _refusal(f"subscribe to {topic}", errors)
    return _node(result["webhookSubscription"])


def delete(client: ShopifyClient, subscription_id: str) -> str:
    """Delete one subscription; returns its id."""
    result = client.execute(
        documents.WEBHOOK_SUBSCRIPTION_DELETE, {"id": subscription_id}
    )["webhookSubscriptionDelete"]
    errors = _errors(result)
    if errors or not result.get("deletedWebhookSubscriptionId"):
        raise _refusal(f"delete the webhook subscription {subscription_id}", errors)
    return result["deletedWebhookSubscriptionId"]


def _topic_order(subscription: Subscription) -> tuple[int, str]:
    topic = subscription.topic
    return (TOPICS.index(topic) if topic in TOPICS else len(TOPICS), topic)


def _clean(uri: str) -> str:
    return (uri or "").strip()


def _errors(result: dict[str, Any]) -> list[ItemError]:
    return [
        ItemError(None, tuple(e.get("field") or ()), e.get("message") or "")
        for e in result.get("userErrors") or ()
    ]


def _refusal(action: str, errors: list[ItemError]) -> SubscriptionError:
    """The error a ``userErrors`` list means.  ``UserError`` has no code: the field
    and Shopify's wording tell the cases apart."""
    detail = "; ".join(e.message for e in errors) or "no reason given"
    for error in errors:
        text = error.message.lower()
        fields = {part.lower() for part in error.field}
        if "already been taken" in text or "already exists" in text:
            return AlreadySubscribed(
                f"Shopify could not {action}: {detail} (it is subscribed already).",
                errors,
            )
        if "does not exist" in text or "not found" in text:
            return SubscriptionNotFound(f"Shopify could not {action}: {detail}", errors)
        if "topic" in fields or "permission" in text or "scope" in text:
            return TopicNotAllowed(
                f"Shopify could not {action}: {detail} Grant the app the access "
                "scope of the topic (read_inventory for inventory levels, "
                "read_locations for locations) and reinstall it.",
                errors,
            )
        if fields & {"uri", "callbackurl", "address"} or "address" in text:
            return EndpointRefused(
                f"Shopify could not {action}: {detail} The webhook address must be "
                "the public HTTPS address of this Odoo's Shopify endpoint.",
                errors,
            )
    return SubscriptionError(f"Shopify could not {action}: {detail}", errors)
