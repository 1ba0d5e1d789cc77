# Copyright 2026 shopify_stock_sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
{
    "name": "Shopify Stock Sync",
    "summary": "Keep Shopify inventory per location equal to Odoo stock per location",
    "version": "19.0.0.1.0",
    "category": "Inventory/Inventory",
    "website": "https://github.com/shopify-stock-sync/shopify_stock_sync",
    "author": "shopify_stock_sync contributors",
    "license": "LGPL-3",
    "development_status": "Alpha",
    "depends": ["mail", "stock", "queue_job"],
    "external_dependencies": {"python": ["requests"]},
    "data": [
        "security/shopify_stock_sync_security.xml",
        "security/ir.model.access.csv",
        "wizards/shopify_link_wizard_views.xml",
        "views/shopify_shop_views.xml",
        "views/shopify_location_mapping_views.xml",
        "views/shopify_variant_link_views.xml",
        "views/shopify_stock_level_views.xml",
        "views/queue_job_views.xml",
        "views/res_config_settings_views.xml",
        "views/shopify_stock_sync_menus.xml",
    ],
    "installable": True,
    "application": True,
}
