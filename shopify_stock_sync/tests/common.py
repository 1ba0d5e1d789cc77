# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Fixtures shared by the addon's tests: a shop, Odoo locations, users per group."""

import itertools
import pathlib
import sys

from odoo.tests import TransactionCase, new_test_user

try:
    from tests.simulator import Simulator
except ImportError:  # run by Odoo itself: the repository root is not on sys.path
    sys.path.append(str(pathlib.Path(__file__).resolve().parents[2]))
    from tests.simulator import Simulator

__all__ = ["Simulator", "ShopifyCase"]

_NUMBERS = itertools.count(1000)
OPERATOR = "shopify_stock_sync.group_shopify_operator"
ADMIN = "shopify_stock_sync.group_shopify_admin"


class ShopifyCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.ref("base.main_company")
        cls.warehouse = cls.env.ref("stock.warehouse0")
        cls.stock = cls.warehouse.lot_stock_id
        Location = cls.env["stock.location"]
        cls.shelf_1 = Location.create(
            {"name": "Shelf 1", "location_id": cls.stock.id, "usage": "internal"}
        )
        cls.shelf_2 = Location.create(
            {"name": "Shelf 2", "location_id": cls.stock.id, "usage": "internal"}
        )
        cls.bin_1 = Location.create(
            {"name": "Bin 1", "location_id": cls.shelf_1.id, "usage": "internal"}
        )
        cls.backroom = Location.create(
            {
                "name": "Backroom",
                "location_id": cls.warehouse.view_location_id.id,
                "usage": "internal",
            }
        )
        cls.customers = cls.env.ref("stock.stock_location_customers")
        cls.shop = cls.env["shopify.shop"].create(
            {
                "name": "Main shop",
                "domain": "main-shop.myshopify.com",
                "company_id": cls.company.id,
            }
        )

    @classmethod
    def _request_handler(cls, s, r, /, **kw):
        # Odoo's guard against external requests in tests compares the timeout with a
        # number; the engine's client gives (connect, read) tuples
        if isinstance(kw.get("timeout"), tuple):
            kw["timeout"] = max(kw["timeout"])
        return super()._request_handler(s, r, **kw)

    @classmethod
    def _mapping(cls, name, locations=None, direction="off", shop=None, **values):
        shop = shop or cls.shop
        number = next(_NUMBERS)
        return cls.env["shopify.location.mapping"].create(
            {
                "shop_id": shop.id,
                "shopify_location_gid": f"gid://shopify/Location/{number}",
                "shopify_location_name": name,
                "location_ids": [(6, 0, locations.ids if locations else [])],
                "direction": direction,
                **values,
            }
        )

    @classmethod
    def _product(cls, name, **values):
        return cls.env["product.product"].create(
            {"name": name, "is_storable": True, **values}
        )

    @classmethod
    def _link(cls, product, number, shop=None, **values):
        return cls.env["shopify.variant.link"].create(
            {
                "shop_id": (shop or cls.shop).id,
                "product_id": product.id,
                "variant_gid": f"gid://shopify/ProductVariant/{number}",
                "inventory_item_gid": f"gid://shopify/InventoryItem/{number}",
                "shopify_sku": product.default_code or False,
                **values,
            }
        )

    @classmethod
    def _user(cls, login, groups, company=None):
        company = company or cls.company
        return new_test_user(
            cls.env,
            login=login,
            groups=f"base.group_user,{groups}",
            company_id=company.id,
            company_ids=[(6, 0, company.ids)],
        )
