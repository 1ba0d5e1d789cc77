"""Reading Odoo 19 stock exports: both header styles, bad rows, sums, duplicates."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopify_stock_sync.engine.stock_export import (
    DuplicateSku,
    ExportProblem,
    StockLine,
    location_within,
    parse_stock_export,
    read_stock_export,
)

SAMPLES = Path(__file__).resolve().parents[1] / "samples"

# What Odoo 19 writes for Inventory > Reporting > Stock, Export, CSV, with the product's
# Internal Reference and Barcode added (csv.writer with QUOTE_ALL, floats as str()).
LABELS = (
    '"Location","Product","Product/Internal Reference","Product/Barcode",'
    '"Lot/Serial Number","Quantity","Reserved Quantity","Unit"\n'
    '"WH/Stock","[TS-RED-M] T-shirt (Red, M)","TS-RED-M","5400000000011","","12.0",'
    '"2.0","Units"\n'
    '"WH/Stock/Shelf 1","[TS-RED-M] T-shirt (Red, M)","TS-RED-M","5400000000011","",'
    '"3.0","0.0","Units"\n'
    '"WH/Stock","[MUG-01] Mug","MUG-01","","LOT-A","4.0","1.0","Units"\n'
    '"WH/Stock","[MUG-01] Mug","MUG-01","","LOT-B","5.5","0.0","Units"\n'
)

# The same with "import-compatible export" ticked: technical names as the header.
TECHNICAL = (
    '"location_id","product_id","product_id/default_code","product_id/barcode",'
    '"inventory_quantity_auto_apply","reserved_quantity"\n'
    '"WH/Stock","[TS-RED-M] T-shirt (Red, M)"," TS-RED-M ","5400000000011",'
    '"12.0","2.0"\n'
    '"WH/Stock/Shelf 1","[TS-RED-M] T-shirt (Red, M)","TS-RED-M","5400000000011",'
    '"3.0","0.0"\n'
    '"WH/Stock","[MUG-01] Mug","MUG-01","","9.5","1.0"\n'
)


def test_label_header_is_read_and_summed_per_product_and_location() -> None:
    export = parse_stock_export(LABELS)
    assert export.problems == []
    assert export.rows_read == 4
    assert export.columns == {
        "product": "Product",
        "sku": "Product/Internal Reference",
        "barcode": "Product/Barcode",
        "location": "Location",
        "quantity": "Quantity",
        "reserved": "Reserved Quantity",
        "lot": "Lot/Serial Number",
        "unit": "Unit",
    }
    assert export.ignored_columns == []
    assert not export.sku_from_product_name
    assert export.lines == [
        StockLine("MUG-01", "", "WH/Stock", 9.5, 1.0, ("[MUG-01] Mug",), (4, 5)),
        StockLine(
            "TS-RED-M",
            "5400000000011",
            "WH/Stock",
            12.0,
            2.0,
            ("[TS-RED-M] T-shirt (Red, M)",),
            (2,),
        ),
        StockLine(
            "TS-RED-M",
            "5400000000011",
            "WH/Stock/Shelf 1",
            3.0,
            0.0,
            ("[TS-RED-M] T-shirt (Red, M)",),
            (3,),
        ),
    ]
    assert [line.free for line in export.lines] == [8.5, 10.0, 3.0]
    assert export.locations == ["WH/Stock", "WH/Stock/Shelf 1"]
    assert export.duplicate_skus == []


def test_technical_header_gives_the_same_lines() -> None:
    labels = parse_stock_export(LABELS)
    technical = parse_stock_export(TECHNICAL)
    assert technical.problems == []
    assert technical.columns["quantity"] == "inventory_quantity_auto_apply"
    assert [(x.sku, x.location, x.quantity, x.free) for x in technical.lines] == [
        (x.sku, x.location, x.quantity, x.free) for x in labels.lines
    ]


def test_physical_inventory_export_and_sku_from_display_name() -> None:
    # The Physical Inventory list's own columns: no Internal Reference column.
    text = (
        '"Location","Product","Inventoried Quantity","Reserved Quantity","Unit"\n'
        '"WH/Stock","[TS-RED-M] T-shirt (Red, M)","7.0","0.0","Units"\n'
        '"WH/Stock","[ 1234 ]  Bolt","2.0","","Units"\n'
        '"WH/Stock","Gift card","1.0","0.0","Units"\n'
    )
    export = parse_stock_export(text)
    assert export.sku_from_product_name
    assert [(x.sku, x.quantity, x.reserved) for x in export.lines] == [
        ("1234", 2.0, 0.0),
        ("TS-RED-M", 7.0, 0.0),
    ]
    assert [str(p) for p in export.problems] == [
        "Row 4: product 'Gift card' has no Internal Reference (SKU) and no Barcode; "
        "set one on the product in Odoo so it can be linked to a Shopify variant."
    ]


def test_available_column_gives_reserved() -> None:
    text = (
        "Product,Location,Quantity,Available Quantity\n"
        "[A] Apple,WH/Stock,10.0,7.0\n"
        "[A] Apple,WH/Stock,1.0,\n"
    )
    export = parse_stock_export(text)
    assert [(x.quantity, x.reserved, x.free) for x in export.lines] == [
        (11.0, 3.0, 8.0)
    ]


def test_barcode_only_products_are_kept_by_barcode() -> None:
    text = (
        "Location;Product/Barcode;Quantity\n"
        "WH/Stock;4006381333931;3\n"
        "WH/Stock;4006381333931;2\n"
        "WH/Stock; ;2\n"
    )
    export = parse_stock_export(text)
    assert [(x.sku, x.barcode, x.quantity, x.reference) for x in export.lines] == [
        ("", "4006381333931", 5.0, "barcode 4006381333931")
    ]
    assert [p.row for p in export.problems] == [4]
    assert "the product has no Internal Reference" in export.problems[0].message


def test_bad_rows_become_problems_with_row_numbers() -> None:
    text = (
        '"Location","Product/Internal Reference","Quantity","Reserved Quantity"\n'
        '"WH/Stock","A","abc","0"\n'
        '"","B","1","0"\n'
        '"WH/Stock","C","","0"\n'
        '"WH/Stock","D","1","many"\n'
        '"WH/Stock","E","nan","0"\n'
        '"WH/Stock","F","1","0","surprise"\n'
        '"WH/Stock","G","1","0",""\n'
        '"WH/Stock","H","1,5","0"\n'
        "\n"
        '"WH/Stock","I","2"\n'
    )
    export = parse_stock_export(text)
    assert [(p.row, p.message) for p in export.problems] == [
        (2, "Quantity 'abc' is not a number."),
        (3, "the product has no Location."),
        (4, "Quantity is empty for the product at WH/Stock."),
        (5, "Reserved Quantity 'many' is not a number."),
        (6, "Quantity 'nan' is not a number."),
        (7, "5 cells, but the header has 4; check the delimiter and the quoting."),
        (9, "Quantity '1,5' is not a number."),
    ]
    # Row 8 has an empty extra cell: fine.  Row 10 is blank.  Row 11 is short: fine.
    assert [(x.sku, x.quantity) for x in export.lines] == [("G", 1.0), ("I", 2.0)]
    assert export.rows_read == 9


def test_product_named_in_row_problems() -> None:
    text = "Product,Location,Quantity\n[A] Apple,,1\n"
    export = parse_stock_export(text)
    assert str(export.problems[0]) == "Row 2: product '[A] Apple' has no Location."


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        ("Product,Quantity", '"Location"'),
        ("Product,Location", '"Quantity" (or "Inventoried Quantity")'),
        ("Location,Quantity", '"Product/Internal Reference" (or "Product/Barcode")'),
    ],
)
def test_missing_columns_are_one_actionable_problem(header: str, missing: str) -> None:
    export = parse_stock_export(header + "\nx,1\n")
    assert len(export.problems) == 1
    problem = export.problems[0]
    assert problem.row is None
    assert missing in problem.message
    assert "found: " in problem.message
    assert export.lines == []


def test_unknown_columns_are_listed_known_ones_ignored() -> None:
    text = (
        "External ID,Company,Package,Owner,Colour,Location,"
        "Product/Internal Reference,Quantity,On Hand\n"
        "__export__.q_1,My Company,PACK1,,red,WH/Stock,A,1,99\n"
    )
    export = parse_stock_export(text)
    assert export.ignored_columns == ["Colour"]
    # The first quantity column wins; "On Hand" is a lower-priority alias.
    assert [x.quantity for x in export.lines] == [1.0]


def test_empty_export() -> None:
    for text in ("", "   \n", "\ufeff"):
        export = parse_stock_export(text)
        assert [str(p) for p in export.problems] == ["The stock export is empty."]


def test_unreadable_csv_is_one_problem() -> None:
    huge = "x" * 200_000  # over the csv module's field size limit
    export = parse_stock_export(f'Location,Product,Quantity\nWH/Stock,"{huge}",1\n')
    assert export.lines == []
    assert [p.row for p in export.problems] == [None]
    assert export.problems[0].message.startswith("The stock export is not readable")


def test_odoo_formula_guard_quote_is_removed() -> None:
    # Odoo prefixes cells starting with = - + with a quote (spreadsheet formula guard).
    text = (
        '"Location","Product/Internal Reference","Quantity"\n'
        '"WH/Stock","\'-DASH","-2.0"\n'
        '"WH/Stock","\'","1.0"\n'
    )
    export = parse_stock_export(text)
    assert [(x.sku, x.quantity) for x in export.lines] == [("'", 1.0), ("-DASH", -2.0)]


def test_duplicate_skus_reported_when_names_or_barcodes_differ() -> None:
    text = (
        "Product,Product/Internal Reference,Product/Barcode,Location,Quantity\n"
        "[CAP] Cap (Blue),CAP,111,WH/Stock,1\n"
        "[CAP] Cap (Green),CAP,,WH/Stock,2\n"
        "[BAG] Bag,BAG,222,WH/Stock,1\n"
        "[BAG] Bag,BAG,333,WH/Stock/Shelf 1,1\n"
        "[OK] Fine,OK,444,WH/Stock,1\n"
        "[OK] Fine,OK,444,WH/Stock/Shelf 1,1\n"
    )
    export = parse_stock_export(text)
    assert export.duplicate_skus == [
        DuplicateSku("BAG", ("[BAG] Bag",), ("222", "333"), (4, 5)),
        DuplicateSku(
            "CAP", ("[CAP] Cap (Blue)", "[CAP] Cap (Green)"), ("111",), (2, 3)
        ),
    ]
    # Still summed per SKU: the audit decides what to do with duplicates.
    assert [(x.sku, x.location, x.quantity) for x in export.lines][-3:] == [
        ("CAP", "WH/Stock", 3.0),
        ("OK", "WH/Stock", 1.0),
        ("OK", "WH/Stock/Shelf 1", 1.0),
    ]


def test_location_within() -> None:
    assert location_within("WH/Stock", "WH/Stock")
    assert location_within("WH/Stock/Shelf 1/Bin 2", "WH/Stock/")
    assert location_within(" WH/Stock/Shelf 1", "WH/Stock ")
    assert not location_within("WH/Stock 2", "WH/Stock")
    assert not location_within("WH", "WH/Stock")


def test_problem_text() -> None:
    assert str(ExportProblem(3, "bad.")) == "Row 3: bad."
    assert str(ExportProblem(None, "File bad.")) == "File bad."


def test_read_file_encodings_and_xlsx(tmp_path: Path) -> None:
    utf8 = tmp_path / "utf8.csv"
    utf8.write_bytes(
        "\ufeffLocation,Product,Quantity\nWH/Stock,[É-1] Café,2.0\n".encode()
    )
    assert [x.sku for x in read_stock_export(utf8).lines] == ["É-1"]
    windows = tmp_path / "excel.csv"
    windows.write_bytes(
        "Location;Product;Quantity\r\nWH/Stock;[É-1] Café;2,0\r\n".encode("cp1252")
    )
    export = read_stock_export(str(windows))
    assert export.lines == []
    assert export.problems[0].message == "Quantity '2,0' is not a number."
    odd = tmp_path / "odd.csv"
    odd.write_bytes(b"Location,Product,Quantity\nWH/Stock,[X\x81] Odd,1\n")
    assert [x.sku for x in read_stock_export(odd).lines] == ["X\x81"]
    xlsx = tmp_path / "stock.xlsx"
    xlsx.write_bytes(b"PK\x03\x04 rest of a zip")
    problems = read_stock_export(xlsx).problems
    assert len(problems) == 1 and "CSV" in problems[0].message
    assert "stock.xlsx" in problems[0].message


def test_sample_export_reads_cleanly_except_its_planted_problems() -> None:
    export = read_stock_export(SAMPLES / "odoo_stock.csv")
    assert export.lines
    assert all(p.row for p in export.problems)
