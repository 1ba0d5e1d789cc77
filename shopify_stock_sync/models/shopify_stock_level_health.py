# Copyright 2026 shopify_stock_sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""What sync health counts on a level: the stale compares its pushes met."""

from odoo import fields, models


class ShopifyStockLevel(models.Model):
    _inherit = "shopify.stock.level"  # pylint: disable=consider-merging-classes-inherited

    stale_compares = fields.Integer(
        readonly=True,
        help="How often Shopify refused a push of this level because its quantity "
        "had moved meanwhile.",
    )
    last_stale_at = fields.Datetime(string="Last Stale Compare", readonly=True)
