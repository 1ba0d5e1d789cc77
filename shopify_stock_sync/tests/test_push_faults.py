# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Faults during pushes: Shopify ends equal to the rule's quantities, nothing applied
twice, messages an operator can act on, and failures that survive queue_job's
rollback of the failed job."""

import time
from ast import literal_eval
from unittest.mock import patch

from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.queue_job.controllers.main import RunJobController
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import Job
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.shopify_stock_sync.engine.shopify.errors import RequestError
from odoo.addons.shopify_stock_sync.models.shopify_shop_push import ShopifyPushError

from .common import OPERATOR
from .test_push_stock import PushStockCase

RETRYING = (
    "Shopify failed on SetQuantities (HTTP 502). Push attempt {attempt} of 8 of shop "
    "'Main shop' failed; it will retry in {delay} s, the levels stay pending until "
    "then."
)


@tagged("post_install", "-at_install")
class TestPushFaults(PushStockCase):
    def setUp(self):
        super().setUp()
        # Shopify holds what Odoo holds: 10 shirts, pushed and remembered
        with trap_jobs() as trap:
            self.receive(self.shelf_1, {self.shirt: 10})
            self.commit_and_push(trap)
        self.assertEqual(self.shopify(self.shirt, self.store), 10)
        self.sim.reset_stats()

    def change_and_trap(self, trap, quantity=5):
        """Odoo receives ``quantity`` shirts; the job is trapped, not run."""
        self.receive(self.shelf_1, {self.shirt: quantity})
        self.env.cr.flush()
        (job,) = trap.enqueued_jobs
        trap.enqueued_jobs.clear()
        return job

    def perform(self, job):
        """Run a trapped job as queue_job does: in a savepoint, rolled back when the
        job raises."""
        try:
            with self.env.cr.savepoint():
                return job.perform()
        finally:
            self.env.invalidate_all()

    def assert_synced_once(self, quantity=15):
        self.assertEqual(self.shopify(self.shirt, self.store), quantity)
        self.assertEqual(self.writes(self.shirt), [(self.store, quantity)])
        level = self.level(self.shirt, self.main)
        self.assertEqual(level.state, "synced")
        self.assertEqual(level.shopify_available, quantity)
        self.assertFalse(level.error_message)

    # -- retried by the client, within the job ----------------------------------------

    def test_5xx_retried_by_the_client(self):
        self.sim.inject("http_503", 2, operation="SetQuantities")
        with trap_jobs() as trap:
            self.receive(self.shelf_1, {self.shirt: 5})
            self.commit_and_push(trap)
        self.assertEqual(self.sim.stats.faults["http_503"], 2)
        self.assert_synced_once()

    def test_timeout_after_apply_is_replayed_not_applied_twice(self):
        """Shopify applied the write, its answer never came back in time: the client
        sends the same request, with the same idempotency key, and Shopify replays."""
        self.sim.inject("timeout_after_apply", 1, operation="SetQuantities")
        with trap_jobs() as trap:
            self.receive(self.shelf_1, {self.shirt: 5})
            self.commit_and_push(trap)
        self.assertEqual(self.sim.stats.faults["timeout_after_apply"], 1)
        self.assertEqual(self.sim.stats.replays, 1)
        self.assert_synced_once()

    def test_lost_reply_is_replayed_not_applied_twice(self):
        self.sim.inject("lost_reply", 1, operation="SetQuantities")
        with trap_jobs() as trap:
            self.receive(self.shelf_1, {self.shirt: 5})
            self.commit_and_push(trap)
        self.assertEqual(self.sim.stats.replays, 1)
        self.assert_synced_once()

    def test_throttled_and_429_wait_and_retry(self):
        self.sim.inject("throttled", 2, operation="SetQuantities")
        self.sim.inject("http_429", 1, operation="SetQuantities")
        with trap_jobs() as trap:
            self.receive(self.shelf_1, {self.shirt: 5})
            self.commit_and_push(trap)
        self.assertEqual(self.sim.stats.faults["throttled"], 2)
        self.assertEqual(self.sim.stats.faults["http_429"], 1)
        self.assert_synced_once()

    def test_stale_compare_reads_again(self):
        """Someone set the quantity in Shopify's admin: the remembered level is
        stale, the write is refused, the level read again and Odoo's quantity set."""
        self.sim.set_level(self.items[self.shirt], self.store, available=40)
        with trap_jobs() as trap:
            self.receive(self.shelf_1, {self.shirt: 5})
            self.commit_and_push(trap)
        self.assertEqual(self.sim.stats.by_operation["SetQuantities"], 2)
        self.assertEqual(self.sim.stats.by_operation["Levels"], 1)
        self.assert_synced_once()

    def test_shopify_changing_all_along_is_retried_later(self):
        """Sales keep landing between each read and write: the engine gives up after
        a few rounds, the level stays pending with the reason, a later job retries."""
        item = self.items[self.shirt]
        sim = self.sim
        selling = [True]
        shop_class = type(self.shop)
        make_client = shop_class._shopify_client

        def client_racing_sales(shop, **options):
            client = make_client(shop, **options)
            execute = client.execute

            def execute_after_a_sale(document, variables=None, **kw):
                if "inventorySetQuantities" in document and selling[0]:
                    sim.place_order(item, self.store, 1)
                return execute(document, variables, **kw)

            client.execute = execute_after_a_sale
            return client

        self.patch(shop_class, "_shopify_client", client_racing_sales)
        with trap_jobs() as trap:
            job = self.change_and_trap(trap, quantity=20)
            self.assertIn("1 left for a later push", self.perform(job))
            level = self.level(self.shirt, self.main)
            self.assertEqual(level.state, "pending")
            self.assertEqual(level.error_category, "transient")
            self.assertEqual(
                level.error_message,
                "SKU SHIRT ([SHIRT] Shirt) at Shopify location 'Main store' (from "
                "Odoo WH/Stock/Shelf 1): Shopify's quantity changed while it was "
                "being set, 4 times in a row (sales in progress). It will be retried "
                "with the next push.",
            )
            self.assertEqual(self.writes(), [])
            (later,) = trap.enqueued_jobs
            self.assertTrue(later.eta)
            selling[0] = False
            self.commit_and_push(trap)
        # 30 in Odoo, 4 sold in Shopify meanwhile: 26 sellable
        self.assertEqual(self.shopify(self.shirt, self.store), 26)
        self.assertEqual(self.shopify(self.shirt, self.store, "committed"), 4)
        self.assertEqual(level.state, "synced")
        self.assertFalse(level.error_message)

    # -- retried by queue_job ---------------------------------------------------------

    def test_transient_failure_is_retried_by_queue_job(self):
        # the client tries 4 times; all of them fail
        self.sim.inject("http_502", 4, operation="SetQuantities")
        with trap_jobs() as trap:
            job = self.change_and_trap(trap)
            with self.assertRaises(RetryableJobError) as caught:
                self.perform(job)
            self.assertEqual(
                str(caught.exception), RETRYING.format(attempt=1, delay=10)
            )
            self.assertEqual(caught.exception.seconds, 10)
            # rolled back: Shopify and the level as before
            self.assertEqual(self.shopify(self.shirt, self.store), 10)
            self.assertEqual(self.level(self.shirt, self.main).state, "synced")
            self.assertEqual(self.writes(), [])
            # queue_job runs it again later: it goes through
            self.perform(job)
            self.assertFalse(trap.enqueued_jobs)
        self.assert_synced_once()

    def test_throttling_that_outlasts_the_client_waits_as_shopify_asks(self):
        self.sim.inject("http_429", 4, operation="SetQuantities")
        with trap_jobs() as trap:
            job = self.change_and_trap(trap)
            with self.assertRaises(RetryableJobError) as caught:
                self.perform(job)
            self.assertTrue(
                str(caught.exception).startswith(
                    "Shopify throttled SetQuantities (HTTP 429). Push attempt 1 of 8 "
                    "of shop 'Main shop' failed; it will retry in 10 s"
                )
            )
            self.perform(job)
        self.assert_synced_once()

    def _first_batch_pushed_then(self, on_second_read):
        """251 products received (2 each), pushed two batches a run; the second
        batch's read of Shopify calls ``on_second_read`` first.  Performs the push
        job inside the trap; returns (products, its result, the trap)."""
        self.patch(type(self.shop), "_push_max_batches", 2)
        products = self._bulk_products(251)
        reads = []
        shop_class = type(self.shop)
        make_client = shop_class._shopify_client

        def client_with_a_second_read_hook(shop, **options):
            client = make_client(shop, **options)
            execute = client.execute

            def execute_hooked(document, variables=None, **kw):
                if "query Levels" in document:
                    reads.append(1)
                    if len(reads) == 2:
                        on_second_read()
                return execute(document, variables, **kw)

            client.execute = execute_hooked
            return client

        self.patch(shop_class, "_shopify_client", client_with_a_second_read_hook)
        trap = self.enterContext(trap_jobs())
        self.receive(self.shelf_1, dict.fromkeys(products, 2))
        self.env.cr.flush()
        (job,) = trap.enqueued_jobs
        trap.enqueued_jobs.clear()
        result = self.perform(job)
        self.assertIn("250 levels pushed", result)
        levels = self.Level.search([("product_id", "in", products.ids)])
        synced = levels.filtered(lambda level: level.state == "synced")
        self.assertEqual(len(synced), 250)
        self.assertTrue(all(level.shopify_on_hand == 2 for level in synced))
        (follow_up,) = trap.enqueued_jobs
        self.assertEqual(follow_up.identity_key, self.shop._push_identity_key())
        return products, result, trap

    def test_progress_is_kept_when_a_later_batch_fails(self):
        """Batches already pushed stay recorded; the rest goes to a new job after
        Shopify's delay, instead of rolling everything back."""
        products, result, trap = self._first_batch_pushed_then(
            lambda: self.sim.inject("http_503", 4, operation="Levels")
        )
        self.assertIn("it will retry in 10 s", result)
        self.assertTrue(trap.enqueued_jobs[0].eta)
        self.commit_and_push(trap)
        levels = self.Level.search([("product_id", "in", products.ids)])
        self.assertEqual(set(levels.mapped("state")), {"synced"})
        self.assertEqual({self.shopify(p, self.store) for p in products}, {2})
        self.assertEqual(len(self.sim.stats.applied_writes), 251)

    def test_progress_is_kept_when_a_later_batch_is_refused(self):
        """A later batch refused for good: the batches Shopify took stay recorded (a
        rollback would forget writes Shopify applied, and a two-way push would take
        them for Shopify's own moves); a follow-up job meets the refusal alone."""

        def refuse():
            raise RequestError("Shopify refused the query (test)")

        _products, result, _trap = self._first_batch_pushed_then(refuse)
        self.assertIn("A later batch was refused (Shopify refused", result)
        self.assertEqual(len(self.sim.stats.applied_writes), 250)

    # -- refused writes: only what Shopify names is read again --------------------

    def _stale_on_3_of_20(self):
        """20 products at 10 in Shopify, remembered; 3 sold in Shopify meanwhile;
        Odoo receives one more of each."""
        products = self._bulk_products(20)
        with trap_jobs() as trap:
            self.receive(self.shelf_1, dict.fromkeys(products, 10))
            self.commit_and_push(trap)
        sold = products[:3]
        for product in sold:
            self.sim.place_order(self.items[product], self.store, 2)
        self.sim.reset_stats()
        with trap_jobs() as trap:
            self.receive(self.shelf_1, dict.fromkeys(products, 1))
            self.commit_and_push(trap)
        # 11 in Odoo; 2 of them sold in Shopify: 9 sellable there
        self.assertEqual({self.shopify(p, self.store) for p in sold}, {9})
        self.assertEqual({self.shopify(p, self.store) for p in products - sold}, {11})
        levels = self.Level.search([("product_id", "in", products.ids)])
        self.assertEqual(set(levels.mapped("state")), {"synced"})
        self.assertEqual(len(self.sim.stats.applied_writes), 20)  # each once
        return products

    def test_stale_on_k_of_n_reads_only_the_k(self):
        """Shopify refuses the whole write (3 stale of 20): the 3 are read, nothing
        else; the 17 go again with the 3 in the second write."""
        self._stale_on_3_of_20()
        self.assertEqual(self.sim.stats.nodes_read, 3)
        self.assertEqual(self.sim.stats.by_operation, {"SetQuantities": 2, "Levels": 1})

    def test_stale_on_k_of_n_records_what_shopify_applied(self):
        """Shopify applies the 17 and refuses the 3: the 17 are written at once,
        only the 3 are read and sent again."""
        self.sim.set_batches = "partial"
        self._stale_on_3_of_20()
        self.assertEqual(self.sim.stats.nodes_read, 3)
        keys = [write[4] for write in self.sim.stats.applied_writes]
        self.assertEqual(len(set(keys[:17])), 1)  # one write applied the 17
        self.assertEqual(len(set(keys[17:])), 1)
        self.assertNotEqual(keys[0], keys[-1])

    # -- an item removed from its location in Shopify ------------------------------

    def test_item_removed_in_shopify_is_stocked_again_on_the_next_push(self):
        """After its first sync the shirt is removed from the Main store in Shopify;
        Shopify refuses the next set with a user error without code (2026-10): the
        push reads it, stocks it there again, sets it, and the level says so."""
        self.sim.unstocked_set = "error_no_code"
        self.sim.unstock(self.items[self.shirt], self.store)
        with trap_jobs() as trap:
            self.receive(self.shelf_1, {self.shirt: 2})
            self.commit_and_push(trap)
        self.assertEqual(self.shopify(self.shirt, self.store), 12)
        self.assertEqual(len(self.sim.stats.activations), 1)
        level = self.level(self.shirt, self.main)
        self.assertEqual(level.state, "synced")
        self.assertFalse(level.error_category)
        self.assertEqual(
            level.error_message,
            "SKU SHIRT ([SHIRT] Shirt) at Shopify location 'Main store' (from Odoo "
            "WH/Stock/Shelf 1): the item had been removed from this Shopify location "
            "in Shopify; Odoo's location mapping writes there, so the push stocked "
            "it there again and set it to 12. To stop selling it there, remove the "
            "Odoo locations from the mapping or turn the mapping off.",
        )
        self.assertEqual((level.shopify_stocked, level.shopify_available), (True, 12))
        # the next change is an ordinary push again, and clears the note
        with trap_jobs() as trap:
            self.receive(self.shelf_1, {self.shirt: 1})
            self.commit_and_push(trap)
        self.assertEqual(self.shopify(self.shirt, self.store), 13)
        self.assertFalse(level.error_message)

    def test_requeue_of_a_level_failed_on_a_removed_item_pushes_it(self):
        """A level left in error by an earlier version (Shopify's refusal without
        code): Re-queue now stocks the item again and sets it."""
        self.sim.unstocked_set = "error_no_code"
        self.sim.unstock(self.items[self.shirt], self.store)
        level = self.level(self.shirt, self.main)
        level.write(
            {
                "state": "error",
                "error_category": "data",
                "error_message": "Shopify refused the quantity: The inventory item "
                "is not stocked at the location",
            }
        )
        with trap_jobs() as trap:
            level.with_user(self._user("requeuer", OPERATOR)).action_requeue()
            self.commit_and_push(trap)
        self.assertEqual(level.state, "synced")
        self.assertEqual(self.shopify(self.shirt, self.store), 10)
        self.assertIn("stocked it there again and set it to 10", level.error_message)


@tagged("post_install", "-at_install")
class TestTwoWayPushKeepsShopifyCorrections(PushStockCase):
    """On a two-way mapping a correction made in Shopify, then an Odoo move of the
    same product pushed before the webhook about the correction arrives: the push's
    refused compare-and-set brings the correction to the mapping's conflict rule;
    it is never written over silently."""

    def setUp(self):
        super().setUp()
        sim = self.sim
        sim.clock.advance(max(time.time() - sim.clock.now(), 0))  # Odoo's time
        self.main.direction = "two_way"
        self.Event = self.env["shopify.webhook.event"]
        with trap_jobs() as trap:
            self.receive(self.shelf_1, {self.shirt: 10})
            self.commit_and_push(trap)
        self.assertEqual(self.shopify(self.shirt, self.store), 10)
        sim.add_subscription("INVENTORY_LEVELS_UPDATE", "http://127.0.0.1:9/hook")
        # counted in Shopify: 3 fewer; its webhook is not there yet
        sim.edit_on_hand(self.items[self.shirt], self.store, -3)

    def deliver_webhooks(self):
        """Shopify's deliveries arrive now (the correction, our push's echo):
        stored and their jobs run."""
        with trap_jobs() as trap:
            for headers, body in self.sim.webhooks.payloads():
                self.Event._receive(self.shop, headers, body)
            self.sim.webhooks.clear()
            self.commit_and_push(trap)

    def found(self):
        return self.Event.search([("topic", "=", "push/shopify_moved")])

    def test_odoo_wins_is_listed_for_review_with_both_quantities(self):
        with trap_jobs() as trap:
            self.deliver(self.shelf_1, {self.shirt: 1})
            self.commit_and_push(trap)
        # Odoo wins: Odoo's 9 is pushed, Odoo's stock is not touched
        self.assertEqual(self.shopify(self.shirt, self.store), 9)
        self.assertEqual(self.free(self.shirt, self.shelf_1), 9)
        event = self.found()
        self.assertRecordValues(
            event,
            [{"kind": "conflict", "review": True, "adjustment": 0, "state": "done"}],
        )
        self.assertEqual(event.level_id, self.level(self.shirt, self.main))
        self.assertIn("Rule 'Odoo wins'", event.message)
        self.assertIn("Odoo 9, Shopify 7 on hand (7 available)", event.message)
        self.assertIn(event, self.Event.search([("review", "=", True)]))
        # the webhooks then change nothing, and list nothing more
        self.deliver_webhooks()
        self.assertEqual(self.shopify(self.shirt, self.store), 9)
        self.assertEqual(self.free(self.shirt, self.shelf_1), 9)
        self.assertEqual(self.Event.search([("review", "=", True)]), event)
        self.assertFalse(self.Event.search([("adjustment", "!=", 0)]))
        self.assertEqual(self.level(self.shirt, self.main).state, "synced")

    def test_shopify_wins_applies_the_correction_then_pushes_the_sum(self):
        self.main.conflict_rule = "shopify_wins"
        with trap_jobs() as trap:
            self.deliver(self.shelf_1, {self.shirt: 1})
            self.commit_and_push(trap)
        # 10 - 1 in Odoo, -3 counted in Shopify: 6 on both sides
        self.assertEqual(self.free(self.shirt, self.shelf_1), 6)
        self.assertEqual(self.shopify(self.shirt, self.store), 6)
        event = self.found()
        self.assertRecordValues(
            event, [{"kind": "conflict", "review": True, "adjustment": -3}]
        )
        self.assertIn("Odoo 9, Shopify 7 on hand", event.message)
        self.deliver_webhooks()
        self.assertEqual(self.free(self.shirt, self.shelf_1), 6)
        self.assertEqual(self.shopify(self.shirt, self.store), 6)
        self.assertEqual(len(self.Event.search([("adjustment", "!=", 0)])), 1)

    def test_correction_without_odoo_move_is_applied(self):
        """Re-queued with nothing moved in Odoo: Shopify's count is applied to Odoo
        as a correction (nothing to review), Shopify keeps it."""
        with trap_jobs() as trap:
            self.level(self.shirt, self.main).with_user(
                self._user("requeuer", OPERATOR)
            ).action_requeue()
            self.commit_and_push(trap)
        self.assertEqual(self.free(self.shirt, self.shelf_1), 7)
        self.assertEqual(self.shopify(self.shirt, self.store), 7)
        self.assertRecordValues(
            self.found(), [{"kind": "correction", "review": False, "adjustment": -3}]
        )
        self.deliver_webhooks()
        self.assertEqual(self.free(self.shirt, self.shelf_1), 7)
        self.assertEqual(self.level(self.shirt, self.main).state, "synced")


@tagged("post_install", "-at_install")
class TestPushFailuresSurviveTheRollback(PushStockCase):
    """The job stored as queue_job stores it, and run as its controller runs it
    (``_runjob``): the job's transaction is rolled back, then the failure recorded."""

    def setUp(self):
        super().setUp()
        self.Job = self.env["queue.job"]

    def stored_job(self):
        self.receive(self.shelf_1, {self.shirt: 5})
        self.env.cr.flush()
        return self.Job.search([("identity_key", "=", self.shop._push_identity_key())])

    def runjob(self, record):
        """queue_job's controller, as the job runner calls it; its rollback of the
        whole transaction (after the retry is stored) is left out, as a test cannot
        roll back, but the savepoint around the job is rolled back all the same.

        Returns the exception the job failed with (not with ``assertRaises``: Odoo's
        rolls back a savepoint, and with it what queue_job recorded)."""
        job = Job.load(self.env, record.uuid)
        try:
            with (
                self.enter_registry_test_mode(),
                patch.object(self.env.cr, "rollback", lambda: None),
                mute_logger("odoo.addons.queue_job.controllers.main"),
            ):
                RunJobController._runjob(self.env, job)
        except Exception as exc:  # noqa: BLE001 - the job's failure, returned
            return exc
        finally:
            # what the job's own cursor wrote is read afresh
            self.env.invalidate_all()

    def test_retry_message_survives_on_the_job(self):
        self.sim.inject("http_502", 4, operation="SetQuantities")
        record = self.stored_job()
        self.assertIsNone(self.runjob(record))
        self.assertRecordValues(
            record,
            [
                {
                    "state": "pending",
                    "retry": 1,
                    "result": RETRYING.format(attempt=1, delay=10),
                    "exc_info": False,
                }
            ],
        )
        self.assertTrue(record.eta)
        # the job's own work was rolled back: levels are folded by the next attempt
        self.assertEqual(self.Level.search_count([]), 0)
        self.assertEqual(self.shopify(self.shirt, self.store), 0)
        # the second attempt goes through
        self.runjob(record)
        self.assertEqual(record.state, "done")
        self.assertEqual(self.shopify(self.shirt, self.store), 5)
        self.assertEqual(self.writes(), [(self.store, 5)])

    def test_last_attempt_fails_with_the_operational_message_everywhere(self):
        self.sim.inject("http_502", 4, operation="SetQuantities")
        record = self.stored_job()
        record.retry = record.max_retries - 1  # the last attempt
        failure = self.runjob(record)
        message = (
            "Shopify failed on SetQuantities (HTTP 502). The push of shop 'Main "
            "shop' failed 8 times in a row and stopped; 1 level stays pending. If "
            "Shopify keeps failing, test the shop's connection. They are pushed "
            "again with the next stock change of their products, with 'Push stock "
            "to Shopify now', or with Re-queue in Shopify Sync / Status / Stock "
            "Levels."
        )
        self.assertIsInstance(failure, ShopifyPushError)
        self.assertEqual(str(failure), message)
        self.assertEqual(record.state, "failed")
        self.assertEqual(record.exc_message, message)
        self.assertTrue(record.exc_name.endswith(".ShopifyPushTransientError"))
        # recorded after the rollback: the level, folded again, carries it
        level = self.level(self.shirt, self.main)
        self.assertRecordValues(
            level,
            [
                {
                    "state": "pending",
                    "error_category": "transient",
                    "error_message": message,
                }
            ],
        )
        self.assertEqual(self.shopify(self.shirt, self.store), 0)

        # operators find the failed job in their menu, and the level
        operator = self._user("push_operator", OPERATOR)
        action = self.env.ref("shopify_stock_sync.action_shopify_queue_job_failed")
        jobs = self.Job.with_user(operator).search(literal_eval(action.domain))
        self.assertEqual(jobs, record)
        self.assertEqual(jobs.exc_message, message)
        problems = self.env.ref("shopify_stock_sync.action_shopify_stock_level_errors")
        found = self.Level.with_user(operator).search(literal_eval(problems.domain))
        self.assertEqual(found, level)
        # its related action opens the shop's levels still to push
        related = record.with_user(operator).open_related_action()
        self.assertEqual(self.Level.search(related["domain"]), level)

        # the next push takes the level and clears the message
        with trap_jobs() as trap:
            self.shop._enqueue_push()
            self.commit_and_push(trap)
        self.assertEqual(level.state, "synced")
        self.assertFalse(level.error_message)
        self.assertEqual(self.shopify(self.shirt, self.store), 5)

    def test_refused_credentials_hold_at_once(self):
        self.sim.revoke_token(self.TOKEN)
        record = self.stored_job()
        with mute_logger("odoo.addons.shopify_stock_sync.models.shopify_shop"):
            self.assertIsNone(self.runjob(record))
        # not retried, not failed: the shop's pushes are held (test_reconnect)
        self.assertEqual(record.state, "done")
        self.assertEqual(record.retry, 1)
        self.assertIn("(HTTP 401)", record.result)
        self.assertIn(
            "An administrator fixes the shop's credentials or the app's access "
            "scopes, then clicks Test Connection",
            record.result,
        )
        self.assertEqual(self.shop.state, "reconnect")
        level = self.level(self.shirt, self.main)
        self.assertEqual(level.error_category, "auth")
        self.assertEqual(level.error_message, self.shop.state_reason)

    def test_missing_credentials_fail_at_once(self):
        self.shop.sudo().access_token = False
        record = self.stored_job()
        self.assertIsInstance(self.runjob(record), ShopifyPushError)
        self.assertTrue(record.exc_name.endswith(".ShopifyPushConfigError"))
        self.assertIn("Complete the shop's settings", record.exc_message)
        self.assertEqual(self.level(self.shirt, self.main).error_category, "config")
