"""The launch readiness checklist: is this shop ready to sync, and if not, what to do.

Each check is a plain function over plain data and gives one :class:`CheckLine`: ok or
a problem, the records concerned (a capped list of names and their total count) and
what to do, in an operator's words.  :func:`checklist` runs them all in the order an
admin sets a shop up:

1. ``scopes`` — the app's access scopes hold every scope the sync needs;
2. ``locations`` — every active Shopify location is mapped or deliberately off;
3. ``sku_duplicates``, ``sku_blanks``, ``sku_case`` — SKUs (and barcodes) clean on both
   sides, from a link preview (:mod:`.linking`);
4. ``products_linked`` — every storable product in the sync scope is linked;
5. ``tracked`` — every linked variant tracks its inventory in Shopify;
6. ``stocked`` — every linked item is stocked at every mapped location;
7. ``job_runner`` — queue_job runs and the addon's channel has capacity
   (:mod:`.channels`);
8. ``test_push`` — a test push of a simple product, a product with variants and a
   product at several mapped locations reached Shopify.

>>> line = check_scopes(["read_products", "read_inventory"])
>>> line.ok, line.records, line.count
(False, ('write_inventory', 'read_locations'), 2)
"""

from __future__ import annotations

import ipaddress
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from urllib.parse import urlsplit

from . import channels
from .data import (
    Direction,
    LevelKey,
    Location,
    OutcomeStatus,
    PushOutcome,
    ShopifyLevel,
    Subject,
    Variant,
)
from .linking import Conflict, LinkPreview, Match, OdooProduct, variant_label
from .shopify.auth import REQUIRED_SCOPES
from .subscriptions import SubscriptionPlan

CAP = 10  # records listed per line; the count says how many there are
ADDON_CHANNEL = "root.shopify_stock_sync"


@dataclass(frozen=True)
class CheckLine:
    """One line of the checklist.  ``records`` holds at most the cap; ``count`` is
    how many records are concerned in all."""

    code: str
    title: str
    ok: bool
    summary: str
    records: tuple[str, ...] = ()
    count: int = 0
    todo: str = ""

    @property
    def status(self) -> str:
        return "ok" if self.ok else "problem"

    @property
    def more(self) -> int:
        """Records concerned but not listed."""
        return max(self.count - len(self.records), 0)

    @property
    def text(self) -> str:
        """The line as one paragraph."""
        parts = [f"{self.title}: {self.summary}"]
        if self.records:
            listed = "; ".join(self.records)
            parts.append(f"{listed}{f' and {self.more} more' if self.more else ''}.")
        if self.todo:
            parts.append(self.todo)
        return " ".join(parts)


def _line(
    code: str,
    title: str,
    problems: Sequence[str],
    ok: str,
    problem: str,
    todo: str,
    count: int | None = None,
) -> CheckLine:
    """A line from its problems: ok when there are none.

    ``problem`` is the summary, with ``{n}`` the count and ``{s}``, ``{es}``,
    ``{are}``, ``{do}`` agreeing with it; ``count`` when ``problems`` holds only the
    first few.
    """
    n = len(problems) if count is None else count
    if not n:
        return CheckLine(code, title, True, ok)
    one = n == 1
    summary = problem.format(
        n=n,
        s="" if one else "s",
        es="" if one else "es",
        are="is" if one else "are",
        do="does" if one else "do",
    )
    return CheckLine(code, title, False, summary, tuple(problems[:CAP]), n, todo)


@dataclass(frozen=True)
class Checklist:
    lines: tuple[CheckLine, ...]

    @property
    def ok(self) -> bool:
        return all(line.ok for line in self.lines)

    @property
    def problems(self) -> tuple[CheckLine, ...]:
        return tuple(line for line in self.lines if not line.ok)

    def line(self, code: str) -> CheckLine:
        for line in self.lines:
            if line.code == code:
                return line
        raise KeyError(code)


# -- 1. scopes -------------------------------------------------------------------------


def check_scopes(
    granted: Iterable[str], required: Sequence[str] = REQUIRED_SCOPES
) -> CheckLine:
    have = {scope.strip() for scope in granted}
    missing = [scope for scope in required if scope not in have]
    return _line(
        "scopes",
        "Access scopes",
        missing,
        f"the app has every scope the sync needs ({', '.join(required)}).",
        "the app lacks {n} scope{s} the sync needs",
        "In Shopify, add these scopes to the app's configuration and install it "
        "again, then use Test Connection on the shop.",
    )


# -- 2. locations ----------------------------------------------------------------------


@dataclass(frozen=True)
class MappingInfo:
    """One location mapping of the shop, as the checklist sees it."""

    shopify_location_id: str
    shopify_location_name: str
    direction: Direction = Direction.OFF
    odoo_locations: tuple[str, ...] = ()


def check_locations(
    locations: Sequence[Location], mappings: Sequence[MappingInfo]
) -> CheckLine:
    """Every active Shopify location mapped (on, with Odoo locations) or set off on
    purpose; no mapping on for a location Shopify would refuse; at least one on."""
    by_location = {m.shopify_location_id: m for m in mappings}
    shopify = {location.id: location for location in locations}
    problems = []
    for location in sorted(locations, key=lambda loc: loc.name):
        if location.active and location.id not in by_location:
            problems.append(f"'{location.name}' has no mapping")
    for mapping in sorted(mappings, key=lambda m: m.shopify_location_name):
        direction = Direction(mapping.direction)
        if direction is Direction.OFF:
            continue
        name = f"'{mapping.shopify_location_name}'"
        location = shopify.get(mapping.shopify_location_id)
        if not mapping.odoo_locations:
            problems.append(f"{name} is on but has no Odoo location")
        if location is None:
            problems.append(f"{name} is on but no longer exists in Shopify")
        elif not location.active:
            problems.append(f"{name} is on but deactivated in Shopify")
        elif location.fulfillment_service and direction.writes_to_shopify:
            problems.append(
                f"{name} is run by a fulfilment service, which refuses quantities"
            )
    if not any(Direction(m.direction) is not Direction.OFF for m in mappings):
        problems.append("no Shopify location is mapped yet")
    return _line(
        "locations",
        "Locations",
        problems,
        "every active Shopify location is mapped or deliberately off.",
        "{n} location problem{s}",
        "Open Location Mappings (Import Locations first if one is missing): map each "
        "Shopify location to the Odoo locations holding its stock with a direction, "
        "or set it Off on purpose; turn off mappings of locations Shopify no longer "
        "takes quantities at.",
    )


# -- 3. SKUs ---------------------------------------------------------------------------


def _product_name(product: OdooProduct) -> str:
    if product.name and product.reference != product.name:
        return f"{product.name} [{product.reference}]"
    return product.label


def _variant_name(variant: Variant) -> str:
    sku = (variant.sku or "").strip()
    return f"{variant_label(variant)}{f' [{sku}]' if sku else ''}"


def check_duplicates(preview: LinkPreview) -> CheckLine:
    """SKUs or barcodes carried by several records of one side: none of them links."""
    problems = []
    for ambiguity in preview.ambiguous:
        if ambiguity.kind is not Conflict.DUPLICATE:
            continue
        code = "SKU" if ambiguity.field == "sku" else "barcode"
        sides = []
        if len(ambiguity.products) > 1:
            sides.append(f"{len(ambiguity.products)} Odoo products")
        if len(ambiguity.variants) > 1:
            sides.append(f"{len(ambiguity.variants)} Shopify variants")
        if not sides:  # an SKU the stock export merged from several products
            sides.append("several Odoo products")
        problems.append(f"{code} {ambiguity.value!r} on {' and '.join(sides)}")
    return _line(
        "sku_duplicates",
        "Duplicate SKUs",
        problems,
        "no SKU or barcode is carried by two products or two variants.",
        "{n} SKU{s} or barcode{s} on several records",
        "Give each product (Internal Reference in Odoo) and each variant (in Shopify) "
        "its own SKU and barcode: records sharing one are never linked.",
    )


def check_blanks(preview: LinkPreview) -> CheckLine:
    """Records with neither SKU nor barcode: nothing can link them."""
    problems = [f"Odoo {_product_name(p)}" for p in preview.blank_products]
    problems += [f"Shopify {_variant_name(v)}" for v in preview.blank_variants]
    return _line(
        "sku_blanks",
        "Blank SKUs",
        problems,
        "every product and variant has a SKU or a barcode.",
        "{n} record{s} without SKU or barcode",
        "Give them an Internal Reference in Odoo, or a SKU in Shopify (or a barcode "
        "on both sides); leave them only if they are not sold from Odoo stock.",
    )


def check_case(preview: LinkPreview) -> CheckLine:
    """SKUs equal but for letter case: Shopify treats them as different codes."""
    problems = [
        f"Odoo {c.product.clean_sku!r} vs Shopify "
        f"{', '.join(repr(s) for s in c.shopify_skus)}"
        for c in preview.case_differences
    ]
    return _line(
        "sku_case",
        "SKU letter case",
        problems,
        "no SKU differs from the other side's only in letter case.",
        "{n} SKU{s} differing from the other side only in letter case",
        "Write each SKU the same way on both sides (correct Odoo's Internal Reference "
        "or Shopify's SKU), then link again.",
    )


# -- 4. products linked, 5. tracked --------------------------------------------------


def _unlinked(preview: LinkPreview) -> list[OdooProduct]:
    linked = {m.product.id for m in preview.already_linked}
    found: dict[int | str, OdooProduct] = {}
    candidates = [m.product for m in preview.matched]
    candidates += [p for a in preview.ambiguous for p in a.products]
    candidates += [c.product for c in preview.case_differences]
    candidates += preview.blank_products + preview.odoo_only + preview.stale_links
    for product in candidates:
        if product.in_scope and product.id not in linked:
            found.setdefault(product.id, product)
    return sorted(found.values(), key=lambda p: (p.reference, str(p.id)))


def check_products_linked(preview: LinkPreview) -> CheckLine:
    """Every storable product in the sync scope linked to a Shopify variant.

    ``preview`` must be built from every storable product in scope (with its link).
    """
    unlinked = _unlinked(preview)
    matched = {m.product.id for m in preview.matched}
    problems = [
        f"{_product_name(p)}: "
        + (
            "matched, not linked yet"
            if p.id in matched
            else preview.why_unlinked(p) or "not linked"
        )
        for p in unlinked[:CAP]  # why_unlinked scans the preview: only those listed
    ]
    return _line(
        "products_linked",
        "Products linked",
        problems,
        "every storable product in the sync scope is linked.",
        "{n} storable product{s} in the sync scope {are} not linked",
        f"Open Link Variants: {len(matched)} can be linked now; the others need "
        "their SKU or barcode corrected as each line says, or to leave the sync "
        "scope.",
        count=len(unlinked),
    )


def check_tracked(preview: LinkPreview) -> CheckLine:
    """Linked variants that do not track inventory: Shopify ignores their quantity."""
    problems = [
        f"{_variant_name(m.variant)} (Odoo {m.product.reference})"
        for m in preview.already_linked
        if not m.variant.tracked
    ]
    return _line(
        "tracked",
        "Tracked items",
        problems,
        "every linked variant tracks its inventory in Shopify.",
        "{n} linked variant{s} {do} not track inventory",
        "In Shopify, turn on 'Track quantity' for these variants, or unlink them.",
    )


# -- 6. stocked ------------------------------------------------------------------------


def check_stocked(
    expected: Mapping[LevelKey, Subject], levels: Mapping[LevelKey, ShopifyLevel]
) -> CheckLine:
    """Every (linked item, mapped location) pair stocked in Shopify.

    ``expected``: the pairs of linked items at mapped locations, with their names;
    ``levels``: Shopify's levels (``inventory.read_levels`` or a snapshot).
    """
    missing = [
        key
        for key in sorted(expected, key=lambda k: (expected[k].sku, k))
        if not (levels.get(key) and levels[key].stocked)
    ]
    problems = [
        f"{expected[key].sku or key.inventory_item_id} at "
        f"'{expected[key].shopify_location or key.location_id}'"
        for key in missing
    ]
    return _line(
        "stocked",
        "Items stocked",
        problems,
        "every linked item is stocked at every mapped location.",
        "{n} linked item{s} not stocked at a mapped location",
        "The push stocks an item by itself where Odoo has units to sell; for the "
        "others (and Shopify-owned locations) stock the item at the location in "
        "Shopify, or unmap the location.",
    )


# -- 7. job runner ---------------------------------------------------------------------


@dataclass(frozen=True)
class JobRunner:
    """The server's job runner settings: ``server_wide_modules`` (text or list) and
    the ``[queue_job] channels`` setting (None: queue_job's default, ``root:1``)."""

    server_wide_modules: str | Sequence[str] | None
    channels: str | None = None
    channel: str = ADDON_CHANNEL


def check_job_runner(runner: JobRunner) -> CheckLine:
    problems, todos = [], []
    if not channels.has_module(runner.server_wide_modules):
        problems.append("queue_job is not in server_wide_modules")
        todos.append(
            "Add queue_job to server_wide_modules in the Odoo configuration file "
            "(in Odoo 19: base,rpc,web,queue_job) and restart Odoo."
        )
    capacity: int | None = 0
    try:
        capacity = channels.channel_capacity(runner.channels, runner.channel)
    except ValueError as error:
        problems.append(f"the [queue_job] channels setting is invalid: {error}")
        todos.append("Correct the channels setting and restart Odoo.")
    else:
        if not channels.runner_enabled(runner.channels):
            problems.append("the job runner is disabled (channels start with root:0)")
            todos.append("Give the root channel a capacity, e.g. root:2.")
        elif capacity == 0:
            problems.append(f"the channel {runner.channel} or a parent is paused")
            todos.append("Remove 'paused' from the channels setting.")
    limit = (
        "with no limit of their own"
        if capacity is None
        else f"up to {capacity} at once"
    )
    return _line(
        "job_runner",
        "Job runner",
        problems,
        f"queue_job runs, and jobs of {runner.channel} run {limit}.",
        "{n} problem{s}: sync jobs would wait forever",
        " ".join(todos),
    )


# -- 8. test push ----------------------------------------------------------------------


class TestPushKind(str, Enum):
    __test__ = False  # not a pytest class

    SIMPLE = "simple"  # a product with one variant
    VARIANT = "variant"  # one variant of a product with several
    MULTI_LOCATION = "multi_location"  # a product at several mapped locations


KIND_NAMES = {
    TestPushKind.SIMPLE: "simple product",
    TestPushKind.VARIANT: "product with variants",
    TestPushKind.MULTI_LOCATION: "product at several locations",
}


@dataclass(frozen=True)
class TestPush:
    """One test push and the outcomes of its levels (``engine.push.push``)."""

    __test__ = False  # not a pytest class

    kind: TestPushKind
    product: str
    outcomes: tuple[PushOutcome, ...] = ()


def pick_test_products(
    linked: Sequence[Match], mapped_locations: int
) -> dict[TestPushKind, Match | None]:
    """A linked, tracked product for each test push (None where the shop has none):
    a variant titled 'Default Title' is a simple product; any other is a variant;
    with two or more mapped locations every linked product is at several, so the
    multi-location one is another product than those two when there is one."""
    tracked = [m for m in linked if m.variant.tracked]
    simple = next((m for m in tracked if _is_simple(m)), None)
    variant = next((m for m in tracked if not _is_simple(m)), None)
    multi = None
    if mapped_locations >= 2 and tracked:
        others = [m for m in tracked if m not in (simple, variant)]
        multi = (others or tracked)[0]
    return {
        TestPushKind.SIMPLE: simple,
        TestPushKind.VARIANT: variant,
        TestPushKind.MULTI_LOCATION: multi,
    }


def _is_simple(match: Match) -> bool:
    return match.variant.title.strip() in ("", "Default Title")


def check_test_push(
    pushes: Sequence[TestPush], *, mapped_locations: int = 2
) -> CheckLine:
    """Each kind tried and synced.  With one mapped location there is no product at
    several, so that push is not required."""
    by_kind = {push.kind: push for push in pushes}
    problems = []
    for kind in TestPushKind:
        push = by_kind.get(kind)
        if kind is TestPushKind.MULTI_LOCATION and mapped_locations < 2:
            continue
        if push is None or not push.outcomes:
            problems.append(f"{KIND_NAMES[kind]}: not tried yet")
            continue
        failed = [o for o in push.outcomes if o.status is not OutcomeStatus.SYNCED]
        if failed:
            problems.append(
                f"{KIND_NAMES[kind]} {push.product}: {failed[0].message or 'failed'}"
            )
    return _line(
        "test_push",
        "Test push",
        problems,
        "a simple product, a product with variants and a product at several "
        "locations reached Shopify.",
        "{n} test push{es} not done or failed",
        "Use Test Push on the shop form and correct what each failed line says, "
        "then test again.",
    )


# -- webhooks --------------------------------------------------------------------------


@dataclass(frozen=True)
class WebhookStatus:
    """Whether Shopify sends the addon's topics to this shop's endpoint (``plan``,
    from :func:`.subscriptions.check`) and when each topic last arrived
    (``last_arrival``: GraphQL topic name -> a time as text; absent: never).
    ``sandbox``: the shop is the sandbox's simulator, which delivers on loopback."""

    plan: SubscriptionPlan
    last_arrival: Mapping[str, str] = field(default_factory=dict)
    sandbox: bool = False


def unreachable_endpoint(endpoint: str) -> str | None:
    """Why Shopify cannot deliver to ``endpoint``, or None when it can.

    Shopify posts webhooks over HTTPS to an address on the internet: never to plain
    http, nor to loopback, private, link-local or otherwise reserved addresses, nor to
    a name that only this machine or network knows (``localhost``, ``*.local``).

    >>> unreachable_endpoint("https://odoo.example.com/shopify_stock_sync/webhook/t")
    >>> unreachable_endpoint("http://127.0.0.1:8069/shopify_stock_sync/webhook/t")
    'it is not https'
    """
    parts = urlsplit(endpoint or "")
    host = (parts.hostname or "").lower()
    if parts.scheme != "https":
        return "it is not https"
    if not host:
        return "it names no host"
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return f"{host} is a name only this network knows"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None  # a public name: whether it resolves is Shopify's to find out
    if not address.is_global:
        return f"{host} is not an address on the internet"
    return None


def check_webhooks(status: WebhookStatus | None) -> CheckLine:
    """Subscriptions, only needed when a mapping takes changes from Shopify."""
    title = "Webhooks"
    if status is None:
        return CheckLine(
            "webhooks",
            title,
            True,
            "No mapping takes changes from Shopify, so no webhook is needed.",
        )
    plan = status.plan
    unreachable = None if status.sandbox else unreachable_endpoint(plan.endpoint)
    if unreachable:
        return CheckLine(
            "webhooks",
            title,
            False,
            f"Shopify cannot deliver to {plan.endpoint}: {unreachable}.",
            count=1,
            todo="Set web.base.url (Settings > Technical > System Parameters) to the "
            "public https address of this Odoo, then press Subscribe Webhooks on the "
            "shop and check again.",
        )
    problems = [f"{topic}: not subscribed" for topic in plan.to_create]
    problems += [
        f"{s.topic}: an incomplete or unwanted subscription to this endpoint"
        for s in plan.to_remove
        if s.topic not in plan.to_create
    ]
    arrivals = "; ".join(
        f"{s.topic} last arrived {status.last_arrival.get(s.topic, 'never')}"
        for s in plan.present
    )
    if problems:
        line = _line(
            "webhooks",
            title,
            problems,
            "",
            "{n} webhook subscription{s} {are} missing or wrong.",
            "Press Subscribe Webhooks on the shop (or Create or repair on its "
            "Webhooks page), then check again.",
        )
        return replace(line, summary=f"{line.summary} {arrivals}".strip())
    return CheckLine(
        "webhooks",
        title,
        True,
        f"Shopify sends all {len(plan.present)} topics here: {arrivals}.",
    )


# -- all of it -------------------------------------------------------------------------


@dataclass(frozen=True)
class ShopReadiness:
    """Everything the checklist reads, gathered by the Odoo side."""

    granted_scopes: Collection[str]
    locations: Sequence[Location]
    mappings: Sequence[MappingInfo]
    preview: LinkPreview
    expected_pairs: Mapping[LevelKey, Subject]
    levels: Mapping[LevelKey, ShopifyLevel]
    job_runner: JobRunner
    test_pushes: Sequence[TestPush] = ()
    required_scopes: Sequence[str] = field(default=REQUIRED_SCOPES)
    # None: no mapping takes changes from Shopify (no webhook needed).
    webhooks: WebhookStatus | None = None


def checklist(shop: ShopReadiness) -> Checklist:
    mapped = sum(
        1 for m in shop.mappings if Direction(m.direction) is not Direction.OFF
    )
    return Checklist(
        (
            check_scopes(shop.granted_scopes, shop.required_scopes),
            check_locations(shop.locations, shop.mappings),
            check_duplicates(shop.preview),
            check_blanks(shop.preview),
            check_case(shop.preview),
            check_products_linked(shop.preview),
            check_tracked(shop.preview),
            check_stocked(shop.expected_pairs, shop.levels),
            check_job_runner(shop.job_runner),
            check_test_push(shop.test_pushes, mapped_locations=mapped),
            check_webhooks(shop.webhooks),
        )
    )
