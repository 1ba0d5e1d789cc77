# Copyright 2026 shopify_stock_sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Every change of a quant's quantity or reservation is noted for the Shopify push.

Odoo changes stock only through ``stock.quant`` ``create``/``write`` (pickings,
inventory adjustments, reservations, edits of done moves all end there).  Each call
adds its (product, location) pairs to the transaction's precommit data, from the
cache, without a query; one precommit callback per transaction records them all
(:mod:`.shopify_stock_change`).  Nothing here talks to Shopify.
"""

import logging

from odoo import api, models

from .constants import INBOUND_PAIRS_KEY, OPERATOR

_logger = logging.getLogger(__name__)

QUANTITY_FIELDS = frozenset({"quantity", "reserved_quantity"})


class StockQuant(models.Model):
    _inherit = "stock.quant"

    @api.model_create_multi
    def create(self, vals_list):
        quants = super().create(vals_list)
        quants._shopify_stock_changed(created=True)
        return quants

    def write(self, vals):
        result = super().write(vals)
        if QUANTITY_FIELDS.intersection(vals):
            self._shopify_stock_changed()
        return result

    def _shopify_stock_changed(self, created=False):
        """Note these quants' (product, location) pairs for the Shopify push.

        Internal locations, mappings and links are sorted out by the precommit
        callback, in one query for the whole transaction.  Never raises: this runs
        inside the validation of a picking.
        """
        try:
            quants = self
            if created:
                quants = quants.filtered(lambda q: q.quantity or q.reserved_quantity)
            pairs = {(quant.product_id.id, quant.location_id.id) for quant in quants}
            inbound = self.env.context.get(INBOUND_PAIRS_KEY)
            if inbound:
                pairs -= {tuple(pair) for pair in inbound}
            if pairs:
                self.env["shopify.stock.change"]._collect_quant_changes(pairs)
        except Exception:
            _logger.exception(
                "Shopify stock sync could not note a stock change of %s",
                self,
            )

    def action_shopify_push_now(self):
        """Push the stock of these quants' products at their locations now."""
        self.env["shopify.shop"]._check_shopify_group(
            self.env._("push stock to Shopify"), OPERATOR, self
        )
        changes = self.env["shopify.stock.change"]
        pairs = {(quant.product_id.id, quant.location_id.id) for quant in self}
        rows = changes.sudo()._resolve_quant_changes(pairs) if pairs else []
        return changes._push_now(rows)
