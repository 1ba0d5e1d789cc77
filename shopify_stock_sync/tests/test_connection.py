# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Test connection and Import locations, against the Shopify simulator on loopback."""

from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.shopify_stock_sync.models.shopify_shop import BASE_URL_OVERRIDE_PARAM

from .common import ShopifyCase, Simulator

REQUIRED = ("read_products", "read_inventory", "write_inventory", "read_locations")


@tagged("post_install", "-at_install")
class TestConnection(ShopifyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sim = Simulator(plan="standard")
        cls.addClassCleanup(cls.sim.close)
        cls.sim.add_app("client-id-1", "client-secret-1", scopes=REQUIRED)
        cls.env["ir.config_parameter"].set_param(
            BASE_URL_OVERRIDE_PARAM, cls.sim.base_url
        )
        cls.shop.write(
            {
                "domain": cls.sim.domain,
                "client_id": "client-id-1",
                "client_secret": "client-secret-1",
            }
        )

    def test_connection_with_client_credentials(self):
        action = self.shop.action_test_connection()
        self.assertEqual(self.shop.state, "connected")
        self.assertEqual(self.shop.shopify_shop_name, "Simulated Shop")
        self.assertEqual(
            self.shop.granted_scopes,
            "read_inventory, read_locations, read_products, write_inventory",
        )
        self.assertFalse(self.shop.missing_scopes)
        self.assertTrue(self.shop.connection_checked_at)
        expected = (
            "Connected to Simulated Shop (API 2026-10) with the scopes "
            "read_inventory, read_locations, read_products, write_inventory."
        )
        self.assertEqual(self.shop.state_reason, expected)
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(action["params"]["message"], expected)
        self.assertEqual(self.sim.stats.token_requests, 1)

    def test_connection_with_a_legacy_token(self):
        self.sim.add_token("shpat_legacy_token", scopes=REQUIRED)
        self.shop.write(
            {"auth_method": "admin_token", "access_token": "shpat_legacy_token"}
        )
        self.shop.action_test_connection()
        self.assertEqual(self.shop.state, "connected")

    def test_missing_scopes(self):
        self.sim.add_app(
            "read-only", "secret-2", scopes=("read_products", "read_inventory")
        )
        self.shop.write({"client_id": "read-only", "client_secret": "secret-2"})
        action = self.shop.action_test_connection()
        self.assertEqual(self.shop.state, "error")
        self.assertEqual(self.shop.missing_scopes, "write_inventory, read_locations")
        self.assertEqual(
            self.shop.state_reason,
            "Connected to Simulated Shop (API 2026-10), but the app lacks the access "
            "scopes write_inventory, read_locations. Grant them to the app in "
            "Shopify and reinstall it, then test again.",
        )
        self.assertEqual(action["params"]["type"], "warning")

    def test_refused_credentials(self):
        self.shop.client_secret = "wrong-secret"
        action = self.shop.action_test_connection()
        self.assertEqual(self.shop.state, "error")
        self.assertEqual(
            self.shop.state_reason,
            "Shopify refused the client id / client secret (HTTP 400). Check them "
            "in the app's settings and that the app is installed on this shop.",
        )
        self.assertEqual(action["params"]["type"], "danger")
        self.assertNotIn("wrong-secret", str(action))

    def test_missing_credentials(self):
        self.shop.sudo().client_secret = False
        self.shop.action_test_connection()
        self.assertEqual(self.shop.state, "error")
        self.assertIn("needs both the app's client id", self.shop.state_reason)

    def test_import_locations(self):
        main = self.sim.add_location("Main store")
        old = self.sim.add_location("Old store", active=False)
        tpl = self.sim.add_location("3PL", fulfillment_service=True)
        popup = self.sim.add_location("Pop-up", fulfills_online_orders=False)
        action = self.shop.action_import_locations()
        self.assertEqual(
            action["params"]["message"],
            "4 Shopify locations read: 4 new (off until Odoo locations are mapped), "
            "0 updated.",
        )
        mappings = {m.shopify_location_gid: m for m in self.shop.mapping_ids}
        self.assertEqual(set(mappings), {main, old, tpl, popup})
        self.assertEqual(set(self.shop.mapping_ids.mapped("direction")), {"off"})
        self.assertFalse(self.shop.mapping_ids.location_ids)
        self.assertEqual(mappings[main].shopify_location_name, "Main store")
        self.assertTrue(mappings[main].shopify_active)
        self.assertFalse(mappings[old].shopify_active)
        self.assertTrue(mappings[tpl].fulfillment_service)
        self.assertFalse(mappings[popup].fulfills_online_orders)
        self.assertTrue(mappings[popup].shopify_active)

        # the admin maps them; then Shopify changes
        mappings[main].write(
            {"location_ids": [(6, 0, self.shelf_1.ids)], "direction": "two_way"}
        )
        mappings[popup].write(
            {"location_ids": [(6, 0, self.shelf_2.ids)], "direction": "odoo_to_shopify"}
        )
        gone = self._mapping("Closed store", self.backroom)
        gone.direction = "odoo_to_shopify"
        self.sim.set_location_active(main, False)
        action = self.shop.action_import_locations()
        self.assertEqual(
            action["params"]["message"],
            "4 Shopify locations read: 0 new (off until Odoo locations are mapped), "
            "2 updated. No longer written to, because Shopify does not accept "
            "quantities there any more (deactivated, run by a fulfilment service or "
            "deleted): Main store, Closed store.",
        )
        self.assertEqual(mappings[main].direction, "shopify_to_odoo")
        self.assertFalse(mappings[main].shopify_active)
        self.assertEqual(mappings[main].location_ids, self.shelf_1)
        self.assertEqual(mappings[popup].direction, "odoo_to_shopify")
        self.assertEqual(gone.direction, "off")
        self.assertFalse(gone.shopify_active)
        self.assertEqual(len(self.shop.mapping_ids), 5)

    def test_import_locations_needs_the_scope(self):
        self.sim.add_app("no-locations", "secret-3", scopes=("read_products",))
        self.shop.write({"client_id": "no-locations", "client_secret": "secret-3"})
        with self.assertRaises(UserError) as caught:
            self.shop.action_import_locations()
        self.assertIn(
            "Could not read the locations of Main shop", str(caught.exception)
        )
        self.assertIn("access scope", str(caught.exception))
