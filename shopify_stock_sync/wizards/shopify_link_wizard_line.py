# Copyright 2026 shopify_stock_sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""One row of the link preview: a record (or a group of records) in one bucket."""

from odoo import fields, models

from ..models.shopify_variant_link import MATCH_METHODS

BUCKETS = [
    ("matched", "To link"),
    ("already_linked", "Already linked"),
    ("ambiguous", "Ambiguous"),
    ("case", "Case differs"),
    ("blank", "Blank SKU and barcode"),
    ("odoo_only", "Only in Odoo"),
    ("shopify_only", "Only in Shopify"),
    ("stale", "Variant gone"),
]
CONFLICTS = [
    ("duplicate", "Duplicate SKU or barcode"),
    ("disagree", "Barcode and SKU disagree"),
    ("contested", "Matched by several products"),
    ("taken", "Linked to another product"),
    ("linked_twice", "Linked to several products"),
]


class ShopifyLinkWizardLine(models.TransientModel):
    _name = "shopify.link.wizard.line"
    _description = "Shopify Link Preview Line"
    _order = "wizard_id, bucket, sequence, id"

    wizard_id = fields.Many2one(
        "shopify.link.wizard", required=True, index=True, ondelete="cascade"
    )
    bucket = fields.Selection(BUCKETS, required=True, index=True)
    sequence = fields.Integer()
    side = fields.Selection(
        [("odoo", "Odoo"), ("shopify", "Shopify"), ("both", "Both")],
        help="Which side the row is about.",
    )
    product_id = fields.Many2one("product.product", string="Odoo Product")
    odoo_sku = fields.Char(string="Internal Reference")
    odoo_barcode = fields.Char(string="Barcode in Odoo")
    odoo_records = fields.Char(
        string="Odoo Products", help="Every Odoo product the row is about."
    )
    variant_gid = fields.Char(string="Shopify Variant")
    inventory_item_gid = fields.Char(string="Shopify Inventory Item")
    shopify_title = fields.Char(string="Title in Shopify")
    shopify_sku = fields.Char(string="SKU in Shopify")
    sku_note = fields.Char(
        string="SKU Note",
        help="Set when Shopify's SKU has white space around it: compared trimmed.",
    )
    shopify_barcode = fields.Char(string="Barcode in Shopify")
    shopify_records = fields.Char(
        string="Shopify Variants", help="Every Shopify variant the row is about."
    )
    tracked = fields.Boolean(help="Whether Shopify tracks the variant's quantity.")
    match_method = fields.Selection(MATCH_METHODS, string="Matched By")
    conflict = fields.Selection(CONFLICTS)
    code = fields.Char(help="The SKU or barcode several records share.")
    link_id = fields.Many2one("shopify.variant.link", string="Existing Link")
    link_state = fields.Selection(related="link_id.state", string="Link State")
    message = fields.Text(string="Why")
