"""The stock audit: an Odoo stock export against a shop's live levels, read only.

Where no Odoo runs, this is the connector's main job: tell an operator, in words they
can act on, where Shopify's ``available`` differs from what the sync would set, and why
some products cannot be compared at all (no link, duplicate SKUs, unmapped locations,
untracked variants, unreadable export rows).

The steps, each a plain function:

1. :func:`resolve_mappings` — ``ODOO_LOCATION=SHOPIFY_LOCATION`` specs against the
   shop's locations (a Shopify location by GID or name; overlapping Odoo locations
   refused);
2. :func:`link_products` — Odoo products to Shopify variants through :mod:`.linking`
   (barcode, then SKU exact after trimming; case-only differences reported, not
   linked; duplicates on either side not linked; never by title);
3. :func:`build_report` — Odoo quantities summed per mapping (children included),
   Shopify levels, :func:`.reconcile.diff`.

:func:`run_audit` does all three against a live shop through a :class:`ReadOnlyClient`,
which refuses any GraphQL mutation: the audit never writes.  How the report is printed
and the command line are in ``__main__.py`` (``python -m shopify_stock_sync.engine
audit``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import inventory, linking
from .data import LevelKey, Location, ShopifyLevel, Subject, Variant
from .reconcile import PairDiff, Reconciliation, diff
from .rule import Basis, QuantityRule
from .shopify.client import ShopifyClient
from .stock_export import (
    DuplicateSku,
    ExportProblem,
    StockExport,
    StockLine,
    location_within,
    product_name,
)

BASES = {"free": Basis.FREE, "on_hand": Basis.ON_HAND}


class AuditError(Exception):
    """The audit cannot run as asked (exit code 2); ``str()`` says what to change."""


class ReadOnlyClient:
    """A client that refuses to send a mutation: the audit's never-writes guarantee."""

    def __init__(self, client: ShopifyClient) -> None:
        self._client = client

    def execute(self, document: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        if document.lstrip().startswith("mutation"):
            raise AuditError("The audit is read only: it refused to send a mutation.")
        return self._client.execute(document, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


# -- 1. location mappings -------------------------------------------------------------


@dataclass(frozen=True)
class LocationMapping:
    """One Shopify location fed by one or more Odoo locations (children included)."""

    shopify: Location
    odoo_locations: tuple[str, ...]

    @property
    def odoo_label(self) -> str:
        return " + ".join(self.odoo_locations)

    def covers(self, odoo_location: str) -> bool:
        return any(location_within(odoo_location, o) for o in self.odoo_locations)


def parse_mapping(spec: str) -> tuple[str, str]:
    """``"WH/Stock=Main store"`` → ``("WH/Stock", "Main store")``."""
    odoo, sep, shopify = spec.partition("=")
    odoo, shopify = odoo.strip().rstrip("/").strip(), shopify.strip()
    if not sep or not odoo or not shopify:
        raise AuditError(
            f"--map {spec!r}: write ODOO_LOCATION=SHOPIFY_LOCATION, for example "
            '--map "WH/Stock=Main store" (the Shopify side: a location name or GID).'
        )
    return odoo, shopify


def _find_location(reference: str, locations: Sequence[Location]) -> Location:
    found = [loc for loc in locations if reference in (loc.id, loc.name)]
    if not found:
        found = [
            loc for loc in locations if loc.name.casefold() == reference.casefold()
        ]
    if len(found) == 1:
        return found[0]
    names = ", ".join(sorted(repr(loc.name) for loc in locations)) or "none"
    if not found:
        raise AuditError(
            f"The shop has no location {reference!r}. Its locations: {names}."
        )
    ids = ", ".join(loc.id for loc in found)
    raise AuditError(
        f"Several Shopify locations are named {reference!r} ({ids}): map by GID."
    )


def resolve_mappings(
    specs: Iterable[str], locations: Sequence[Location]
) -> list[LocationMapping]:
    """Group the specs by Shopify location; refuse overlapping Odoo locations."""
    grouped: dict[str, list[str]] = defaultdict(list)
    by_id: dict[str, Location] = {}
    seen: list[tuple[str, str]] = []
    for spec in specs:
        odoo, reference = parse_mapping(spec)
        location = _find_location(reference, locations)
        for other, other_shopify in seen:
            if location_within(odoo, other) or location_within(other, odoo):
                clash = "is mapped twice" if odoo == other else f"overlaps {other!r}"
                raise AuditError(
                    f"Odoo location {odoo!r} {clash} (already mapped to "
                    f"{by_id[other_shopify].name!r}): an Odoo location may feed one "
                    "Shopify location only, children included."
                )
        seen.append((odoo, location.id))
        by_id[location.id] = location
        grouped[location.id].append(odoo)
    if not grouped:
        raise AuditError(
            'Map at least one location: --map "ODOO_LOCATION=SHOPIFY_LOCATION".'
        )
    return [
        LocationMapping(by_id[loc_id], tuple(odoo))
        for loc_id, odoo in sorted(grouped.items(), key=lambda i: by_id[i[0]].name)
    ]


# -- 2. links --------------------------------------------------------------------------


@dataclass(frozen=True)
class OdooProduct:
    """One product of the export: its SKU (or barcode), names and lines."""

    sku: str
    barcode: str
    names: tuple[str, ...]
    lines: tuple[StockLine, ...]

    @property
    def reference(self) -> str:
        return self.sku or f"barcode {self.barcode}"

    @property
    def name(self) -> str:
        """The product's name as Odoo shows it, without the ``[SKU]`` prefix."""
        return product_name(self.names[0]) if self.names else ""


@dataclass(frozen=True)
class Link:
    product: OdooProduct
    variant: Variant
    by: str  # "sku" or "barcode"


@dataclass(frozen=True)
class Unlinked:
    """An Odoo product of the export that no single Shopify variant matches."""

    product: OdooProduct
    reason: str


@dataclass(frozen=True)
class ShopifyDuplicate:
    """One SKU (or barcode) on several Shopify variants."""

    value: str
    variants: tuple[Variant, ...]
    field: str = "sku"


@dataclass(frozen=True)
class CaseDifference:
    odoo_sku: str
    shopify_skus: tuple[str, ...]
    linked_by_barcode: bool


@dataclass
class Links:
    linked: list[Link] = field(default_factory=list)
    unlinked: list[Unlinked] = field(default_factory=list)
    shopify_duplicates: list[ShopifyDuplicate] = field(default_factory=list)
    case_differences: list[CaseDifference] = field(default_factory=list)
    # Variants some Odoo product points at (linked or ambiguous): not "unknown to Odoo".
    claimed: set[str] = field(default_factory=set)


def odoo_products(export: StockExport) -> list[OdooProduct]:
    grouped: dict[tuple[str, str], list[StockLine]] = defaultdict(list)
    for line in export.lines:
        grouped[(line.sku, "" if line.sku else line.barcode)].append(line)
    products = []
    for (sku, barcode), lines in sorted(grouped.items()):
        names = sorted({name for line in lines for name in line.products})
        barcode = barcode or next((x.barcode for x in lines if x.barcode), "")
        products.append(OdooProduct(sku, barcode, tuple(names), tuple(lines)))
    return products


def link_products(
    products: Sequence[OdooProduct],
    variants: Sequence[Variant],
    odoo_duplicates: Sequence[DuplicateSku] = (),
) -> Links:
    """Link through :func:`.linking.preview_links`: barcode, then SKU, nothing doubtful.

    The export has no existing links: every product is matched anew.
    """
    records = [
        linking.OdooProduct(n, product.sku, product.barcode, product.name)
        for n, product in enumerate(products)
    ]
    preview = linking.preview_links(
        records, variants, duplicated_skus={d.sku for d in odoo_duplicates}
    )
    matched = {m.product.id for m in preview.matched}
    return Links(
        linked=[
            Link(products[m.product.id], m.variant, m.method.value)
            for m in preview.matched
        ],
        unlinked=[
            Unlinked(products[r.id], preview.why_unlinked(r))
            for r in sorted(records, key=linking.product_key)
            if r.id not in matched
        ],
        shopify_duplicates=[
            ShopifyDuplicate(a.value, a.variants, a.field)
            for a in preview.ambiguous
            if a.kind is linking.Conflict.DUPLICATE and len(a.variants) > 1
        ],
        case_differences=[
            CaseDifference(
                products[c.product.id].sku,
                c.shopify_skus,
                linked_by_barcode=c.match is not None,
            )
            for c in preview.case_differences
        ],
        claimed=preview.claimed,
    )


# -- 3. the report --------------------------------------------------------------------


@dataclass(frozen=True)
class UnknownToOdoo:
    """A tracked Shopify variant with stock at a mapped location, not in the export."""

    variant: Variant
    levels: tuple[ShopifyLevel, ...]


@dataclass(frozen=True)
class UnmappedLocation:
    location: str
    products: int
    quantity: float
    rows: int


@dataclass
class AuditReport:
    shop: str
    api_version: str
    stock_file: str
    rule: QuantityRule
    mappings: list[LocationMapping]
    reconciliation: Reconciliation
    links: Links
    untracked: list[Link] = field(default_factory=list)
    unknown_to_odoo: list[UnknownToOdoo] = field(default_factory=list)
    odoo_duplicates: list[DuplicateSku] = field(default_factory=list)
    unmapped_locations: list[UnmappedLocation] = field(default_factory=list)
    export_problems: list[ExportProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rows_read: int = 0
    requests: int = 0  # GraphQL requests sent (queries only)

    @property
    def not_stocked(self) -> list[PairDiff]:
        """Pairs Shopify does not stock although Odoo has units to sell there."""
        return [p for p in self.reconciliation.not_stocked if p.target > 0]

    def counts(self) -> dict[str, int]:
        counts = self.reconciliation.counts()
        counts["not_stocked"] = len(self.not_stocked)
        counts["not_stocked_empty"] = len(self.reconciliation.not_stocked) - len(
            self.not_stocked
        )
        counts.update(
            untracked=len(self.untracked),
            unlinked_odoo=len(self.links.unlinked),
            unknown_to_odoo=len(self.unknown_to_odoo),
            duplicate_skus_odoo=len(self.odoo_duplicates),
            duplicates_shopify=len(self.links.shopify_duplicates),
            case_differences=len(self.links.case_differences),
            unmapped_locations=len(self.unmapped_locations),
            export_problems=len(self.export_problems),
        )
        return counts

    @property
    def problems(self) -> int:
        """Everything that needs an operator: every count but the harmless ones."""
        counts = self.counts()
        harmless = {"checked", "matched", "oversold", "not_stocked_empty"}
        return sum(n for name, n in counts.items() if name not in harmless)

    @property
    def exit_code(self) -> int:
        return 1 if self.problems else 0


def _subject(link: Link, mapping: LocationMapping) -> Subject:
    return Subject(
        sku=link.product.reference,
        product=link.product.name or link.variant.product_title,
        shopify_location=mapping.shopify.name,
        odoo_location=mapping.odoo_label,
    )


def level_keys(
    links: Links, variants: Sequence[Variant], mappings: Sequence[LocationMapping]
) -> list[LevelKey]:
    """Pairs to read: tracked variants, linked or unknown to Odoo, at mapped places."""
    linked = {link.variant.id for link in links.linked}
    keys = {
        LevelKey(v.inventory_item_id, m.shopify.id)
        for v in variants
        if v.tracked and (v.id in linked or v.id not in links.claimed)
        for m in mappings
    }
    return sorted(keys)


def build_report(
    export: StockExport,
    variants: Sequence[Variant],
    mappings: Sequence[LocationMapping],
    levels: dict[LevelKey, ShopifyLevel],
    rule: QuantityRule,
    *,
    shop: str = "",
    api_version: str = "",
    stock_file: str = "",
) -> AuditReport:
    """Everything but the reading: link, sum, diff, and list what cannot be compared."""
    links = link_products(odoo_products(export), variants, export.duplicate_skus)
    quantities: dict[LevelKey, float] = {}
    subjects: dict[LevelKey, Subject] = {}
    untracked = []
    for link in links.linked:
        if not link.variant.tracked:
            untracked.append(link)
            continue
        for mapping in mappings:
            key = LevelKey(link.variant.inventory_item_id, mapping.shopify.id)
            quantities[key] = sum(
                line.free if rule.basis is Basis.FREE else line.quantity
                for line in link.product.lines
                if mapping.covers(line.location)
            )
            subjects[key] = _subject(link, mapping)
    compared = {key: level for key, level in levels.items() if key in quantities}
    report = AuditReport(
        shop=shop,
        api_version=api_version,
        stock_file=stock_file,
        rule=rule,
        mappings=list(mappings),
        reconciliation=diff(quantities, rule, compared, subjects),
        links=links,
        untracked=untracked,
        odoo_duplicates=list(export.duplicate_skus),
        export_problems=list(export.problems),
        rows_read=export.rows_read,
    )
    report.unknown_to_odoo = _unknown_to_odoo(variants, links, mappings, levels)
    report.unmapped_locations = _unmapped(export, mappings)
    report.notes = _notes(export, mappings)
    return report


def _unknown_to_odoo(
    variants: Sequence[Variant],
    links: Links,
    mappings: Sequence[LocationMapping],
    levels: dict[LevelKey, ShopifyLevel],
) -> list[UnknownToOdoo]:
    found = []
    for variant in variants:
        if not variant.tracked or variant.id in links.claimed:
            continue
        stocked = tuple(
            level
            for m in mappings
            if (level := levels.get(LevelKey(variant.inventory_item_id, m.shopify.id)))
            and level.stocked
            and any(q for q in (level.available, level.on_hand))
        )
        if stocked:
            found.append(UnknownToOdoo(variant, stocked))
    return sorted(found, key=lambda u: ((u.variant.sku or "").strip(), u.variant.id))


def _unmapped(
    export: StockExport, mappings: Sequence[LocationMapping]
) -> list[UnmappedLocation]:
    grouped: dict[str, list[StockLine]] = defaultdict(list)
    for line in export.lines:
        if not any(m.covers(line.location) for m in mappings):
            grouped[line.location].append(line)
    return [
        UnmappedLocation(
            location,
            products=len({(x.sku, x.barcode) for x in lines}),
            quantity=sum(x.quantity for x in lines),
            rows=sum(len(x.rows) for x in lines),
        )
        for location, lines in sorted(grouped.items())
    ]


def _notes(export: StockExport, mappings: Sequence[LocationMapping]) -> list[str]:
    notes = []
    if export.sku_from_product_name:
        notes.append(
            "The export has no Internal Reference column: SKUs were read from the "
            "product names ('[SKU] Name'). Add 'Product/Internal Reference' and "
            "'Product/Barcode' to the export to link by barcode too."
        )
    for mapping in mappings:
        location = mapping.shopify
        if not location.active:
            notes.append(
                f"Shopify location {location.name!r} is deactivated: it cannot stock "
                "inventory."
            )
        if location.fulfillment_service:
            notes.append(
                f"Shopify location {location.name!r} belongs to a fulfillment service, "
                "which sets its own stock: the sync leaves it alone."
            )
        for odoo in mapping.odoo_locations:
            if not any(location_within(line.location, odoo) for line in export.lines):
                notes.append(
                    f"No row of the export is at Odoo location {odoo!r} or below it: "
                    "check the name (Odoo's full name, e.g. 'WH/Stock'), or the export "
                    "filter."
                )
    return notes


def run_audit(
    client: ShopifyClient,
    export: StockExport,
    mapping_specs: Sequence[str],
    rule: QuantityRule,
    *,
    stock_file: str = "",
    variant_query: str | None = None,
) -> AuditReport:
    """Read the shop (queries only) and build the report."""
    reader: Any = ReadOnlyClient(client)
    before = client.calls
    mappings = resolve_mappings(mapping_specs, inventory.list_locations(reader))
    variants = list(inventory.iter_variants(reader, query=variant_query))
    links = link_products(odoo_products(export), variants, export.duplicate_skus)
    levels = inventory.read_levels(reader, level_keys(links, variants, mappings))
    report = build_report(
        export,
        variants,
        mappings,
        levels,
        rule,
        shop=client.domain,
        api_version=client.api_version,
        stock_file=stock_file,
    )
    report.requests = client.calls - before
    return report
