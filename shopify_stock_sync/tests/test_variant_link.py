# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A link is unique per shop on both sides: one product, one variant (and item)."""

from psycopg2 import IntegrityError

from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.shopify_stock_sync.engine.data import Variant

from .common import ShopifyCase


@tagged("post_install", "-at_install")
class TestVariantLink(ShopifyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.shirt = cls._product("Shirt", default_code="ABC-RED-M")
        cls.mug = cls._product("Mug", default_code="MUG")
        cls.link = cls._link(
            cls.shirt, 1, shopify_barcode="5400000000011", match_method="barcode"
        )

    def _assert_refused(self, constraint, values):
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(IntegrityError) as caught,
            self.env.cr.savepoint(),
        ):
            self.link.copy(values)
        self.assertIn(f"shopify_variant_link_{constraint}", str(caught.exception))

    def test_product_linked_once_per_shop(self):
        self._assert_refused(
            "product_uniq",
            {
                "variant_gid": "gid://shopify/ProductVariant/2",
                "inventory_item_gid": "gid://shopify/InventoryItem/2",
            },
        )

    def test_variant_linked_once_per_shop(self):
        self._assert_refused(
            "variant_uniq",
            {
                "product_id": self.mug.id,
                "inventory_item_gid": "gid://shopify/InventoryItem/2",
            },
        )

    def test_inventory_item_linked_once_per_shop(self):
        self._assert_refused(
            "inventory_item_uniq",
            {
                "product_id": self.mug.id,
                "variant_gid": "gid://shopify/ProductVariant/2",
            },
        )

    def test_same_pair_in_another_shop(self):
        other_shop = self.shop.copy({"domain": "other-shop.myshopify.com"})
        other = self.link.copy({"shop_id": other_shop.id})
        self.assertEqual(other.company_id, self.company)
        self.assertEqual(other.variant_gid, self.link.variant_gid)

    def test_engine_variant(self):
        self.assertEqual(
            self.link._to_engine_variant(),
            Variant(
                id="gid://shopify/ProductVariant/1",
                inventory_item_id="gid://shopify/InventoryItem/1",
                sku="ABC-RED-M",
                barcode="5400000000011",
                tracked=True,
            ),
        )
