# Copyright 2026 shopify_stock_sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import models

from .constants import OPERATOR


class ProductTemplate(models.Model):
    _inherit = "product.template"

    def action_shopify_push_now(self):
        """Push the stock of these products' variants to Shopify now."""
        self.env["shopify.shop"]._check_shopify_group(
            self.env._("push stock to Shopify"), OPERATOR, self
        )
        variants = self.with_context(active_test=False).product_variant_ids
        return variants.action_shopify_push_now()
