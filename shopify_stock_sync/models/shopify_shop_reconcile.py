# Copyright 2026 shopify_stock_sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A shop's reconciliation: its schedule, the buttons, the cron that starts runs.

The cron runs hourly (``ir_cron_shopify_reconcile``) and starts a run of every active
shop whose own interval has passed since its last scheduled or manual run.
"""

from datetime import timedelta

from odoo import fields, models
from odoo.fields import Domain

from ..engine.reconciliation import DEFAULT_BULK_THRESHOLD, DEFAULT_CHUNK_SIZE
from .shopify_reconciliation import ACTIVE_STATES

# A shop counts as due this long before its interval has fully passed, so an hourly
# shop is not skipped by an hourly cron that runs a few seconds early.
DUE_TOLERANCE = timedelta(minutes=5)


class ShopifyShop(models.Model):
    _inherit = "shopify.shop"  # pylint: disable=consider-merging-classes-inherited

    _reconcile_chunk_size = DEFAULT_CHUNK_SIZE
    _reconcile_bulk_threshold = DEFAULT_BULK_THRESHOLD

    reconcile_interval = fields.Integer(
        string="Reconcile Every (Hours)",
        default=1,
        tracking=True,
        help="How often the scheduled reconciliation compares this shop's stock "
        "with Shopify and corrects it; 0 stops the scheduled runs.",
    )
    _reconcile_interval_positive = models.Constraint(
        "CHECK(reconcile_interval >= 0)",
        "Reconcile Every (Hours) cannot be negative: use 0 to stop the scheduled "
        "reconciliation.",
    )
    reconciliation_run_ids = fields.One2many(
        "shopify.reconciliation.run", "shop_id", string="Reconciliation Runs"
    )
    last_run_id = fields.Many2one(
        "shopify.reconciliation.run",
        string="Last Reconciliation",
        compute="_compute_reconciliation",
    )
    reconcile_next_at = fields.Datetime(
        string="Next Scheduled Reconciliation", compute="_compute_reconciliation"
    )
    finding_open_count = fields.Integer(compute="_compute_reconciliation")

    def _compute_reconciliation(self):
        groups = self.env["shopify.reconciliation.finding"]._read_group(
            Domain("shop_id", "in", self._origin.ids) & Domain("resolved", "=", False),
            ["shop_id"],
            ["__count"],
        )
        findings = {shop.id: count for shop, count in groups}
        last = self._last_runs()
        scheduling = self._last_runs(Domain("state", "!=", "cancelled"))
        for shop in self:
            saved = shop._origin.id  # the record behind a form's (none when new)
            shop.last_run_id = last.get(saved, False)
            shop.reconcile_next_at = shop._reconcile_next_at(
                scheduling.get(saved, False)
            )
            shop.finding_open_count = findings.get(saved, 0)

    def _last_runs(self, domain=Domain.TRUE):
        """``{shop id: its latest run}`` of these shops (saved ones; dry runs aside,
        those in ``domain`` only), in one grouped query."""
        Run = self.env["shopify.reconciliation.run"].sudo()
        groups = Run._read_group(
            Domain("shop_id", "in", self._origin.ids)
            & Domain("dry_run", "=", False)
            & domain,
            ["shop_id"],
            ["id:max"],
        )
        return {shop.id: Run.browse(run_id) for shop, run_id in groups}

    def _reconcile_next_at(self, last=None):
        """When the shop is due for a scheduled run (now if it never ran), after
        ``last``, its latest run that was not cancelled (looked up when not given);
        False when its scheduled runs are stopped."""
        self.ensure_one()
        if (
            not self.active
            or not self._reconcile_reachable()
            or self.reconcile_interval <= 0
            or not self.id
        ):
            return False
        if last is None:
            last = self._last_runs(Domain("state", "!=", "cancelled")).get(self.id)
        if not last:
            return fields.Datetime.now()
        return (last.started_at or last.create_date) + timedelta(
            hours=self.reconcile_interval
        )

    def _reconcile_reachable(self):
        """Whether scheduled runs may reach the shop: connected, or connected once
        (its last test that reached Shopify passed) and only untested since, or
        failed a later test (a network blip, settings edited: its pushes go on, so
        does their safety net).  Never for a shop never connected, nor one whose
        credentials Shopify refuses (*Needs Reconnecting*)."""
        self.ensure_one()
        if self.state == "connected":
            return True
        return self.state in ("draft", "error") and bool(
            self.shopify_shop_name and not self.missing_scopes
        )

    # -- the cron ----------------------------------------------------------------------

    def _cron_reconcile(self):
        """Start a run of every active shop that is due (its own interval); a shop
        with a run queued or running is left to it."""
        Run = self.env["shopify.reconciliation.run"].sudo()
        busy = set(Run.search(Domain("state", "in", ACTIVE_STATES)).shop_id.ids)
        now = fields.Datetime.now()
        started = Run.browse()
        shops = self.sudo().search(
            Domain("active", "=", True)
            & Domain("state", "!=", "reconnect")
            & Domain("reconcile_interval", ">", 0)
        )
        scheduling = shops._last_runs(Domain("state", "!=", "cancelled"))
        for shop in shops:
            due = shop._reconcile_next_at(scheduling.get(shop.id, False))
            if shop.id in busy or not due or due > now + DUE_TOLERANCE:
                continue
            started |= Run._start(shop, trigger="cron")
        return started

    # -- buttons -----------------------------------------------------------------------

    def _start_reconciliation(self, dry_run):
        """Queue a run of each shop (callers check the group first)."""
        runs = self.env["shopify.reconciliation.run"]
        for shop in self:
            runs |= runs._start(shop, dry_run=dry_run)
        return runs

    def action_reconcile_now(self):
        """Compare the shop's stock with Shopify now and correct it."""
        self._check_shopify_group(self.env._("start a reconciliation"))
        return self._open_run(self._start_reconciliation(dry_run=False))

    def action_reconcile_dry_run(self):
        """Compare the shop's stock with Shopify now; change nothing, report."""
        self._check_shopify_group(self.env._("start a dry run"))
        return self._open_run(self._start_reconciliation(dry_run=True))

    def _open_run(self, runs):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "shopify_stock_sync.action_shopify_reconciliation_run"
        )
        if len(runs) == 1:
            action.update(res_id=runs.id, view_mode="form", views=[(False, "form")])
        else:
            action["domain"] = [("id", "in", runs.ids)]
        return action

    def action_open_reconciliation_runs(self):
        return self._open_related(
            "shopify_stock_sync.action_shopify_reconciliation_run"
        )

    def action_open_findings(self):
        return self._open_related(
            "shopify_stock_sync.action_shopify_reconciliation_finding"
        )
