# Copyright 2026 shopify_stock_sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Names the addon's models share, each written once; no model here, so any model
file may import it whatever the load order."""

# The addon's groups: administrators configure and reach Shopify; operators watch,
# re-queue and review (see shopify_shop_access._check_shopify_group).
ADMIN = "shopify_stock_sync.group_shopify_admin"
OPERATOR = "shopify_stock_sync.group_shopify_operator"
