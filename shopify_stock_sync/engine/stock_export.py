"""Read an Odoo stock export (``stock.quant`` list, Export, CSV) into quantities.

Odoo 19 writes the header with the fields' labels ("Product", "Location", "Quantity",
"Reserved Quantity", "Product/Internal Reference"...), or with their technical names
(``product_id``, ``quantity``, ``product_id/default_code``...) when "import-compatible"
is ticked.  Both are read.  The Physical Inventory list exports the on-hand quantity as
"Inventoried Quantity" and the Locations report as "Quantity"; either is the on-hand
quantity.  Where the export has no SKU column, the SKU is taken from the product's
display name (``[SKU] Name``), as Odoo writes it.

Rows are summed per (SKU, or barcode when the product has no SKU; location): lots,
packages and owners of one product at one location become one line.  Nothing is dropped
silently: every row that cannot be used becomes a :class:`ExportProblem` with its row
number (the spreadsheet row: the header is row 1).

>>> export = parse_stock_export(
...     '"Product","Location","Quantity","Reserved Quantity"\\n'
...     '"[TS-RED-M] T-shirt (Red, M)","WH/Stock","12.0","2.0"\\n'
...     '"[TS-RED-M] T-shirt (Red, M)","WH/Stock/Shelf 1","3.0","0.0"\\n'
...     '"[MUG] Mug","WH/Stock","x","0.0"\\n')
>>> [(line.sku, line.location, line.free) for line in export.lines]
[('TS-RED-M', 'WH/Stock', 10.0), ('TS-RED-M', 'WH/Stock/Shelf 1', 3.0)]
>>> print(export.problems[0])
Row 4: Quantity 'x' is not a number.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

# Each role and the headers that carry it, best first: Odoo 19 labels (``fields_get``
# strings, nested ones joined with "/"), then technical names.
COLUMNS: dict[str, tuple[str, ...]] = {
    "product": ("Product", "product_id", "product_id/display_name"),
    "sku": (
        "Product/Internal Reference",
        "product_id/default_code",
        "Internal Reference",
        "default_code",
    ),
    "barcode": ("Product/Barcode", "product_id/barcode", "Barcode", "barcode"),
    "location": (
        "Location",
        "location_id",
        "Location/Full Location Name",
        "location_id/complete_name",
        "location_id/display_name",
    ),
    "quantity": (
        "Quantity",
        "quantity",
        "Inventoried Quantity",
        "inventory_quantity_auto_apply",
        "On Hand",
        "Quantity On Hand",
    ),
    "reserved": ("Reserved Quantity", "reserved_quantity", "Quantity Reserved"),
    "available": ("Available Quantity", "available_quantity", "Available"),
    "lot": ("Lot/Serial Number", "lot_id"),
    "unit": ("Unit", "product_uom_id"),
}
# Exported by Odoo but of no use here; not reported as unknown.
_KNOWN_IGNORED = {
    "external id",
    "id",
    ".id",
    "company",
    "company_id",
    "package",
    "package_id",
    "owner",
    "owner_id",
    "product category",
    "product_categ_id",
    "storage category",
    "storage_category_id",
    "warehouse",
    "warehouse_id",
}

_DISPLAY_SKU = re.compile(r"^\[(?P<sku>[^\]]+)\]\s*(?P<name>.*)$")


@dataclass(frozen=True)
class ExportProblem:
    """A row (or the file) that could not be used, and what to do about it."""

    row: int | None
    message: str

    def __str__(self) -> str:
        return f"Row {self.row}: {self.message}" if self.row else self.message


@dataclass(frozen=True)
class StockLine:
    """One product's quantities at one Odoo location, summed over its rows.

    ``sku`` is the Internal Reference after trimming ("" when the product has none: it
    is then identified by ``barcode``).
    """

    sku: str
    barcode: str
    location: str
    quantity: float
    reserved: float
    products: tuple[str, ...] = ()
    rows: tuple[int, ...] = ()

    @property
    def free(self) -> float:
        """On hand minus reserved: Odoo's ``free_qty`` at this location."""
        return self.quantity - self.reserved

    @property
    def reference(self) -> str:
        """How an operator finds the product: its SKU, else its barcode."""
        return self.sku or f"barcode {self.barcode}"


@dataclass(frozen=True)
class DuplicateSku:
    """One SKU carried by several Odoo products (names or barcodes differ)."""

    sku: str
    products: tuple[str, ...]
    barcodes: tuple[str, ...]
    rows: tuple[int, ...]


@dataclass
class StockExport:
    lines: list[StockLine] = field(default_factory=list)
    problems: list[ExportProblem] = field(default_factory=list)
    duplicate_skus: list[DuplicateSku] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)
    rows_read: int = 0
    sku_from_product_name: bool = False

    @property
    def locations(self) -> list[str]:
        return sorted({line.location for line in self.lines})


def location_within(location: str, parent: str) -> bool:
    """True when ``location`` is ``parent`` or one of its children (by full name).

    >>> location_within("WH/Stock/Shelf 1", "WH/Stock")
    True
    >>> location_within("WH/Stock2", "WH/Stock")
    False
    """
    location = location.strip()
    parent = parent.strip().rstrip("/")
    return location == parent or location.startswith(parent + "/")


def product_name(display_name: str) -> str:
    """An Odoo product display name without its ``[SKU]`` prefix.

    >>> product_name("[TS-RED-M] T-shirt (Red, M)")
    'T-shirt (Red, M)'
    """
    match = _DISPLAY_SKU.match(display_name.strip())
    return match.group("name").strip() if match else display_name.strip()


def _clean(cell: str) -> str:
    """A cell as Odoo meant it: trimmed, without the quote Odoo adds before = - +."""
    text = cell.strip()
    if len(text) > 1 and text[0] == "'" and text[1] in "=-+":
        text = text[1:]
    return text


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _resolve_columns(header: list[str]) -> tuple[dict[str, int], list[str]]:
    positions: dict[str, int] = {}
    by_name = {}
    for position, name in enumerate(header):
        by_name.setdefault(name.strip().lower(), position)
    used = set()
    for role, names in COLUMNS.items():
        for name in names:
            position = by_name.get(name.lower())
            if position is not None:
                positions[role] = position
                used.add(position)
                break
    ignored = [
        name.strip()
        for position, name in enumerate(header)
        if position not in used
        and name.strip()
        and name.strip().lower() not in _KNOWN_IGNORED
        and not any(
            name.strip().lower() in (alias.lower() for alias in names)
            for names in COLUMNS.values()
        )
    ]
    return positions, ignored


def _missing_columns(positions: dict[str, int]) -> list[str]:
    missing = []
    if "location" not in positions:
        missing.append('"Location"')
    if "quantity" not in positions:
        missing.append('"Quantity" (or "Inventoried Quantity")')
    if not {"sku", "barcode", "product"} & set(positions):
        missing.append('"Product/Internal Reference" (or "Product/Barcode")')
    return missing


class _Accumulator:
    def __init__(self) -> None:
        self.quantity: dict[tuple[str, str, str], float] = defaultdict(float)
        self.reserved: dict[tuple[str, str, str], float] = defaultdict(float)
        self.products: dict[tuple[str, str, str], set[str]] = defaultdict(set)
        self.rows: dict[tuple[str, str, str], list[int]] = defaultdict(list)
        # SKU -> what was seen with it, to find one SKU on several products.
        self.sku_products: dict[str, set[str]] = defaultdict(set)
        self.sku_barcodes: dict[str, set[str]] = defaultdict(set)
        self.sku_rows: dict[str, list[int]] = defaultdict(list)
        # The barcode first seen with an SKU (the line's barcode).
        self.sku_barcode: dict[str, str] = {}

    def add(
        self,
        row: int,
        sku: str,
        barcode: str,
        product: str,
        location: str,
        quantity: float,
        reserved: float,
    ) -> None:
        if sku:
            key = (sku, "", location)
            self.sku_rows[sku].append(row)
            if product:
                self.sku_products[sku].add(product)
            if barcode:
                self.sku_barcodes[sku].add(barcode)
                self.sku_barcode.setdefault(sku, barcode)
        else:
            key = ("", barcode, location)
        self.quantity[key] += quantity
        self.reserved[key] += reserved
        if product:
            self.products[key].add(product)
        self.rows[key].append(row)

    def lines(self) -> list[StockLine]:
        lines = []
        for key in sorted(self.quantity):
            sku, barcode, location = key
            lines.append(
                StockLine(
                    sku=sku,
                    barcode=barcode or self.sku_barcode.get(sku, ""),
                    location=location,
                    quantity=self.quantity[key],
                    reserved=self.reserved[key],
                    products=tuple(sorted(self.products[key])),
                    rows=tuple(self.rows[key]),
                )
            )
        return lines

    def duplicates(self) -> list[DuplicateSku]:
        return [
            DuplicateSku(
                sku=sku,
                products=tuple(sorted(self.sku_products[sku])),
                barcodes=tuple(sorted(self.sku_barcodes[sku])),
                rows=tuple(self.sku_rows[sku]),
            )
            for sku in sorted(self.sku_rows)
            if len(self.sku_products[sku]) > 1 or len(self.sku_barcodes[sku]) > 1
        ]


def parse_stock_export(source: str | Iterable[str]) -> StockExport:
    """Parse the text of an Odoo stock export (CSV, any of , ; or tab as delimiter)."""
    text = source if isinstance(source, str) else "".join(source)
    text = text.lstrip("\ufeff")
    result = StockExport()
    if not text.strip():
        result.problems.append(ExportProblem(None, "The stock export is empty."))
        return result
    first_line = text.splitlines()[0]
    delimiter = max(",;\t", key=first_line.count)
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        result.problems.append(
            ExportProblem(None, f"The stock export is not readable as CSV: {exc}.")
        )
        return result
    header = records[0]
    positions, result.ignored_columns = _resolve_columns(header)
    result.columns = {role: header[pos].strip() for role, pos in positions.items()}
    missing = _missing_columns(positions)
    if missing:
        result.problems.append(
            ExportProblem(
                None,
                "The stock export has no "
                + ", no ".join(missing)
                + " column. Export stock.quant from Inventory > Reporting > Stock "
                "with these fields (found: "
                + ", ".join(repr(name.strip()) for name in header)
                + ").",
            )
        )
        return result
    result.sku_from_product_name = "sku" not in positions and "barcode" not in positions
    accumulator = _Accumulator()
    for number, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue
        result.rows_read += 1
        problem = _read_row(number, record, header, positions, accumulator)
        if problem:
            result.problems.append(ExportProblem(number, problem))
    result.lines = accumulator.lines()
    result.duplicate_skus = accumulator.duplicates()
    return result


def _read_row(
    number: int,
    record: list[str],
    header: list[str],
    positions: dict[str, int],
    accumulator: _Accumulator,
) -> str | None:
    """Add one row; return what is wrong with it instead, as an operator message."""
    if len(record) > len(header) and any(c.strip() for c in record[len(header) :]):
        return (
            f"{len(record)} cells, but the header has {len(header)}; "
            "check the delimiter and the quoting."
        )
    cells = record + [""] * (len(header) - len(record))

    def cell(role: str) -> str:
        return _clean(cells[positions[role]]) if role in positions else ""

    product = cell("product")
    sku = cell("sku")
    barcode = cell("barcode")
    if "sku" not in positions:
        match = _DISPLAY_SKU.match(product)
        if match:
            sku = match.group("sku").strip()
    named = f"product {product!r}" if product else "the product"
    location = cell("location")
    if not location:
        return f"{named} has no Location."
    if not sku and not barcode:
        return (
            f"{named} has no Internal Reference (SKU) and no Barcode; set one on the "
            "product in Odoo so it can be linked to a Shopify variant."
        )
    quantities = {}
    for role in ("quantity", "reserved", "available"):
        if role not in positions:
            continue
        raw = cell(role)
        if not raw and role != "quantity":
            continue
        value = _number(raw)
        if value is None:
            label = header[positions[role]].strip()
            return (
                f"{label} {raw!r} is not a number."
                if raw
                else f"{label} is empty for {named} at {location}."
            )
        quantities[role] = value
    quantity = quantities["quantity"]
    if "reserved" in quantities:
        reserved = quantities["reserved"]
    elif "available" in quantities:
        reserved = quantity - quantities["available"]
    else:
        reserved = 0.0
    accumulator.add(number, sku, barcode, product, location, quantity, reserved)
    return None


def read_stock_export(path: str | Path) -> StockExport:
    """Read an export file; an XLSX or undecodable file gives a problem, not a crash."""
    data = Path(path).read_bytes()
    if data[:2] == b"PK":
        result = StockExport()
        result.problems.append(
            ExportProblem(
                None,
                f"{Path(path).name} is a spreadsheet (XLSX), not CSV: export again "
                'with the "CSV" format selected.',
            )
        )
        return result
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return parse_stock_export(data.decode(encoding))
        except UnicodeDecodeError:
            continue
    # cp1252 leaves five bytes undefined; latin-1 decodes anything.
    return parse_stock_export(data.decode("latin-1"))
