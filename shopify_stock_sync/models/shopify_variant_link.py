# Copyright 2026 shopify_stock_sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A link: one Odoo product <-> one Shopify variant and its inventory item."""

from odoo import fields, models

from ..engine.data import Variant

MATCH_METHODS = [
    ("id", "Existing link (stable id)"),
    ("barcode", "Barcode"),
    ("sku", "SKU"),
    ("manual", "Manual"),
]


class ShopifyVariantLink(models.Model):
    _name = "shopify.variant.link"
    _description = "Shopify Variant Link"
    _order = "shop_id, shopify_sku, id"
    _rec_name = "product_id"

    shop_id = fields.Many2one(
        "shopify.shop", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="shop_id.company_id", store=True, index=True)
    product_id = fields.Many2one(
        "product.product",
        string="Odoo Product",
        required=True,
        index=True,
        ondelete="cascade",
    )
    variant_gid = fields.Char(
        string="Shopify Variant",
        required=True,
        help="The variant's global id, gid://shopify/ProductVariant/...",
    )
    inventory_item_gid = fields.Char(
        string="Shopify Inventory Item",
        required=True,
        help="The global id of the variant's inventory item, "
        "gid://shopify/InventoryItem/...",
    )
    shopify_title = fields.Char(string="Title in Shopify")
    shopify_sku = fields.Char(string="SKU in Shopify")
    shopify_barcode = fields.Char(string="Barcode in Shopify")
    tracked = fields.Boolean(
        default=True,
        help="Whether Shopify tracks the quantity of this variant; Shopify ignores "
        "quantities of untracked variants.",
    )
    match_method = fields.Selection(
        MATCH_METHODS, string="Matched By", required=True, default="manual"
    )
    state = fields.Selection(
        [("linked", "Linked"), ("conflict", "Conflict")],
        required=True,
        default="linked",
        index=True,
    )
    conflict_reason = fields.Text()
    level_ids = fields.One2many("shopify.stock.level", "link_id", string="Levels")

    _product_uniq = models.Constraint(
        "UNIQUE(shop_id, product_id)",
        "This Odoo product is already linked to a Shopify variant of this shop.",
    )
    _variant_uniq = models.Constraint(
        "UNIQUE(shop_id, variant_gid)",
        "This Shopify variant is already linked to an Odoo product of this shop.",
    )
    _inventory_item_uniq = models.Constraint(
        "UNIQUE(shop_id, inventory_item_gid)",
        "This Shopify inventory item is already linked to an Odoo product of this "
        "shop.",
    )

    def _to_engine_variant(self):
        """The Shopify variant as the engine knows it, from what the link recorded."""
        self.ensure_one()
        return Variant(
            id=self.variant_gid,
            inventory_item_id=self.inventory_item_gid,
            sku=self.shopify_sku or None,
            barcode=self.shopify_barcode or None,
            tracked=self.tracked,
            title=self.shopify_title or "",
        )
