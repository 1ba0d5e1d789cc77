"""The command line: ``python -m shopify_stock_sync.engine audit [options]``.

The stock audit (:mod:`.audit`) of a real shop::

    python -m shopify_stock_sync.engine audit --shop x.myshopify.com \\
        --stock stock.quant.csv --map "WH/Stock=Main store" [--token ... |
        --client-id ... --client-secret ...]

Secrets may come from the environment instead (``SHOPIFY_TOKEN``, ``SHOPIFY_CLIENT_ID``,
``SHOPIFY_CLIENT_SECRET``) so they need not be on the command line.  Without any shop
argument it audits the bundled Shopify simulator, seeded from ``tests/samples`` (a
source checkout only).  Exit codes: 0 nothing to do, 1 mismatches or problems found,
2 the audit could not run (usage, credentials, file, shop unreachable).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from .audit import (
    BASES,
    AuditError,
    AuditReport,
    LocationMapping,
    UnknownToOdoo,
    run_audit,
)
from .data import Variant
from .reconcile import PairDiff
from .rule import Basis, QuantityRule
from .shopify.client import DEFAULT_API_VERSION, Credentials, ShopifyClient
from .shopify.errors import AuthError, ConfigurationError, ShopifyError
from .stock_export import DuplicateSku, StockExport, product_name, read_stock_export

BASIS_WORDS = {
    Basis.FREE: "free (on hand minus reserved)",
    Basis.ON_HAND: "on hand",
    Basis.FORECAST: "forecast",
}
# The demo's token may only read: the simulator would refuse any write with it.
DEMO_TOKEN = "shpat_demo_read_only"
DEMO_SCOPES = ("read_products", "read_inventory", "read_locations")


# -- the report, as text and as JSON ---------------------------------------------


def _qty(value: float | int | None) -> str:
    if value is None:
        return "-"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _numeric(cell: str) -> bool:
    return cell == "-" or cell.lstrip("+-").replace(".", "", 1).isdigit()


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
        for i, h in enumerate(headers)
    ]
    numeric = [
        bool(rows) and all(_numeric(r[i]) for r in rows) for i in range(len(headers))
    ]

    def fmt(cells: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(w) if n else c.ljust(w)
            for c, w, n in zip(cells, widths, numeric, strict=True)
        ).rstrip()

    return ["  " + fmt(headers)] + ["  " + fmt(r) for r in rows]


def _pair_rows(pairs: Sequence[PairDiff], with_diff: bool) -> list[list[str]]:
    rows = []
    for p in pairs:
        row = [
            p.subject.sku,
            p.subject.product,
            p.subject.shopify_location,
            _qty(p.odoo_quantity),
            _qty(p.target),
            _qty(p.available),
            _qty(p.on_hand),
            _qty(p.committed),
        ]
        if with_diff:
            row.append(f"{p.difference:+d}" if p.difference is not None else "-")
        rows.append(row)
    return rows


PAIR_HEADERS = [
    "SKU",
    "Product",
    "Shopify location",
    "Odoo",
    "Target",
    "Available",
    "On hand",
    "Committed",
]


def _n(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"


def _heading(report: AuditReport) -> list[str]:
    rule = report.rule
    counts = report.counts()
    linked = len(report.links.linked)
    by_sku = sum(1 for link in report.links.linked if link.by == "sku")
    empty = counts["not_stocked_empty"]
    return [
        f"Stock audit of {report.shop} (Admin API {report.api_version}), read only",
        f"Odoo export: {report.stock_file} ({_n(report.rows_read, 'row')}); basis: "
        f"{BASIS_WORDS[rule.basis]}; safety buffer: {rule.safety_buffer:g}",
        "Location mappings (Odoo, children included -> Shopify):",
        *(f"  {m.odoo_label} -> {m.shopify.name}" for m in report.mappings),
        f"Linked {_n(linked, 'Odoo product')} to Shopify variants ({by_sku} by SKU, "
        f"{linked - by_sku} by barcode).",
        f"Checked {_n(counts['checked'], 'pair')}: {counts['matched']} matched, "
        f"{counts['mismatched']} mismatched, {counts['not_stocked']} not stocked in "
        "Shopify" + (f", {empty} not stocked and empty in Odoo." if empty else "."),
        "Target = the 'available' the sync would set: Odoo's quantity, less the "
        "safety buffer, less Shopify's committed units, in whole units.",
    ]


def _sections(report: AuditReport) -> list[tuple[str, list[str]]]:
    recon = report.reconciliation
    mismatched = _pair_rows(recon.mismatched, True)
    return [
        (
            f"MISMATCHED ({len(mismatched)}): Shopify's 'available' is not the target",
            _table([*PAIR_HEADERS, "Change"], mismatched) if mismatched else [],
        ),
        (
            f"NOT STOCKED IN SHOPIFY ({len(report.not_stocked)}): Odoo has units to "
            "sell there",
            [
                f"  {p.subject.sku} ({p.subject.product}) at "
                f"{p.subject.shopify_location}: Odoo {_qty(p.odoo_quantity)}, target "
                f"{p.target}; stock the item at this location in Shopify."
                for p in report.not_stocked
            ],
        ),
        (
            f"UNTRACKED IN SHOPIFY ({len(report.untracked)}): quantities not compared",
            [
                f"  {link.product.reference} ({link.product.name}): the variant does "
                "not track inventory; turn on 'Track quantity' in Shopify."
                for link in report.untracked
            ],
        ),
        (
            f"IN ODOO, NOT LINKED TO SHOPIFY ({len(report.links.unlinked)})",
            [
                f"  {u.product.reference} ({u.product.name or 'no name'}): {u.reason}."
                for u in report.links.unlinked
            ],
        ),
        (
            "IN SHOPIFY WITH STOCK, NOT IN THE ODOO EXPORT "
            f"({len(report.unknown_to_odoo)})",
            [_unknown_line(u, report.mappings) for u in report.unknown_to_odoo],
        ),
        (
            "DUPLICATE SKUS IN ODOO (not linked)",
            [
                f"  {d.sku}: {_duplicate_names(d)} (rows "
                f"{', '.join(map(str, d.rows))}): give each product its own "
                "Internal Reference."
                for d in report.odoo_duplicates
            ],
        ),
        (
            "DUPLICATES IN SHOPIFY (not linked)",
            [
                f"  {'SKU' if d.field == 'sku' else 'Barcode'} {d.value}: "
                f"{len(d.variants)} variants "
                f"({', '.join(_variant_name(v) for v in d.variants)})."
                for d in report.links.shopify_duplicates
            ],
        ),
        (
            "SKU CASE DIFFERENCES (SKUs are case-sensitive: make them equal)",
            [
                f"  Odoo {c.odoo_sku!r}, Shopify {', '.join(map(repr, c.shopify_skus))}"
                + (" (linked by barcode meanwhile)." if c.linked_by_barcode else ".")
                for c in report.links.case_differences
            ],
        ),
        (
            "ODOO LOCATIONS NOT MAPPED TO A SHOPIFY LOCATION (ignored)",
            [
                f"  {u.location}: {_n(u.products, 'product')}, {_qty(u.quantity)} "
                f"on hand ({_n(u.rows, 'row')}); map it or leave it out of the export."
                for u in report.unmapped_locations
            ],
        ),
        (
            f"EXPORT ROWS NOT USED ({len(report.export_problems)})",
            [f"  {p}" for p in report.export_problems],
        ),
        ("NOTES", [f"  {n}" for n in report.notes]),
    ]


def render_text(report: AuditReport, show_matched: bool = True) -> str:
    """The report for a terminal: heading, one section per kind of finding, result."""
    sections = _sections(report)
    matched = report.reconciliation.matched
    if show_matched and matched:
        sections.append(
            (
                f"MATCHED ({len(matched)})",
                _table(PAIR_HEADERS, _pair_rows(matched, False)),
            )
        )
    out = _heading(report)
    for title, lines in sections:
        if lines:
            out += ["", title, *lines]
    problems = report.problems
    out += [
        "",
        f"Read only: {_n(report.requests, 'query', 'queries')} sent, no writes.",
        f"Result: {_n(report.counts()['mismatched'], 'mismatched pair')}, "
        f"{_n(problems, 'finding')} in all"
        + ("; see above." if problems else "; Shopify matches Odoo."),
    ]
    return "\n".join(out) + "\n"


def _duplicate_names(duplicate: DuplicateSku) -> str:
    names = ", ".join(product_name(name) for name in duplicate.products)
    barcodes = ", ".join(duplicate.barcodes)
    return f"{names}; barcodes {barcodes}" if barcodes and names else names or barcodes


def _variant_name(variant: Variant) -> str:
    title = variant.product_title
    if variant.title and variant.title != "Default Title":
        title = f"{title} / {variant.title}" if title else variant.title
    return title or variant.id


def _unknown_line(unknown: UnknownToOdoo, mappings: Sequence[LocationMapping]) -> str:
    names = {m.shopify.id: m.shopify.name for m in mappings}
    variant = unknown.variant
    ref = (variant.sku or "").strip() or (
        f"barcode {variant.barcode.strip()}"
        if (variant.barcode or "").strip()
        else "no SKU, no barcode"
    )
    where = ", ".join(
        f"{names[level.key.location_id]} available {_qty(level.available)}"
        for level in unknown.levels
    )
    return f"  {ref} ({_variant_name(variant)}): {where}."


def _pair_json(pair: PairDiff) -> dict[str, Any]:
    return {
        "sku": pair.subject.sku,
        "product": pair.subject.product,
        "inventory_item_id": pair.key.inventory_item_id,
        "shopify_location_id": pair.key.location_id,
        "shopify_location": pair.subject.shopify_location,
        "odoo_locations": pair.subject.odoo_location,
        "odoo_quantity": pair.odoo_quantity,
        "target": pair.target,
        "available": pair.available,
        "on_hand": pair.on_hand,
        "committed": pair.committed,
        "difference": pair.difference,
    }


def _variant_json(variant: Variant) -> dict[str, Any]:
    return {
        "id": variant.id,
        "inventory_item_id": variant.inventory_item_id,
        "sku": variant.sku,
        "barcode": variant.barcode,
        "tracked": variant.tracked,
        "title": _variant_name(variant),
    }


def report_json(report: AuditReport) -> dict[str, Any]:
    recon = report.reconciliation
    return {
        "shop": report.shop,
        "api_version": report.api_version,
        "stock_file": report.stock_file,
        "basis": report.rule.basis.value,
        "safety_buffer": report.rule.safety_buffer,
        "mappings": [
            {
                "odoo_locations": list(m.odoo_locations),
                "shopify_location": m.shopify.name,
                "shopify_location_id": m.shopify.id,
            }
            for m in report.mappings
        ],
        "counts": report.counts(),
        "problems": report.problems,
        "requests": report.requests,
        "exit_code": report.exit_code,
        "mismatched": [_pair_json(p) for p in recon.mismatched],
        "not_stocked": [_pair_json(p) for p in report.not_stocked],
        "matched": [_pair_json(p) for p in recon.matched],
        "links": [
            {
                "odoo": link.product.reference,
                "variant_id": link.variant.id,
                "by": link.by,
            }
            for link in report.links.linked
        ],
        "untracked": [
            {"odoo": link.product.reference, "variant": _variant_json(link.variant)}
            for link in report.untracked
        ],
        "unlinked_odoo": [
            {
                "sku": u.product.sku,
                "barcode": u.product.barcode,
                "products": list(u.product.names),
                "reason": u.reason,
            }
            for u in report.links.unlinked
        ],
        "unknown_to_odoo": [
            {
                "variant": _variant_json(u.variant),
                "levels": [
                    {
                        "shopify_location_id": level.key.location_id,
                        "available": level.available,
                        "on_hand": level.on_hand,
                    }
                    for level in u.levels
                ],
            }
            for u in report.unknown_to_odoo
        ],
        "duplicate_skus_odoo": [
            {
                "sku": d.sku,
                "products": list(d.products),
                "barcodes": list(d.barcodes),
                "rows": list(d.rows),
            }
            for d in report.odoo_duplicates
        ],
        "duplicates_shopify": [
            {
                "field": d.field,
                "value": d.value,
                "variants": [_variant_json(v) for v in d.variants],
            }
            for d in report.links.shopify_duplicates
        ],
        "case_differences": [
            {
                "odoo_sku": c.odoo_sku,
                "shopify_skus": list(c.shopify_skus),
                "linked_by_barcode": c.linked_by_barcode,
            }
            for c in report.links.case_differences
        ],
        "unmapped_locations": [
            {
                "location": u.location,
                "products": u.products,
                "quantity": u.quantity,
                "rows": u.rows,
            }
            for u in report.unmapped_locations
        ],
        "export_problems": [
            {"row": p.row, "message": p.message} for p in report.export_problems
        ],
        "notes": list(report.notes),
    }


def render_json(report: AuditReport) -> str:
    return json.dumps(report_json(report), indent=2, ensure_ascii=False) + "\n"


# -- the command line --------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so ``main`` owns the exit code."""

    def error(self, message: str) -> Any:
        raise AuditError(message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m shopify_stock_sync.engine audit",
        description=(
            "Compare an Odoo stock export (stock.quant, CSV) with a Shopify shop's "
            "levels at mapped locations. Read only: the shop is never written to. "
            "Without --shop, audit the bundled simulator seeded with sample data."
        ),
    )
    shop = parser.add_argument_group("the shop")
    shop.add_argument("--shop", help="the shop's x.myshopify.com domain")
    shop.add_argument("--token", help="legacy Admin API token (or $SHOPIFY_TOKEN)")
    shop.add_argument("--client-id", help="app client id (or $SHOPIFY_CLIENT_ID)")
    shop.add_argument(
        "--client-secret", help="app client secret (or $SHOPIFY_CLIENT_SECRET)"
    )
    shop.add_argument("--api-version", default=DEFAULT_API_VERSION)
    shop.add_argument("--base-url", help=argparse.SUPPRESS)  # a local test server
    odoo = parser.add_argument_group("the Odoo side")
    odoo.add_argument("--stock", metavar="FILE.csv", help="Odoo stock export (CSV)")
    odoo.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="ODOO_LOCATION=SHOPIFY_LOCATION",
        help="repeatable; the Shopify side is a location name or GID",
    )
    odoo.add_argument("--basis", choices=sorted(BASES), default="free")
    odoo.add_argument("--safety-buffer", type=float, default=0.0, metavar="N")
    out = parser.add_argument_group("output")
    out.add_argument("--format", choices=("text", "json"), default="text")
    out.add_argument(
        "--brief", action="store_true", help="leave out the list of matched pairs"
    )
    return parser


def _credentials(args: argparse.Namespace, environ: Mapping[str, str]) -> Credentials:
    """From the options first, then the environment; never both kinds at once."""
    if args.token and (args.client_id or args.client_secret):
        raise AuditError(
            "Give either --token or --client-id/--client-secret, not both."
        )
    if args.token:
        return Credentials.admin_token(args.token)
    client_id = args.client_id or environ.get("SHOPIFY_CLIENT_ID", "")
    secret = args.client_secret or environ.get("SHOPIFY_CLIENT_SECRET", "")
    if client_id and secret:
        return Credentials.client_credentials(client_id, secret)
    if args.client_id or args.client_secret or not environ.get("SHOPIFY_TOKEN"):
        if client_id or secret:
            raise AuditError(
                "The client-credentials grant needs both --client-id and "
                "--client-secret (or SHOPIFY_CLIENT_ID and SHOPIFY_CLIENT_SECRET)."
            )
        raise AuditError(
            "No credentials: pass --token (a legacy custom app's Admin API token) or "
            "--client-id and --client-secret (a Dev Dashboard app), or set "
            "SHOPIFY_TOKEN, or SHOPIFY_CLIENT_ID and SHOPIFY_CLIENT_SECRET."
        )
    return Credentials.admin_token(environ["SHOPIFY_TOKEN"])


def _export(path: str) -> StockExport:
    try:
        export = read_stock_export(path)
    except OSError as exc:
        raise AuditError(
            f"Cannot read the stock export {path!r}: {exc.strerror}."
        ) from None
    fatal = [p for p in export.problems if p.row is None]
    if fatal:
        raise AuditError(str(fatal[0]))
    return export


def _rule(args: argparse.Namespace) -> QuantityRule:
    try:
        return QuantityRule(basis=BASES[args.basis], safety_buffer=args.safety_buffer)
    except ValueError as exc:
        raise AuditError(str(exc)) from None


def _audit_shop(args: argparse.Namespace, environ: Mapping[str, str]) -> AuditReport:
    if not args.shop:
        raise AuditError(
            "--shop is required to audit a shop (run without arguments for the demo "
            "against the bundled simulator)."
        )
    if not args.stock:
        raise AuditError("--stock is required: the Odoo stock export, as CSV.")
    if not args.map:
        raise AuditError(
            'Map at least one location: --map "ODOO_LOCATION=SHOPIFY_LOCATION".'
        )
    rule = _rule(args)
    credentials = _credentials(args, environ)
    export = _export(args.stock)
    client = ShopifyClient(
        args.shop,
        credentials,
        api_version=args.api_version,
        base_url=args.base_url,
    )
    return run_audit(client, export, args.map, rule, stock_file=args.stock)


def _simulator(root: Path) -> Any:
    """The bundled simulator class, imported from the checkout's ``tests`` folder."""
    if (root / "tests" / "simulator").is_dir() and str(root) not in sys.path:
        sys.path.insert(0, str(root))
    try:
        from tests.simulator import Simulator
    except ImportError:
        raise AuditError(
            "The demo needs the Shopify simulator of a source checkout "
            "(tests/simulator), which is not here. To audit a real shop, pass --shop, "
            "--stock and --map (see --help)."
        ) from None
    return Simulator


def seed(sim: Any, sample: Mapping[str, Any]) -> None:
    """Fill a simulator with a sample shop (``tests/samples/shop.json``)."""
    locations = {
        loc["name"]: sim.add_location(
            loc["name"],
            active=loc.get("active", True),
            fulfillment_service=loc.get("fulfillment_service", False),
        )
        for loc in sample["locations"]
    }
    for entry in sample["variants"]:
        variant = sim.add_variant(
            sku=entry.get("sku"),
            barcode=entry.get("barcode"),
            tracked=entry.get("tracked", True),
            title=entry.get("title", "Default Title"),
            product_title=entry.get("product_title"),
        )
        for name, available in entry.get("levels", {}).items():
            sim.set_level(
                variant.inventory_item_id, locations[name], available=available
            )
        for name, quantity in entry.get("orders", {}).items():
            sim.place_order(variant.inventory_item_id, locations[name], quantity)


def _audit_demo(args: argparse.Namespace, stdout: TextIO) -> AuditReport:
    root = Path(__file__).resolve().parents[2]
    simulator = _simulator(root)
    samples = root / "tests" / "samples"
    sample = json.loads((samples / "shop.json").read_text(encoding="utf-8"))
    stock = f"tests/samples/{sample['audit']['stock']}"
    export = _export(str(root / stock))
    with simulator(plan="standard") as sim:
        sim.add_token(DEMO_TOKEN, scopes=DEMO_SCOPES)
        seed(sim, sample)
        client = ShopifyClient(
            sim.domain,
            Credentials.admin_token(DEMO_TOKEN),
            api_version=args.api_version,
            base_url=sim.base_url,
            clock=sim.clock.now,
            sleep=sim.clock.sleep,
        )
        if args.format == "text":
            stdout.write(
                "Demo: the bundled Shopify simulator, seeded from tests/samples "
                "(no real shop is contacted; pass --shop to audit yours).\n\n"
            )
        return run_audit(
            client, export, sample["audit"]["map"], _rule(args), stock_file=stock
        )


def audit_main(
    argv: Sequence[str],
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    environ = os.environ if environ is None else environ
    parser = _parser()
    if any(arg in ("-h", "--help") for arg in argv):
        stdout.write(parser.format_help())
        return 0
    try:
        args = parser.parse_args(list(argv))
        if args.shop or args.stock or args.map:
            report = _audit_shop(args, environ)
        else:
            report = _audit_demo(args, stdout)
    except (AuditError, ConfigurationError) as exc:
        stderr.write(f"audit: {exc}\n")
        return 2
    except AuthError as exc:
        stderr.write(f"audit: Shopify refused the credentials: {exc}\n")
        return 2
    except ShopifyError as exc:
        stderr.write(f"audit: could not read the shop: {exc}\n")
        return 2
    if args.format == "json":
        stdout.write(render_json(report))
    else:
        stdout.write(render_text(report, show_matched=not args.brief))
    return report.exit_code


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "audit":
        argv = argv[1:]
    elif argv and not argv[0].startswith("-"):
        sys.stderr.write(
            f"Unknown command {argv[0]!r}. Usage: python -m shopify_stock_sync.engine "
            "audit [options] (see --help).\n"
        )
        return 2
    return audit_main(argv)


if __name__ == "__main__":  # pragma: no cover (run by test_module_runs_as_a_command)
    sys.exit(main())
