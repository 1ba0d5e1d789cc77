"""The stock audit: linking, mapping, the report, and the command line end to end.

The end-to-end tests run the real command against the Shopify simulator over loopback
HTTP and check, from the simulator's own counters, that the audit never writes.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from shopify_stock_sync.engine import __main__ as cli
from shopify_stock_sync.engine.audit import (
    AuditError,
    Links,
    LocationMapping,
    ReadOnlyClient,
    build_report,
    level_keys,
    link_products,
    odoo_products,
    parse_mapping,
    resolve_mappings,
)
from shopify_stock_sync.engine.data import LevelKey, Location, ShopifyLevel, Variant
from shopify_stock_sync.engine.rule import Basis, QuantityRule
from shopify_stock_sync.engine.shopify.client import ShopifyClient
from shopify_stock_sync.engine.stock_export import parse_stock_export
from tests.engine.conftest import SCOPES, TOKEN

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "tests" / "samples"
SAMPLE = json.loads((SAMPLES / "shop.json").read_text(encoding="utf-8"))
STOCK = str(SAMPLES / "odoo_stock.csv")
READS = {"Locations", "Variants", "Levels"}

MAIN = Location("gid://shopify/Location/1", "Main Warehouse")
SHOP = Location("gid://shopify/Location/2", "Downtown Store")
POPUP = Location("gid://shopify/Location/3", "Pop-up", active=False)
FBA = Location("gid://shopify/Location/4", "FBA", fulfillment_service=True)


def variant(n: int, sku: str | None, barcode: str | None = None, tracked=True):
    return Variant(
        f"gid://shopify/ProductVariant/{n}",
        f"gid://shopify/InventoryItem/{n}",
        sku,
        barcode,
        tracked,
        title="Default Title",
        product_title=f"Product {n}",
    )


def export(*rows: str, header: str = "Product,Product/Barcode,Location,Quantity"):
    return parse_stock_export("\n".join([header, *rows]) + "\n")


def run(argv: list[str], environ: dict[str, str] | None = None):
    out, err = io.StringIO(), io.StringIO()
    code = cli.audit_main(argv, stdout=out, stderr=err, environ=environ or {})
    return code, out.getvalue(), err.getvalue()


def assert_read_only(sim) -> None:
    stats = sim.stats
    assert stats.applied_writes == []
    assert stats.activations == []
    assert set(stats.by_operation) <= READS
    assert stats.requests > 0


# -- location mappings -----------------------------------------------------------------


def test_parse_mapping() -> None:
    assert parse_mapping(" WH/Stock/ = Main Warehouse ") == (
        "WH/Stock",
        "Main Warehouse",
    )
    assert parse_mapping("A=B=C") == ("A", "B=C")
    for bad in ("WH/Stock", "=Main", "WH/Stock=", " = "):
        with pytest.raises(AuditError, match="ODOO_LOCATION=SHOPIFY_LOCATION"):
            parse_mapping(bad)


def test_resolve_mappings_by_name_gid_and_case() -> None:
    locations = [MAIN, SHOP, POPUP]
    mappings = resolve_mappings(
        [
            "WH/Stock=main warehouse",
            f"SHOP/Stock={SHOP.id}",
            "WH2/Stock=Main Warehouse",
        ],
        locations,
    )
    assert mappings == [
        LocationMapping(SHOP, ("SHOP/Stock",)),
        LocationMapping(MAIN, ("WH/Stock", "WH2/Stock")),
    ]
    assert mappings[1].odoo_label == "WH/Stock + WH2/Stock"
    assert mappings[1].covers("WH2/Stock/Shelf 1")
    assert not mappings[1].covers("WH3/Stock")


def test_resolve_mappings_refusals() -> None:
    with pytest.raises(AuditError, match="no location 'Nowhere'.*'Downtown Store'"):
        resolve_mappings(["WH/Stock=Nowhere"], [MAIN, SHOP])
    twin = Location("gid://shopify/Location/9", "Main Warehouse")
    with pytest.raises(AuditError, match="map by GID"):
        resolve_mappings(["WH/Stock=Main Warehouse"], [MAIN, twin])
    with pytest.raises(
        AuditError, match="'WH/Stock' is mapped twice \\(already mapped to 'Main"
    ):
        resolve_mappings(
            ["WH/Stock=Main Warehouse", "WH/Stock=Downtown Store"], [MAIN, SHOP]
        )
    with pytest.raises(AuditError, match="overlaps 'WH/Stock'.*one Shopify location"):
        resolve_mappings(
            ["WH/Stock=Main Warehouse", "WH/Stock/Shelf 1=Downtown Store"], [MAIN, SHOP]
        )
    with pytest.raises(AuditError, match="overlaps"):
        resolve_mappings(
            ["WH/Stock/A=Main Warehouse", "WH/Stock=Main Warehouse"], [MAIN]
        )
    with pytest.raises(AuditError, match="Map at least one location"):
        resolve_mappings([], [MAIN])
    with pytest.raises(AuditError, match="Its locations: none"):
        resolve_mappings(["WH/Stock=Main"], [])


# -- links -----------------------------------------------------------------------------


def test_link_by_sku_exact_after_trimming_then_barcode() -> None:
    stock = export(
        "[A-1] Apple,,WH/Stock,1",
        "Banana,555,WH/Stock,2",
        "[C-1] Cherry,777,WH/Stock,3",
    )
    variants = [variant(1, " A-1 "), variant(2, "", "555"), variant(3, "C-1", "999")]
    links = link_products(odoo_products(stock), variants)
    assert [(x.product.reference, x.variant.id[-1], x.by) for x in links.linked] == [
        ("barcode 555", "2", "barcode"),
        ("A-1", "1", "sku"),
        ("C-1", "3", "sku"),
    ]
    assert links.unlinked == links.case_differences == links.shopify_duplicates == []


def test_never_linked_by_title() -> None:
    stock = export("[X-1] Product 1,,WH/Stock,1", "[Y-1] Product 2,999,WH/Stock,1")
    links = link_products(odoo_products(stock), [variant(1, "OTHER", "111")])
    assert links.linked == []
    assert [u.reason for u in links.unlinked] == [
        "no Shopify variant has this SKU or barcode"
    ] * 2
    assert links.claimed == set()


def test_case_only_difference_is_reported_not_linked() -> None:
    stock = export("[abc-1] Apple,,WH/Stock,1", "[dEf-2] Date,222,WH/Stock,1")
    variants = [variant(1, "ABC-1"), variant(2, "DEF-2", "222"), variant(3, "Def-2")]
    links = link_products(odoo_products(stock), variants)
    assert [(x.product.sku, x.by) for x in links.linked] == [("dEf-2", "barcode")]
    assert [(u.product.sku, u.reason) for u in links.unlinked] == [
        ("abc-1", "a Shopify SKU differs only in letter case")
    ]
    assert [
        (c.odoo_sku, c.shopify_skus, c.linked_by_barcode)
        for c in links.case_differences
    ] == [("abc-1", ("ABC-1",), False), ("dEf-2", ("DEF-2", "Def-2"), True)]
    assert links.claimed == {v.id for v in variants}


def test_duplicates_on_either_side_are_not_linked() -> None:
    stock = export(
        "[CAP] Cap,,WH/Stock,1",
        "[SOCK] Socks,,WH/Stock,1",
        "[SOCK] Socks (gift box),,WH/Stock,1",
        "Pen,444,WH/Stock,1",
        "[ZED] Zed,444,WH/Stock,1",
    )
    variants = [
        variant(1, "CAP"),
        variant(2, "CAP"),
        variant(3, "SOCK"),
        variant(4, None, "444"),
        variant(5, None, "444"),
        variant(6, "LONE"),
        variant(7, "LONE"),
    ]
    links = link_products(odoo_products(stock), variants, stock.duplicate_skus)
    assert links.linked == []
    assert [(u.product.reference, u.reason) for u in links.unlinked] == [
        ("barcode 444", "2 Shopify variants have this barcode"),
        ("CAP", "2 Shopify variants have this SKU"),
        ("SOCK", "several Odoo products have this SKU"),
        ("ZED", "2 Shopify variants have this barcode"),
    ]
    assert [(d.field, d.value, len(d.variants)) for d in links.shopify_duplicates] == [
        ("sku", "CAP", 2),
        ("sku", "LONE", 2),
        ("barcode", "444", 2),
    ]
    assert links.claimed == {v.id for v in variants[:5]}


def test_one_variant_claimed_by_two_odoo_products_links_neither() -> None:
    stock = export("[A-1] Apple,,WH/Stock,1", "Apple bis,111,WH/Stock,1")
    links = link_products(odoo_products(stock), [variant(1, "A-1", "111")])
    assert links.linked == []
    assert sorted(u.reason for u in links.unlinked) == [
        "its Shopify variant also matches Odoo A-1",
        "its Shopify variant also matches Odoo barcode 111",
    ]


# -- the report ------------------------------------------------------------------------


def level(v: Variant, loc: Location, available: int, committed: int = 0):
    key = LevelKey(v.inventory_item_id, loc.id)
    return key, ShopifyLevel(
        key,
        stocked=True,
        available=available,
        on_hand=available + committed,
        committed=committed,
        tracked=v.tracked,
    )


def test_report_sums_children_and_applies_the_basis() -> None:
    stock = parse_stock_export(
        "Product,Location,Quantity,Reserved Quantity\n"
        "[A] Apple,WH/Stock,5,1\n"
        "[A] Apple,WH/Stock/Shelf 1,2,0\n"
        "[A] Apple,WH/Stockroom,100,0\n"
        "[A] Apple,SHOP/Stock,3,3\n"
    )
    a = variant(1, "A")
    mappings = [
        LocationMapping(MAIN, ("WH/Stock",)),
        LocationMapping(SHOP, ("SHOP/Stock",)),
    ]
    levels = dict([level(a, MAIN, 6), level(a, SHOP, 0)])
    free = build_report(stock, [a], mappings, levels, QuantityRule())
    assert [
        (p.subject.shopify_location, p.odoo_quantity)
        for p in free.reconciliation.matched
    ] == [
        ("Downtown Store", 0.0),
        ("Main Warehouse", 6.0),
    ]
    on_hand = build_report(
        stock, [a], mappings, levels, QuantityRule(basis=Basis.ON_HAND)
    )
    assert [(p.target, p.difference) for p in on_hand.reconciliation.mismatched] == [
        (3, 3),
        (7, 1),
    ]
    assert [(u.location, u.quantity, u.rows) for u in free.unmapped_locations] == [
        ("WH/Stockroom", 100.0, 1)
    ]
    assert free.reconciliation.matched[0].subject.product == "Apple"
    assert free.exit_code == 1  # the unmapped location


def test_clean_report_exits_zero_and_keys_to_read() -> None:
    stock = export("[A] Apple,,WH/Stock,4", "[B] Berry,,WH/Stock,0")
    a, b = variant(1, "A"), variant(2, "B")
    c, d = variant(3, "C"), variant(4, "D", tracked=False)
    mappings = [LocationMapping(MAIN, ("WH/Stock",))]
    links = link_products(odoo_products(stock), [a, b, c, d])
    assert level_keys(links, [a, b, c, d], mappings) == [
        LevelKey(a.inventory_item_id, MAIN.id),
        LevelKey(b.inventory_item_id, MAIN.id),
        LevelKey(c.inventory_item_id, MAIN.id),
    ]
    levels = dict([level(a, MAIN, 4), level(c, MAIN, 0)])
    levels[LevelKey(b.inventory_item_id, MAIN.id)] = ShopifyLevel(
        LevelKey(b.inventory_item_id, MAIN.id), stocked=False
    )
    report = build_report(stock, [a, b, c, d], mappings, levels, QuantityRule())
    assert report.problems == 0 and report.exit_code == 0
    assert report.counts()["not_stocked_empty"] == 1
    assert report.unknown_to_odoo == []  # C has no stock; D is untracked
    assert report.notes == []


def test_unknown_to_odoo_needs_stock_at_a_mapped_location() -> None:
    stock = export("[A] Apple,,WH/Stock,1")
    a, x, y = variant(1, "A"), variant(2, "X"), variant(3, None)
    mappings = [LocationMapping(MAIN, ("WH/Stock",)), LocationMapping(SHOP, ("SHOP",))]
    levels = dict(
        [level(a, MAIN, 1), level(x, MAIN, 0), level(x, SHOP, -1), level(y, MAIN, 0)]
    )
    levels[LevelKey(y.inventory_item_id, MAIN.id)] = ShopifyLevel(
        LevelKey(y.inventory_item_id, MAIN.id), stocked=True, available=0, on_hand=2
    )
    report = build_report(stock, [a, x, y], mappings, levels, QuantityRule())
    found = [
        (u.variant.sku, [lv.key.location_id for lv in u.levels])
        for u in report.unknown_to_odoo
    ]
    assert found == [(None, [MAIN.id]), ("X", [SHOP.id])]


def test_notes_for_odd_mappings_and_sku_from_names() -> None:
    stock = parse_stock_export("Product,Location,Quantity\n[A] Apple,WH/Stock,1\n")
    mappings = [
        LocationMapping(POPUP, ("WH/Stock",)),
        LocationMapping(FBA, ("WH/Typo",)),
    ]
    report = build_report(stock, [], mappings, {}, QuantityRule())
    notes = "\n".join(report.notes)
    assert "SKUs were read from the product names" in notes
    assert "'Pop-up' is deactivated" in notes
    assert "'FBA' belongs to a fulfillment service" in notes
    assert "No row of the export is at Odoo location 'WH/Typo'" in notes


def test_read_only_client_refuses_mutations() -> None:
    class Fake:
        domain = "x.myshopify.com"

        def execute(self, document, variables=None, **kwargs):
            return {"ran": document}

    reader = ReadOnlyClient(Fake())  # type: ignore[arg-type]
    assert reader.execute("query Q { shop { name } }") == {
        "ran": "query Q { shop { name } }"
    }
    assert reader.domain == "x.myshopify.com"
    with pytest.raises(AuditError, match="read only"):
        reader.execute("\n  mutation M { x }")


def test_empty_links_default() -> None:
    assert Links().claimed == set()


# -- the command line, end to end over HTTP --------------------------------------------


def shop_args(sim, *extra: str) -> list[str]:
    maps = [arg for spec in SAMPLE["audit"]["map"] for arg in ("--map", spec)]
    return [
        "--shop",
        sim.domain,
        "--base-url",
        sim.base_url,
        "--stock",
        STOCK,
        *maps,
        *extra,
    ]


def test_demo_text_report() -> None:
    code, out, err = run([])
    assert (code, err) == (1, "")
    assert out.startswith("Demo: the bundled Shopify simulator")
    for expected in (
        "Checked 16 pairs: 12 matched, 3 mismatched, 1 not stocked in Shopify.",
        "  TS-RED-M  T-shirt (Red, M)   Main Warehouse      12      12          9",
        "  MUG-BLK (Mug (Black)) at Downtown Store: Odoo 5, target 5;",
        "  TOTE-BAG (Tote bag): the variant does not track inventory",
        "  POSTER-A2 (Poster A2): no Shopify variant has this SKU or barcode.",
        "  CANDLE-LAV (Scented candle / Lavender): Main Warehouse available 6.",
        "  SKU CAP-GRN: 2 variants (Cap / Green, Cap (old listing) / Green).",
        "  Odoo 'ts-blu-s', Shopify 'TS-BLU-S' (linked by barcode meanwhile).",
        "  WH/Returns: 1 product, 2 on hand (1 row)",
        "  Row 7: product 'Gift wrapping paper' has no Internal Reference",
        "MATCHED (12)",
        "Read only: 3 queries sent, no writes.",
        "Result: 3 mismatched pairs, 14 findings in all; see above.",
    ):
        assert expected in out
    # The in-flight order guard: 6 in Odoo, 2 sold in Shopify, 4 available = matched.
    guard = r"TS-RED-L +T-shirt \(Red, L\) +Main Warehouse +6 +4 +4 +6 +2\n"
    assert re.search(guard, out.split("MATCHED (12)")[1])
    assert str(ROOT) not in out  # nothing machine-specific


def test_demo_json_report() -> None:
    code, out, _ = run(["--format", "json", "--brief"])
    report = json.loads(out)
    assert code == report["exit_code"] == 1
    assert report["counts"] == {
        "checked": 16,
        "matched": 12,
        "mismatched": 3,
        "not_stocked": 1,
        "untracked": 1,
        "oversold": 0,
        "not_stocked_empty": 0,
        "unlinked_odoo": 3,
        "unknown_to_odoo": 1,
        "duplicate_skus_odoo": 1,
        "duplicates_shopify": 1,
        "case_differences": 1,
        "unmapped_locations": 1,
        "export_problems": 1,
    }
    assert report["problems"] == 14
    assert report["requests"] == 3
    assert [
        (m["sku"], m["odoo_quantity"], m["target"], m["available"], m["difference"])
        for m in report["mismatched"]
    ] == [
        ("MUG-WHT", 14.0, 14, 12, 2),
        ("TS-BLU-M", 7.0, 7, 15, -8),
        ("TS-RED-M", 12.0, 12, 9, 3),
    ]
    assert report["stock_file"] == "tests/samples/odoo_stock.csv"
    assert report["basis"] == "free_qty" and report["safety_buffer"] == 0.0
    assert {link["by"] for link in report["links"]} == {"sku", "barcode"}
    assert report["unlinked_odoo"][0]["reason"] == "2 Shopify variants have this SKU"
    assert report["duplicate_skus_odoo"][0]["rows"] == [11, 12]
    assert report["duplicates_shopify"][0]["value"] == "CAP-GRN"
    assert report["untracked"][0]["variant"]["tracked"] is False
    assert report["unknown_to_odoo"][0]["levels"][0]["available"] == 6
    assert report["case_differences"][0]["linked_by_barcode"] is True
    assert report["unmapped_locations"][0]["location"] == "WH/Returns"
    assert report["export_problems"][0]["row"] == 7
    assert report["not_stocked"][0]["sku"] == "MUG-BLK"
    assert len(report["matched"]) == 12
    assert report["mappings"][0]["odoo_locations"] == ["SHOP/Stock"]
    assert report["notes"] == []


def test_real_shop_path_never_writes(sim) -> None:
    cli.seed(sim, SAMPLE)
    sim.reset_stats()
    code, out, err = run(shop_args(sim, "--token", TOKEN, "--brief"))
    assert (code, err) == (1, "")
    assert "Stock audit of sim-shop.myshopify.com (Admin API 2026-10)" in out
    assert "\nMATCHED (" not in out
    assert "Result: 3 mismatched pairs, 14 findings in all" in out
    # The token may write (write_inventory): the audit still only reads.
    assert "write_inventory" in SCOPES
    assert_read_only(sim)


def test_safety_buffer_and_on_hand_basis(sim) -> None:
    cli.seed(sim, SAMPLE)
    code, out, _ = run(
        shop_args(
            sim, "--basis", "on_hand", "--safety-buffer", "1", "--format", "json"
        ),
        environ={"SHOPIFY_TOKEN": TOKEN},
    )
    report = json.loads(out)
    assert code == 1
    assert (report["basis"], report["safety_buffer"]) == ("qty_available", 1.0)
    blue = [m for m in report["mismatched"] if m["sku"] == "TS-BLU-M"]
    assert [(m["odoo_quantity"], m["target"]) for m in blue] == [(10.0, 9)]
    assert_read_only(sim)


def test_clean_shop_exits_zero(sim, tmp_path: Path) -> None:
    main = sim.add_location("Main")
    item = sim.add_variant(sku="A-1", product_title="Apple").inventory_item_id
    sim.set_level(item, main, available=5)
    sim.place_order(item, main, 2)
    stock = tmp_path / "stock.csv"
    stock.write_text(
        '"Product","Location","Quantity"\n"[A-1] Apple","WH/Stock","5.0"\n'
    )
    code, out, _ = run(
        [
            "--shop",
            sim.domain,
            "--base-url",
            sim.base_url,
            "--stock",
            str(stock),
            "--map",
            f"WH/Stock={main}",
        ],
        environ={"SHOPIFY_TOKEN": TOKEN},
    )
    assert code == 0, out
    assert "Result: 0 mismatched pairs, 0 findings in all; Shopify matches Odoo." in out
    assert "SKUs were read from the product names" in out  # a note, not a finding
    assert_read_only(sim)


def test_client_credentials_from_options_and_environment(sim) -> None:
    cli.seed(sim, SAMPLE)
    sim.add_app(
        "client-1",
        "secret-1",
        scopes=("read_products", "read_inventory", "read_locations"),
    )
    code, out, err = run(
        shop_args(sim, "--client-id", "client-1", "--client-secret", "secret-1")
    )
    assert (code, err) == (1, "")
    code, out, err = run(
        shop_args(sim, "--client-id", "client-1"),
        environ={"SHOPIFY_CLIENT_SECRET": "secret-1", "SHOPIFY_TOKEN": "ignored"},
    )
    assert (code, err) == (1, "")
    code, out, err = run(
        shop_args(sim),
        environ={"SHOPIFY_CLIENT_ID": "client-1", "SHOPIFY_CLIENT_SECRET": "secret-1"},
    )
    assert (code, err) == (1, "")
    assert sim.stats.token_requests == 3
    assert_read_only(sim)


def test_refused_credentials_exit_2_without_the_secret(sim) -> None:
    code, out, err = run(shop_args(sim, "--token", "shpat_wrong_secret_value"))
    assert code == 2 and out == ""
    assert err.startswith("audit: Shopify refused the credentials:")
    assert "shpat_wrong_secret_value" not in err
    sim.add_app("client-1", "secret-1")
    code, _, err = run(
        shop_args(sim, "--client-id", "client-1", "--client-secret", "nope")
    )
    assert code == 2 and "nope" not in err


def test_unreachable_shop_exits_2(sim, monkeypatch) -> None:
    def quick(*args, **kwargs):
        kwargs.update(sleep=lambda seconds: None, max_attempts=2)
        return ShopifyClient(*args, **kwargs)

    monkeypatch.setattr(cli, "ShopifyClient", quick)
    sim.inject("http_503", count=10)
    code, _, err = run(shop_args(sim, "--token", TOKEN))
    assert code == 2
    assert err.startswith("audit: could not read the shop:")


def test_unknown_shopify_location_exits_2(sim) -> None:
    cli.seed(sim, SAMPLE)
    args = shop_args(sim, "--token", TOKEN) + ["--map", "WH2/Stock=Warehouse 2"]
    code, out, err = run(args)
    assert (code, out) == (2, "")
    assert "The shop has no location 'Warehouse 2'" in err
    assert "'Pop-up Market'" in err


# a shop, the sample export and one mapping: what every audit needs but credentials
SHOP_STOCK_MAP = ["--shop", "x.myshopify.com", "--stock", STOCK, "--map", "A=B"]


@pytest.mark.parametrize(
    ("argv", "environ", "message"),
    [
        (["--stock", STOCK], {}, "--shop is required"),
        (["--shop", "x.myshopify.com", "--map", "A=B"], {}, "--stock is required"),
        (SHOP_STOCK_MAP[:4], {}, "Map at least one location"),
        (SHOP_STOCK_MAP, {}, "No credentials"),
        ([*SHOP_STOCK_MAP, "--token", "t", "--client-id", "c"], {}, "not both"),
        (
            [*SHOP_STOCK_MAP, "--client-id", "c"],
            {"SHOPIFY_TOKEN": "t"},
            "needs both --client-id",
        ),
        (SHOP_STOCK_MAP, {"SHOPIFY_CLIENT_SECRET": "s"}, "needs both --client-id"),
        (
            ["--shop", "https://x.myshopify.com", *SHOP_STOCK_MAP[2:], "--token", "t"],
            {},
            "is not a Shopify shop domain",
        ),
        (
            [*SHOP_STOCK_MAP, "--token", "t", "--api-version", "2026-13"],
            {},
            "is not a Shopify API version",
        ),
        (
            [*SHOP_STOCK_MAP[:3], "missing.csv", *SHOP_STOCK_MAP[4:], "--token", "t"],
            {},
            "Cannot read the stock export 'missing.csv'",
        ),
        (
            [*SHOP_STOCK_MAP, "--token", "t", "--safety-buffer", "-1"],
            {},
            "safety buffer must be 0 or more",
        ),
        (["--basis", "forecast"], {}, "invalid choice: 'forecast'"),
        (["--frobnicate"], {}, "unrecognized arguments: --frobnicate"),
    ],
)
def test_usage_errors_exit_2(argv, environ, message) -> None:
    code, out, err = run(argv, environ)
    assert (code, out) == (2, "")
    assert err.startswith("audit: ") and message in err, err


def test_unusable_export_exits_2(tmp_path: Path) -> None:
    xlsx = tmp_path / "stock.xlsx"
    xlsx.write_bytes(b"PK\x03\x04")
    argv = [*SHOP_STOCK_MAP[:3], str(xlsx), *SHOP_STOCK_MAP[4:], "--token", "t"]
    code, _, err = run(argv)
    assert code == 2 and "not CSV" in err
    empty = tmp_path / "empty.csv"
    empty.write_text("Product,Quantity\n")
    code, _, err = run([*argv[:3], str(empty), *argv[4:]])
    assert code == 2 and 'no "Location"' in err


def test_help_exits_0() -> None:
    code, out, _ = run(["--help"])
    assert code == 0
    assert "--client-secret" in out and "--base-url" not in out


def test_demo_puts_the_checkout_on_the_path(monkeypatch) -> None:
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p != str(ROOT)])
    assert cli._simulator(ROOT).__name__ == "Simulator"
    assert sys.path[0] == str(ROOT)


def test_quantities_shown_as_people_read_them() -> None:
    assert [cli._qty(v) for v in (None, 3, 2.0, 2.5, -1.25)] == [
        "-",
        "3",
        "2",
        "2.5",
        "-1.25",
    ]


def test_demo_without_the_simulator(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "tests.simulator", None)
    code, out, err = run([])
    assert (code, out) == (2, "")
    assert "needs the Shopify simulator of a source checkout" in err


def test_main_dispatch(capsys) -> None:
    assert cli.main(["audit", "--help"]) == 0
    assert "--stock FILE.csv" in capsys.readouterr().out
    assert cli.main(["frobnicate"]) == 2
    assert "Unknown command 'frobnicate'" in capsys.readouterr().err
    assert cli.main(["--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["exit_code"] == 1


def test_module_runs_as_a_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "shopify_stock_sync.engine", "audit", "--brief"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert "Read only: 3 queries sent, no writes." in done.stdout
