# Copyright 2026 shopify_stock_sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A shop's sync health, computed by ``engine.health.sync_health`` from Odoo data:
runs, levels (time to correction from ``synced_at - dirty_since``, errors, Shopify
quantities below zero, stale compares the push met) and failed jobs.  Not stored:
read when shown."""

from datetime import timedelta

from odoo import fields, models
from odoo.fields import Domain

from ..engine.health import WEEK, Correction, RunSummary, sync_health
from .queue_job import SHOPIFY_JOBS

RUN_MODEL = "shopify.reconciliation.run"


def _minutes(seconds):
    return round(seconds / 60.0, 1) if seconds is not None else 0.0


class ShopifyShop(models.Model):
    _inherit = "shopify.shop"  # pylint: disable=consider-merging-classes-inherited

    health_mismatches = fields.Integer(
        string="Mismatches (Last Run)", compute="_compute_health"
    )
    health_trend = fields.Char(string="Mismatch Trend", compute="_compute_health")
    health_ttc_day_p50 = fields.Float(
        string="Time to Correction p50, 24 h (min)", compute="_compute_health"
    )
    health_ttc_day_p95 = fields.Float(
        string="Time to Correction p95, 24 h (min)", compute="_compute_health"
    )
    health_ttc_week_p50 = fields.Float(
        string="Time to Correction p50, 7 days (min)", compute="_compute_health"
    )
    health_ttc_week_p95 = fields.Float(
        string="Time to Correction p95, 7 days (min)", compute="_compute_health"
    )
    health_corrections_week = fields.Integer(
        string="Corrections (7 days)", compute="_compute_health"
    )
    health_errors = fields.Text(
        string="Levels in Error by Category", compute="_compute_health"
    )
    health_error_count = fields.Integer(
        string="Levels in Error", compute="_compute_health"
    )
    health_failed_jobs = fields.Integer(string="Failed Jobs", compute="_compute_health")
    health_oversold = fields.Integer(
        string="Levels Below Zero in Shopify", compute="_compute_health"
    )
    health_stale_compares = fields.Integer(
        string="Stale Compares (7 days)",
        compute="_compute_health",
        help="Pushes Shopify refused because its quantity had moved meanwhile (a "
        "sale or an edit landed during the push): a sign of overselling risk.",
    )
    health_oversold_samples = fields.Char(
        string="Most Oversold", compute="_compute_health"
    )
    health_last_push = fields.Datetime(
        string="Last Successful Push", compute="_compute_health"
    )
    health_last_run_at = fields.Datetime(
        string="Last Reconciliation Finished", compute="_compute_health"
    )
    health_attention = fields.Text(string="Needs Attention", compute="_compute_health")
    health_ok = fields.Boolean(string="Healthy", compute="_compute_health")

    def _compute_health(self):
        for shop in self:
            health = shop._sync_health() if shop.id else None
            if health is None:
                shop.update(
                    dict.fromkeys(
                        [name for name in self._fields if name.startswith("health_")],
                        False,
                    )
                )
                continue
            last = health.last_run
            shop.update(
                {
                    "health_mismatches": health.mismatches or 0,
                    "health_trend": " → ".join(map(str, health.trend.counts))
                    + (f" ({health.trend.direction})" if health.trend.counts else ""),
                    "health_ttc_day_p50": _minutes(health.correction_day.p50),
                    "health_ttc_day_p95": _minutes(health.correction_day.p95),
                    "health_ttc_week_p50": _minutes(health.correction_week.p50),
                    "health_ttc_week_p95": _minutes(health.correction_week.p95),
                    "health_corrections_week": health.correction_week.count,
                    "health_errors": "\n".join(
                        f"{group.category.value}: {group.count}"
                        + (f" — {group.samples[0]}" if group.samples else "")
                        for group in health.errors
                    )
                    or False,
                    "health_error_count": health.levels_in_error,
                    "health_failed_jobs": health.failed_jobs,
                    "health_oversold": health.oversell.oversold,
                    "health_stale_compares": health.oversell.stale_compares,
                    "health_oversold_samples": ", ".join(health.oversell.samples)
                    or False,
                    "health_last_push": health.last_push or False,
                    "health_last_run_at": last.finished_at if last else False,
                    "health_attention": "\n".join(health.attention()) or False,
                    "health_ok": not health.attention(),
                }
            )

    def _push_batch(self, client, levels, rule, settings, salt):
        """The push's batch; the stale compares it met are counted on the levels."""
        outcomes = super()._push_batch(client, levels, rule, settings, salt)
        stale = [o for o in outcomes if o.stale_hits]
        if stale:
            now = fields.Datetime.now()
            by_id = {level.id: level for level in levels}
            for outcome in stale:
                level = by_id[outcome.change.ref]
                level.write(
                    {
                        "stale_compares": level.stale_compares + outcome.stale_hits,
                        "last_stale_at": now,
                    }
                )
        return outcomes

    def _sync_health(self):
        """The engine's ``SyncHealth`` of this shop (superuser reads, one query per
        kind of data)."""
        self.ensure_one()
        now = fields.Datetime.now()
        shop = Domain("shop_id", "=", self.id)
        runs = (
            self.env[RUN_MODEL]
            .sudo()
            .search_fetch(
                shop
                & Domain("state", "in", ("done", "done_with_failures"))
                & Domain("finished_at", "!=", False),
                ["finished_at", "mismatch_count", "state", "dry_run"]
                + ["pairs_checked", "correction_count", "failure_count"],
                order="id desc",
                limit=50,
            )
        )[::-1]
        Level = self.env["shopify.stock.level"].sudo()
        week_ago = now - WEEK
        corrected = Level.search_fetch(
            shop
            & Domain("synced_at", ">=", week_ago)
            & Domain("dirty_since", "!=", False),
            ["dirty_since", "synced_at"],
        )
        errors = Level.search_fetch(
            shop & Domain("state", "=", "error"), ["error_category", "error_message"]
        )
        below = Level.search_fetch(
            shop
            & Domain("shopify_known", "=", True)
            & Domain("shopify_stocked", "=", True)
            & Domain("shopify_available", "<", 0),
            ["shopify_available", "product_id", "mapping_id"],
        )
        last_synced = Level.search_fetch(
            shop & Domain("synced_at", "!=", False),
            ["synced_at"],
            order="synced_at desc",
            limit=1,
        )
        stale = Level.search_fetch(
            shop & Domain("last_stale_at", ">=", week_ago), ["stale_compares"]
        )
        failed_jobs = (
            self.env["queue.job"]
            .sudo()
            .search_count(
                # failed and not dealt with yet (re-queued or dismissed jobs are
                # pending, done or cancelled)
                Domain("state", "=", "failed")
                & Domain(SHOPIFY_JOBS)
                & Domain("shopify_shop_id", "=", self.id)
            )
        )
        return sync_health(
            now=now,
            runs=[
                RunSummary(
                    # Odoo keeps whole seconds: runs finished in the same second
                    # stay in the order they ran
                    finished_at=run.finished_at + timedelta(microseconds=order),
                    mismatches=run.mismatch_count,
                    complete=run.state == "done",
                    dry_run=run.dry_run,
                    checked=run.pairs_checked,
                    corrections=run.correction_count,
                    failures=run.failure_count,
                )
                for order, run in enumerate(runs)
            ],
            corrections=[
                Correction(level.dirty_since, level.synced_at)
                for level in corrected
                if level.synced_at >= level.dirty_since
            ],
            errors=[(lv.error_category, lv.error_message or "") for lv in errors],
            shopify_available=[
                (level.display_name, level.shopify_available) for level in below
            ],
            stale_compares=sum(stale.mapped("stale_compares")),
            failed_jobs=failed_jobs,
            last_push=last_synced.synced_at if last_synced else None,
            pending=self.level_pending_count,
            blocked=self.state_reason if self.state == "reconnect" else "",
        )
