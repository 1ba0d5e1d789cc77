# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The launch readiness checklist on the shop, against the simulated shop: each
problem it names is flagged, and a clean shop with a test push is ready."""

from unittest import mock

from lxml import etree

from odoo.tests import tagged

from odoo.addons.shopify_stock_sync.engine.shopify.auth import REQUIRED_SCOPES
from odoo.addons.shopify_stock_sync.models import shopify_shop_readiness

from .common import PushCase

CODES = (
    "scopes",
    "locations",
    "sku_duplicates",
    "sku_blanks",
    "sku_case",
    "products_linked",
    "tracked",
    "stocked",
    "job_runner",
    "test_push",
    "webhooks",
)


@tagged("post_install", "-at_install")
class ReadinessCase(PushCase):
    def setUp(self):
        super().setUp()
        self.store, self.main = self._simulated_mapping(
            "Main store", self.shelf_1, "odoo_to_shopify"
        )
        self.outlet, self.out = self._simulated_mapping(
            "Outlet", self.shelf_2, "odoo_to_shopify"
        )

    def add(self, sku, title="Default Title", product_title=None, link=True):
        """A Shopify variant stocked at both locations, and its Odoo product, linked."""
        variant = self.sim.add_variant(sku, title=title, product_title=product_title)
        for location in (self.store, self.outlet):
            self.sim.set_level(variant.inventory_item_id, location, available=0)
        product = self._product(sku, default_code=sku)
        if link:
            self._link(
                product,
                variant.id.rsplit("/", 1)[-1],
                variant_gid=variant.id,
                inventory_item_gid=variant.inventory_item_id,
                shopify_title=title,
            )
        return variant, product

    def lines(self, server_wide_modules="base,rpc,web,queue_job"):
        settings = {"server_wide_modules": server_wide_modules}
        with mock.patch.object(shopify_shop_readiness, "config", settings):
            self.shop.action_check_readiness()
        return {line.code: line for line in self.shop.readiness_line_ids}

    def test_each_problem_flagged(self):
        self.shop.granted_scopes = "read_products, read_inventory"
        self.sim.add_location("Pop-up")  # active, not mapped
        self.add("SHIRT")
        self.sim.unstock(self.add("HAT")[0].inventory_item_id, self.outlet)
        mug, _product = self.add("MUG")
        self.sim.set_tracked(mug.inventory_item_id, False)
        self.sim.add_variant("DUP", product_title="Dup one")
        self.sim.add_variant("DUP", product_title="Dup two")
        self._product("Dup", default_code="DUP")
        self.sim.add_variant(None, product_title="No SKU")
        self.sim.add_variant("CAP", product_title="Cap")
        self._product("Cap", default_code="cap")
        self._product("Lamp", default_code="LAMP")  # in no Shopify
        lines = self.lines(server_wide_modules="base,rpc,web")
        self.assertEqual(tuple(lines), CODES)
        for code in CODES[:-2]:
            self.assertEqual(lines[code].status, "problem", code)
            self.assertTrue(lines[code].todo, code)
        self.assertEqual(lines["test_push"].status, "not_run")
        self.assertIn("write_inventory", lines["scopes"].records)
        self.assertIn("Pop-up", lines["locations"].records)
        self.assertIn("DUP", lines["sku_duplicates"].records)
        self.assertIn("LAMP", lines["products_linked"].records)
        self.assertIn("MUG", lines["tracked"].records)
        self.assertIn("HAT", lines["stocked"].records)
        self.assertIn("server_wide_modules", lines["job_runner"].records)
        self.assertFalse(self.shop.readiness_ok)

    def test_clean_shop_ready_after_test_push(self):
        self.shop.granted_scopes = ", ".join(REQUIRED_SCOPES)
        self.add("SHIRT")
        self.add("TEE-S", title="S", product_title="Tee")
        self.add("TEE-M", title="M", product_title="Tee")
        lines = self.lines()
        problems = {c: line.summary for c, line in lines.items() if line.status != "ok"}
        self.assertEqual(set(problems), {"test_push"}, problems)
        self.assertEqual(lines["test_push"].status, "not_run")
        settings = {"server_wide_modules": "base,rpc,web,queue_job"}
        with mock.patch.object(shopify_shop_readiness, "config", settings):
            self.shop.action_readiness_test_push()
        lines = {line.code: line for line in self.shop.readiness_line_ids}
        self.assertEqual(lines["test_push"].status, "ok", lines["test_push"].summary)
        self.assertTrue(self.shop.readiness_ok)
        pushed = {entry["kind"] for entry in self.shop.readiness_test_pushes}
        self.assertEqual(pushed, {"simple", "variant", "multi_location"})

    def test_webhooks_flagged_when_shopify_feeds_odoo(self):
        self.shop.granted_scopes = ", ".join(REQUIRED_SCOPES)
        self.add("SHIRT")
        self.assertEqual(self.lines()["webhooks"].status, "ok")  # none needed yet
        self.out.direction = "shopify_to_odoo"
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("web.base.url", "http://127.0.0.1:8069")
        self.shop.invalidate_recordset(["webhook_endpoint"])
        line = self.lines()["webhooks"]
        self.assertEqual(line.status, "problem")
        self.assertIn("Shopify cannot deliver to http://127.0.0.1:8069/", line.summary)
        self.assertIn("web.base.url", line.todo)
        params.set_param("web.base.url", "https://odoo.example.com")
        self.shop.invalidate_recordset(["webhook_endpoint"])
        line = self.lines()["webhooks"]
        self.assertEqual(line.status, "problem")
        self.assertIn("INVENTORY_LEVELS_UPDATE: not subscribed", line.records)
        self.assertIn("Subscribe", line.todo)
        self.shop.action_webhook_subscribe()
        self.env["shopify.webhook.event"].sudo().create(
            {
                "shop_id": self.shop.id,
                "webhook_id": "readiness-1",
                "topic": "inventory_levels/update",
                "received_at": "2026-11-27 10:00:00",
            }
        )
        line = self.lines()["webhooks"]
        self.assertEqual(line.status, "ok", line.summary)
        self.assertIn(
            "INVENTORY_LEVELS_UPDATE last arrived 2026-11-27 10:00:00 UTC", line.summary
        )
        self.assertIn("LOCATIONS_UPDATE last arrived never", line.summary)

    def test_readiness_list_reads_beside_the_chatter(self):
        """The checklist shows the check, its status, the summary and what to do (the
        records concerned are optional and open with the line's own form), not five
        text columns side by side."""
        view = self.env.ref("shopify_stock_sync.shopify_shop_view_form")
        arch = self.shop.get_views([(view.id, "form")])["views"]["form"]["arch"]
        field = etree.fromstring(arch).find(".//field[@name='readiness_line_ids']")
        columns = [
            node.get("name")
            for node in field.find("list").iter("field")
            if node.get("optional") != "hide" and node.get("column_invisible") != "1"
        ]
        self.assertEqual(columns, ["title", "status", "summary", "todo"])
        self.assertEqual(
            field.find("list/field[@name='title']").get("width"), "180px"
        )  # whole titles, not one word per line
        shown = {node.get("name") for node in field.find("form").iter("field")}
        self.assertLessEqual({"summary", "todo", "records", "count"}, shown)
