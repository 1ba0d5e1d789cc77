# Copyright 2026 shopify_stock_sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import models


class QueueJob(models.Model):
    _inherit = "queue.job"

    def related_action_shopify_levels(self):
        """A push job's related action: the levels of its shop still to be pushed or
        in error, the problems first."""
        self.ensure_one()
        shops = self.records.exists()
        if shops._name != "shopify.shop" or not shops:
            return None
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "shopify_stock_sync.action_shopify_stock_level"
        )
        action["domain"] = [
            ("shop_id", "in", shops.ids),
            ("state", "in", ["pending", "error"]),
        ]
        action["context"] = {}
        return action
