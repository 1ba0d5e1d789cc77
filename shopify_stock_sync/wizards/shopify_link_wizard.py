# Copyright 2026 shopify_stock_sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Link variants: preview how Odoo products and Shopify variants pair, then apply.

The engine decides (``engine.linking``); this wizard reads both sides, shows the
preview as lines, and on *Apply* writes only the unambiguous matches it showed that a
fresh preview still confirms.  It never writes a product's SKU or barcode.
"""

import logging

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Command, Domain

from ..engine import inventory, linking
from ..engine.shopify.errors import ShopifyError
from .shopify_link_wizard_line import BUCKETS

_logger = logging.getLogger(__name__)

COUNTED = [bucket for bucket, _label in BUCKETS]


class ShopifyLinkWizard(models.TransientModel):
    _name = "shopify.link.wizard"
    _description = "Link Shopify Variants"
    _variant_page_size = inventory.PAGE_SIZE  # variants per request

    shop_id = fields.Many2one(
        "shopify.shop",
        required=True,
        ondelete="cascade",
        default=lambda self: self._default_shop(),
    )
    state = fields.Selection(
        [("draft", "Draft"), ("preview", "Preview"), ("done", "Applied")],
        required=True,
        default="draft",
    )
    line_ids = fields.One2many("shopify.link.wizard.line", "wizard_id")
    matched_line_ids = fields.One2many(
        "shopify.link.wizard.line",
        "wizard_id",
        domain=[("bucket", "=", "matched")],
        string="To Link Rows",
    )
    already_linked_line_ids = fields.One2many(
        "shopify.link.wizard.line",
        "wizard_id",
        domain=[("bucket", "=", "already_linked")],
        string="Already Linked Rows",
    )
    ambiguous_line_ids = fields.One2many(
        "shopify.link.wizard.line",
        "wizard_id",
        domain=[("bucket", "=", "ambiguous")],
        string="Ambiguous Rows",
    )
    case_line_ids = fields.One2many(
        "shopify.link.wizard.line",
        "wizard_id",
        domain=[("bucket", "=", "case")],
        string="Case Differs Rows",
    )
    blank_line_ids = fields.One2many(
        "shopify.link.wizard.line",
        "wizard_id",
        domain=[("bucket", "=", "blank")],
        string="Blank Rows",
    )
    odoo_only_line_ids = fields.One2many(
        "shopify.link.wizard.line",
        "wizard_id",
        domain=[("bucket", "=", "odoo_only")],
        string="Only in Odoo Rows",
    )
    shopify_only_line_ids = fields.One2many(
        "shopify.link.wizard.line",
        "wizard_id",
        domain=[("bucket", "=", "shopify_only")],
        string="Only in Shopify Rows",
    )
    stale_line_ids = fields.One2many(
        "shopify.link.wizard.line",
        "wizard_id",
        domain=[("bucket", "=", "stale")],
        string="Variant Gone Rows",
    )
    matched_count = fields.Integer(string="To Link", compute="_compute_counts")
    already_linked_count = fields.Integer(
        string="Already Linked", compute="_compute_counts"
    )
    ambiguous_count = fields.Integer(string="Ambiguous", compute="_compute_counts")
    case_count = fields.Integer(string="Case Differs", compute="_compute_counts")
    blank_count = fields.Integer(string="Blank", compute="_compute_counts")
    odoo_only_count = fields.Integer(string="Only in Odoo", compute="_compute_counts")
    shopify_only_count = fields.Integer(
        string="Only in Shopify", compute="_compute_counts"
    )
    stale_count = fields.Integer(string="Variant Gone", compute="_compute_counts")
    variant_count = fields.Integer(string="Shopify Variants Read", readonly=True)
    product_count = fields.Integer(string="Odoo Products in Scope", readonly=True)
    applied_count = fields.Integer(string="Links Written", readonly=True)
    padded_sku_count = fields.Integer(
        string="Shopify SKUs with Spaces",
        readonly=True,
        help="Shopify SKUs with white space around them: compared trimmed, each "
        "row says so. Remove the spaces in Shopify.",
    )
    refreshed_count = fields.Integer(
        string="Links Refreshed",
        readonly=True,
        help="Existing links whose recorded Shopify SKU, barcode, title or tracking "
        "changed in Shopify since: recorded anew, so that messages name what "
        "Shopify has now.",
    )
    summary = fields.Text(readonly=True)

    @api.model
    def _default_shop(self):
        context = self.env.context
        if context.get("active_model") == "shopify.shop" and context.get("active_id"):
            return context["active_id"]
        return False

    @api.depends("line_ids.bucket")
    def _compute_counts(self):
        for wizard in self:
            counts = dict.fromkeys(COUNTED, 0)
            for line in wizard.line_ids:
                counts[line.bucket] += 1
            for bucket, count in counts.items():
                wizard[f"{bucket}_count"] = count

    # -- reading both sides ---------------------------------------------------------

    def _read_variants(self):
        """Every variant of the shop, page by page, as engine ``Variant``s."""
        shop = self.shop_id
        client = shop._shopify_client()
        try:
            return list(
                inventory.iter_variants(client, page_size=self._variant_page_size)
            )
        except ShopifyError as exc:
            raise UserError(
                self.env._(
                    "Could not read the variants of %(shop)s: %(error)s Nothing was "
                    "linked; fix the cause and preview again.",
                    shop=shop.display_name,
                    error=exc,
                )
            ) from None

    def _scope_domain(self):
        shop = self.shop_id
        return (
            shop._sync_scope_domain()
            & Domain("is_storable", "=", True)
            & Domain("company_id", "in", [False, shop.company_id.id])
        )

    def _read_products(self):
        """The shop's links by product id, and the engine's view of the products.

        Products in the sync scope (storable, of the shop's company), plus every product
        already linked (out of scope ones keep their link, never matched anew); read in
        two queries whatever their number.
        """
        links = self.env["shopify.variant.link"].search(
            [("shop_id", "=", self.shop_id.id)]
        )
        by_product = {link.product_id.id: link for link in links}
        Product = self.env["product.product"].with_context(active_test=False)
        scope = set(
            Product.with_context(active_test=True).search(self._scope_domain()).ids
        )
        records = Product.search_fetch(
            Domain("id", "in", list(scope | set(by_product))),
            ["default_code", "barcode", "display_name"],
        )
        products = [
            linking.OdooProduct(
                product.id,
                product.default_code or "",
                product.barcode or "",
                name=product.display_name,
                linked_variant_id=(
                    by_product[product.id].variant_gid
                    if product.id in by_product
                    else None
                ),
                in_scope=product.id in scope,
            )
            for product in records
        ]
        return by_product, products, len(scope)

    def _preview(self, variants):
        by_product, products, in_scope = self._read_products()
        return linking.preview_links(products, variants), by_product, in_scope

    # -- buttons --------------------------------------------------------------------

    def action_preview(self):
        """Read every Shopify variant and the products in scope; show the preview."""
        self.env["shopify.shop"]._check_shopify_group(
            self.env._("preview the variant links"), records=self
        )
        self.ensure_one()
        variants = self._read_variants()
        preview, by_product, in_scope = self._preview(variants)
        refreshed = self._refresh_links(preview, by_product)
        self._show(
            preview,
            by_product,
            variants,
            in_scope,
            state="preview",
            refreshed=refreshed,
        )
        return self._reopen()

    def action_apply(self):
        """Write the matches shown, if a fresh preview still finds them unambiguous."""
        self.env["shopify.shop"]._check_shopify_group(
            self.env._("apply the variant links"), records=self
        )
        self.ensure_one()
        if self.state == "draft":
            raise UserError(
                self.env._("Preview the links first: Apply writes what it showed.")
            )
        shown = {
            (line.product_id.id, line.variant_gid) for line in self.matched_line_ids
        }
        stale = {line.product_id.id for line in self.stale_line_ids}
        variants = self._read_variants()
        preview, by_product, _in_scope = self._preview(variants)
        refreshed = self._refresh_links(preview, by_product)
        written = self._write_links(preview, by_product, shown)
        written += self._mark_stale(preview, by_product, stale)
        preview, by_product, in_scope = self._preview(variants)
        self._show(
            preview, by_product, variants, in_scope, state="done", refreshed=refreshed
        )
        self.applied_count = written
        _logger.info(
            "Shopify shop %s: link wizard wrote %s link(s)", self.shop_id.id, written
        )
        return self._reopen()

    def _write_links(self, preview, by_product, shown):
        """Create the links shown; one replacing a link whose variant is gone.

        The old link goes, with its levels: they describe an inventory item the shop
        no longer has.  The new link's levels are made afresh, as for any new link.
        """
        values = [
            self._link_values(match)
            for match in preview.matched
            # one new since the preview is shown next time, not applied unseen
            if (match.product.id, match.variant.id) in shown
        ]
        Link = self.env["shopify.variant.link"]
        replaced = Link.browse(
            by_product[v["product_id"]].id
            for v in values
            if v["product_id"] in by_product
        )
        replaced.unlink()
        Link.create(values)
        return len(values)

    def _link_values(self, match):
        variant = match.variant
        return {
            "shop_id": self.shop_id.id,
            "product_id": match.product.id,
            "variant_gid": variant.id,
            "inventory_item_gid": variant.inventory_item_id,
            **_variant_values(variant),
            "match_method": match.method.value,
        }

    def _refresh_links(self, preview, by_product):
        """Existing links record what Shopify has now: a SKU, barcode, title or
        tracking changed in Shopify since the link was made is written anew (only
        on the links that differ; the ORM writes them in one batch), so that
        messages name the SKU Shopify shows.  Returns how many changed."""
        changed = 0
        for match in preview.already_linked:
            link = by_product[match.product.id]
            values = {
                name: value
                for name, value in _variant_values(match.variant).items()
                if link[name] != value
            }
            if values:
                link.write(values)
                changed += 1
        if changed:
            _logger.info(
                "Shopify shop %s: %s link(s) refreshed from Shopify",
                self.shop_id.id,
                changed,
            )
        return changed

    def _mark_stale(self, preview, by_product, shown):
        """A link whose variant is gone (and found no new match) becomes a conflict."""
        matched = {m.product.id for m in preview.matched}
        marked = 0
        for product in preview.stale_links:
            link = by_product[product.id]
            if product.id in matched or product.id not in shown:
                continue
            if link.state != "conflict":
                link.write(
                    {
                        "state": "conflict",
                        "conflict_reason": self.env._(
                            "Shopify variant %(variant)s no longer exists in the shop. "
                            "Delete this link, or link the product to another "
                            "variant.",
                            variant=link.variant_gid,
                        ),
                    }
                )
                marked += 1
        return marked

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": self.env._("Link Shopify Variants"),
        }

    # -- showing the preview --------------------------------------------------------

    def _show(self, preview, by_product, variants, in_scope, state, refreshed=0):
        rows = _Rows(self.env, by_product)
        for match in preview.matched:
            rows.match("matched", match)
        for match in preview.already_linked:
            rows.match("already_linked", match)
        for ambiguity in preview.ambiguous:
            rows.ambiguity(ambiguity)
        for difference in preview.case_differences:
            rows.case(difference)
        for product in preview.blank_products:
            rows.product("blank", product)
        for variant in preview.blank_variants:
            rows.variant("blank", variant)
        for product in preview.odoo_only:
            rows.product("odoo_only", product)
        for variant in preview.shopify_only:
            rows.variant("shopify_only", variant)
        for product in preview.stale_links:
            rows.stale(product)
        counts = preview.counts()
        self.write(
            {
                "state": state,
                "line_ids": [Command.clear()]
                + [Command.create(values) for values in rows.values],
                "variant_count": len(variants),
                "product_count": in_scope,
                "padded_sku_count": counts["padded_skus"],
                "refreshed_count": refreshed,
                "summary": self._summary(counts, len(variants), in_scope, refreshed),
            }
        )

    def _summary(self, counts, variants, in_scope, refreshed):
        summary = self.env._(
            "%(variants)s Shopify variants read, %(products)s Odoo products "
            "in scope: %(matched)s to link, %(linked)s already linked, "
            "%(ambiguous)s ambiguous, %(case)s case differences, %(blank)s "
            "blank, %(odoo)s only in Odoo, %(shopify)s only in Shopify.",
            variants=variants,
            products=in_scope,
            matched=counts["matched"],
            linked=counts["already_linked"],
            ambiguous=counts["ambiguous"],
            case=counts["case_differences"],
            blank=counts["blank"],
            odoo=counts["odoo_only"],
            shopify=counts["shopify_only"],
        )
        if counts["padded_skus"]:
            summary += " " + self.env._(
                "%(count)s Shopify SKUs have white space around them: compared "
                "trimmed, see each row's SKU note; remove the spaces in Shopify.",
                count=counts["padded_skus"],
            )
        if refreshed:
            summary += " " + self.env._(
                "%(count)s existing links took Shopify's current SKU, barcode, "
                "title or tracking.",
                count=refreshed,
            )
        return summary


class _Rows:
    """Line values for the preview, in the engine's order."""

    def __init__(self, env, by_product):
        self.env = env
        self.by_product = by_product
        self.values = []

    def _add(self, bucket, **values):
        self.values.append(dict(values, bucket=bucket, sequence=len(self.values)))

    @staticmethod
    def _odoo(product):
        return {
            "product_id": product.id,
            "odoo_sku": product.clean_sku,
            "odoo_barcode": product.clean_barcode,
            "odoo_records": product.label,
        }

    @staticmethod
    def _shopify(variant):
        return {
            "variant_gid": variant.id,
            "inventory_item_gid": variant.inventory_item_id,
            **_variant_values(variant),
            "shopify_records": linking.variant_label(variant),
            "sku_note": linking.sku_spaces(variant) or False,
        }

    def match(self, bucket, match):
        link = self.by_product.get(match.product.id)
        self._add(
            bucket,
            side="both",
            match_method=match.method.value,
            link_id=link.id if link else False,
            message=link.conflict_reason if link and bucket != "matched" else False,
            **self._odoo(match.product),
            **self._shopify(match.variant),
        )

    def ambiguity(self, ambiguity):
        products, variants = ambiguity.products, ambiguity.variants
        single = products[0] if len(products) == 1 else None
        self._add(
            "ambiguous",
            side="both" if products and variants else "odoo" if products else "shopify",
            conflict=ambiguity.kind.value,
            product_id=single.id if single else False,
            code=ambiguity.value and f"{ambiguity.field}: {ambiguity.value}",
            odoo_records="; ".join(p.label for p in products),
            shopify_records="; ".join(
                f"{linking.variant_label(v)} ({v.id})" for v in variants
            ),
            message=ambiguity.message,
        )

    def case(self, difference):
        match = difference.match
        self._add(
            "case",
            side="both",
            match_method=match.method.value if match else False,
            shopify_sku=", ".join(difference.shopify_skus),
            shopify_records="; ".join(
                f"{linking.variant_label(v)} ({v.id})" for v in difference.variants
            ),
            message=(
                self.env._("Linked by barcode meanwhile; make the SKUs equal.")
                if match
                else self.env._(
                    "Not linked: SKUs are case-sensitive. Make them equal in Odoo "
                    "or in Shopify, then preview again."
                )
            ),
            **self._odoo(difference.product),
        )

    def product(self, bucket, product):
        self._add(bucket, side="odoo", **self._odoo(product))

    def variant(self, bucket, variant):
        self._add(bucket, side="shopify", **self._shopify(variant))

    def stale(self, product):
        link = self.by_product.get(product.id)
        self._add(
            "stale",
            side="odoo",
            variant_gid=product.linked_variant_id,
            link_id=link.id if link else False,
            message=self.env._(
                "The linked Shopify variant no longer exists in the shop; a new match "
                "replaces the link, else Apply marks it as a conflict."
            ),
            **self._odoo(product),
        )


def _variant_values(variant):
    """What a link (and a preview row) records of a Shopify variant."""
    return {
        "shopify_title": linking.variant_label(variant),
        "shopify_sku": variant.sku or False,
        "shopify_barcode": variant.barcode or False,
        "tracked": variant.tracked,
    }
