# Copyright 2026 shopify_stock_sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The Shopify block of the Settings app: defaults for new shops."""

from odoo import api, fields, models

from ..engine.shopify.client import DEFAULT_API_VERSION
from .shopify_shop import (
    DEFAULT_API_VERSION_PARAM,
    DEFAULT_DIRECTION_PARAM,
    DIRECTIONS,
    check_api_version,
)


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    shopify_default_api_version = fields.Char(
        string="Default Shopify API Version",
        config_parameter=DEFAULT_API_VERSION_PARAM,
        default=DEFAULT_API_VERSION,
    )
    shopify_default_direction = fields.Selection(
        DIRECTIONS,
        string="Default Shopify Direction",
        config_parameter=DEFAULT_DIRECTION_PARAM,
        default=DIRECTIONS[0][0],
    )

    @api.constrains("shopify_default_api_version")
    def _check_shopify_default_api_version(self):
        for settings in self:
            if settings.shopify_default_api_version:
                check_api_version(self.env, settings.shopify_default_api_version)
