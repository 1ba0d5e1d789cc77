# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Reconciliation runs against the simulated shop: corrections by direction, dry runs,
chunks that fail, never two runs of a shop at once, findings listed once."""

import functools
from datetime import timedelta
from unittest import mock

import psycopg2
from lxml import etree

from odoo import fields
from odoo.exceptions import AccessError
from odoo.sql_db import db_connect
from odoo.tests import tagged
from odoo.tools import mute_logger
from odoo.tools.safe_eval import safe_eval

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.shopify_stock_sync.models.constants import INBOUND_PAIRS_KEY

from .common import PushCase


@tagged("post_install", "-at_install")
class ReconciliationCase(PushCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.shirt = cls._product("Shirt", default_code="SHIRT")
        cls.mug = cls._product("Mug", default_code="MUG")
        cls.Run = cls.env["shopify.reconciliation.run"]
        cls.Quant = cls.env["stock.quant"]

    def setUp(self):
        super().setUp()
        self.shop.sudo().state = "connected"  # the scheduled runs take connected shops
        sim = self.sim
        # every link is a chunk of its own (3 pairs each, chunks of 2)
        self.patch(type(self.shop), "_reconcile_chunk_size", 2)
        # Odoo owns "Main store" (Shelf 1), Shopify owns "Outlet" (Shelf 2), both own
        # "Popup" (Backroom)
        self.store, self.main = self._simulated_mapping(
            "Main store", self.shelf_1, "odoo_to_shopify"
        )
        self.outlet, self.out = self._simulated_mapping(
            "Outlet", self.shelf_2, "shopify_to_odoo"
        )
        self.popup, self.two_way = self._simulated_mapping(
            "Popup", self.backroom, "two_way"
        )
        self.items = {}
        self.links = {}
        for number, product in enumerate((self.shirt, self.mug), start=1):
            variant = sim.add_variant(product.default_code)
            self.items[product] = variant.inventory_item_id
            self.links[product] = self._link(
                product,
                number,
                variant_gid=variant.id,
                inventory_item_gid=variant.inventory_item_id,
            )
        # Odoo: 10 shirts and 6 mugs on Shelf 1, 5 mugs on Shelf 2, 3 shirts in the
        # Backroom; Shopify agrees except where a test makes it drift
        for product, location, quantity in (
            (self.shirt, self.shelf_1, 10),
            (self.mug, self.shelf_1, 6),
            (self.mug, self.shelf_2, 5),
            (self.shirt, self.backroom, 3),
        ):
            self.Quant._update_available_quantity(product, location, quantity)
        self.env.cr.flush()  # the stock changes recorded (their push jobs stored)
        self.set(self.shirt, self.store, 10)
        self.set(self.mug, self.store, 6)
        self.set(self.mug, self.outlet, 5)
        self.set(self.shirt, self.outlet, 0)
        self.set(self.shirt, self.popup, 3)
        self.set(self.mug, self.popup, 0)
        sim.reset_stats()

    # -- helpers -----------------------------------------------------------------------

    def set(self, product, location, available):
        self.sim.set_level(self.items[product], location, available=available)

    def shopify(self, product, location, name="available"):
        level = self.sim.level(self.items[product], location)
        return level and level[name]

    def on_hand(self, product, location):
        return product.with_context(location=location.id).qty_available

    def reconcile(self, dry_run=False):
        """Start a run and perform its jobs (and the pushes they enqueue)."""
        with trap_jobs() as trap:
            run = self.Run._start(self.shop, dry_run=dry_run)
            self.run_jobs(trap, limit=40)
        self.env.invalidate_all()
        return run

    # -- corrections by direction ------------------------------------------------------

    def test_in_sync_nothing_to_do(self):
        run = self.reconcile()
        self.assertEqual(run.state, "done")
        self.assertEqual(run.mode, "read")
        self.assertEqual((run.pairs_total, run.pairs_checked), (6, 6))
        self.assertEqual(run.chunk_count, 2)
        self.assertEqual(run.mismatch_count, 0)
        self.assertFalse(run.line_ids)

    def test_odoo_owned_drift_pushed(self):
        self.set(self.shirt, self.store, 4)  # Shopify shows 4, Odoo has 10
        run = self.reconcile()
        self.assertEqual(run.state, "done")
        self.assertEqual((run.mismatch_count, run.correction_count), (1, 1))
        line = run.line_ids
        self.assertRecordValues(
            line,
            [
                {
                    "sku": "SHIRT",
                    "product_id": self.shirt.id,
                    "shopify_location": "Main store",
                    "odoo_quantity": 10.0,
                    "shopify_quantity": 4,
                    "action": "push",
                }
            ],
        )
        self.assertIn("marked for the push", line.note)
        # the normal push corrected Shopify
        self.assertEqual(self.shopify(self.shirt, self.store), 10)
        level = self.env["shopify.stock.level"].search(
            [
                ("link_id", "=", self.links[self.shirt].id),
                ("mapping_id", "=", self.main.id),
            ]
        )
        self.assertEqual(level.state, "synced")
        self.assertTrue(level.dirty_since and level.synced_at >= level.dirty_since)

    def test_shopify_owned_drift_adjusts_odoo(self):
        # a count in Shopify
        self.sim.edit_on_hand(self.items[self.mug], self.outlet, value=8)
        changed = []
        Quant = type(self.Quant)
        noted = Quant._shopify_stock_changed

        def spy(quants, created=False):
            inbound = quants.env.context.get(INBOUND_PAIRS_KEY) or []
            for quant in quants:
                pair = (quant.product_id.id, quant.location_id.id)
                changed.append((pair, pair in {tuple(p) for p in inbound}))
            return noted(quants, created=created)

        collected = []
        Change = type(self.env["shopify.stock.change"])
        collect = Change._collect_quant_changes

        def collect_spy(model, pairs):
            collected.extend(pairs)
            return collect(model, pairs)

        with (
            mock.patch.object(Quant, "_shopify_stock_changed", spy),
            mock.patch.object(Change, "_collect_quant_changes", collect_spy),
        ):
            run = self.reconcile()
        self.assertEqual(run.state, "done")
        self.assertEqual(run.line_ids.action, "adjust")
        self.assertEqual(self.on_hand(self.mug, self.shelf_2), 8)
        move = self.env["stock.move"].search(
            [("product_id", "=", self.mug.id), ("is_inventory", "=", True)],
            order="id desc",
            limit=1,
        )
        self.assertEqual(move.location_dest_id, self.shelf_2)
        self.assertEqual(move.quantity, 3)
        self.assertIn("Shopify reconciliation", move.inventory_name or move.reference)
        # the adjustment follows Shopify: the quant hook is told not to push it back
        at_shelf = [
            inbound
            for pair, inbound in changed
            if pair == (self.mug.id, self.shelf_2.id)
        ]
        self.assertTrue(at_shelf)
        self.assertTrue(all(at_shelf))
        self.assertNotIn((self.mug.id, self.shelf_2.id), collected)
        self.assertEqual(self.shopify(self.mug, self.outlet, "on_hand"), 8)

    def test_adjustment_still_pushed_by_another_shop(self):
        """Odoo follows Shopify at a location another shop sells from: that shop's
        push is told, as for any stock change."""
        other = self.env["shopify.shop"].create(
            {"name": "Other shop", "domain": "other-shop.myshopify.com"}
        )
        other_mapping = self._mapping(
            "Other outlet", self.shelf_2, "odoo_to_shopify", shop=other
        )
        self._link(
            self.mug,
            99,
            shop=other,
            variant_gid="gid://shopify/ProductVariant/990",
            inventory_item_gid="gid://shopify/InventoryItem/990",
        )
        self.env["shopify.stock.change"].search([]).unlink()
        self.sim.edit_on_hand(self.items[self.mug], self.outlet, value=8)
        pushes = []
        with mock.patch.object(
            type(other), "_enqueue_push", lambda shops, eta=None: pushes.append(shops)
        ):
            run = self.reconcile()
        self.assertIn(other, pushes)  # the other shop's push is started
        self.assertEqual(run.line_ids.action, "adjust")
        self.assertEqual(self.on_hand(self.mug, self.shelf_2), 8)
        changes = self.env["shopify.stock.change"].search([])
        self.assertEqual(changes.mapping_id, other_mapping)
        self.assertEqual(changes.link_id.product_id, self.mug)

    def test_first_run_on_never_pushed_links_corrects_every_drift(self):
        """A shop whose products were linked but never pushed: no level exists yet.
        One real run, one chunk, several drifts per Shopify location and per product
        at two Odoo-owned locations and the Shopify-owned one: every drift is
        corrected in that run, no chunk fails, one level per pair."""
        self.patch(type(self.shop), "_reconcile_chunk_size", 100)  # one chunk
        web_shelf = self.env["stock.location"].create(
            {"name": "Web shelf", "location_id": self.stock.id, "usage": "internal"}
        )
        web, web_mapping = self._simulated_mapping("Web", web_shelf, "odoo_to_shopify")
        self.Quant._update_available_quantity(self.shirt, web_shelf, 7)
        self.Quant._update_available_quantity(self.mug, web_shelf, 2)
        self.env.cr.flush()
        Level = self.env["shopify.stock.level"]
        Level.search([("shop_id", "=", self.shop.id)]).unlink()
        self.env["shopify.stock.change"].search([]).unlink()  # never pushed
        # every product drifts at both Odoo-owned locations and at the Outlet
        self.set(self.shirt, self.store, 4)
        self.set(self.mug, self.store, 1)
        self.set(self.shirt, web, 0)
        self.set(self.mug, web, 9)
        self.sim.edit_on_hand(self.items[self.mug], self.outlet, value=8)
        self.sim.edit_on_hand(self.items[self.shirt], self.outlet, value=2)
        run = self.reconcile()
        self.assertEqual(run.chunk_count, 1)
        self.assertEqual(run.state, "done", run.message)
        self.assertFalse(run.message)
        self.assertEqual(
            (run.mismatch_count, run.correction_count, run.failure_count), (6, 6, 0)
        )
        self.assertEqual(
            sorted(run.line_ids.mapped("action")), ["adjust"] * 2 + ["push"] * 4
        )
        self.assertEqual(
            [
                self.shopify(self.shirt, self.store),
                self.shopify(self.mug, self.store),
                self.shopify(self.shirt, web),
                self.shopify(self.mug, web),
            ],
            [10, 6, 7, 2],
        )
        self.assertEqual(
            (
                self.on_hand(self.mug, self.shelf_2),
                self.on_hand(self.shirt, self.shelf_2),
            ),
            (8, 2),
        )
        levels = Level.search([("shop_id", "=", self.shop.id)])
        pairs = [(level.link_id, level.mapping_id) for level in levels]
        self.assertEqual(len(pairs), len(set(pairs)))
        pushed = levels.filtered(
            lambda level: level.mapping_id in self.main | web_mapping
        )
        self.assertEqual(len(pushed), 4)
        self.assertEqual(set(pushed.mapped("state")), {"synced"})

    def test_two_way_only_reported(self):
        self.set(self.shirt, self.popup, 1)
        run = self.reconcile()
        self.assertEqual(run.line_ids.action, "report")
        self.assertEqual(run.correction_count, 0)
        self.assertEqual(self.shopify(self.shirt, self.popup), 1)
        self.assertEqual(self.on_hand(self.shirt, self.backroom), 3)
        # the line says what happens now that the two-way rule exists
        note = run.line_ids.note
        self.assertNotIn("until the two-way rule exists", note)
        self.assertIn("conflict rule", note)
        self.assertIn("correct the side that is wrong", note)

    def test_dry_run_changes_nothing(self):
        self.set(self.shirt, self.store, 4)
        self.sim.edit_on_hand(self.items[self.mug], self.outlet, value=8)
        moves = self.env["stock.move"].search_count([])
        run = self.reconcile(dry_run=True)
        self.assertEqual(run.state, "done")
        self.assertEqual(run.mismatch_count, 2)
        self.assertEqual(run.correction_count, 0)
        self.assertEqual(set(run.line_ids.mapped("action")), {"report"})
        self.assertEqual(self.shopify(self.shirt, self.store), 4)
        self.assertEqual(self.on_hand(self.mug, self.shelf_2), 5)
        self.assertEqual(self.env["stock.move"].search_count([]), moves)
        self.assertFalse(self.sim.stats.applied_writes)

    # -- chunks ------------------------------------------------------------------------

    def test_failing_chunk_does_not_lose_the_others(self):
        self.set(self.shirt, self.store, 4)  # in the shirt's chunk
        self.set(self.mug, self.store, 1)  # in the mug's chunk, which fails
        Run = type(self.Run)
        reconcile_chunk = Run._reconcile_chunk
        mug_link = self.links[self.mug].id
        attempts = []

        def failing(run, chunk):
            if chunk.covers(mug_link):
                attempts.append(chunk.number)
                # what it did before failing is rolled back with the chunk
                self.Quant._update_available_quantity(self.mug, self.shelf_2, 100)
                raise RuntimeError("the mug chunk crashed")
            return reconcile_chunk(run, chunk)

        with mock.patch.object(Run, "_reconcile_chunk", failing):
            run = self.reconcile()
        self.assertEqual(run.state, "done_with_failures")
        self.assertEqual(len(attempts), 3)  # retried, then given up
        self.assertEqual(run.mismatch_count, 1)
        self.assertEqual(run.correction_count, 1)
        self.assertEqual(run.failure_count, 3)  # the lost chunk's pairs
        self.assertIn("the mug chunk crashed", run.message)
        self.assertEqual(self.shopify(self.shirt, self.store), 10)  # corrected
        self.assertEqual(run.line_ids.product_id, self.shirt)  # the mug not reported
        self.assertEqual(self.on_hand(self.mug, self.shelf_2), 5)  # rolled back

    def test_chunk_refused_by_the_database_says_so_in_words(self):
        """A chunk whose writes the database refuses: the run says what failed and
        what to do, in words and with the broken rule's own message; neither the
        run nor the log shows PostgreSQL's error or the SQL."""
        Run = type(self.Run)
        reconcile_chunk = Run._reconcile_chunk
        mug_link = self.links[self.mug]

        def duplicating(run, chunk):
            if chunk.covers(mug_link.id):
                Level = self.env["shopify.stock.level"]
                values = {"link_id": mug_link.id, "mapping_id": self.main.id}
                Level.create([values, values])
                self.env.cr.flush()
            return reconcile_chunk(run, chunk)

        with (
            mock.patch.object(Run, "_reconcile_chunk", duplicating),
            self.assertNoLogs("odoo.sql_db", level="ERROR"),
            self.assertLogs(
                "odoo.addons.shopify_stock_sync.models.shopify_reconciliation",
                level="WARNING",
            ) as logged,
        ):
            run = self.reconcile()
        self.assertEqual(run.state, "done_with_failures")
        self.assertEqual(run.failure_count, 3)
        for text in (run.message, *logged.output):
            self.assertNotIn("duplicate key", text)
            self.assertNotIn("violates", text)
            self.assertNotIn("INSERT", text)
        self.assertIn("refused to save this chunk's results", run.message)
        self.assertIn(
            "There is already a level for this product at this Shopify location",
            run.message,
        )
        self.assertIn("compared again by the next run", run.message)
        self.assertEqual(len(logged.output), 3)  # one line per attempt

    def test_chunk_failing_once_is_retried(self):
        self.set(self.mug, self.store, 1)
        Run = type(self.Run)
        reconcile_chunk = Run._reconcile_chunk
        failures = []

        def flaky(run, chunk):
            if not failures:
                failures.append(chunk.number)
                raise RuntimeError("a hiccup")
            return reconcile_chunk(run, chunk)

        job_chunk = Run._job_chunk
        results = []

        @functools.wraps(job_chunk)  # queue_job finds the job by its name
        def recorded(run, number):
            results.append(job_chunk(run, number))
            messages.append(run.message)
            return results[-1]

        messages = []
        with (
            mock.patch.object(Run, "_reconcile_chunk", flaky),
            mock.patch.object(Run, "_job_chunk", recorded),
        ):
            run = self.reconcile()
        self.assertEqual(run.state, "done")
        self.assertEqual((run.pairs_checked, run.failure_count), (6, 0))
        self.assertEqual(self.shopify(self.mug, self.store), 6)
        # the failed chunk's job completed (the others go on), but its result and
        # the run's message say in words that the chunk failed, and what follows
        self.assertEqual(len(results), 3)
        failed = results[0]
        self.assertTrue(failed.startswith("Chunk 1 ("), failed)
        self.assertIn("FAILED (attempt 1 of 3)", failed)
        self.assertIn("a hiccup", failed)
        self.assertIn("tried again after the other chunks", failed)
        self.assertIn("FAILED (attempt 1 of 3)", messages[0])
        self.assertNotIn("FAILED", results[1] + results[2])
        self.assertFalse(run.message)  # it succeeded at its second attempt

    def test_bulk_snapshot_and_catalogue_findings(self):
        self.patch(type(self.shop), "_reconcile_bulk_threshold", 0)
        stray = self.sim.add_variant("STRAY")  # in Shopify only
        self.sim.set_level(stray.inventory_item_id, self.store, available=2)
        # drift in both chunks (a link each): each chunk finds its own part of the
        # snapshot, and one push after the run corrects both
        self.set(self.shirt, self.store, 4)
        self.set(self.mug, self.store, 2)
        run = self.reconcile()
        self.assertEqual((run.state, run.mode), ("done", "bulk"))
        self.assertFalse(run.snapshot)
        self.assertEqual(run.line_ids.mapped("action"), ["push", "push"])
        self.assertEqual(run.line_ids.mapped("shopify_quantity"), [2, 4])  # MUG, SHIRT
        operations = self.sim.stats.by_operation
        self.assertEqual(operations["BulkRunQuery"], 1)
        self.assertEqual(operations["SetQuantities"], 1)  # not one per chunk
        self.assertEqual(
            (self.shopify(self.shirt, self.store), self.shopify(self.mug, self.store)),
            (10, 6),
        )
        findings = self.env["shopify.reconciliation.finding"].search(
            [("shop_id", "=", self.shop.id), ("kind", "=", "unlinked_item")]
        )
        self.assertEqual(findings.sku, "STRAY")

    # -- never two at once -------------------------------------------------------------

    def test_two_runs_never_overlap(self):
        with trap_jobs() as trap:
            first = self.Run._start(self.shop)
            second = self.Run._start(self.shop, dry_run=True)
            self.assertEqual(second, first)
            self.assertFalse(self.shop._cron_reconcile())
            self.assertEqual(len(trap.enqueued_jobs), 1)
            with (
                self.assertRaises(psycopg2.IntegrityError),
                mute_logger("odoo.sql_db"),
                self.env.cr.savepoint(),
            ):
                self.Run.create({"shop_id": self.shop.id})
            # a job of the shop holding the lock elsewhere: this one waits
            other = db_connect(self.env.cr.dbname).cursor()
            try:
                other.execute(
                    "SELECT pg_advisory_xact_lock(%s, %s)", (0x5E0D, self.shop.id)
                )
                with self.assertRaises(RetryableJobError):
                    first._job_plan()
            finally:
                other.rollback()
                other.close()
            self.run_jobs(trap, limit=40)
        self.assertEqual(first.state, "done")
        self.assertNotEqual(self.Run._start(self.shop), first)

    def test_cron_honours_the_shop_interval(self):
        self.shop.reconcile_interval = 6
        with trap_jobs() as trap:
            started = self.shop._cron_reconcile()
            self.assertEqual(started.shop_id, self.shop)
            self.run_jobs(trap, limit=40)
            self.assertFalse(self.shop._cron_reconcile())  # ran less than 6 h ago
            started.started_at = fields.Datetime.now() - timedelta(hours=7)
            self.assertTrue(self.shop._cron_reconcile())
        self.shop.reconcile_interval = 0
        self.assertFalse(self.shop.reconcile_next_at)

    def test_refused_credentials_stop_the_run_and_hold_the_shop(self):
        """A token revoked in Shopify: the run stops at its first chunk with one
        message, the shop needs reconnecting (one activity), no chunk is retried."""
        self.sim.revoke_token(self.TOKEN)
        run = self.reconcile()
        self.assertEqual(run.state, "failed")
        self.assertIn("Shopify refused the shop's credentials", run.message)
        self.assertEqual(self.shop.state, "reconnect")
        activities = self.shop.activity_ids.filtered(
            lambda activity: activity.activity_type_id.id
            == self.shop._reconnect_type_id()
        )
        self.assertEqual(len(activities), 1)
        self.assertEqual(self.sim.stats.requests, 1)  # one refused read, no retry
        self.assertFalse(self.shop._cron_reconcile())  # held: no scheduled run

    def test_cron_leaves_shops_never_connected_alone(self):
        self.shop.sudo().state = "draft"
        self.assertFalse(self.shop.reconcile_next_at)
        with trap_jobs() as trap:
            self.assertFalse(self.shop._cron_reconcile())
            self.assertFalse(trap.enqueued_jobs)
        self.shop.sudo().state = "connected"
        self.shop.invalidate_recordset(["reconcile_next_at"])
        self.assertTrue(self.shop.reconcile_next_at)

    def test_cron_goes_on_after_a_failed_connection_test(self):
        """A shop connected once whose later connection test failed (a network
        blip), or whose settings were edited and not tested yet: its pushes go on,
        so does the scheduled reconciliation; refused credentials stop it."""
        self.shop.sudo().write({"state": "connected", "shopify_shop_name": "Test shop"})
        for state in ("error", "draft"):
            self.shop.sudo().state = state
            self.shop.invalidate_recordset(["reconcile_next_at"])
            self.assertTrue(self.shop.reconcile_next_at, state)
            with trap_jobs():
                started = self.shop._cron_reconcile()
                self.assertEqual(started.shop_id, self.shop, state)
                started.write({"state": "cancelled"})
        self.shop.sudo().state = "reconnect"
        self.shop.invalidate_recordset(["reconcile_next_at"])
        self.assertFalse(self.shop.reconcile_next_at)
        with trap_jobs():
            self.assertFalse(self.shop._cron_reconcile())

    def test_negative_interval_refused(self):
        with (
            self.assertRaises(psycopg2.IntegrityError),
            mute_logger("odoo.sql_db"),
            self.env.cr.savepoint(),
        ):
            self.shop.reconcile_interval = -1
            self.shop.flush_recordset()

    def test_schedule_shown_for_saved_new_and_edited_shops(self):
        self.shop.reconcile_interval = 2
        dry = self.reconcile(dry_run=True)
        run = self.reconcile()
        self.assertTrue(dry.id < run.id and run.started_at)
        shop = self.shop
        shop.invalidate_recordset()
        self.assertEqual(shop.last_run_id, run)  # dry runs do not count
        self.assertEqual(shop.reconcile_next_at, run.started_at + timedelta(hours=2))
        # neither a cancelled run nor a dry run counts: the shop is due at once
        run.state = "cancelled"
        shop.invalidate_recordset()
        self.assertLessEqual(shop.reconcile_next_at, fields.Datetime.now())
        # a shop being created has no runs; a shop being edited shows its own
        draft = self.env["shopify.shop"].new({"name": "Draft"})
        self.assertEqual(
            (draft.last_run_id, draft.reconcile_next_at, draft.finding_open_count),
            (self.Run, False, 0),
        )
        edited = self.env["shopify.shop"].new(origin=shop)
        self.assertEqual(edited.last_run_id, run)

    # -- findings ----------------------------------------------------------------------

    def test_findings_listed_once_and_resolved(self):
        self.sim.unstock(self.items[self.shirt], self.outlet)
        first = self.reconcile()
        second = self.reconcile()
        finding = self.env["shopify.reconciliation.finding"].search(
            [("shop_id", "=", self.shop.id)]
        )
        self.assertEqual(finding.kind, "not_stocked")
        self.assertEqual(finding.first_run_id, first)
        self.assertEqual(finding.last_run_id, second)
        self.assertFalse(finding.resolved)
        self.set(self.shirt, self.outlet, 0)
        self.reconcile()
        self.assertTrue(finding.resolved)

    # -- health ------------------------------------------------------------------------

    def test_sync_health_after_runs(self):
        self.shop.invalidate_recordset()
        self.assertIn("No reconciliation has run yet.", self.shop.health_attention)
        self.set(self.shirt, self.store, 4)
        self.reconcile()
        self.set(self.mug, self.store, 2)
        self.set(self.shirt, self.store, 3)
        self.reconcile(dry_run=True)
        shop = self.shop
        shop.invalidate_recordset()
        self.assertEqual(shop.health_mismatches, 2)  # the last complete run
        self.assertIn("1 → 2", shop.health_trend)
        self.assertTrue(shop.health_last_run_at)
        self.assertTrue(shop.health_last_push)
        self.assertGreaterEqual(shop.health_corrections_week, 1)
        self.assertIn("2 mismatches", shop.health_attention)
        # Shopify sells below zero at a mapped location, as the last read saw it
        level = self.env["shopify.stock.level"].search(
            [
                ("link_id", "=", self.links[self.mug].id),
                ("mapping_id", "=", self.main.id),
            ]
        )
        level.write({"shopify_known": True, "shopify_available": -2})
        shop.invalidate_recordset()
        self.assertEqual(shop.health_oversold, 1)
        self.assertIn("(-2)", shop.health_oversold_samples)
        self.assertFalse(shop.health_ok)
        # a sale lands in Shopify after the last push: the next push meets a stale
        # compare, counted
        self.assertEqual(shop.health_stale_compares, 0)
        self.set(self.shirt, self.store, 7)
        with trap_jobs() as trap:
            self.Quant._update_available_quantity(self.shirt, self.shelf_1, 1)
            self.env.cr.flush()
            self.run_jobs(trap)
        shop.invalidate_recordset()
        self.assertEqual(self.shopify(self.shirt, self.store), 11)
        self.assertEqual(shop.health_stale_compares, 1)

    def test_mismatch_trend_plots_mismatches_of_real_runs(self):
        """The menu "Mismatch Trend" opens a graph of the mismatches each real run
        found (not its corrections, not dry runs, not failed runs' partial counts),
        as the web client reads it: the arch's last measure, the field's aggregator,
        the action's domain."""
        menu = self.env.ref("shopify_stock_sync.menu_shopify_reconciliation_trend")
        action = menu.action
        self.assertEqual(
            action,
            self.env.ref("shopify_stock_sync.action_shopify_reconciliation_trend"),
        )
        self.assertEqual(action.view_mode.split(",")[0], "graph")
        graph_view = action.view_ids.filtered(lambda v: v.view_mode == "graph").view_id
        arch = self.Run.get_views([(graph_view.id, "graph")])["views"]["graph"]["arch"]
        root = etree.fromstring(arch)
        measures = [
            f.get("name") for f in root.iter("field") if f.get("type") == "measure"
        ]
        groupbys = [f for f in root.iter("field") if f.get("type") != "measure"]
        measure = measures[-1]  # the graph draws the last one
        self.assertEqual(measure, "mismatch_count")
        self.assertEqual(
            [(f.get("name"), f.get("interval")) for f in groupbys],
            [("started_at", "hour"), ("shop_id", None)],
        )
        aggregator = self.Run.fields_get([measure])[measure]["aggregator"]
        started = fields.Datetime.now().replace(minute=5, second=0, microsecond=0)
        for dry_run, state, mismatches, corrections in (
            (False, "done", 4, 4),
            (False, "done_with_failures", 6, 5),
            (True, "done", 30, 0),  # a dry run: not counted again
            (False, "failed", 1, 0),  # a part of the pairs only
        ):
            self.Run.create(
                {
                    "shop_id": self.shop.id,
                    "dry_run": dry_run,
                    "state": state,
                    "started_at": started,
                    "mismatch_count": mismatches,
                    "correction_count": corrections,
                }
            )
        domain = safe_eval(action.domain) + [("shop_id", "=", self.shop.id)]
        groups = self.Run._read_group(
            domain, ["started_at:hour", "shop_id"], [f"{measure}:{aggregator}"]
        )
        self.assertEqual([value for *_key, value in groups], [5])  # (4 + 6) / 2 runs

    # -- access ------------------------------------------------------------------------

    def test_only_admins_start_runs_operators_read_them(self):
        operator = self._user(
            "recon_operator", "shopify_stock_sync.group_shopify_operator"
        )
        admin = self._user("recon_admin", "shopify_stock_sync.group_shopify_admin")
        with self.assertRaises(AccessError):
            self.shop.with_user(operator).action_reconcile_now()
        with trap_jobs() as trap:
            action = self.shop.with_user(admin).action_reconcile_dry_run()
            run = self.Run.browse(action["res_id"])
            self.assertTrue(run.dry_run)
            self.run_jobs(trap, limit=40)
        self.assertEqual(run.with_user(operator).state, "done")
        self.assertFalse(run.with_user(operator).line_ids)
