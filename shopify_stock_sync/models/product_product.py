# Copyright 2026 shopify_stock_sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import models

from .constants import OPERATOR


class ProductProduct(models.Model):
    _inherit = "product.product"

    def action_shopify_push_now(self):
        """Push these products' stock to every Shopify location mapped from Odoo."""
        self.env["shopify.shop"]._check_shopify_group(
            self.env._("push stock to Shopify"), OPERATOR, self
        )
        changes = self.env["shopify.stock.change"]
        rows = changes.sudo()._resolve_products(self.ids) if self else []
        return changes._push_now(rows)
