# Copyright 2026 shopify_stock_sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""This addon's queue jobs, as its operators see them: the shop of each job, what
failed in a sentence, whether queue_job tries again, the next step, and the right to
re-queue or dismiss them (without queue_job's manager group)."""

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.fields import Domain

from ..engine import messages
from .constants import OPERATOR
from .shopify_shop_push import failure_category

# The jobs of this addon: every model it runs jobs on is named shopify.*.  The one
# domain of the operators' record rule, of the job menus and of Sync Health (the
# XML records spell it out; a test checks that they spell it the same).
SHOPIFY_JOBS = [("model_name", "=like", "shopify.%")]


class QueueJob(models.Model):
    _inherit = "queue.job"

    shopify_shop_id = fields.Many2one(
        "shopify.shop",
        compute="_compute_shopify_shop_id",
        store=True,
        index="btree_not_null",
        help="The shop of a job of the Shopify sync (of its record, or the shop "
        "itself).",
    )
    shopify_retry = fields.Char(string="Will Retry", compute="_compute_shopify_advice")
    shopify_next_step = fields.Char(
        string="Next Step", compute="_compute_shopify_advice"
    )

    @api.depends("model_name", "records")
    def _compute_shopify_shop_id(self):
        for job in self:
            shop = self.env["shopify.shop"]
            if (job.model_name or "").startswith("shopify."):
                records = job.records.sudo().exists()
                if records._name == "shopify.shop":
                    shop = records[:1]
                elif "shop_id" in records._fields:
                    shop = records[:1].shop_id
            job.shopify_shop_id = shop

    @api.depends("state", "retry", "max_retries", "exc_name")
    def _compute_shopify_advice(self):
        for job in self:
            job.shopify_retry = messages.job_retry(
                job.state, job.retry, job.max_retries
            )
            job.shopify_next_step = (
                messages.job_next_step(failure_category(job.exc_name))
                if job.state == "failed"
                else False
            )

    # -- for operators --------------------------------------------------------------

    def _shopify_jobs_for_operator(self):
        """These jobs, checked as the user: an operator of the addon, the jobs of
        the addon only, readable to them (their companies); as superuser after."""
        self.env["shopify.shop"]._check_shopify_group(
            self.env._("re-queue or dismiss the Shopify sync's jobs"),
            group=OPERATOR,
            records=self,
        )
        jobs = self.filtered_domain(Domain(SHOPIFY_JOBS))
        if jobs != self:
            raise AccessError(
                self.env._("Only the jobs of the Shopify sync can be handled here.")
            )
        return jobs.sudo()

    def action_shopify_requeue(self):
        """Re-queue failed jobs (the cause is fixed): they run again from the start."""
        self._shopify_jobs_for_operator().filtered(
            lambda job: job.state == "failed"
        ).requeue()
        return True

    def action_shopify_dismiss(self):
        """Dismiss failed jobs (dealt with otherwise): cancelled, with who did it."""
        self._shopify_jobs_for_operator().filtered(
            lambda job: job.state == "failed"
        ).button_cancelled()
        return True

    def related_action_shopify_levels(self):
        """A push job's related action: the levels of its shop still to be pushed or
        in error, the problems first."""
        self.ensure_one()
        shops = self.records.exists()
        if shops._name != "shopify.shop" or not shops:
            return None
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "shopify_stock_sync.action_shopify_stock_level"
        )
        action["domain"] = [
            ("shop_id", "in", shops.ids),
            ("state", "in", ["pending", "error"]),
        ]
        action["context"] = {}
        return action
