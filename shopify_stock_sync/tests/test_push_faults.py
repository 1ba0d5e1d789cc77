# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Faults during pushes: Shopify ends equal to the rule's quantities, nothing applied
twice, messages an operator can act on, and failures that survive queue_job's
rollback of the failed job."""

from ast import literal_eval
from unittest.mock import patch

from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.queue_job.controllers.main import RunJobController
from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import Job
from odoo.addons.queue_job.tests.common import trap_jobs
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

    def test_progress_is_kept_when_a_later_batch_fails(self):
        """Batches already pushed stay recorded; the rest goes to a new job after
        Shopify's delay, instead of rolling everything back."""
        self.patch(type(self.shop), "_push_max_batches", 2)
        products = self._bulk_products(251)
        sim = self.sim
        reads = []
        shop_class = type(self.shop)
        make_client = shop_class._shopify_client

        def client_failing_on_the_second_read(shop, **options):
            client = make_client(shop, **options)
            execute = client.execute

            def execute_with_faults(document, variables=None, **kw):
                if "query Levels" in document:
                    reads.append(1)
                    if len(reads) == 2:
                        sim.inject("http_503", 4, operation="Levels")
                return execute(document, variables, **kw)

            client.execute = execute_with_faults
            return client

        self.patch(shop_class, "_shopify_client", client_failing_on_the_second_read)
        with trap_jobs() as trap:
            self.receive(self.shelf_1, dict.fromkeys(products, 2))
            self.env.cr.flush()
            (job,) = trap.enqueued_jobs
            trap.enqueued_jobs.clear()
            result = self.perform(job)
            self.assertIn("250 levels pushed", result)
            self.assertIn("it will retry in 10 s", result)
            levels = self.Level.search([("product_id", "in", products.ids)])
            self.assertEqual(len(levels.filtered(lambda lv: lv.state == "synced")), 250)
            (follow_up,) = trap.enqueued_jobs
            self.assertEqual(follow_up.identity_key, self.shop._push_identity_key())
            self.assertTrue(follow_up.eta)
            self.commit_and_push(trap)
        levels = self.Level.search([("product_id", "in", products.ids)])
        self.assertEqual(set(levels.mapped("state")), {"synced"})
        self.assertEqual({self.shopify(p, self.store) for p in products}, {2})
        self.assertEqual(len(self.sim.stats.applied_writes), 251)


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
