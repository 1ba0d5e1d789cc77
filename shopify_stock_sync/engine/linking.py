"""Linking Odoo products to Shopify variants: a preview decided before any write.

Pure: the caller reads every Shopify variant (``inventory.iter_variants``) and the Odoo
products in scope; :func:`preview_links` decides, and only its ``matched`` list is
ever meant to be written.  The stock audit and the Odoo *Link variants* wizard both
link through here.

The order of evidence:

1. **existing link** — a product already linked to a variant that Shopify still has
   keeps it, whatever its SKU or barcode say now (ids are stable, codes are edited);
2. **barcode**, then 3. **SKU** — each exact after trimming white space.  A product
   whose barcode and SKU point at two different variants is ambiguous, not linked by
   the first.  Never by title.

Nothing doubtful is linked:

* a barcode or SKU carried by several variants, or by several Odoo products, is
  **ambiguous** for every record carrying it (the group names them all), even where
  another code would single one out;
* a variant matched by several products, or already linked to another product, is
  ambiguous for them;
* a SKU that differs **only in letter case** (Odoo ``ts-blu-s``, Shopify
  ``TS-BLU-S``) is not a match: SKUs are codes, and Shopify treats them as distinct
  strings.  It is listed in ``case_differences`` for the admin to correct one side; the
  product is linked only if its barcode matches on its own.

Every Odoo product in scope and every Shopify variant lands in exactly one bucket:
``already_linked``, ``matched``, ``ambiguous``, ``case_differs`` (see
:attr:`LinkPreview.case_differs_products`), ``blank`` (neither SKU nor barcode),
``odoo_only`` / ``shopify_only`` (nothing on the other side).  ``case_differences`` and
``stale_links`` are notes beside them, and so is ``padded_skus`` (Shopify SKUs with
white space around them: matched trimmed, noted so that the admin can clean them).
Every list is sorted, so two previews of the same data are equal.

>>> from .data import Variant
>>> red = Variant("gid://shopify/ProductVariant/1", "gid://shopify/InventoryItem/1",
...               sku=" TS-RED ", barcode=None, tracked=True)
>>> preview = preview_links([OdooProduct(7, sku="TS-RED", name="T-shirt")], [red])
>>> [(m.product.id, m.variant.id[-1], m.method.value) for m in preview.matched]
[(7, '1', 'sku')]
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum

from .data import Variant

DEFAULT_TITLE = "Default Title"  # Shopify's title of a product's only variant


class Method(str, Enum):
    """How a link was found (the values of the link's ``match_method``)."""

    ID = "id"
    BARCODE = "barcode"
    SKU = "sku"


class Conflict(str, Enum):
    """Why records are ambiguous."""

    DUPLICATE = "duplicate"  # one SKU or barcode on several records of a side
    DISAGREE = "disagree"  # a product's barcode and SKU match different variants
    CONTESTED = "contested"  # several products match one variant
    TAKEN = "taken"  # the variant a product matches is linked to another product
    LINKED_TWICE = "linked_twice"  # several products are linked to one variant


@dataclass(frozen=True)
class OdooProduct:
    """One Odoo ``product.product`` as linking sees it.

    ``sku`` is the Internal Reference (``default_code``); ``linked_variant_id`` the
    variant GID of the product's existing link, if any.  ``in_scope`` is False for a
    product outside the shop's sync scope that is passed only because it is linked: it
    keeps its link, but is never matched anew.
    """

    id: int | str
    sku: str | None = ""
    barcode: str | None = ""
    name: str = ""
    linked_variant_id: str | None = None
    in_scope: bool = True

    @property
    def clean_sku(self) -> str:
        return (self.sku or "").strip()

    @property
    def clean_barcode(self) -> str:
        return (self.barcode or "").strip()

    @property
    def reference(self) -> str:
        """How an operator finds the product: its SKU, else its barcode, else name."""
        if self.clean_sku:
            return self.clean_sku
        if self.clean_barcode:
            return f"barcode {self.clean_barcode}"
        return self.name or f"product {self.id}"

    @property
    def label(self) -> str:
        return self.name or self.reference


@dataclass(frozen=True)
class Match:
    """One Odoo product and the Shopify variant it is (to be) linked to."""

    product: OdooProduct
    variant: Variant
    method: Method


@dataclass(frozen=True)
class Ambiguity:
    """Records that cannot be linked automatically, and why.

    For ``DUPLICATE``, ``field`` (``"sku"`` or ``"barcode"``) and ``value`` say which
    code; ``products`` and ``variants`` are every record carrying it (including ones
    already linked, named as such in :attr:`message`).
    """

    kind: Conflict
    products: tuple[OdooProduct, ...]
    variants: tuple[Variant, ...]
    field: str = ""
    value: str = ""

    @property
    def message(self) -> str:
        return _ambiguity_message(self)


@dataclass(frozen=True)
class CaseDifference:
    """An Odoo SKU equal to Shopify SKUs except for letter case: reported, not linked.

    ``match`` is the product's link found by barcode meanwhile, if any.
    """

    product: OdooProduct
    variants: tuple[Variant, ...]
    match: Match | None = None

    @property
    def shopify_skus(self) -> tuple[str, ...]:
        return tuple(sorted({clean_sku(v) for v in self.variants}))


@dataclass
class LinkPreview:
    """What linking would do; only ``matched`` is to be written."""

    matched: list[Match] = field(default_factory=list)
    already_linked: list[Match] = field(default_factory=list)
    ambiguous: list[Ambiguity] = field(default_factory=list)
    case_differences: list[CaseDifference] = field(default_factory=list)
    blank_products: list[OdooProduct] = field(default_factory=list)
    blank_variants: list[Variant] = field(default_factory=list)
    odoo_only: list[OdooProduct] = field(default_factory=list)
    shopify_only: list[Variant] = field(default_factory=list)
    # Products linked to a variant the shop no longer has (matched anew if in scope).
    stale_links: list[OdooProduct] = field(default_factory=list)
    # Variants whose Shopify SKU has white space around it (compared trimmed: noted
    # so that the admin knows, see :func:`sku_spaces`).
    padded_skus: list[Variant] = field(default_factory=list)

    @property
    def case_differs_products(self) -> list[OdooProduct]:
        """Products unlinked only because their SKU differs in letter case."""
        ambiguous = {id(p) for a in self.ambiguous for p in a.products}
        return [
            c.product
            for c in self.case_differences
            if c.match is None and id(c.product) not in ambiguous
        ]

    @property
    def claimed(self) -> set[str]:
        """Variants some Odoo product points at: linked, matched, ambiguous or case."""
        ids = {m.variant.id for m in self.matched + self.already_linked}
        ids.update(v.id for a in self.ambiguous if a.products for v in a.variants)
        ids.update(v.id for c in self.case_differences for v in c.variants)
        return ids

    def counts(self) -> dict[str, int]:
        return {
            "matched": len(self.matched),
            "already_linked": len(self.already_linked),
            "ambiguous": len(self.ambiguous),
            "case_differences": len(self.case_differences),
            "blank": len(self.blank_products) + len(self.blank_variants),
            "odoo_only": len(self.odoo_only),
            "shopify_only": len(self.shopify_only),
            "stale_links": len(self.stale_links),
            "padded_skus": len(self.padded_skus),
        }

    def why_unlinked(self, product: OdooProduct) -> str:
        """Why a product of this preview is not linked, in an operator's words.

        ``""`` for a product that is linked already or matched.
        """
        if any(m.product == product for m in self.already_linked + self.matched):
            return ""
        for ambiguity in self.ambiguous:
            if product in ambiguity.products:
                return _product_reason(product, ambiguity)
        if product in self.case_differs_products:
            return "a Shopify SKU differs only in letter case"
        if product in self.blank_products:
            return "it has no Internal Reference (SKU) and no barcode"
        return "no Shopify variant has this SKU or barcode"


# -- helpers ---------------------------------------------------------------------------


def clean_sku(variant: Variant) -> str:
    return (variant.sku or "").strip()


def clean_barcode(variant: Variant) -> str:
    return (variant.barcode or "").strip()


def sku_spaces(variant: Variant) -> str:
    """A note when the variant's Shopify SKU has white space around it (``""``
    otherwise): it is compared trimmed, so the admin should know that Shopify's SKU
    is not the one Odoo shows.

    >>> from .data import Variant
    >>> sku_spaces(Variant("v", "i", sku=" TS-RED ", barcode=None, tracked=True))[:47]
    "Shopify's SKU ' TS-RED ' has white space around"
    """
    sku = variant.sku or ""
    if sku == sku.strip() or not sku.strip():
        return ""
    return (
        f"Shopify's SKU {sku!r} has white space around it; compared as "
        f"{sku.strip()!r}. Remove the spaces in Shopify."
    )


def variant_label(variant: Variant) -> str:
    """``T-shirt / Red / M``; the product title alone for a product's only variant."""
    title = variant.title.strip()
    product = variant.product_title.strip()
    if title and title != DEFAULT_TITLE:
        return f"{product} / {title}" if product else title
    return product or clean_sku(variant) or variant.id


def _natural(text: str) -> tuple:
    """Sort ``.../ProductVariant/9`` before ``.../ProductVariant/10``."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part)
        for part in re.split(r"(\d+)", text)
    )


def product_key(product: OdooProduct) -> tuple:
    return (
        product.clean_sku,
        product.clean_barcode,
        product.name,
        _natural(str(product.id)),
    )


def variant_key(variant: Variant) -> tuple:
    return (clean_sku(variant), clean_barcode(variant), _natural(variant.id))


# Each code: how to read it from an Odoo product, and from a Shopify variant.
_CODES: dict[str, tuple[Callable[[OdooProduct], str], Callable[[Variant], str]]] = {
    "sku": (lambda product: product.clean_sku, clean_sku),
    "barcode": (lambda product: product.clean_barcode, clean_barcode),
}


def _index(records: Iterable, code) -> dict[str, list]:
    index: dict[str, list] = defaultdict(list)
    for record in records:
        value = code(record)
        if value:
            index[value].append(record)
    return index


# -- the preview -----------------------------------------------------------------------


@dataclass
class _State:
    """Indexes of both sides and what is decided so far."""

    products: list[OdooProduct]
    variants: list[Variant]
    by_id: dict[str, Variant]
    shopify: dict[str, dict[str, list[Variant]]]
    odoo: dict[str, dict[str, list[OdooProduct]]]
    folded: dict[str, list[Variant]]
    owners: dict[str, list[OdooProduct]] = field(default_factory=dict)
    settled: set[int] = field(default_factory=set)  # id() of linked products
    preview: LinkPreview = field(default_factory=LinkPreview)


def preview_links(
    products: Iterable[OdooProduct],
    variants: Iterable[Variant],
    *,
    duplicated_skus: Collection[str] = (),
) -> LinkPreview:
    """Sort every product and variant into the preview's buckets.

    ``duplicated_skus`` names SKUs known to be on several Odoo products although each
    appears once in ``products`` (the audit's export merges rows by SKU).
    """
    state = _state(sorted(products, key=product_key), sorted(variants, key=variant_key))
    _existing_links(state)
    duplicates = _duplicates(state, set(duplicated_skus))
    outcomes = [
        outcome
        for product in state.products
        if product.in_scope and id(product) not in state.settled
        if (outcome := _match_one(state, product, duplicates))
    ]
    accepted = _claims(state, [o.match for o in outcomes if o.match])
    for outcome in outcomes:
        match = outcome.match if outcome.match in accepted else None
        if outcome.case:
            state.preview.case_differences.append(
                CaseDifference(outcome.product, outcome.case, match)
            )
        elif outcome.match is None:
            state.preview.odoo_only.append(outcome.product)
    _leftover_variants(state)
    state.preview.padded_skus = [v for v in state.variants if sku_spaces(v)]
    _sort(state.preview)
    return state.preview


def _state(products: list[OdooProduct], variants: list[Variant]) -> _State:
    folded: dict[str, list[Variant]] = defaultdict(list)
    for variant in variants:
        if clean_sku(variant):
            folded[clean_sku(variant).casefold()].append(variant)
    return _State(
        products=products,
        variants=variants,
        by_id={v.id: v for v in variants},
        shopify={name: _index(variants, code) for name, (_, code) in _CODES.items()},
        odoo={name: _index(products, code) for name, (code, _) in _CODES.items()},
        folded=folded,
    )


def _existing_links(state: _State) -> None:
    """Stable ids first: a product keeps the variant it is linked to, if it exists."""
    preview = state.preview
    for product in state.products:
        if product.linked_variant_id:
            state.owners.setdefault(product.linked_variant_id, []).append(product)
    for gid, owners in state.owners.items():
        variant = state.by_id.get(gid)
        if variant is None:
            preview.stale_links.extend(owners)
            state.settled.update(id(p) for p in owners if not p.in_scope)
            continue
        state.settled.update(id(p) for p in owners)
        if len(owners) == 1:
            preview.already_linked.append(Match(owners[0], variant, Method.ID))
        else:
            preview.ambiguous.append(
                Ambiguity(Conflict.LINKED_TWICE, tuple(owners), (variant,))
            )


def _duplicates(state: _State, duplicated_skus: set[str]) -> set[tuple[str, str]]:
    """Codes on several records of a side; each with a pending record is reported."""
    found: set[tuple[str, str]] = set()
    linked = {m.variant.id for m in state.preview.already_linked}
    for name in _CODES:
        odoo, shopify = state.odoo[name], state.shopify[name]
        for value in sorted(set(odoo) | set(shopify)):
            products, variants = odoo.get(value, []), shopify.get(value, [])
            marked = name == "sku" and value in duplicated_skus and products
            if len(products) < 2 and len(variants) < 2 and not marked:
                continue
            found.add((name, value))
            pending = any(id(p) not in state.settled for p in products) or any(
                v.id not in linked for v in variants
            )
            if pending:
                state.preview.ambiguous.append(
                    Ambiguity(
                        Conflict.DUPLICATE,
                        tuple(products),
                        tuple(sorted(variants, key=lambda v: _natural(v.id))),
                        field=name,
                        value=value,
                    )
                )
    return found


@dataclass(frozen=True)
class _Outcome:
    """A product still to place: its candidate match and case-only SKU variants."""

    product: OdooProduct
    match: Match | None
    case: tuple[Variant, ...]


def _match_one(
    state: _State, product: OdooProduct, duplicates: set[tuple[str, str]]
) -> _Outcome | None:
    """One product's candidate, or None when it is placed already (blank, ambiguous)."""
    preview = state.preview
    sku, barcode = product.clean_sku, product.clean_barcode
    if not sku and not barcode:
        preview.blank_products.append(product)
        return None
    if ("sku", sku) in duplicates or ("barcode", barcode) in duplicates:
        return None  # reported with its duplicate group
    by_barcode = state.shopify["barcode"].get(barcode, [None])[0]
    by_sku = state.shopify["sku"].get(sku, [None])[0]
    case = () if by_sku or not sku else tuple(state.folded.get(sku.casefold(), ()))
    if by_barcode and by_sku and by_barcode != by_sku:
        preview.ambiguous.append(
            Ambiguity(Conflict.DISAGREE, (product,), (by_barcode, by_sku))
        )
        return None
    variant = by_barcode or by_sku
    if variant is None:
        return _Outcome(product, None, case)
    owners = state.owners.get(variant.id)
    if owners:
        preview.ambiguous.append(
            Ambiguity(Conflict.TAKEN, (product, *owners), (variant,))
        )
        return _Outcome(product, None, case) if case else None
    method = Method.BARCODE if by_barcode else Method.SKU
    return _Outcome(product, Match(product, variant, method), case)


def _claims(state: _State, candidates: list[Match]) -> list[Match]:
    """One variant, one product: a variant two products match links neither."""
    by_variant: dict[str, list[Match]] = defaultdict(list)
    for match in candidates:
        by_variant[match.variant.id].append(match)
    for matches in by_variant.values():
        if len(matches) == 1:
            state.preview.matched.append(matches[0])
        else:
            state.preview.ambiguous.append(
                Ambiguity(
                    Conflict.CONTESTED,
                    tuple(m.product for m in matches),
                    (matches[0].variant,),
                )
            )
    return state.preview.matched


def _leftover_variants(state: _State) -> None:
    preview = state.preview
    placed = {m.variant.id for m in preview.matched + preview.already_linked}
    placed.update(v.id for a in preview.ambiguous for v in a.variants)
    placed.update(v.id for c in preview.case_differences for v in c.variants)
    for variant in state.variants:
        if variant.id in placed:
            continue
        if clean_sku(variant) or clean_barcode(variant):
            preview.shopify_only.append(variant)
        else:
            preview.blank_variants.append(variant)


_KIND_ORDER = {kind: n for n, kind in enumerate(Conflict)}


def _sort(preview: LinkPreview) -> None:
    """Every list in a stable order (products, then variants, by code then id)."""
    preview.matched.sort(key=lambda m: product_key(m.product))
    preview.already_linked.sort(key=lambda m: product_key(m.product))
    preview.ambiguous.sort(
        key=lambda a: (
            _KIND_ORDER[a.kind],
            a.field != "sku",
            a.value,
            [product_key(p) for p in a.products],
            [variant_key(v) for v in a.variants],
        )
    )
    preview.case_differences.sort(key=lambda c: product_key(c.product))
    for products in (preview.blank_products, preview.odoo_only, preview.stale_links):
        products.sort(key=product_key)
    for variants in (preview.blank_variants, preview.shopify_only):
        variants.sort(key=variant_key)


# -- words -----------------------------------------------------------------------------


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _names(records: Sequence, label) -> str:
    return ", ".join(label(r) for r in records)


def _odoo_name(product: OdooProduct) -> str:
    linked = " (linked)" if product.linked_variant_id else ""
    return f"{product.label}{linked}"


def _shopify_name(variant: Variant) -> str:
    return f"{variant_label(variant)} ({variant.id})"


def _side(records: Sequence, word: str, label: Callable) -> str:
    if not records:
        return f"no {word}"
    return f"{_count(len(records), word)} ({_names(records, label)})"


def _ambiguity_message(a: Ambiguity) -> str:
    odoo = _side(a.products, "Odoo product", _odoo_name)
    shopify = _side(a.variants, "Shopify variant", _shopify_name)
    if a.kind is Conflict.DUPLICATE:
        code = "SKU" if a.field == "sku" else "barcode"
        return (
            f"{code} {a.value!r} is on {shopify} and {odoo}"
            + (
                ""
                if len(a.products) > 1 or len(a.variants) > 1
                else " (several Odoo products carry it)"
            )
            + f": not linked. Give each record its own {code}, then preview again."
        )
    if a.kind is Conflict.DISAGREE:
        return (
            f"Odoo {_odoo_name(a.products[0])}: its barcode matches Shopify "
            f"{_shopify_name(a.variants[0])}, its SKU matches "
            f"{_shopify_name(a.variants[1])}. Correct the wrong code."
        )
    if a.kind is Conflict.CONTESTED:
        return (
            f"Shopify {_shopify_name(a.variants[0])} matches {odoo}. "
            "Give each product its own SKU and barcode."
        )
    if a.kind is Conflict.TAKEN:
        return (
            f"Odoo {_odoo_name(a.products[0])} matches Shopify "
            f"{_shopify_name(a.variants[0])}, which is already linked to Odoo "
            f"{_names(a.products[1:], _odoo_name)}. Remove that link first if it is "
            "wrong."
        )
    return f"Shopify {_shopify_name(a.variants[0])} is linked to {odoo}. Keep one link."


def _product_reason(product: OdooProduct, a: Ambiguity) -> str:
    """The audit's short reason for one product of an ambiguity."""
    if a.kind is Conflict.DUPLICATE:
        code = "SKU" if a.field == "sku" else "barcode"
        if len(a.variants) > 1:
            return f"{len(a.variants)} Shopify variants have this {code}"
        return f"several Odoo products have this {code}"
    if a.kind is Conflict.DISAGREE:
        return "its barcode and its SKU match different Shopify variants"
    if a.kind is Conflict.CONTESTED:
        others = [p.reference for p in a.products if p != product]
        return f"its Shopify variant also matches Odoo {', '.join(others)}"
    if a.kind is Conflict.TAKEN:
        return "its Shopify variant is already linked to another Odoo product"
    return "several Odoo products are linked to its Shopify variant"
