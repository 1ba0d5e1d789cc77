# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A shop whose credentials or scopes Shopify refuses: its pushes are held (no failed
job per change, one activity, one log line) and go out once the connection test
passes."""

from odoo.tests import tagged

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.shopify_stock_sync.models.shopify_shop import RECONNECT_ACTIVITY

from . import test_push_faults
from .test_push_stock import PushStockCase

SHOP_LOGGER = "odoo.addons.shopify_stock_sync.models.shopify_shop"


@tagged("post_install", "-at_install")
class TestReconnect(PushStockCase):
    # queue_job's controller as the runner calls it (the failures' own test case
    # has the helper)
    runjob = test_push_faults.TestPushFailuresSurviveTheRollback.runjob

    def setUp(self):
        super().setUp()
        self.Job = self.env["queue.job"]
        with trap_jobs() as trap:
            self.receive(self.shelf_1, {self.shirt: 10})
            self.commit_and_push(trap)
        self.shop.action_test_connection()
        self.assertEqual(self.shop.state, "connected")
        self.assertEqual(self.shopify(self.shirt, self.store), 10)
        self.sim.reset_stats()

    def reconnect_activities(self):
        return self.shop.activity_ids.filtered(
            lambda a: a.activity_type_id == self.env.ref(RECONNECT_ACTIVITY)
        )

    def changes_while_refused(self, count):
        """``count`` stock changes of 5 shirts, each job run by queue_job's
        controller as it comes; returns the jobs."""
        jobs = self.Job
        for _change in range(count):
            self.receive(self.shelf_1, {self.shirt: 5})
            self.env.cr.flush()  # the precommit: the push job, stored
            record = self.Job.search(
                [
                    ("identity_key", "=", self.shop._push_identity_key()),
                    ("state", "=", "pending"),
                ]
            )
            self.assertIsNone(self.runjob(record))
            jobs |= record
        return jobs

    def test_refused_token_holds_pushes_until_the_connection_test_passes(self):
        self.sim.revoke_token(self.TOKEN)
        with self.assertLogs(SHOP_LOGGER, "WARNING") as logs:
            jobs = self.changes_while_refused(3)
        # one log line, no traceback, no failed job: the jobs end, holding
        self.assertEqual(len(logs.output), 1)
        self.assertIn("pushes are held", logs.output[0])
        self.assertEqual(len(jobs), 3)
        self.assertEqual(set(jobs.mapped("state")), {"done"})
        self.assertFalse(jobs.filtered("exc_info"))
        self.assertIn("needs reconnecting", jobs[-1].result)
        # the shop says so, with the cause, on its form, its list and its health
        self.assertEqual(self.shop.state, "reconnect")
        self.assertIn("(HTTP 401)", self.shop.state_reason)
        self.assertIn("Test Connection", self.shop.state_reason)
        self.assertEqual(
            self.shop.health_attention.splitlines()[0], self.shop.state_reason
        )
        self.assertFalse(self.shop.health_ok)
        # one activity, for an administrator, whatever the number of changes
        activity = self.reconnect_activities()
        self.assertEqual(len(activity), 1)
        self.assertTrue(activity.user_id.has_group("base.group_system"))
        # the changes wait as a pending level; Shopify saw only refused calls
        level = self.level(self.shirt, self.main)
        self.assertRecordValues(level, [{"state": "pending", "error_category": "auth"}])
        self.assertEqual(self.shopify(self.shirt, self.store), 10)
        self.assertFalse(self.writes())

        # the administrator installs a new token, and tests the connection
        self.sim.add_token("shpat_new_token")
        self.shop.sudo().access_token = "shpat_new_token"
        with trap_jobs() as trap:
            self.shop.action_test_connection()
            trap.assert_jobs_count(1)
            self.commit_and_push(trap)
        self.assertEqual(self.shop.state, "connected")
        self.assertFalse(self.reconnect_activities())
        self.assertEqual(self.shopify(self.shirt, self.store), 25)
        self.assertRecordValues(
            level,
            [{"state": "synced", "error_message": False, "error_category": False}],
        )

    def test_lost_scope_holds_pushes_too(self):
        narrow = self.sim.add_token(
            "shpat_read_only",
            scopes=("read_products", "read_inventory", "read_locations"),
        )
        self.shop.sudo().access_token = narrow
        self.shop.state = "connected"  # as it was before the app lost the scope
        with self.assertLogs(SHOP_LOGGER, "WARNING"):
            jobs = self.changes_while_refused(2)
        self.assertEqual(set(jobs.mapped("state")), {"done"})
        self.assertEqual(self.shop.state, "reconnect")
        self.assertEqual(len(self.reconnect_activities()), 1)
        # a connection test that still finds the scope missing keeps the hold
        with trap_jobs() as trap:
            self.shop.action_test_connection()
            trap.assert_jobs_count(0)
        self.assertEqual(self.shop.state, "reconnect")
        self.assertIn("write_inventory", self.shop.state_reason)
        self.assertEqual(len(self.reconnect_activities()), 1)
        # the scope granted again: the held changes go out
        self.sim.add_token(narrow)
        with trap_jobs() as trap:
            self.shop.action_test_connection()
            self.commit_and_push(trap)
        self.assertEqual(self.shop.state, "connected")
        self.assertEqual(self.shopify(self.shirt, self.store), 20)
