# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Stock changes: noted by the quant hook, recorded once per transaction, one job per
shop, a constant number of queries whatever the number of move lines, never an
error in the warehouse's transaction."""

import logging
from unittest.mock import patch

from odoo import Command
from odoo.tests import tagged

from odoo.addons.queue_job.tests.common import trap_jobs

from .common import ShopifyCase

_logger = logging.getLogger(__name__)

LINES = (1, 10, 200)


class StockCase(ShopifyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.suppliers = cls.env.ref("stock.stock_location_suppliers")
        cls.receipts = cls.warehouse.in_type_id
        cls.Change = cls.env["shopify.stock.change"]
        cls.Quant = cls.env["stock.quant"]

    @classmethod
    def _products(cls, count, prefix, shops):
        products = cls.env["product.product"].create(
            [
                {
                    "name": f"{prefix} {n}",
                    "default_code": f"{prefix}-{n}",
                    "is_storable": True,
                }
                for n in range(count)
            ]
        )
        for shop in shops:
            cls.env["shopify.variant.link"].create(
                [
                    {
                        "shop_id": shop.id,
                        "product_id": product.id,
                        "variant_gid": f"gid://shopify/ProductVariant/{product.id}",
                        "inventory_item_gid": f"gid://shopify/InventoryItem/{product.id}",
                    }
                    for product in products
                ]
            )
        return products

    def _receipt(self, products, location, quantity=1.0):
        """A confirmed receipt of ``quantity`` of each product, one line each."""
        picking = self.env["stock.picking"].create(
            {
                "picking_type_id": self.receipts.id,
                "location_id": self.suppliers.id,
                "location_dest_id": location.id,
                "move_ids": [
                    Command.create(
                        {
                            "product_id": product.id,
                            "product_uom_qty": quantity,
                            "location_id": self.suppliers.id,
                            "location_dest_id": location.id,
                        }
                    )
                    for product in products
                ],
            }
        )
        picking.action_confirm()
        return picking

    def _changes(self, shop=None):
        domain = [("shop_id", "=", shop.id)] if shop else []
        return self.Change.search(domain)


@tagged("post_install", "-at_install")
class TestStockChangeHook(StockCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_shop = cls.env["shopify.shop"].create(
            {"name": "Other shop", "domain": "other-shop.myshopify.com"}
        )
        shops = cls.shop | cls.other_shop
        cls.main = cls._mapping("Main store", cls.stock, "odoo_to_shopify")
        cls.other = cls._mapping(
            "Other store", cls.stock, "two_way", shop=cls.other_shop
        )
        # a receipt, measured with the hook and without, for each size
        cls.measured = {
            (lines, hook): cls._products(
                lines, f"M{lines}{'H' if hook else 'N'}", shops
            )
            for lines in LINES
            for hook in (True, False)
        }
        cls.warm = cls._products(3, "WARM", shops)
        cls.shirt = cls._products(1, "SHIRT", shops)
        cls.lamp = cls._product("Lamp (not linked)")

    def _validate_counting(self, picking, hook=True):
        """Validate, then run the precommit (what the commit would); the queries."""
        cr = self.env.cr
        self.env.flush_all()
        cr.flush()
        before = cr.sql_log_count
        if hook:
            picking.button_validate()
            cr.flush()
        else:
            quant_class = type(self.Quant)
            with patch.object(quant_class, "_shopify_stock_changed", lambda *a, **k: 0):
                picking.button_validate()
                cr.flush()
        self.assertEqual(picking.state, "done")
        return cr.sql_log_count - before

    def test_one_job_per_shop_and_constant_extra_queries(self):
        with trap_jobs():
            self._validate_counting(self._receipt(self.warm, self.stock))  # warm up
        extra = {}
        for lines in LINES:
            with trap_jobs() as trap:
                without = self._validate_counting(
                    self._receipt(self.measured[lines, False], self.stock), hook=False
                )
                trap.assert_jobs_count(0)
            with trap_jobs() as trap:
                with_hook = self._validate_counting(
                    self._receipt(self.measured[lines, True], self.stock)
                )
                # exactly one job per shop, with its string identity key
                trap.assert_jobs_count(2)
                methods = {job.method_name for job in trap.enqueued_jobs}
                self.assertEqual(methods, {"_push_stock"})
                keys = sorted(job.identity_key for job in trap.enqueued_jobs)
                self.assertEqual(
                    keys,
                    [
                        f"shopify_stock_sync.push:{self.shop.id}",
                        f"shopify_stock_sync.push:{self.other_shop.id}",
                    ],
                )
                channels = {job.channel for job in trap.enqueued_jobs}
                self.assertEqual(channels, {"root.shopify_stock_sync"})
            extra[lines] = with_hook - without
            _logger.info(
                "picking of %s lines: %s queries without the hook, %s with it "
                "(%s extra)",
                lines,
                without,
                with_hook,
                extra[lines],
            )
            # every line recorded once per shop, nothing else
            for shop, mapping in (
                (self.shop, self.main),
                (self.other_shop, self.other),
            ):
                changes = self._changes(shop).filtered(
                    lambda c, lines=lines: c.link_id.product_id
                    in self.measured[lines, True]
                )
                self.assertEqual(len(changes), lines)
                self.assertEqual(changes.mapping_id, mapping)
                self.assertTrue(all(changes.mapped("changed_at")))
        self.assertEqual(extra[1], extra[10])
        self.assertEqual(extra[1], extra[200])
        # the warehouse transaction touched no level: the job folds the changes
        self.assertFalse(self.env["shopify.stock.level"].search([]))

    def test_jobs_are_stored_once_per_shop(self):
        """Without trapping: real queue.job rows, one per shop, even when the same
        transaction flushes twice (a second picking, a savepoint)."""
        Job = self.env["queue.job"]
        before = Job.search([])
        self._receipt(self.shirt, self.stock).button_validate()
        self.env.cr.flush()
        self._receipt(self.shirt, self.stock).button_validate()
        self.env.cr.flush()
        jobs = Job.search([]) - before
        self.assertEqual(len(jobs), 2)
        self.assertEqual(
            set(jobs.mapped("identity_key")),
            {
                f"shopify_stock_sync.push:{self.shop.id}",
                f"shopify_stock_sync.push:{self.other_shop.id}",
            },
        )
        self.assertEqual(set(jobs.mapped("method_name")), {"_push_stock"})
        self.assertEqual(set(jobs.mapped("channel")), {"root.shopify_stock_sync"})
        self.assertEqual(set(jobs.mapped("state")), {"pending"})
        shops = self.env["shopify.shop"].browse(job.records.id for job in jobs)
        self.assertEqual(shops, self.shop | self.other_shop)
        self.assertEqual(len(self._changes(self.shop)), 2)

    def test_after_commit_a_job_sees_the_changes(self):
        """The check that runs after the commit: a shop whose changes are still
        there gets a job, unless one is waiting."""
        Job = self.env["queue.job"]
        self._receipt(self.shirt, self.stock).button_validate()
        self.env.cr.flush()
        job = Job.search([("identity_key", "=", self.shop._push_identity_key())])
        self.assertEqual(len(job), 1)
        ids = self._changes(self.shop).ids
        # a job is waiting: nothing more
        self.Change._ensure_push_jobs(ids)
        self.assertEqual(Job.search_count([("method_name", "=", "_push_stock")]), 2)
        # it started before this transaction's commit: another one is needed
        job.state = "started"
        self.assertEqual(self.Change._ensure_push_jobs(ids), self.shop)
        self.assertEqual(
            Job.search_count(
                [
                    ("identity_key", "=", self.shop._push_identity_key()),
                    ("state", "=", "pending"),
                ]
            ),
            1,
        )
        # changes already folded by a job: nothing to do
        self._changes().unlink()
        self.assertFalse(self.Change._ensure_push_jobs(ids))

    def test_only_linked_products_at_mapped_internal_locations(self):
        with trap_jobs() as trap:
            # an unmapped location, an unlinked product
            self._receipt(self.shirt, self.backroom).button_validate()
            self._receipt(self.lamp, self.stock).button_validate()
            self.env.cr.flush()
            trap.assert_jobs_count(0)
            self.assertFalse(self._changes())
            # a child of a mapped location counts for its mapping
            self._receipt(self.shirt, self.bin_1).button_validate()
            self.env.cr.flush()
            trap.assert_jobs_count(2)
        self.assertEqual(self._changes().mapping_id, self.main | self.other)
        self.assertEqual(self._changes().link_id.product_id, self.shirt)

    def test_mapping_that_does_not_write_records_nothing(self):
        self.other.direction = "shopify_to_odoo"
        self.other_shop.active = False
        with trap_jobs() as trap:
            self._receipt(self.shirt, self.stock).button_validate()
            self.env.cr.flush()
            trap.assert_jobs_count(1)
        self.assertEqual(self._changes().shop_id, self.shop)

    def test_sync_scope(self):
        self.shop.product_domain = f"[('id', '!=', {self.shirt.id})]"
        with trap_jobs() as trap:
            self._receipt(self.shirt | self.warm[:1], self.stock).button_validate()
            self.env.cr.flush()
            trap.assert_jobs_count(2)
        mine = self._changes(self.shop)
        self.assertEqual(mine.link_id.product_id, self.warm[:1])
        self.assertEqual(
            self._changes(self.other_shop).link_id.product_id,
            self.shirt | self.warm[:1],
        )

    def test_reservations_count(self):
        self.Quant._update_available_quantity(self.shirt, self.stock, 5.0)
        self.env.cr.flush()
        self._changes().unlink()
        with trap_jobs() as trap:
            self.Quant._update_reserved_quantity(self.shirt, self.stock, 2.0)
            self.env.cr.flush()
            trap.assert_jobs_count(2)
        self.assertEqual(len(self._changes()), 2)

    def test_acting_users_companies_do_not_matter(self):
        """A user working in another company changes the shop company's stock: the
        change is recorded all the same (superuser, raw SQL)."""
        other_company = self.env["res.company"].create({"name": "Other company"})
        user = self._user("stock_clerk", "stock.group_stock_user")
        user.write(
            {
                "company_ids": [Command.link(other_company.id)],
                "company_id": other_company.id,
            }
        )
        quants = (
            self.Quant.with_user(user)
            .with_context(allowed_company_ids=[other_company.id])
            .sudo()
        )
        with trap_jobs() as trap:
            quants._update_available_quantity(self.shirt, self.stock, 3.0)
            self.env.cr.flush()
            trap.assert_jobs_count(2)
        self.assertEqual(len(self._changes()), 2)

    def test_never_raises_into_the_warehouse(self):
        Change = type(self.Change)

        def broken(*args, **kwargs):
            raise RuntimeError("resolution broke")

        with (
            trap_jobs() as trap,
            patch.object(Change, "_resolve_quant_changes", broken),
            self.assertLogs(
                "odoo.addons.shopify_stock_sync.models.shopify_stock_change", "ERROR"
            ) as logs,
        ):
            picking = self._receipt(self.shirt, self.stock)
            picking.button_validate()
            self.env.cr.flush()
            # the fallback: every level of every active shop marked for a push
            trap.assert_jobs_count(2)
        self.assertEqual(picking.state, "done")
        self.assertIn("could not record 2 changed quants", logs.output[0])
        changes = self._changes()
        self.assertEqual(changes.shop_id, self.shop | self.other_shop)
        self.assertFalse(changes.link_id)
        self.assertFalse(changes.mapping_id)

        # even the fallback failing leaves the picking alone
        with (
            trap_jobs() as trap,
            patch.object(Change, "_resolve_quant_changes", broken),
            patch.object(Change, "_record_everything", broken),
            self.assertLogs(
                "odoo.addons.shopify_stock_sync.models.shopify_stock_change", "ERROR"
            ) as logs,
        ):
            picking = self._receipt(self.shirt, self.stock)
            picking.button_validate()
            self.env.cr.flush()
            trap.assert_jobs_count(0)
        self.assertEqual(picking.state, "done")
        self.assertEqual(len(logs.output), 2)
        self.assertEqual(
            self.shirt.with_context(location=self.stock.id).qty_available, 2
        )
