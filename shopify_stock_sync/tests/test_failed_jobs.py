# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Operators clear what they fixed: the addon's failed jobs with their shop, message,
retry and next step; re-queue or dismiss; Sync Health counts only the failed jobs of
its own shop not dealt with yet; one job domain for the rule, the menus and health."""

from ast import literal_eval

from odoo.exceptions import AccessError
from odoo.tests import tagged

from odoo.addons.queue_job.job import Job
from odoo.addons.shopify_stock_sync.models.queue_job import SHOPIFY_JOBS

from .common import OPERATOR, ShopifyCase

PUSH_ERROR = "odoo.addons.shopify_stock_sync.models.shopify_shop_push"


@tagged("post_install", "-at_install")
class TestFailedJobs(ShopifyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_shop = cls.env["shopify.shop"].create(
            {"name": "Other shop", "domain": "other-shop.myshopify.com"}
        )
        cls.mapping = cls._mapping("Main store", cls.stock, "odoo_to_shopify")
        cls.operator = cls._user("jobs_operator", OPERATOR)
        cls.stock_user = cls._user("jobs_stock_user", "stock.group_stock_user")
        cls.Job = cls.env["queue.job"]

    def failed(self, delayed, exc_name, message):
        """A job stored by ``delayed`` (a with_delay() call), failed as queue_job
        fails one: the exception's class, its message, a traceback."""
        job = Job.load(self.env, delayed.uuid)
        job.set_failed(
            exc_name=exc_name,
            exc_message=message,
            exc_info=f"Traceback (most recent call last):\n  ...\n{message}",
        )
        job.store()
        return self.Job.search([("uuid", "=", delayed.uuid)])

    def test_operators_see_what_failed_and_what_next(self):
        transient = self.failed(
            self.shop.with_delay()._push_stock(),
            f"{PUSH_ERROR}.ShopifyPushTransientError",
            "Shopify failed on SetQuantities (HTTP 502). The push stopped.",
        )
        request = self.failed(
            self.mapping.with_delay().read(["direction"]),
            f"{PUSH_ERROR}.ShopifyPushError",
            "Shopify refused the whole push.",
        )
        other = self.failed(
            self.other_shop.with_delay()._push_stock(),
            "builtins.KeyError",
            "'gid'",
        )
        action = self.env.ref("shopify_stock_sync.action_shopify_queue_job_failed")
        jobs = self.Job.with_user(self.operator).search(literal_eval(action.domain))
        self.assertEqual(jobs, transient | request | other)
        self.assertRecordValues(
            transient | request | other,
            [
                {
                    "shopify_shop_id": self.shop.id,
                    "exc_message": "Shopify failed on SetQuantities (HTTP 502). The "
                    "push stopped.",
                    "shopify_retry": "No",
                },
                {
                    "shopify_shop_id": self.shop.id,
                    "exc_message": "Shopify refused the whole push.",
                    "shopify_retry": "No",
                },
                {
                    "shopify_shop_id": self.other_shop.id,
                    "exc_message": "'gid'",
                    "shopify_retry": "No",
                },
            ],
        )
        self.assertTrue(transient.shopify_next_step.endswith("re-queue this job."))
        self.assertIn("will not help", request.shopify_next_step)
        self.assertTrue(other.shopify_next_step.startswith("An unexpected error"))
        # the operators' list shows shop, what, message, retry and next step, and
        # never the traceback
        view = self.env.ref("shopify_stock_sync.queue_job_view_list_shopify")
        self.assertEqual(action.view_ids[:1].view_id, view)
        for name in ("shopify_shop_id", "name", "exc_message", "shopify_retry"):
            self.assertIn(f'name="{name}"', view.arch)
        self.assertIn('name="shopify_next_step"', view.arch)
        self.assertNotIn("exc_info", view.arch)

    def test_operators_requeue_or_dismiss_and_health_counts_what_is_left(self):
        fixed = self.failed(
            self.shop.with_delay()._push_stock(),
            f"{PUSH_ERROR}.ShopifyPushConfigError",
            "Credentials missing.",
        )
        read = self.failed(
            self.mapping.with_delay().read(["direction"]),
            f"{PUSH_ERROR}.ShopifyPushError",
            "Shopify refused the whole push.",
        )
        elsewhere = self.failed(
            self.other_shop.with_delay()._push_stock(), "builtins.KeyError", "'gid'"
        )
        self.assertEqual(self.shop.health_failed_jobs, 2)
        self.assertEqual(self.other_shop.health_failed_jobs, 1)
        self.assertIn("2 sync jobs failed", self.shop.health_attention)

        # a plain stock user may not; an operator may, for the addon's jobs only
        with self.assertRaises(AccessError):
            fixed.with_user(self.stock_user).action_shopify_requeue()
        foreign = self.env["res.partner"].with_delay().read(["name"])
        foreign = self.Job.search([("uuid", "=", foreign.uuid)])
        with self.assertRaises(AccessError):
            foreign.with_user(self.operator).action_shopify_dismiss()
        with self.assertRaises(AccessError):
            fixed.with_user(self.operator).write({"state": "done"})

        fixed.with_user(self.operator).action_shopify_requeue()
        read.with_user(self.operator).action_shopify_dismiss()
        self.assertEqual(fixed.state, "pending")
        self.assertEqual(fixed.shopify_retry, "Yes")
        self.assertEqual(read.state, "cancelled")
        self.assertIn(self.operator.name, read.result)
        self.shop.invalidate_recordset()
        self.assertEqual(self.shop.health_failed_jobs, 0)
        self.assertNotIn("failed", self.shop.health_attention or "")
        self.assertEqual(elsewhere.state, "failed")
        self.other_shop.invalidate_recordset()
        self.assertEqual(self.other_shop.health_failed_jobs, 1)

    def test_one_job_domain_for_the_rule_the_menus_and_health(self):
        rule = self.env.ref("shopify_stock_sync.rule_queue_job_shopify_operator")
        self.assertEqual(literal_eval(rule.domain_force), SHOPIFY_JOBS)
        for xmlid in ("action_shopify_queue_job", "action_shopify_queue_job_failed"):
            action = self.env.ref(f"shopify_stock_sync.{xmlid}")
            self.assertEqual(
                literal_eval(action.domain)[: len(SHOPIFY_JOBS)], SHOPIFY_JOBS
            )
        # webhook and reconciliation jobs are the addon's jobs too: operators see
        # them in the Jobs menu, and they count for their shop
        run = self.env["shopify.reconciliation.run"].create({"shop_id": self.shop.id})
        job = self.failed(
            run.with_delay().read(["shop_id"]), "builtins.ValueError", "chunk lost"
        )
        action = self.env.ref("shopify_stock_sync.action_shopify_queue_job")
        self.assertIn(
            job, self.Job.with_user(self.operator).search(literal_eval(action.domain))
        )
        self.assertEqual(job.shopify_shop_id, self.shop)
        self.assertEqual(self.shop.health_failed_jobs, 1)
