# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Secrets for system administrators only; operators read and re-queue; companies
apart; operators see this addon's jobs and no other."""

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import ADMIN, OPERATOR, ShopifyCase

SECRETS = ("client_id", "client_secret", "access_token", "api_secret")


@tagged("post_install", "-at_install")
class TestSecurity(ShopifyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.shop.sudo().write(
            {
                "client_id": "client-id",
                "client_secret": "client-secret",
                "access_token": "shpat_token",
                "api_secret": "api-secret",
            }
        )
        cls.mapping = cls._mapping("Main store", cls.stock, "odoo_to_shopify")
        cls.product = cls._product("Shirt", default_code="ABC-RED-M")
        cls.link = cls._link(cls.product, 1)
        cls.level = cls.env["shopify.stock.level"]._ensure_levels(cls.link, cls.mapping)
        cls.operator = cls._user("shopify_operator", OPERATOR)
        cls.admin = cls._user("shopify_admin", ADMIN)
        cls.system = cls._user("shopify_system", f"{ADMIN},base.group_system")

    def test_operator_reads_everything_but_secrets(self):
        shop = self.shop.with_user(self.operator)
        fields = shop.fields_get()
        for name in SECRETS:
            self.assertNotIn(name, fields)
            with self.assertRaises(AccessError):
                shop.read([name])
            with self.assertRaises(AccessError):
                shop.mapped(name)
        self.assertEqual(shop.read(["name", "domain"])[0]["domain"], self.shop.domain)
        self.assertEqual(self.mapping.with_user(self.operator).location_ids, self.stock)
        self.assertEqual(self.link.with_user(self.operator).shopify_sku, "ABC-RED-M")
        self.assertEqual(self.level.with_user(self.operator).state, "pending")

    def test_operator_does_not_configure(self):
        for record, values in (
            (self.shop, {"name": "Renamed"}),
            (self.mapping, {"direction": "off"}),
            (self.link, {"shopify_sku": "X"}),
            (self.level, {"state": "synced"}),
        ):
            with self.subTest(model=record._name), self.assertRaises(AccessError):
                record.with_user(self.operator).write(values)
        with self.assertRaises(AccessError):
            self.env["shopify.shop"].with_user(self.operator).create(
                {"name": "New", "domain": "new-shop.myshopify.com"}
            )

    def test_admin_configures_without_secrets(self):
        shop = self.shop.with_user(self.admin)
        shop.write({"name": "Renamed", "safety_buffer": 2})
        self.mapping.with_user(self.admin).direction = "off"
        self.assertNotIn("client_secret", shop.fields_get())
        with self.assertRaises(AccessError):
            shop.read(["client_secret"])
        with self.assertRaises(AccessError):
            shop.write({"client_secret": "stolen"})

    def test_system_administrator_reads_secrets(self):
        shop = self.shop.with_user(self.system)
        self.assertIn("client_secret", shop.fields_get())
        self.assertEqual(shop.client_secret, "client-secret")
        shop.access_token = "shpat_new"
        self.assertEqual(self.shop.sudo().access_token, "shpat_new")

    def test_secrets_are_not_copied(self):
        copy = self.shop.copy({"domain": "copy-shop.myshopify.com"}).sudo()
        for name in SECRETS:
            self.assertFalse(copy[name], name)

    def test_secrets_never_reach_the_chatter(self):
        self.shop.sudo().client_secret = "rotated-secret"
        tracked = self.env["mail.tracking.value"].search(
            [("mail_message_id", "in", self.shop.message_ids.ids)]
        )
        self.assertNotIn("client_secret", tracked.field_id.mapped("name"))
        self.assertFalse(
            self.shop.message_ids.filtered(lambda m: "rotated-secret" in (m.body or ""))
        )

    def test_companies_are_kept_apart(self):
        company_b = self.env["res.company"].create({"name": "Company B"})
        user_b = self._user("shopify_admin_b", ADMIN, company=company_b)
        for model in (
            "shopify.shop",
            "shopify.location.mapping",
            "shopify.variant.link",
            "shopify.stock.level",
        ):
            with self.subTest(model=model):
                self.assertFalse(self.env[model].with_user(user_b).search([]))
                self.assertTrue(self.env[model].with_user(self.admin).search([]))
        with self.assertRaises(AccessError):
            self.shop.with_user(user_b).read(["name"])
        with self.assertRaises(AccessError):
            self.level.with_user(user_b).read(["state"])
        with self.assertRaises(AccessError):
            self.level.with_user(user_b).action_requeue()
        shop_b = (
            self.env["shopify.shop"]
            .with_user(user_b)
            .create({"name": "Shop B", "domain": "shop-b.myshopify.com"})
        )
        self.assertEqual(shop_b.company_id, company_b)
        self.assertEqual(
            self.env["shopify.shop"].with_user(self.admin).search([]), self.shop
        )

    def test_operator_sees_this_addons_jobs_only(self):
        ours = self.shop.with_delay().action_test_connection()
        other = self.env["res.partner"].with_delay().read(["name"])
        Job = self.env["queue.job"]
        ours_record = Job.search([("uuid", "=", ours.uuid)])
        other_record = Job.search([("uuid", "=", other.uuid)])
        self.assertTrue(ours_record and other_record)
        jobs = Job.with_user(self.operator).search([])
        self.assertIn(ours_record, jobs)
        self.assertNotIn(other_record, jobs)
        data = ours_record.with_user(self.operator).read(
            ["name", "state", "model_name", "job_function_id", "exc_message"]
        )
        self.assertEqual(data[0]["model_name"], "shopify.shop")
        with self.assertRaises(AccessError):
            other_record.with_user(self.operator).read(["name"])
        with self.assertRaises(AccessError):
            ours_record.with_user(self.operator).write({"state": "done"})
        # job queue managers still see every job
        manager = self._user(
            "job_manager", f"{OPERATOR},queue_job.group_queue_job_manager"
        )
        self.assertIn(other_record, Job.with_user(manager).search([]))

    def test_menus(self):
        menus = self.env["ir.ui.menu"].with_user(self.operator)._visible_menu_ids()
        self.assertIn(
            self.env.ref("shopify_stock_sync.menu_shopify_stock_level").id, menus
        )
        self.assertIn(
            self.env.ref("shopify_stock_sync.menu_shopify_queue_job").id, menus
        )
        self.assertNotIn(
            self.env.ref("shopify_stock_sync.menu_shopify_config_settings").id, menus
        )
        stock_user = self._user("plain_stock_user", "stock.group_stock_user")
        menus = self.env["ir.ui.menu"].with_user(stock_user)._visible_menu_ids()
        self.assertNotIn(self.env.ref("shopify_stock_sync.menu_shopify_root").id, menus)

    def test_views_hide_the_credentials_from_all_but_system_administrators(self):
        for user, sees in (
            (self.operator, False),
            (self.admin, False),
            (self.system, True),
        ):
            views = (
                self.env["shopify.shop"].with_user(user).get_views([(False, "form")])
            )
            arch = views["views"]["form"]["arch"]
            with self.subTest(user=user.login):
                self.assertEqual('name="client_secret"' in arch, sees)
                self.assertEqual('name="credentials"' in arch, sees)
        for model in (
            "shopify.shop",
            "shopify.location.mapping",
            "shopify.variant.link",
            "shopify.stock.level",
        ):
            with self.subTest(model=model):
                views = (
                    self.env[model]
                    .with_user(self.operator)
                    .get_views([(False, "list"), (False, "form"), (False, "search")])
                )
                self.assertEqual(set(views["views"]), {"list", "form", "search"})
