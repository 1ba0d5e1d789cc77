# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Stock changes in Odoo reach Shopify: end to end, from a picking to the simulated
shop, through the quant hook and the push job run synchronously."""

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged

from odoo.addons.queue_job.tests.common import trap_jobs

from .common import OPERATOR, PushCase


class PushStockCase(PushCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.suppliers = cls.env.ref("stock.stock_location_suppliers")
        cls.shirt = cls._product("Shirt", default_code="SHIRT")
        cls.mug = cls._product("Mug", default_code="MUG")
        cls.lamp = cls._product("Lamp", default_code="LAMP")  # never linked
        cls.Level = cls.env["shopify.stock.level"]
        cls.Quant = cls.env["stock.quant"]

    def setUp(self):
        super().setUp()
        sim = self.sim
        # Shopify "Main store" is fed by Odoo Shelf 1 (and its Bin 1), "Outlet" by
        # Shelf 2; the Backroom is mapped to nothing
        self.store, self.main = self._simulated_mapping(
            "Main store", self.shelf_1, "odoo_to_shopify"
        )
        self.outlet, self.out = self._simulated_mapping(
            "Outlet", self.shelf_2, "odoo_to_shopify"
        )
        self.items = {}
        for number, product in enumerate((self.shirt, self.mug), start=1):
            variant = sim.add_variant(product.default_code)
            self.items[product] = variant.inventory_item_id
            self._link(
                product,
                number,
                variant_gid=variant.id,
                inventory_item_gid=variant.inventory_item_id,
            )
            for location in (self.store, self.outlet):
                sim.set_level(variant.inventory_item_id, location, available=0)
        sim.reset_stats()

    def _bulk_products(self, count):
        """``count`` more products, linked, stocked at 0 in the Main store."""
        products = self.env["product.product"].create(
            [{"name": f"Bulk {n}", "is_storable": True} for n in range(count)]
        )
        for product in products:
            variant = self.sim.add_variant(f"BULK-{product.id}")
            self.items[product] = variant.inventory_item_id
            self.sim.set_level(variant.inventory_item_id, self.store)
            self._link(
                product,
                product.id + 10_000,
                variant_gid=variant.id,
                inventory_item_gid=variant.inventory_item_id,
            )
        return products

    # -- Odoo side --------------------------------------------------------------------

    def _picking(self, picking_type, source, destination, quantities):
        picking = self.env["stock.picking"].create(
            {
                "picking_type_id": picking_type.id,
                "location_id": source.id,
                "location_dest_id": destination.id,
                "move_ids": [
                    Command.create(
                        {
                            "product_id": product.id,
                            "product_uom_qty": quantity,
                            "location_id": source.id,
                            "location_dest_id": destination.id,
                        }
                    )
                    for product, quantity in quantities.items()
                ],
            }
        )
        picking.action_confirm()
        picking.action_assign()
        return picking

    def receive(self, location, quantities):
        picking = self._picking(
            self.warehouse.in_type_id, self.suppliers, location, quantities
        )
        self.assertIs(picking.button_validate(), True)
        return picking

    def deliver(self, location, quantities, validate=True):
        picking = self._picking(
            self.warehouse.out_type_id, location, self.customers, quantities
        )
        if validate:
            self.assertIs(picking.button_validate(), True)
        return picking

    def transfer(self, source, destination, quantities):
        picking = self._picking(
            self.warehouse.int_type_id, source, destination, quantities
        )
        self.assertIs(picking.button_validate(), True)
        return picking

    def free(self, product, location):
        """What Odoo can ship from ``location`` (children included)."""
        return product.with_context(location=location.id).free_qty

    # -- running ----------------------------------------------------------------------

    def commit_and_push(self, trap):
        """What the commit and the job runner would do: the precommit, then the
        jobs; returns the number of jobs run."""
        self.env.cr.flush()
        jobs = self.run_jobs(trap)
        self.env.invalidate_all()
        return jobs

    # -- Shopify side -----------------------------------------------------------------

    def shopify(self, product, location_gid, name="available"):
        level = self.sim.level(self.items[product], location_gid)
        return level and level[name]

    def level(self, product, mapping):
        return self.Level.search(
            [("product_id", "=", product.id), ("mapping_id", "=", mapping.id)]
        )

    def writes(self, product=None):
        """The quantities Shopify applied (per pair, in order)."""
        return [
            (write[1], write[3])
            for write in self.sim.stats.applied_writes
            if product is None or write[0] == self.items[product]
        ]


@tagged("post_install", "-at_install")
class TestPushStock(PushStockCase):
    def test_receipt(self):
        with trap_jobs() as trap:
            self.receive(self.shelf_1, {self.shirt: 10, self.mug: 4})
            self.assertEqual(self.commit_and_push(trap), 1)
        self.assertEqual(self.shopify(self.shirt, self.store), 10)
        self.assertEqual(self.shopify(self.mug, self.store), 4)
        self.assertEqual(self.shopify(self.shirt, self.outlet), 0)
        # a cold push reads the batch, then writes it: two calls for both levels
        self.assertEqual(self.sim.stats.by_operation, {"Levels": 1, "SetQuantities": 1})
        level = self.level(self.shirt, self.main)
        self.assertRecordValues(
            level,
            [
                {
                    "state": "synced",
                    "odoo_quantity": 10,
                    "shopify_known": True,
                    "shopify_available": 10,
                    "shopify_on_hand": 10,
                    "shopify_committed": 0,
                    "last_pushed_quantity": 10,
                    "error_message": False,
                }
            ],
        )
        self.assertTrue(level.synced_at >= level.dirty_since)
        self.assertTrue(level.last_idempotency_key.startswith("sss-"))
        self.assertFalse(self.level(self.shirt, self.out))  # nothing changed there

        # the next change costs one call: Shopify's level is remembered
        self.sim.reset_stats()
        with trap_jobs() as trap:
            self.receive(self.shelf_1, {self.shirt: 2})
            self.commit_and_push(trap)
        self.assertEqual(self.sim.stats.by_operation, {"SetQuantities": 1})
        self.assertEqual(self.shopify(self.shirt, self.store), 12)
        self.assertEqual(self.level(self.shirt, self.main).shopify_available, 12)

    def test_delivery(self):
        with trap_jobs() as trap:
            self.receive(self.shelf_1, {self.shirt: 10})
            self.commit_and_push(trap)
            self.deliver(self.shelf_1, {self.shirt: 3})
            self.commit_and_push(trap)
        self.assertEqual(self.free(self.shirt, self.shelf_1), 7)
        self.assertEqual(self.shopify(self.shirt, self.store), 7)
        self.assertEqual(self.writes(self.shirt), [(self.store, 10), (self.store, 7)])
        self.assertEqual(self.level(self.shirt, self.main).odoo_quantity, 7)

    def test_internal_transfer_between_two_mapped_locations(self):
        with trap_jobs() as trap:
            self.receive(self.shelf_1, {self.shirt: 10})
            self.commit_and_push(trap)
            self.transfer(self.shelf_1, self.shelf_2, {self.shirt: 4})
            # one job for the shop, both levels in it
            self.env.cr.flush()
            trap.assert_jobs_count(1)
            self.commit_and_push(trap)
        self.assertEqual(self.shopify(self.shirt, self.store), 6)
        self.assertEqual(self.shopify(self.shirt, self.outlet), 4)
        levels = self.level(self.shirt, self.main) | self.level(self.shirt, self.out)
        self.assertEqual(levels.mapped("state"), ["synced", "synced"])
        self.assertEqual(levels.mapped("shopify_available"), [6, 4])

    def test_inventory_adjustment(self):
        with trap_jobs() as trap:
            self.receive(self.shelf_1, {self.shirt: 10})
            self.commit_and_push(trap)
            quant = self.Quant.search(
                [
                    ("product_id", "=", self.shirt.id),
                    ("location_id", "=", self.shelf_1.id),
                ]
            )
            quant.inventory_quantity = 8
            quant.action_apply_inventory()
            self.commit_and_push(trap)
        self.assertEqual(self.shopify(self.shirt, self.store), 8)
        self.assertEqual(self.level(self.shirt, self.main).odoo_quantity, 8)

    def test_reservation_change(self):
        """Free to use is the default basis: a reservation lowers Shopify at once,
        and undoing it gives the units back."""
        with trap_jobs() as trap:
            self.receive(self.shelf_1, {self.shirt: 10})
            self.commit_and_push(trap)
            delivery = self.deliver(self.shelf_1, {self.shirt: 4}, validate=False)
            self.commit_and_push(trap)
            self.assertEqual(self.shopify(self.shirt, self.store), 6)
            delivery.do_unreserve()
            self.commit_and_push(trap)
        self.assertEqual(self.shopify(self.shirt, self.store), 10)

    def test_children_of_a_mapped_location_count(self):
        with trap_jobs() as trap:
            self.receive(self.shelf_1, {self.shirt: 3})
            self.receive(self.bin_1, {self.shirt: 2})
            self.commit_and_push(trap)
        self.assertEqual(self.shopify(self.shirt, self.store), 5)

    def test_location_mapped_to_nothing(self):
        with trap_jobs() as trap:
            self.receive(self.backroom, {self.shirt: 10})
            self.assertEqual(self.commit_and_push(trap), 0)
        self.assertFalse(self.Level.search([]))
        self.assertEqual(self.sim.stats.requests, 0)
        self.assertEqual(self.shopify(self.shirt, self.store), 0)

    def test_product_without_link(self):
        with trap_jobs() as trap:
            self.receive(self.shelf_1, {self.lamp: 10})
            self.assertEqual(self.commit_and_push(trap), 0)
        self.assertFalse(self.Level.search([]))
        self.assertEqual(self.sim.stats.requests, 0)

    def test_quantity_rule_of_the_shop(self):
        self.shop.write({"quantity_basis": "qty_available", "safety_buffer": 2})
        with trap_jobs() as trap:
            self.receive(self.shelf_1, {self.shirt: 10})
            self.deliver(self.shelf_1, {self.shirt: 4}, validate=False)
            self.commit_and_push(trap)
        # on hand 10 (4 reserved, ignored by this basis), minus the buffer
        self.assertEqual(self.shopify(self.shirt, self.store), 8)

    def test_mapping_switched_off_before_the_push(self):
        with trap_jobs() as trap:
            self.receive(self.shelf_1, {self.shirt: 10})
            self.env.cr.flush()
            self.main.direction = "off"
            self.commit_and_push(trap)
        self.assertEqual(self.sim.stats.requests, 0)
        self.assertFalse(self.level(self.shirt, self.main))

    def test_levels_that_can_no_longer_be_pushed_are_ignored(self):
        with trap_jobs() as trap:
            self.receive(self.shelf_1, {self.shirt: 1})
            self.receive(self.shelf_2, {self.mug: 1})
            self.commit_and_push(trap)
        shirt = self.level(self.shirt, self.main)
        mug = self.level(self.mug, self.out)
        (shirt | mug).write({"state": "pending"})
        shirt.link_id.state = "conflict"
        self.out.direction = "off"
        self.sim.reset_stats()
        with trap_jobs() as trap:
            self.shop._enqueue_push()
            self.commit_and_push(trap)
        self.assertEqual(self.sim.stats.requests, 0)
        self.assertEqual((shirt | mug).mapped("state"), ["ignored", "ignored"])
        self.assertEqual(
            shirt.error_message,
            "Not pushed: the product's link to Shopify is in conflict; resolve it in "
            "Variant Links.",
        )
        self.assertEqual(
            mug.error_message,
            "Not pushed: the location mapping no longer writes to Shopify (its "
            "direction or its Odoo locations changed).",
        )

    def test_untracked_variant_is_a_level_error(self):
        self.sim.set_tracked(self.items[self.mug], False)
        with trap_jobs() as trap:
            self.receive(self.shelf_1, {self.shirt: 5, self.mug: 5})
            self.commit_and_push(trap)
        self.assertEqual(self.shopify(self.shirt, self.store), 5)
        level = self.level(self.mug, self.main)
        self.assertEqual(level.state, "error")
        self.assertEqual(level.error_category, "data")
        self.assertEqual(
            level.error_message,
            "SKU MUG ([MUG] Mug) at Shopify location 'Main store' (from Odoo "
            "WH/Stock/Shelf 1): the Shopify variant does not track inventory, so "
            "Shopify ignores its quantity. Turn on 'Track quantity' for the variant "
            "in Shopify, then push again. Not retried automatically.",
        )
        # the next change of the product tries again
        self.sim.set_tracked(self.items[self.mug], True)
        with trap_jobs() as trap:
            self.receive(self.shelf_1, {self.mug: 1})
            self.commit_and_push(trap)
        self.assertEqual(self.level(self.mug, self.main).state, "synced")
        self.assertEqual(self.shopify(self.mug, self.store), 6)

    def test_pushes_in_batches_of_250(self):
        products = self.env["product.product"].create(
            [{"name": f"Bulk {n}", "is_storable": True} for n in range(260)]
        )
        for product in products:
            variant = self.sim.add_variant(f"BULK-{product.id}")
            self.items[product] = variant.inventory_item_id
            self._link(
                product,
                product.id + 10_000,
                variant_gid=variant.id,
                inventory_item_gid=variant.inventory_item_id,
            )
        self.sim.reset_stats()
        with trap_jobs() as trap:
            self.receive(self.shelf_1, dict.fromkeys(products, 3))
            self.assertEqual(self.commit_and_push(trap), 1)
        # two batches: two reads, two writes (one idempotency key each); the pairs
        # were not stocked, so each is activated first (Shopify may throttle those
        # many calls: the client waits and retries)
        stats = self.sim.stats
        self.assertEqual(stats.by_operation["Levels"], 2)
        self.assertEqual(len(stats.activations), 260)
        self.assertEqual(len(stats.applied_writes), 260)
        self.assertEqual(len({write[4] for write in stats.applied_writes}), 2)
        self.assertEqual({self.shopify(p, self.store) for p in products}, {3})
        levels = self.Level.search([("product_id", "in", products.ids)])
        self.assertEqual(set(levels.mapped("state")), {"synced"})

    def test_run_budget_leaves_the_rest_to_a_follow_up_job(self):
        self.patch(type(self.shop), "_push_max_batches", 1)
        products = self._bulk_products(251)
        with trap_jobs() as trap:
            self.receive(self.shelf_1, dict.fromkeys(products, 1))
            self.assertEqual(self.commit_and_push(trap), 2)
        self.assertEqual({self.shopify(p, self.store) for p in products}, {1})


@tagged("post_install", "-at_install")
class TestInFlightOrderGuard(PushStockCase):
    """Shopify never shows more than Odoo can ship, even when a sale lands in Shopify
    between two pushes, or during one, before Odoo knows it."""

    def assert_never_oversold(self):
        sellable = self.shopify(self.shirt, self.store)
        sold_unknown = self.shopify(self.shirt, self.store, "committed")
        self.assertLessEqual(
            sellable + sold_unknown,
            self.free(self.shirt, self.shelf_1),
            "Shopify offers units Odoo cannot ship",
        )

    def test_sale_between_two_pushes(self):
        item = self.items[self.shirt]
        with trap_jobs() as trap:
            self.receive(self.shelf_1, {self.shirt: 10})
            self.commit_and_push(trap)
        self.assertEqual(self.shopify(self.shirt, self.store), 10)
        self.assert_never_oversold()

        # a sale of 3 in Shopify, not yet in Odoo
        self.sim.place_order(item, self.store, 3)
        self.assertEqual(self.shopify(self.shirt, self.store), 7)
        self.assert_never_oversold()

        # Odoo receives 5: Odoo has 15, but 3 of them are sold in Shopify
        with trap_jobs() as trap:
            self.receive(self.shelf_1, {self.shirt: 5})
            self.commit_and_push(trap)
        self.assertEqual(self.shopify(self.shirt, self.store), 12)
        self.assertEqual(self.shopify(self.shirt, self.store, "committed"), 3)
        self.assert_never_oversold()
        level = self.level(self.shirt, self.main)
        self.assertEqual(
            (level.odoo_quantity, level.shopify_available, level.shopify_committed),
            (15, 12, 3),
        )

        # Odoo delivers 4 of other orders: 11 left, 3 still owed to Shopify's sale
        with trap_jobs() as trap:
            self.deliver(self.shelf_1, {self.shirt: 4})
            self.commit_and_push(trap)
        self.assertEqual(self.shopify(self.shirt, self.store), 8)
        self.assert_never_oversold()

    def test_sale_during_a_push(self):
        """A sale lands after the push read Shopify's level and before its write: the
        compare-and-set refuses the write, the level is read again."""
        item = self.items[self.shirt]
        with trap_jobs() as trap:
            self.receive(self.shelf_1, {self.shirt: 10})
            self.commit_and_push(trap)
        shop_class = type(self.shop)
        make_client = shop_class._shopify_client
        sim = self.sim

        def client_with_a_sale(shop, **options):
            client = make_client(shop, **options)
            execute = client.execute
            sold = []

            def execute_after_a_sale(document, variables=None, **kw):
                if "inventorySetQuantities" in document and not sold:
                    sim.place_order(item, self.store, 2)
                    sold.append(2)
                return execute(document, variables, **kw)

            client.execute = execute_after_a_sale
            return client

        self.patch(shop_class, "_shopify_client", client_with_a_sale)
        with trap_jobs() as trap:
            self.receive(self.shelf_1, {self.shirt: 5})
            self.commit_and_push(trap)
        self.assertEqual(self.shopify(self.shirt, self.store), 13)
        self.assertEqual(self.shopify(self.shirt, self.store, "committed"), 2)
        self.assert_never_oversold()
        # refused once (stale), read, written once
        self.assertEqual(self.writes(self.shirt), [(self.store, 10), (self.store, 13)])
        self.assertEqual(self.level(self.shirt, self.main).state, "synced")


@tagged("post_install", "-at_install")
class TestPushNow(PushStockCase):
    def setUp(self):
        super().setUp()
        self.operator = self._user("push_operator", OPERATOR)
        self.clerk = self._user("stock_clerk", "stock.group_stock_user")
        self.Quant._update_available_quantity(self.shirt, self.shelf_1, 4)
        self.Quant._update_available_quantity(self.shirt, self.shelf_2, 2)
        self.env.cr.precommit.clear()  # as if committed long ago, never pushed

    def test_push_products_now(self):
        with trap_jobs() as trap:
            action = (
                self.shirt.with_user(self.operator)
                .with_context(active_test=False)
                .action_shopify_push_now()
            )
            # the levels are pending at once, one job for the shop
            levels = self.Level.search([("product_id", "=", self.shirt.id)])
            self.assertEqual(levels.mapping_id, self.main | self.out)
            self.assertEqual(set(levels.mapped("state")), {"pending"})
            trap.assert_jobs_count(1)
            self.commit_and_push(trap)
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(
            action["params"]["message"],
            "2 stock levels of Main shop are queued for Shopify; Shopify Sync / "
            "Status / Stock Levels shows when they are synced.",
        )
        self.assertEqual(self.shopify(self.shirt, self.store), 4)
        self.assertEqual(self.shopify(self.shirt, self.outlet), 2)

    def test_push_templates_and_quants_now(self):
        with trap_jobs() as trap:
            self.shirt.product_tmpl_id.with_user(
                self.operator
            ).action_shopify_push_now()
            self.commit_and_push(trap)
        self.assertEqual(self.shopify(self.shirt, self.outlet), 2)
        self.Quant._update_available_quantity(self.shirt, self.shelf_2, 1)
        self.env.cr.precommit.clear()
        quant = self.Quant.search(
            [("product_id", "=", self.shirt.id), ("location_id", "=", self.shelf_2.id)]
        )
        with trap_jobs() as trap:
            quant.with_user(self.operator).action_shopify_push_now()
            self.commit_and_push(trap)
        self.assertEqual(self.shopify(self.shirt, self.outlet), 3)
        self.assertEqual(self.shopify(self.shirt, self.store), 4)

    def test_requeue_pushes(self):
        with trap_jobs() as trap:
            self.shirt.with_user(self.operator).action_shopify_push_now()
            self.commit_and_push(trap)
        level = self.level(self.shirt, self.main)
        level.write({"state": "error", "error_category": "data", "error_message": "x"})
        self.sim.set_level(self.items[self.shirt], self.store, available=9)
        with trap_jobs() as trap:
            level.with_user(self.operator).action_requeue()
            trap.assert_jobs_count(1)
            self.commit_and_push(trap)
        self.assertEqual(level.state, "synced")
        self.assertEqual(self.shopify(self.shirt, self.store), 4)

    def test_nothing_to_push(self):
        action = self.lamp.with_user(self.operator).action_shopify_push_now()
        self.assertEqual(action["params"]["type"], "warning")

    def test_operators_only(self):
        with self.assertRaises(AccessError):
            self.shirt.with_user(self.clerk).action_shopify_push_now()

    def test_server_actions_are_bound(self):
        for xmlid, model in (
            ("action_server_product_template_push_now", "product.template"),
            ("action_server_product_product_push_now", "product.product"),
            ("action_server_stock_quant_push_now", "stock.quant"),
        ):
            action = self.env.ref(f"shopify_stock_sync.{xmlid}")
            self.assertEqual(action.binding_model_id.model, model)
            self.assertEqual(action.name, "Push stock to Shopify now")
        with trap_jobs() as trap:
            result = (
                self.env.ref(
                    "shopify_stock_sync.action_server_product_product_push_now"
                )
                .with_user(self.operator)
                .with_context(
                    active_model="product.product",
                    active_ids=self.shirt.ids,
                    active_id=self.shirt.id,
                )
                .run()
            )
            trap.assert_jobs_count(1)
        self.assertEqual(result["tag"], "display_notification")
