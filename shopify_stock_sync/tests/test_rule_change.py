# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A change of the quantity rule or of the sync scope reaches Shopify without any
stock moving: exactly the levels it affects are pushed again, by the shop's push
job."""

from odoo.tests import tagged

from odoo.addons.queue_job.tests.common import trap_jobs

from .test_push_stock import PushStockCase


@tagged("post_install", "-at_install")
class TestRuleChange(PushStockCase):
    def setUp(self):
        super().setUp()
        with trap_jobs() as trap:
            self.receive(self.shelf_1, {self.shirt: 3, self.mug: 8})
            self.commit_and_push(trap)
        self.assertEqual(self.shopify(self.shirt, self.store), 3)
        self.assertEqual(self.shopify(self.mug, self.store), 8)
        self.sim.reset_stats()

    def change(self, values):
        """Write ``values`` on the shop; returns the push jobs it enqueued, run."""
        with trap_jobs() as trap:
            self.shop.write(values)
            self.env.cr.flush()
            return self.commit_and_push(trap)

    def test_safety_buffer_reaches_shopify(self):
        self.assertEqual(self.change({"safety_buffer": 5}), 1)
        self.assertEqual(self.shopify(self.shirt, self.store), 0)
        self.assertEqual(self.shopify(self.mug, self.store), 3)
        # every pair of the shop was pushed again, in one batch: the outlet's, never
        # pushed, read first; only the two that changed written
        self.assertEqual(self.sim.stats.by_operation, {"Levels": 1, "SetQuantities": 1})
        self.assertEqual(sorted(self.writes()), [(self.store, 0), (self.store, 3)])
        levels = self.Level.search([("shop_id", "=", self.shop.id)])
        self.assertEqual(set(levels.mapped("state")), {"synced"})

    def test_cap_and_basis_reach_shopify(self):
        self.change({"use_quantity_cap": True, "quantity_cap": 5})
        self.assertEqual(self.shopify(self.mug, self.store), 5)
        self.assertEqual(self.shopify(self.shirt, self.store), 3)
        # 2 mugs reserved: free to use says 6, on hand 8 (capped at 5 until lifted)
        self.deliver(self.shelf_1, {self.mug: 2}, validate=False)
        self.change({"use_quantity_cap": False})
        self.assertEqual(self.shopify(self.mug, self.store), 6)
        self.change({"quantity_basis": "qty_available"})
        self.assertEqual(self.shopify(self.mug, self.store), 8)

    def test_scope_pushes_the_products_that_enter_it(self):
        self.change({"product_domain": f"[('id', '=', {self.shirt.id})]"})
        self.assertFalse(self.sim.stats.by_operation)  # nothing entered the scope
        self.receive(self.shelf_1, {self.mug: 1})  # out of scope: not pushed
        self.env.cr.flush()
        self.assertEqual(self.shopify(self.mug, self.store), 8)
        self.change({"product_domain": "[]"})
        self.assertEqual(self.shopify(self.mug, self.store), 9)
        mug_levels = self.Level.search([("product_id", "=", self.mug.id)])
        shirt_levels = self.Level.search([("product_id", "=", self.shirt.id)])
        self.assertTrue(all(lv.synced_at >= lv.dirty_since for lv in mug_levels))
        # the shirt stayed in scope: its levels were not pushed again
        self.assertFalse(
            [w for w in self.sim.stats.applied_writes if w[0] == self.items[self.shirt]]
        )
        self.assertEqual(len(shirt_levels), 1)  # no outlet level made for it

    def test_other_fields_push_nothing(self):
        with trap_jobs() as trap:
            self.shop.write({"name": "Renamed", "safety_buffer": 0})
            self.env.cr.flush()
            trap.assert_jobs_count(0)

    def test_a_mapping_that_starts_writing_is_pushed(self):
        self.out.direction = "off"
        with trap_jobs() as trap:
            self.receive(self.shelf_2, {self.mug: 4})  # not pushed: the outlet is off
            self.env.cr.flush()
            trap.assert_jobs_count(0)
        self.assertEqual(self.shopify(self.mug, self.outlet), 0)
        self.assertEqual(
            self.change_mapping(self.out, {"direction": "odoo_to_shopify"}), 1
        )
        self.assertEqual(self.shopify(self.mug, self.outlet), 4)
        self.assertEqual(self.writes(), [(self.outlet, 4)])  # the Main store untouched
        # the Main store takes the Backroom too: its stock is counted at once
        self.receive(self.backroom, {self.shirt: 2})
        self.change_mapping(self.main, {"location_ids": [(4, self.backroom.id)]})
        self.assertEqual(self.shopify(self.shirt, self.store), 5)
        self.assertEqual(self.shopify(self.mug, self.store), 8)

    def change_mapping(self, mapping, values):
        with trap_jobs() as trap:
            mapping.write(values)
            self.env.cr.flush()
            return self.commit_and_push(trap)
