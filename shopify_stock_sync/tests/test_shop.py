# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A shop's settings are checked by the engine's own rules and translated to it."""

from unittest.mock import patch

from psycopg2 import IntegrityError

from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.shopify_stock_sync.engine.rule import Basis, QuantityRule
from odoo.addons.shopify_stock_sync.engine.shopify.client import DEFAULT_API_VERSION
from odoo.addons.shopify_stock_sync.engine.shopify.sandbox import sandbox_route
from odoo.addons.shopify_stock_sync.models import shopify_shop

from .common import ShopifyCase


@tagged("post_install", "-at_install")
class TestShop(ShopifyCase):
    def test_defaults(self):
        self.assertEqual(self.shop.state, "draft")
        self.assertEqual(self.shop.api_version, DEFAULT_API_VERSION)
        self.assertEqual(self.shop.default_direction, "odoo_to_shopify")
        self.assertEqual(self.shop.quantity_basis, "free_qty")
        self.assertEqual(self.shop.product_domain, "[]")

    def test_defaults_from_settings(self):
        settings = self.env["res.config.settings"].create(
            {
                "shopify_default_api_version": "2026-07",
                "shopify_default_direction": "two_way",
            }
        )
        settings.execute()
        shop = self.env["shopify.shop"].create(
            {"name": "Second", "domain": "second.myshopify.com"}
        )
        self.assertEqual(shop.api_version, "2026-07")
        self.assertEqual(shop.default_direction, "two_way")
        with self.assertRaises(ValidationError):
            self.env["res.config.settings"].create(
                {"shopify_default_api_version": "latest"}
            )

    def test_domain_is_validated_by_the_engine(self):
        for domain in ("https://main-shop.myshopify.com", "shop.example.com", "Big"):
            with self.subTest(domain=domain), self.assertRaises(ValidationError) as c:
                self.shop.domain = domain
            self.assertEqual(
                str(c.exception),
                f"{domain!r} is not a Shopify shop domain: use the shop's permanent "
                "'name.myshopify.com' domain (lower case, no https://, no path).",
            )

    def test_api_version_is_validated(self):
        with self.assertRaises(ValidationError) as caught:
            self.shop.api_version = "2026-05"
        self.assertEqual(
            str(caught.exception),
            "'2026-05' is not a Shopify API version: use a quarterly version such "
            f"as {DEFAULT_API_VERSION}.",
        )
        self.shop.api_version = "unstable"

    def test_a_shop_is_connected_once(self):
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(IntegrityError) as caught,
            self.env.cr.savepoint(),
        ):
            self.shop.copy()
        self.assertIn("shopify_shop_domain_uniq", str(caught.exception))

    def test_quantity_rule(self):
        self.assertEqual(self.shop._quantity_rule(), QuantityRule())
        self.shop.write(
            {
                "quantity_basis": "qty_available",
                "safety_buffer": 2,
                "use_quantity_cap": True,
                "quantity_cap": 50,
            }
        )
        rule = self.shop._quantity_rule()
        self.assertEqual(rule, QuantityRule(Basis.ON_HAND, 2.0, 50))
        self.assertEqual(rule.quantity(80.5), 50)
        self.shop.use_quantity_cap = False
        self.assertIsNone(self.shop._quantity_rule().cap)

    def test_quantity_rule_is_validated_by_the_engine(self):
        with self.assertRaises(ValidationError) as caught:
            self.shop.safety_buffer = -1
        self.assertEqual(
            str(caught.exception), "The safety buffer must be 0 or more, not -1.0."
        )
        with self.assertRaises(ValidationError) as caught:
            self.shop.write({"use_quantity_cap": True, "quantity_cap": -5})
        self.assertEqual(str(caught.exception), "The cap must be 0 or more, not -5.")

    def test_sync_scope(self):
        category = self.env["product.category"].create({"name": "Pilot"})
        in_scope = self._product("In scope", categ_id=category.id)
        out_of_scope = self._product("Out of scope")
        self.shop.product_domain = f"[('categ_id', '=', {category.id})]"
        products = self.env["product.product"].search(self.shop._sync_scope_domain())
        self.assertIn(in_scope, products)
        self.assertNotIn(out_of_scope, products)
        self.shop.product_domain = False
        self.assertTrue(self.shop._sync_scope_domain().is_true())

    def test_sync_scope_is_validated(self):
        for text in ("[('no_such_field', '=', 1)]", "[(", "categ_id"):
            with self.subTest(text=text), self.assertRaises(ValidationError) as c:
                self.shop.product_domain = text
            self.assertIn(
                "The sync scope of shop Main shop is not a valid product filter",
                str(c.exception),
            )

    def test_connection_settings_reset_the_state(self):
        self.shop.write({"state": "connected", "state_reason": "Connected."})
        self.shop.safety_buffer = 1
        self.assertEqual(self.shop.state, "connected")
        self.shop.client_secret = "new secret"
        self.assertEqual(self.shop.state, "draft")
        self.assertEqual(
            self.shop.state_reason,
            "The connection settings changed: test the connection again.",
        )

    def test_client_from_the_shop(self):
        self.shop.write(
            {"auth_method": "admin_token", "access_token": "shpat_secret_value"}
        )
        client = self.shop._shopify_client()
        self.assertEqual(client.domain, "main-shop.myshopify.com")
        self.assertEqual(
            client.graphql_url,
            f"https://main-shop.myshopify.com/admin/api/{DEFAULT_API_VERSION}"
            "/graphql.json",
        )
        self.assertEqual(client.tokens.token(), "shpat_secret_value")
        self.assertNotIn("shpat_secret_value", repr(client))
        self.assertNotIn("shpat_secret_value", repr(client.tokens))

    def test_client_without_credentials(self):
        with self.assertRaises(UserError) as caught:
            self.shop._shopify_client()
        self.assertIn(
            "needs both the app's client id and its client secret",
            str(caught.exception),
        )

    def test_sandbox_route_only_for_its_domain(self):
        """The run.sh sandbox routes its own domain to the simulator, no other shop."""
        route = sandbox_route("sandbox-shop.myshopify.com=http://127.0.0.1:8070")
        sandbox = self.env["shopify.shop"].create(
            {"name": "Sandbox", "domain": "sandbox-shop.myshopify.com"}
        )
        self.shop.write({"auth_method": "admin_token", "access_token": "x"})
        sandbox.write({"auth_method": "admin_token", "access_token": "x"})
        with (
            patch.object(shopify_shop, "SANDBOX", route),
            patch.object(shopify_shop, "in_test_mode", return_value=False),
        ):
            self.assertTrue(
                sandbox._shopify_client().graphql_url.startswith(
                    "http://127.0.0.1:8070/admin/api/"
                )
            )
            self.assertTrue(
                self.shop._shopify_client().graphql_url.startswith(
                    "https://main-shop.myshopify.com/"
                )
            )
            shops = sandbox | self.shop
            shops.invalidate_recordset(["is_sandbox", "sandbox_page_url"])
            self.assertEqual(shops.mapped("is_sandbox"), [True, False])
            self.assertEqual(sandbox.sandbox_page_url, "http://127.0.0.1:8070/sandbox")
        sandbox.invalidate_recordset(["is_sandbox"])
        self.assertFalse(sandbox.is_sandbox)

    def test_base_url_override_only_in_tests(self):
        self.env["ir.config_parameter"].set_param(
            shopify_shop.BASE_URL_OVERRIDE_PARAM, "http://127.0.0.1:9"
        )
        self.shop.write({"auth_method": "admin_token", "access_token": "x"})
        self.assertTrue(
            self.shop._shopify_client().graphql_url.startswith("http://127.0.0.1:9/")
        )
        self.assertTrue(shopify_shop.in_test_mode())
        with patch.object(shopify_shop, "in_test_mode", return_value=False):
            self.assertIsNone(self.shop._shopify_base_url_override())
            self.assertTrue(
                self.shop._shopify_client().graphql_url.startswith(
                    "https://main-shop.myshopify.com/"
                )
            )

    def test_shop_form_buttons(self):
        arch = self.env["shopify.shop"].get_views([(False, "form")])["views"]["form"][
            "arch"
        ]
        wizard = self.env.ref("shopify_stock_sync.action_shopify_link_wizard")
        for button in (
            'name="action_test_connection"',
            'name="action_import_locations"',
            f'name="{wizard.id}"',
        ):
            self.assertIn(button, arch)
        action = self.env["ir.actions.actions"]._for_xml_id(
            "shopify_stock_sync.action_shopify_link_wizard"
        )
        defaults = (
            self.env[action["res_model"]]
            .with_context(active_model="shopify.shop", active_id=self.shop.id)
            .default_get(["shop_id"])
        )
        self.assertEqual(defaults["shop_id"], self.shop.id)
