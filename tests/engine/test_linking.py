"""Linking Odoo products to Shopify variants: the preview, bucket by bucket."""

from __future__ import annotations

import random

import pytest

from shopify_stock_sync.engine.data import Variant
from shopify_stock_sync.engine.linking import (
    Ambiguity,
    CaseDifference,
    Conflict,
    LinkPreview,
    Match,
    Method,
    OdooProduct,
    preview_links,
    sku_spaces,
    variant_label,
)


def variant(n: int, sku=None, barcode=None, *, title="Default Title", product=None):
    return Variant(
        f"gid://shopify/ProductVariant/{n}",
        f"gid://shopify/InventoryItem/{n}",
        sku,
        barcode,
        tracked=True,
        title=title,
        product_title=f"Product {n}" if product is None else product,
    )


def product(n: int, sku="", barcode="", *, linked=None, in_scope=True, name=None):
    return OdooProduct(
        n,
        sku,
        barcode,
        name=f"Odoo {n}" if name is None else name,
        linked_variant_id=linked and f"gid://shopify/ProductVariant/{linked}",
        in_scope=in_scope,
    )


def ids(records) -> list:
    """Odoo product ids, or Shopify variant numbers."""
    return [
        r.id if isinstance(r, OdooProduct) else int(r.id.rsplit("/", 1)[1])
        for r in records
    ]


def matches(found: list[Match]) -> list[tuple]:
    return [(m.product.id, ids([m.variant])[0], m.method.value) for m in found]


def bucket_of_products(preview: LinkPreview) -> dict:
    """Each in-scope product's primary bucket; fails if one is in two."""
    buckets: dict = {}

    def put(records, name):
        for record in records:
            assert record.id not in buckets, (record.id, buckets[record.id], name)
            buckets[record.id] = name

    put([m.product for m in preview.matched], "matched")
    put([m.product for m in preview.already_linked], "already_linked")
    linked = {m.product for m in preview.already_linked}
    put({p for a in preview.ambiguous for p in a.products} - linked, "ambiguous")
    put(preview.case_differs_products, "case")
    put(preview.blank_products, "blank")
    put(preview.odoo_only, "odoo_only")
    return buckets


def bucket_of_variants(preview: LinkPreview) -> dict:
    buckets: dict = {}

    def put(records, name):
        for record in records:
            assert record.id not in buckets, (record.id, buckets[record.id], name)
            buckets[record.id] = name

    put([m.variant for m in preview.matched], "matched")
    put([m.variant for m in preview.already_linked], "already_linked")
    linked = {m.variant for m in preview.already_linked}
    put({v for a in preview.ambiguous for v in a.variants} - linked, "ambiguous")
    matched = {m.variant for m in preview.matched}
    put(
        {v for c in preview.case_differences for v in c.variants} - matched,
        "case",
    )
    put(preview.blank_variants, "blank")
    put(preview.shopify_only, "shopify_only")
    return buckets


# -- matching order --------------------------------------------------------------------


def test_barcode_then_sku_exact_after_trimming() -> None:
    preview = preview_links(
        [
            product(1, " A-1 "),
            product(2, "", "555"),
            product(3, "C-1", "777"),
            product(4, "D-1", " 888 "),
        ],
        [
            variant(1, "A-1"),
            variant(2, None, " 555"),
            variant(3, "C-1", "999"),
            variant(4, "D-1", "888"),
        ],
    )
    assert matches(preview.matched) == [
        (2, 2, "barcode"),
        (1, 1, "sku"),
        (3, 3, "sku"),
        (4, 4, "barcode"),  # both agree: the barcode comes first
    ]
    assert preview.counts() == {
        "matched": 4,
        "already_linked": 0,
        "ambiguous": 0,
        "case_differences": 0,
        "blank": 0,
        "odoo_only": 0,
        "shopify_only": 0,
        "stale_links": 0,
        "padded_skus": 0,
    }
    assert preview.claimed == {f"gid://shopify/ProductVariant/{n}" for n in range(1, 5)}


def test_shopify_skus_with_spaces_are_matched_and_noted() -> None:
    """A Shopify SKU with white space around it is matched trimmed, never silently:
    the preview lists it with a note (a blank SKU of spaces is no code at all)."""
    preview = preview_links(
        [product(1, "A-1"), product(2, "B-1")],
        [variant(1, " A-1\t"), variant(2, "B-1"), variant(3, "  "), variant(4, "C-1 ")],
    )
    assert matches(preview.matched) == [(1, 1, "sku"), (2, 2, "sku")]
    assert ids(preview.padded_skus) == [1, 4]
    assert preview.counts()["padded_skus"] == 2
    assert sku_spaces(preview.padded_skus[0]) == (
        "Shopify's SKU ' A-1\\t' has white space around it; compared as 'A-1'. "
        "Remove the spaces in Shopify."
    )
    assert sku_spaces(variant(2, "B-1")) == ""
    assert sku_spaces(variant(3, "  ")) == ""


def test_never_by_title() -> None:
    preview = preview_links(
        [product(1, "X-1", name="Product 1")],
        [variant(1, "OTHER", "111", title="Default Title", product="Product 1")],
    )
    assert preview.matched == []
    assert ids(preview.odoo_only) == [1] and ids(preview.shopify_only) == [1]
    assert preview.why_unlinked(preview.odoo_only[0]) == (
        "no Shopify variant has this SKU or barcode"
    )
    assert preview.claimed == set()


def test_barcode_and_sku_pointing_at_two_variants_is_ambiguous() -> None:
    p = product(1, "A", "111")
    preview = preview_links([p], [variant(1, "A", "999"), variant(2, "B", "111")])
    assert preview.matched == []
    [ambiguity] = preview.ambiguous
    assert ambiguity.kind is Conflict.DISAGREE
    assert ids(ambiguity.variants) == [2, 1]  # the barcode's, then the SKU's
    assert ambiguity.message == (
        "Odoo Odoo 1: its barcode matches Shopify Product 2 "
        "(gid://shopify/ProductVariant/2), its SKU matches Product 1 "
        "(gid://shopify/ProductVariant/1). Correct the wrong code."
    )
    assert preview.why_unlinked(p) == (
        "its barcode and its SKU match different Shopify variants"
    )


# -- existing links --------------------------------------------------------------------


def test_existing_link_wins_over_changed_codes() -> None:
    linked = product(1, "NEW-SKU", "000", linked=1)
    preview = preview_links(
        [linked, product(2, "B")],
        [variant(1, "OLD-SKU"), variant(2, "B"), variant(3, "NEW-SKU")],
    )
    assert matches(preview.already_linked) == [(1, 1, "id")]
    assert matches(preview.matched) == [(2, 2, "sku")]
    assert ids(preview.shopify_only) == [3]  # not matched again by the linked product
    assert preview.already_linked[0].method is Method.ID


def test_stale_link_is_noted_and_matched_anew() -> None:
    stale = product(1, "A", linked=99)
    preview = preview_links([stale], [variant(5, "A")])
    assert preview.stale_links == [stale]
    assert matches(preview.matched) == [(1, 5, "sku")]
    assert preview.matched[0].product.linked_variant_id.endswith("/99")


def test_out_of_scope_products_keep_links_and_are_never_matched() -> None:
    kept = product(1, "A", linked=1, in_scope=False)
    gone = product(2, "B", linked=99, in_scope=False)
    idle = product(3, "C", in_scope=False)
    preview = preview_links([kept, gone, idle], [variant(1, "A"), variant(2, "B")])
    assert matches(preview.already_linked) == [(1, 1, "id")]
    assert preview.stale_links == [gone]
    assert preview.matched == preview.odoo_only == []
    assert ids(preview.shopify_only) == [2]


def test_one_variant_linked_to_two_products() -> None:
    a, b = product(1, "A", linked=1), product(2, "B", linked=1)
    preview = preview_links([a, b], [variant(1, "A")])
    [ambiguity] = preview.ambiguous
    assert ambiguity.kind is Conflict.LINKED_TWICE
    assert ambiguity.message == (
        "Shopify Product 1 (gid://shopify/ProductVariant/1) is linked to 2 Odoo "
        "products (Odoo 1 (linked), Odoo 2 (linked)). Keep one link."
    )
    assert preview.why_unlinked(b) == (
        "several Odoo products are linked to its Shopify variant"
    )
    assert preview.already_linked == []


def test_variant_linked_to_another_product_is_taken() -> None:
    owner = product(1, "OWN", linked=1)
    other = product(2, "A")
    preview = preview_links([owner, other], [variant(1, "A")])
    assert matches(preview.already_linked) == [(1, 1, "id")]
    [ambiguity] = preview.ambiguous
    assert ambiguity.kind is Conflict.TAKEN
    assert ambiguity.products == (other, owner)
    assert ambiguity.message == (
        "Odoo Odoo 2 matches Shopify Product 1 (gid://shopify/ProductVariant/1), "
        "which is already linked to Odoo Odoo 1 (linked). Remove that link first if "
        "it is wrong."
    )
    assert preview.why_unlinked(other) == (
        "its Shopify variant is already linked to another Odoo product"
    )
    assert bucket_of_products(preview) == {1: "already_linked", 2: "ambiguous"}
    assert preview.why_unlinked(owner) == ""


def test_taken_by_barcode_keeps_the_case_note() -> None:
    owner = product(1, "OWN", linked=1)
    other = product(2, "abc", "111")
    preview = preview_links([owner, other], [variant(1, "X", "111"), variant(2, "ABC")])
    assert [a.kind for a in preview.ambiguous] == [Conflict.TAKEN]
    assert [
        (c.product.id, c.shopify_skus, c.match) for c in preview.case_differences
    ] == [(2, ("ABC",), None)]
    assert preview.case_differs_products == []  # it is ambiguous first
    assert bucket_of_variants(preview) == {
        "gid://shopify/ProductVariant/1": "already_linked",
        "gid://shopify/ProductVariant/2": "case",
    }


# -- duplicates ------------------------------------------------------------------------


def test_duplicates_on_either_side_name_every_record() -> None:
    cap = product(1, "CAP", "103")
    sock, sock_gift = product(2, "SOCK"), product(3, " SOCK")
    pen, zed = product(4, "", "444"), product(5, "ZED", "444")
    preview = preview_links(
        [cap, sock, sock_gift, pen, zed],
        [
            variant(10, "CAP", "103"),
            variant(2, "CAP"),  # the old listing, without a barcode
            variant(3, "SOCK", "097"),
            variant(4, None, "444"),
            variant(6, "LONE"),
            variant(7, "LONE"),
        ],
    )
    assert preview.matched == []
    summary = [
        (a.field, a.value, ids(a.products), ids(a.variants)) for a in preview.ambiguous
    ]
    assert summary == [
        ("sku", "CAP", [1], [2, 10]),  # by id, naturally sorted
        ("sku", "LONE", [], [6, 7]),
        ("sku", "SOCK", [2, 3], [3]),
        ("barcode", "444", [4, 5], [4]),
    ]
    assert [preview.why_unlinked(p) for p in (cap, sock, pen, zed)] == [
        "2 Shopify variants have this SKU",
        "several Odoo products have this SKU",
        "several Odoo products have this barcode",
        "several Odoo products have this barcode",
    ]
    assert preview.ambiguous[0].message == (
        "SKU 'CAP' is on 2 Shopify variants (Product 2 "
        "(gid://shopify/ProductVariant/2), Product 10 "
        "(gid://shopify/ProductVariant/10)) and 1 Odoo product (Odoo 1): not linked. "
        "Give each record its own SKU, then preview again."
    )
    assert preview.ambiguous[1].message.startswith(
        "SKU 'LONE' is on 2 Shopify variants (Product 6 "
    )
    assert "and no Odoo product: not linked" in preview.ambiguous[1].message
    assert preview.ambiguous[3].message.startswith(
        "barcode '444' is on 1 Shopify variant (Product 4 "
        "(gid://shopify/ProductVariant/4)) and 2 Odoo products (Odoo 4, Odoo 5)"
    )
    # Variants a product points at are claimed; LONE is nobody's.
    assert {int(i.rsplit("/", 1)[1]) for i in preview.claimed} == {2, 3, 4, 10}
    assert bucket_of_variants(preview)["gid://shopify/ProductVariant/6"] == "ambiguous"


def test_duplicate_known_outside_the_list() -> None:
    sock = product(1, "SOCK")
    preview = preview_links([sock], [variant(1, "SOCK")], duplicated_skus={"SOCK"})
    [ambiguity] = preview.ambiguous
    assert ambiguity.message == (
        "SKU 'SOCK' is on 1 Shopify variant (Product 1 "
        "(gid://shopify/ProductVariant/1)) and 1 Odoo product (Odoo 1) (several Odoo "
        "products carry it): not linked. Give each record its own SKU, then preview "
        "again."
    )
    assert preview.why_unlinked(sock) == "several Odoo products have this SKU"
    # A marker for an SKU no product has changes nothing.
    assert preview_links([], [variant(1, "X")], duplicated_skus={"X"}).ambiguous == []


def test_duplicates_among_linked_records_only_are_not_reported() -> None:
    a, b = product(1, "A", linked=1), product(2, "A", linked=2)
    preview = preview_links([a, b], [variant(1, "A"), variant(2, "A")])
    assert preview.ambiguous == []
    assert matches(preview.already_linked) == [(1, 1, "id"), (2, 2, "id")]
    # One more variant with the code: reported, the linked records named as such.
    preview = preview_links([a], [variant(1, "A"), variant(3, "A")])
    assert matches(preview.already_linked) == [(1, 1, "id")]
    [ambiguity] = preview.ambiguous
    assert ids(ambiguity.variants) == [1, 3]
    assert "(Odoo 1 (linked))" in ambiguity.message


def test_one_variant_matched_by_two_products_links_neither() -> None:
    by_sku, by_barcode = product(1, "A-1"), product(2, "", "111")
    preview = preview_links([by_sku, by_barcode], [variant(1, "A-1", "111")])
    [ambiguity] = preview.ambiguous
    assert ambiguity.kind is Conflict.CONTESTED
    assert ambiguity.message == (
        "Shopify Product 1 (gid://shopify/ProductVariant/1) matches 2 Odoo products "
        "(Odoo 2, Odoo 1). Give each product its own SKU and barcode."
    )
    assert (
        preview.why_unlinked(by_sku)
        == "its Shopify variant also matches Odoo barcode 111"
    )
    assert (
        preview.why_unlinked(by_barcode) == "its Shopify variant also matches Odoo A-1"
    )
    assert preview.matched == preview.odoo_only == []


def test_contested_product_keeps_its_case_note_unlinked() -> None:
    first = product(1, "abc", "111")  # barcode -> 1; its SKU differs in case from 2
    second = product(2, "X-1")  # SKU -> 1
    preview = preview_links(
        [first, second], [variant(1, "X-1", "111"), variant(2, "ABC")]
    )
    assert [a.kind for a in preview.ambiguous] == [Conflict.CONTESTED]
    assert [(c.product.id, c.match) for c in preview.case_differences] == [(1, None)]
    assert bucket_of_products(preview) == {1: "ambiguous", 2: "ambiguous"}


# -- case-only differences -------------------------------------------------------------


def test_case_only_difference_is_listed_not_linked() -> None:
    apple = product(1, "abc-1")
    date = product(2, "dEf-2", "222")
    preview = preview_links(
        [apple, date],
        [variant(1, "ABC-1"), variant(2, "DEF-2", "222"), variant(3, "Def-2")],
    )
    assert matches(preview.matched) == [(2, 2, "barcode")]
    assert preview.why_unlinked(date) == ""
    assert [
        (c.product.id, c.shopify_skus, c.match is not None)
        for c in preview.case_differences
    ] == [(1, ("ABC-1",), False), (2, ("DEF-2", "Def-2"), True)]
    assert preview.case_differs_products == [apple]
    assert preview.why_unlinked(apple) == "a Shopify SKU differs only in letter case"
    assert bucket_of_products(preview) == {1: "case", 2: "matched"}
    assert bucket_of_variants(preview) == {
        "gid://shopify/ProductVariant/1": "case",
        "gid://shopify/ProductVariant/2": "matched",
        "gid://shopify/ProductVariant/3": "case",
    }


def test_exact_sku_wins_over_a_case_twin() -> None:
    preview = preview_links([product(1, "A")], [variant(1, "A"), variant(2, "a")])
    assert matches(preview.matched) == [(1, 1, "sku")]
    assert preview.case_differences == []
    assert ids(preview.shopify_only) == [2]


# -- blanks and leftovers --------------------------------------------------------------


def test_blanks_on_either_side() -> None:
    blank = product(1, "  ", None)
    preview = preview_links(
        [blank, product(2, "ONLY-ODOO")],
        [variant(1, " ", ""), variant(2, "ONLY-SHOPIFY"), variant(3, None, "999")],
    )
    assert preview.blank_products == [blank]
    assert ids(preview.blank_variants) == [1]
    assert ids(preview.odoo_only) == [2]
    assert ids(preview.shopify_only) == [3, 2]  # by SKU: none first
    assert preview.why_unlinked(blank) == (
        "it has no Internal Reference (SKU) and no barcode"
    )
    assert preview.counts()["blank"] == 2


# -- the whole preview -----------------------------------------------------------------


def mixed() -> tuple[list[OdooProduct], list[Variant]]:
    products = [
        product(1, "A", linked=1),
        product(2, "B", "222"),
        product(3, "C"),
        product(4, "c-low"),
        product(5, "DUP"),
        product(6, "DUP"),
        product(7),
        product(8, "ODOO-ONLY"),
        product(9, "E", "999"),
        product(10, "G", linked=77),
    ]
    variants = [
        variant(1, "A-RENAMED"),
        variant(2, "B", "222"),
        variant(3, "C"),
        variant(4, "C-LOW"),
        variant(5, "DUP"),
        variant(6),
        variant(7, "SHOPIFY-ONLY"),
        variant(8, "E"),
        variant(9, "F", "999"),
        variant(11, "G"),
    ]
    return products, variants


def test_every_record_lands_in_exactly_one_bucket() -> None:
    products, variants = mixed()
    preview = preview_links(products, variants)
    assert bucket_of_products(preview) == {
        1: "already_linked",
        2: "matched",
        3: "matched",
        4: "case",
        5: "ambiguous",
        6: "ambiguous",
        7: "blank",
        8: "odoo_only",
        9: "ambiguous",
        10: "matched",
    }
    assert sorted(bucket_of_variants(preview).items()) == sorted(
        {
            f"gid://shopify/ProductVariant/{n}": bucket
            for n, bucket in [
                (1, "already_linked"),
                (2, "matched"),
                (3, "matched"),
                (4, "case"),
                (5, "ambiguous"),
                (6, "blank"),
                (7, "shopify_only"),
                (8, "ambiguous"),
                (9, "ambiguous"),
                (11, "matched"),
            ]
        }.items()
    )
    assert ids(preview.stale_links) == [10]


def test_the_preview_does_not_depend_on_input_order() -> None:
    products, variants = mixed()
    expected = preview_links(products, variants)
    shuffler = random.Random(7)
    for _ in range(5):
        shuffler.shuffle(products)
        shuffler.shuffle(variants)
        assert preview_links(products, variants) == expected


def test_variant_ids_sort_naturally() -> None:
    preview = preview_links([], [variant(10, "X"), variant(9, "X"), variant(100, "")])
    [ambiguity] = preview.ambiguous
    assert ids(ambiguity.variants) == [9, 10]
    assert ids(preview.blank_variants) == [100]


# -- words -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "product_title", "sku", "label"),
    [
        ("Red / M", "T-shirt", "TS", "T-shirt / Red / M"),
        ("Red / M", "", "TS", "Red / M"),
        ("Default Title", "Mug", "MUG", "Mug"),
        ("", "", "MUG", "MUG"),
        ("Default Title", " ", None, "gid://shopify/ProductVariant/1"),
    ],
)
def test_variant_label(title, product_title, sku, label) -> None:
    assert variant_label(variant(1, sku, title=title, product=product_title)) == label


def test_product_reference_and_label() -> None:
    assert product(1, " A ").reference == "A"
    assert product(1, "", " 111 ").reference == "barcode 111"
    assert product(1, name="Named").reference == "Named"
    nameless = product(4, name="")
    assert nameless.reference == nameless.label == "product 4"
    assert OdooProduct(5, None, None).clean_sku == ""


def test_dataclasses_compare_by_value() -> None:
    v = variant(1, "A")
    p = product(1, "A")
    assert Match(p, v, Method.SKU) == Match(p, v, Method.SKU)
    assert CaseDifference(p, (v,)).match is None
    assert Ambiguity(Conflict.DUPLICATE, (p,), (v,), "sku", "A").value == "A"
    assert LinkPreview().counts()["matched"] == 0
