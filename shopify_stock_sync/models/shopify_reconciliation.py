# Copyright 2026 shopify_stock_sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A reconciliation run of one shop, its mismatch report and its findings.

The engine plans and decides (:mod:`..engine.reconciliation`,
:mod:`..engine.corrections`, :mod:`..engine.findings`); this model runs a plan as
chained queue jobs, no commit inside any of them:

1. ``_job_plan`` — the snapshot job: plans the chunks (``plan_run``) and, for a large
   run, takes one bulk snapshot of Shopify's levels, kept on the run split by chunk
   (``RunPlan.split_levels``: each chunk job loads its own part only);
2. ``_job_chunk`` — one job per chunk, each enqueueing the next: the chunk's pairs, the
   Odoo quantities computed per mapping (superuser, the mapping's company, the basis
   of ``odoo_basis``), Shopify's levels, ``reconcile_chunk``, then the actions: levels
   marked pending for the push (Odoo-owned), inventory adjustments (Shopify-owned),
   report lines and findings.  A chunk that fails is rolled back to its savepoint and
   recorded on the ``RunCursor``: it comes back after the others, and is reported once
   it failed ``max_attempts`` times; the other chunks complete;
3. ``_job_finish`` — the run's state and the findings the run proves gone, then one
   push of the shop for all the levels the chunks marked (batches of 250 across the
   run, not one small push per chunk).

Never two runs at once for a shop: a unique index allows one queued or running run per
shop, the snapshot job has an identity key per shop, and every job of a run holds the
shop's reconciliation advisory lock while it works.
"""

import contextlib
import json
import logging
import math
import threading

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain
from odoo.tools import SQL

from odoo.addons.queue_job.exception import RetryableJobError

from ..engine import inventory, messages
from ..engine.corrections import (
    Action,
    LocationQuantity,
    OdooLocation,
    Pair,
    odoo_basis,
    reconcile_chunk,
)
from ..engine.data import Direction, LevelKey, ShopifyLevel, Subject
from ..engine.findings import (
    Finding,
    FindingKind,
    SnapshotScope,
    collect_snapshot,
    findings_delta,
)
from ..engine.reconciliation import (
    ChunkState,
    RunCursor,
    RunState,
    SnapshotMode,
    plan_run,
)
from ..engine.shopify.errors import AuthError, ShopifyError
from .constants import (
    INBOUND_PAIRS_KEY,
    RECONCILE_CHUNK_IDENTITY,
    RECONCILE_IDENTITY,
    RECONCILE_LOCK_SPACE,
)
from .shopify_shop import DIRECTIONS

_logger = logging.getLogger(__name__)

ACTIVE_STATES = ("queued", "running")
RETRY_CHUNK_DELAY = 60  # seconds before a failed chunk is tried again

RUN_STATES = [
    ("queued", "Queued"),
    ("running", "Running"),
    ("done", "Done"),
    ("done_with_failures", "Done with failures"),
    ("failed", "Failed"),
    ("cancelled", "Cancelled"),
]
ACTIONS = [
    (Action.PUSH.value, "Marked for the push"),
    (Action.ADJUST.value, "Odoo adjusted"),
    (Action.REPORT.value, "Reported only"),
    (Action.FAILED.value, "Failed"),
]
FINDING_KINDS = [
    (FindingKind.UNLINKED_ITEM.value, "Shopify item not linked"),
    (FindingKind.NOT_STOCKED.value, "Not stocked at a mapped location"),
    (FindingKind.UNMAPPED_STOCK.value, "Unmapped location with stock"),
    (FindingKind.UNTRACKED.value, "Not tracked in Shopify"),
]


class ShopifyReconciliationRun(models.Model):
    _name = "shopify.reconciliation.run"
    _description = "Shopify Reconciliation Run"
    _order = "id desc"

    name = fields.Char(compute="_compute_name")
    shop_id = fields.Many2one(
        "shopify.shop", required=True, index=True, ondelete="cascade", readonly=True
    )
    company_id = fields.Many2one(related="shop_id.company_id", store=True, index=True)
    dry_run = fields.Boolean(
        readonly=True, help="A dry run only reports: it changes nothing."
    )
    trigger = fields.Selection(
        [("manual", "Manual"), ("cron", "Scheduled")],
        default="manual",
        required=True,
        readonly=True,
    )
    state = fields.Selection(
        RUN_STATES, required=True, default="queued", index=True, readonly=True
    )
    mode = fields.Selection(
        [(SnapshotMode.BULK.value, "Bulk snapshot"), (SnapshotMode.READ.value, "Read")],
        readonly=True,
        help="Bulk: one snapshot of the whole catalogue (finds unlinked items and "
        "unmapped locations with stock too); Read: each chunk reads its pairs.",
    )
    cursor = fields.Json(readonly=True, copy=False)
    snapshot = fields.Json(readonly=True, copy=False)
    chunk_count = fields.Integer(string="Chunks", readonly=True)
    chunks_done = fields.Integer(readonly=True)
    pairs_total = fields.Integer(string="Pairs", readonly=True)
    pairs_checked = fields.Integer(readonly=True)
    mismatch_count = fields.Integer(
        string="Mismatches",
        readonly=True,
        aggregator="avg",
        help="The mismatches the run found; the average of the runs when grouped "
        "(the Mismatch Trend plots mismatches per run, not their sum).",
    )
    correction_count = fields.Integer(string="Corrections", readonly=True)
    failure_count = fields.Integer(string="Failures", readonly=True)
    progress = fields.Float(compute="_compute_progress", string="Progress (%)")
    started_at = fields.Datetime(readonly=True)
    finished_at = fields.Datetime(readonly=True)
    message = fields.Text(readonly=True)
    line_ids = fields.One2many(
        "shopify.reconciliation.line", "run_id", string="Mismatch Report"
    )

    _one_active_run = models.UniqueIndex(
        "(shop_id) WHERE state IN ('queued', 'running')",
        "A reconciliation of this shop is already queued or running.",
    )

    @api.depends("shop_id", "create_date", "dry_run")
    def _compute_name(self):
        for run in self:
            kind = self.env._("Dry run") if run.dry_run else self.env._("Run")
            run.name = f"{kind} #{run.id or '?'} ({run.shop_id.name or ''})"

    @api.depends("pairs_total", "pairs_checked", "failure_count")
    def _compute_progress(self):
        for run in self:
            if not run.pairs_total:
                run.progress = 100.0 if run.state not in ACTIVE_STATES else 0.0
            else:
                run.progress = min(
                    100.0,
                    100.0 * (run.pairs_checked + run.failure_count) / run.pairs_total,
                )

    # -- starting ----------------------------------------------------------------------

    @api.model
    def _start(self, shop, dry_run=False, trigger="manual"):
        """Queue a run of ``shop``; the run already queued or running instead, if
        any (never two at once)."""
        shop = shop.sudo()
        runs = self.sudo()
        active = runs.search(
            Domain("shop_id", "=", shop.id) & Domain("state", "in", ACTIVE_STATES),
            limit=1,
        )
        if active:
            return active
        run = runs.create({"shop_id": shop.id, "dry_run": dry_run, "trigger": trigger})
        run.with_company(shop.company_id).with_delay(
            identity_key=RECONCILE_IDENTITY.format(shop.id),
            description=self.env._("Reconcile stock with Shopify: %s", shop.name),
        )._job_plan()
        return run

    # -- the jobs ----------------------------------------------------------------------

    def _lock(self):
        """The shop's reconciliation lock, for this transaction; retry later when
        another job of the shop holds it."""
        self.ensure_one()
        self.shop_id._lock_or_retry(
            RECONCILE_LOCK_SPACE,
            self.shop_id.id,
            self.env._(
                "Another reconciliation job of shop %s is working; this one "
                "starts after it.",
                self.shop_id.name,
            ),
            seconds=10,
        )

    def _job_plan(self):
        """Plan a reconciliation and take its snapshot"""
        self.ensure_one()
        run = self.sudo()
        if run.state not in ACTIVE_STATES:
            return self.env._(
                "Run %(run)s is %(state)s: nothing to do.",
                run=run.name,
                state=run.state,
            )
        run._lock()
        shop = run.shop_id
        run.write({"state": "running", "started_at": fields.Datetime.now()})
        links, mappings = run._scope()
        pairs_per_link = dict.fromkeys(links.ids, len(mappings)) if mappings else {}
        plan = plan_run(
            pairs_per_link,
            chunk_size=shop._reconcile_chunk_size,
            bulk_threshold=shop._reconcile_bulk_threshold,
            dry_run=run.dry_run,
        )
        cursor = RunCursor.start(plan)
        values = {
            "mode": plan.mode.value,
            "chunk_count": len(plan.chunks),
            "pairs_total": plan.total,
        }
        if plan.chunks and plan.mode is SnapshotMode.BULK:
            try:
                snapshot = collect_snapshot(
                    inventory.snapshot_levels(shop._shopify_client()),
                    SnapshotScope(
                        linked_items=set(links.mapped("inventory_item_gid")),
                        mapped_locations={
                            m.shopify_location_gid: m.shopify_location_name
                            for m in mappings
                        },
                        location_names={
                            m.shopify_location_gid: m.shopify_location_name
                            for m in shop.mapping_ids
                        },
                    ),
                )
            except AuthError as exc:
                return run._refused(exc)
            except (ShopifyError, UserError) as exc:
                return run._fail(
                    self.env._("The snapshot of Shopify's levels failed: %s", exc)
                )
            run._keep_snapshot(
                plan.split_levels(
                    {link.id: link.inventory_item_gid for link in links},
                    snapshot.levels,
                )
            )
            run._record_findings(snapshot.findings)
        run._save_cursor(cursor, **values)
        return run._next(cursor)

    def _job_chunk(self, number):
        """Reconcile one chunk of a run"""
        self.ensure_one()
        run = self.sudo()
        if run.state != "running":
            return self.env._(
                "Run %(run)s is %(state)s: chunk left.", run=run.name, state=run.state
            )
        run._lock()
        cursor = RunCursor.from_dict(run.cursor)
        chunk = next((c for c in cursor.plan.chunks if c.number == number), None)
        if chunk is None or cursor.status(chunk).state is not ChunkState.PENDING:
            return run._next(cursor)
        reason = None
        try:
            # the SQL of a refused write is not logged (a chunk writes thousands of
            # rows at once); the failure is, once, in words
            with _quiet_sql(), self.env.cr.savepoint():
                result = run._reconcile_chunk(chunk)
        except (RetryableJobError, psycopg2.errors.SerializationFailure):
            raise
        except AuthError as exc:
            self.env.invalidate_all()
            return run._refused(exc)
        except psycopg2.Error as exc:
            self.env.invalidate_all()
            reason = run._database_failure(exc)
        except Exception as exc:
            self.env.invalidate_all()
            reason = _exception_text(exc)
        if reason is not None:
            _logger.warning(
                "Reconciliation %s: chunk %s failed: %s", run.id, chunk.name, reason
            )
            cursor = cursor.record_failure(chunk, reason)
            failure = cursor.failure_of(chunk)
            # the job completes (the other chunks go on): its result and the run's
            # message say in words that this chunk failed, not a normal summary
            run._save_cursor(cursor, message=failure)
            return f"{failure}\n{run._next(cursor, retried=chunk)}"
        cursor = cursor.record_done(chunk, result.progress)
        run._save_cursor(cursor)
        return run._next(cursor, retried=chunk)

    def _job_finish(self):
        """Finish a reconciliation run"""
        self.ensure_one()
        run = self.sudo()
        if run.state != "running":
            return self.env._(
                "Run %(run)s is %(state)s.", run=run.name, state=run.state
            )
        run._lock()
        cursor = RunCursor.from_dict(run.cursor)
        Findings = self.env["shopify.reconciliation.finding"].sudo()
        shop_findings = Domain("shop_id", "=", run.shop_id.id) & Domain(
            "resolved", "=", False
        )
        open_findings = Findings.search(shop_findings)
        found = open_findings.filtered(lambda f: f.last_run_id == run)
        delta = findings_delta(
            open_findings.mapped("key"),
            [f._to_engine_finding() for f in found],
            cursor.covers,
        )
        if delta.resolved:
            resolved = set(delta.resolved)
            open_findings.filtered(lambda f: f.key in resolved).write(
                {"resolved": True, "resolved_at": fields.Datetime.now()}
            )
        state = {
            RunState.DONE: "done",
            RunState.DONE_WITH_FAILURES: "done_with_failures",
        }.get(cursor.state, "done_with_failures")
        run.write(
            {
                "state": state,
                "finished_at": fields.Datetime.now(),
                "snapshot": False,
                "message": "\n".join(cursor.failures) or False,
            }
        )
        if not run.dry_run and run.correction_count:
            run.shop_id._enqueue_push()
        return run._summary()

    def _next(self, cursor, retried=None):
        """Enqueue the job after this one: the next chunk, or the finish."""
        self.ensure_one()
        chunk = cursor.next_chunk()
        delayed = self.with_company(self.shop_id.company_id)
        if chunk is None:
            delayed.with_delay(
                description=self.env._("Finish reconciliation: %s", self.name),
            )._job_finish()
            return self._summary()
        attempts = cursor.status(chunk).attempts
        delayed.with_delay(
            eta=RETRY_CHUNK_DELAY if attempts else None,
            identity_key=RECONCILE_CHUNK_IDENTITY.format(
                self.id, chunk.number, attempts
            ),
            description=self.env._(
                "Reconcile %(run)s, chunk %(number)s of %(count)s",
                run=self.name,
                number=chunk.number + 1,
                count=len(cursor.plan.chunks),
            ),
        )._job_chunk(chunk.number)
        return self._summary()

    def _database_failure(self, exc):
        """Why Odoo's database refused a chunk's writes, in words: the broken rule's
        own message when it is one of Odoo's model constraints, never the SQL."""
        diag = exc.diag
        rule = ""
        for model in self.env.registry.values():
            if model._table == diag.table_name and not model._abstract:
                if diag.constraint_name in model._table_objects:
                    rule = self.env[model._name]._sql_error_to_message(exc)
                break
        return messages.chunk_not_saved(rule)

    def _keep_snapshot(self, levels_by_chunk):
        """Keep a bulk snapshot's levels on the run for its chunk jobs, by chunk
        number (each loads its own part).  Written with SQL as one jsonb built chunk
        by chunk: through the Json field the ORM would hold two more copies of the
        whole catalogue (its cache and the column's value)."""
        self.ensure_one()
        parts = ",".join(
            json.dumps(str(number))
            + ":"
            + json.dumps(
                {_level_id(key): _level_to_json(level) for key, level in levels.items()}
            )
            for number, levels in levels_by_chunk.items()
        )
        self.env.cr.execute(
            SQL(
                "UPDATE shopify_reconciliation_run SET snapshot = %s::jsonb"
                " WHERE id = %s",
                "{" + parts + "}",
                self.id,
            )
        )
        self.invalidate_recordset(["snapshot"])

    def _save_cursor(self, cursor, **values):
        progress = cursor.progress
        self.write(
            {
                "cursor": cursor.to_dict(),
                "chunks_done": sum(
                    s.state is not ChunkState.PENDING for s in cursor.statuses
                ),
                "pairs_total": progress.total,
                "pairs_checked": progress.checked,
                "mismatch_count": progress.mismatches,
                "correction_count": progress.corrections,
                "failure_count": progress.failures,
                **values,
            }
        )

    def _refused(self, exc):
        """Shopify refused the shop's credentials or a scope: the shop goes to *Needs
        Reconnecting* as for a refused push (one activity, one log line) and the run
        stops at once, instead of each chunk failing three times."""
        self.ensure_one()
        self.shop_id._hold_push(exc.message)
        return self._fail(
            self.env._(
                "Stopped: Shopify refused the shop's credentials or an access scope "
                "(%s). Nothing more is compared; the scheduled runs start again once "
                "the shop's connection test passes.",
                exc.message,
            )
        )

    def _fail(self, message):
        self.write(
            {
                "state": "failed",
                "finished_at": fields.Datetime.now(),
                "message": message,
                "snapshot": False,
            }
        )
        for run in self.filtered(lambda r: not r.dry_run and r.correction_count):
            run.shop_id._enqueue_push()  # what the done chunks marked
        return message

    def _summary(self):
        self.ensure_one()
        return self.env._(
            "%(run)s: %(checked)s of %(total)s pairs checked, %(mismatches)s "
            "mismatches, %(corrections)s corrections, %(failures)s failures.",
            run=self.name,
            checked=self.pairs_checked,
            total=self.pairs_total,
            mismatches=self.mismatch_count,
            corrections=self.correction_count,
            failures=self.failure_count,
        )

    def _job_failed(self, exc_info=None, exc_name=None, exc_message=None):
        """queue_job's on-fail method: a job of the run failed for good (after its
        rollback, in a transaction of its own): the run is failed, so the shop can
        reconcile again."""
        try:
            runs = self.sudo().exists().filtered(lambda r: r.state in ACTIVE_STATES)
            runs._fail(exc_message or exc_name or self.env._("A job failed."))
        except Exception:
            _logger.exception("Could not record the failure of a reconciliation job")

    # -- one chunk ---------------------------------------------------------------------

    def _scope(self, chunk=None):
        """The shop's linked links in its sync scope (those of ``chunk`` only, if
        given), and its mappings that are on and have Odoo locations."""
        self.ensure_one()
        shop = self.shop_id
        domain = Domain("shop_id", "=", shop.id) & Domain("state", "=", "linked")
        if chunk is not None:
            domain &= Domain("id", ">=", chunk.first_link) & Domain(
                "id", "<", chunk.end_link
            )
        links = self.env["shopify.variant.link"].sudo().search(domain)
        in_scope = shop._products_in_scope(set(links.product_id.ids))
        links = links.filtered(lambda link: link.product_id.id in in_scope)
        mappings = shop.mapping_ids.filtered(
            lambda m: Direction(m.direction).is_on and m.location_ids
        )
        return links, mappings

    def _chunk_pairs(self, chunk):
        """The engine's pairs of a chunk: its links × the mappings that are on."""
        self.ensure_one()
        links, mappings = self._scope(chunk)
        levels = (
            self.env["shopify.stock.level"]
            .sudo()
            .search(
                Domain("link_id", "in", links.ids)
                & Domain("mapping_id", "in", mappings.ids)
            )
        )
        level_ids = {(lv.link_id.id, lv.mapping_id.id): lv.id for lv in levels}
        pairs = []
        for mapping in mappings:
            locations = tuple(
                OdooLocation(loc.id, loc.complete_name) for loc in mapping.location_ids
            )
            odoo_names = ", ".join(loc.name for loc in locations)
            for link in links:
                product = link.product_id
                pairs.append(
                    Pair(
                        key=LevelKey(
                            link.inventory_item_gid, mapping.shopify_location_gid
                        ),
                        direction=Direction(mapping.direction),
                        link_id=link.id,
                        mapping_id=mapping.id,
                        subject=Subject(
                            sku=link.shopify_sku or product.default_code or "",
                            product=product.display_name or "",
                            shopify_location=mapping.shopify_location_name or "",
                            odoo_location=odoo_names,
                        ),
                        odoo_locations=locations,
                        level_id=level_ids.get((link.id, mapping.id)),
                    )
                )
        return pairs, links, mappings

    def _odoo_quantities(self, pairs, links, mappings):
        """Odoo's quantity of each pair (the basis of ``odoo_basis``, summed over the
        mapping's locations and their children), and, for Shopify-owned pairs, on
        hand per internal location: one grouped computation per mapping, superuser,
        in the mapping's company."""
        rule = self.shop_id._quantity_rule()
        product_of = {link.id: link.product_id for link in links}
        quantities, stock = {}, {}
        for mapping in mappings:
            mapping_pairs = [p for p in pairs if p.mapping_id == mapping.id]
            if not mapping_pairs:
                continue
            direction = Direction(mapping.direction)
            basis = odoo_basis(direction, rule).value
            by_product = mapping._odoo_quantities(links.product_id, basis)
            for pair in mapping_pairs:
                quantities[pair.key] = by_product[product_of[pair.link_id].id]
            if direction is not Direction.SHOPIFY_TO_ODOO:
                continue
            groups = (
                self.env["stock.quant"]
                .sudo()
                ._read_group(
                    Domain("product_id", "in", links.product_id.ids)
                    & Domain("location_id", "child_of", mapping.location_ids.ids)
                    & Domain("location_id.usage", "=", "internal"),
                    ["product_id", "location_id"],
                    ["quantity:sum"],
                )
            )
            per_product = {}
            for product, location, quantity in groups:
                per_product.setdefault(product.id, []).append(
                    LocationQuantity(
                        OdooLocation(location.id, location.complete_name), quantity
                    )
                )
            for pair in mapping_pairs:
                stock[pair.key] = per_product.get(product_of[pair.link_id].id, [])
        return quantities, stock

    def _shopify_levels(self, pairs, chunk):
        """Shopify's levels of a chunk's pairs: the chunk's part of the bulk snapshot
        (only that part is loaded), or read now."""
        if self.mode == SnapshotMode.BULK.value:
            self.flush_recordset(["snapshot"])
            self.env.cr.execute(
                SQL(
                    "SELECT snapshot -> %s FROM shopify_reconciliation_run"
                    " WHERE id = %s",
                    str(chunk.number),
                    self.id,
                )
            )
            snapshot = self.env.cr.fetchone()[0] or {}
            levels = {}
            for pair in pairs:
                data = snapshot.get(_level_id(pair.key))
                if data is not None:
                    levels[pair.key] = _level_from_json(pair.key, data)
            return levels
        client = self.shop_id._shopify_client()
        return inventory.read_levels(client, [pair.key for pair in pairs])

    def _reconcile_chunk(self, chunk):
        """Compare one chunk and act on it; returns the engine's ``ChunkResult``."""
        self.ensure_one()
        pairs, links, mappings = self._chunk_pairs(chunk)
        quantities, stock = self._odoo_quantities(pairs, links, mappings)
        levels = self._shopify_levels(pairs, chunk)
        result = reconcile_chunk(
            pairs,
            quantities,
            levels,
            self.shop_id._quantity_rule(),
            dry_run=self.dry_run,
            odoo_stock=stock,
            chunk=chunk,
        )
        if not self.dry_run:
            self._mark_for_push(result.to_push, levels)
            failed = self._apply_adjustments(result.adjustments, links)
            self._remember_adjusted(
                [a for a in result.adjustments if a.pair.key not in failed], levels
            )
            if failed:
                result = result.with_failed_adjustments(failed)
        self._record_lines(result.mismatches, links)
        self._record_findings(result.findings)
        return result

    def _levels_of(self, pairs):
        """The levels of these ``(link id, mapping id)`` pairs (a chunk's drifts,
        several per product and per location), created when missing: those pairs
        only, each once."""
        links = (
            self.env["shopify.variant.link"]
            .sudo()
            .browse(sorted({link_id for link_id, _mapping in pairs}))
        )
        mappings = (
            self.env["shopify.location.mapping"]
            .sudo()
            .browse(sorted({mapping_id for _link, mapping_id in pairs}))
        )
        return (
            self.env["shopify.stock.level"]
            .sudo()
            ._ensure_levels(links, mappings, pairs=pairs)
        )

    def _mark_for_push(self, pairs, levels):
        """Odoo-owned mismatches: their levels pending (created when missing), with
        Shopify's level as just read; the shop's push, enqueued when the run ends,
        corrects them in batches."""
        if not pairs:
            return
        Level = self.env["shopify.stock.level"].sudo()
        wanted = {(p.link_id, p.mapping_id): p for p in pairs}
        found = self._levels_of(wanted)
        found._mark_pending()
        for level in found:
            pair = wanted[level.link_id.id, level.mapping_id.id]
            values = dict(Level._level_values(levels.get(pair.key)))
            values.update(error_category=False, error_message=False)
            level.write(values)

    def _remember_adjusted(self, adjustments, levels):
        """Shopify-owned levels that Odoo just followed: each remembers Shopify's level
        as the run read it, and Odoo's on hand as adjusted to it (created when
        missing), so that the next webhook measures from there and never counts the
        run's correction again."""
        if not adjustments:
            return
        Level = self.env["shopify.stock.level"].sudo()
        adjusted = {(a.pair.link_id, a.pair.mapping_id): a for a in adjustments}
        now = fields.Datetime.now()
        for level in self._levels_of(adjusted):
            adjustment = adjusted[level.link_id.id, level.mapping_id.id]
            shopify = levels[adjustment.pair.key]  # adjusted: Shopify stocks it
            values = dict(Level._level_values(shopify))
            values.update(
                odoo_quantity=shopify.on_hand,  # Odoo's on hand, set to Shopify's
                state="synced",
                synced_at=now,
                error_category=False,
                error_message=False,
            )
            level.write(values)

    def _apply_adjustments(self, adjustments, links):
        """Shopify-owned mismatches: Odoo's on hand set by inventory adjustments
        (``stock.quant`` inventory mode: a ``stock.move`` names the run), not
        noted for the push.  Returns ``{level key: why}`` of those not applied."""
        failed = {}
        product_of = {link.id: link.product_id for link in links}
        for adjustment in adjustments:
            product = product_of[adjustment.pair.link_id]
            try:
                with self.env.cr.savepoint():
                    reason = self._apply_adjustment(adjustment, product)
            except (UserError, psycopg2.errors.CheckViolation) as exc:
                reason = str(exc)
            if reason:
                failed[adjustment.pair.key] = reason
        return failed

    def _apply_adjustment(self, adjustment, product):
        company = self.shop_id.company_id
        if product.tracking != "none":
            return self.env._(
                "%s is tracked by lots or serial numbers: a count needs them",
                product.display_name,
            )
        Quant = (
            self.env["stock.quant"]
            .sudo()
            .with_company(company)
            .with_context(
                **{
                    INBOUND_PAIRS_KEY: [
                        (product.id, line.location.id) for line in adjustment.lines
                    ]
                },
                inventory_mode=True,
                inventory_name=self.env._(
                    "Shopify reconciliation %(run)s: %(sku)s follows Shopify at "
                    "%(location)s",
                    run=self.name,
                    sku=adjustment.pair.subject.sku or product.display_name,
                    location=adjustment.pair.subject.shopify_location,
                ),
            )
        )
        to_apply = Quant.browse()
        for line in adjustment.lines:
            location = self.env["stock.location"].browse(line.location.id)
            quants = Quant._gather(product, location, strict=True)
            held = sum(quants.mapped("quantity"))
            if not math.isclose(held, line.before, abs_tol=1e-6):
                return self.env._(
                    "the stock at %(location)s moved during the run (%(held)s, "
                    "not %(before)s)",
                    location=location.complete_name,
                    held=held,
                    before=line.before,
                )
            plain = quants.filtered(
                lambda q: not q.lot_id and not q.package_id and not q.owner_id
            )[:1]
            change = line.after - line.before
            if plain:
                plain.inventory_quantity = plain.quantity + change
                to_apply |= plain
            else:
                to_apply |= Quant.create(
                    {
                        "product_id": product.id,
                        "location_id": location.id,
                        "inventory_quantity": change,
                    }
                )
        if to_apply:
            outcome = to_apply.action_apply_inventory()
            if isinstance(outcome, dict):
                raise UserError(
                    self.env._("Odoo asked for a confirmation of the count")
                )
            # other mappings (another shop) covering these locations still push
            self.env["shopify.stock.change"].sudo()._record_for_other_mappings(
                {(product.id, line.location.id) for line in adjustment.lines},
                self.env["shopify.location.mapping"].browse(adjustment.pair.mapping_id),
            )
        return ""

    def _record_lines(self, mismatches, links):
        if not mismatches:
            return
        product_of = {link.id: link.product_id.id for link in links}
        self.env["shopify.reconciliation.line"].sudo().create(
            [
                {
                    **{
                        name: value
                        for name, value in mismatch.as_row().items()
                        if name != "product"
                    },
                    "product_name": mismatch.pair.subject.product,
                    "run_id": self.id,
                    "product_id": product_of.get(mismatch.pair.link_id),
                    "link_id": mismatch.pair.link_id,
                    "mapping_id": mismatch.pair.mapping_id,
                    "shopify_quantity": mismatch.diff.shopify_quantity,
                    "shopify_stocked": mismatch.diff.shopify_quantity is not None,
                }
                for mismatch in mismatches
            ]
        )

    def _record_findings(self, findings):
        """Each finding once per shop: new ones created, known ones refreshed (and
        reopened), all marked seen by this run."""
        if not findings:
            return
        Findings = self.env["shopify.reconciliation.finding"].sudo()
        known = Findings.search(
            Domain("shop_id", "=", self.shop_id.id)
            & Domain("key", "in", [f.key for f in findings])
        )
        by_key = {f.key: f for f in known}
        delta = findings_delta(
            [f.key for f in known if not f.resolved], findings, covered=()
        )
        now = fields.Datetime.now()
        seen_values = {
            "last_seen": now,
            "last_run_id": self.id,
            "resolved": False,
            "resolved_at": False,
        }
        for finding in delta.seen:
            by_key[finding.key].write({**_finding_values(finding), **seen_values})
        creates = []
        for finding in delta.new:
            if finding.key in by_key:  # resolved before: open again
                by_key[finding.key].write({**_finding_values(finding), **seen_values})
            else:
                creates.append(
                    {
                        **_finding_values(finding),
                        **seen_values,
                        "shop_id": self.shop_id.id,
                        "key": finding.key,
                        "first_seen": now,
                        "first_run_id": self.id,
                    }
                )
        Findings.create(creates)

    # -- buttons -----------------------------------------------------------------------

    def action_cancel(self):
        """Stop a run that is stuck (its jobs are gone): the shop can run again."""
        self.env["shopify.shop"]._check_shopify_group(
            self.env._("cancel reconciliation runs"), records=self
        )
        self.sudo().filtered(lambda r: r.state in ACTIVE_STATES).write(
            {"state": "cancelled", "finished_at": fields.Datetime.now()}
        )
        return True


def _level_id(key):
    return f"{key.inventory_item_id} {key.location_id}"


def _level_to_json(level):
    return [level.available, level.on_hand, level.committed, level.tracked]


def _level_from_json(key, data):
    available, on_hand, committed, tracked = data
    return ShopifyLevel(
        key=key,
        stocked=True,
        available=available,
        on_hand=on_hand,
        committed=committed,
        tracked=tracked,
    )


def _finding_values(finding):
    return {
        "kind": finding.kind.value,
        "message": finding.message,
        "sku": finding.sku,
        "product": finding.product,
        "shopify_location": finding.shopify_location,
        "odoo_location": finding.odoo_location,
        "inventory_item_gid": finding.inventory_item_id,
        "location_gid": finding.location_id,
        "units": finding.units,
        "items": finding.items,
    }


class _ChunkSqlFilter(logging.Filter):
    """Drops ``odoo.sql_db``'s "bad query" records of this thread while a chunk runs
    under :func:`_quiet_sql`: the chunk logs its failure itself, once, in words."""

    local = threading.local()

    def filter(self, record):
        return not (
            getattr(self.local, "quiet", False)
            and str(record.msg).startswith("bad query")
        )


_SQL_FILTER = _ChunkSqlFilter()
logging.getLogger("odoo.sql_db").addFilter(_SQL_FILTER)


@contextlib.contextmanager
def _quiet_sql():
    previous = getattr(_SQL_FILTER.local, "quiet", False)
    _SQL_FILTER.local.quiet = True
    try:
        yield
    finally:
        _SQL_FILTER.local.quiet = previous


def _exception_text(exc):
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:500]


class ShopifyReconciliationLine(models.Model):
    _name = "shopify.reconciliation.line"
    _description = "Shopify Reconciliation Mismatch"
    _order = "run_id desc, sku, id"

    run_id = fields.Many2one(
        "shopify.reconciliation.run", required=True, index=True, ondelete="cascade"
    )
    shop_id = fields.Many2one(related="run_id.shop_id", store=True, index=True)
    company_id = fields.Many2one(related="run_id.company_id", store=True, index=True)
    sku = fields.Char(string="SKU")
    product_id = fields.Many2one("product.product", index=True)
    product_name = fields.Char()
    link_id = fields.Many2one("shopify.variant.link", ondelete="set null")
    mapping_id = fields.Many2one("shopify.location.mapping", ondelete="set null")
    shopify_location = fields.Char()
    odoo_locations = fields.Char()
    direction = fields.Selection(DIRECTIONS)
    odoo_quantity = fields.Float(digits="Product Unit")
    shopify_quantity = fields.Integer()
    shopify_stocked = fields.Boolean(
        string="Shopify Quantity Known",
        help="False when Shopify does not stock the item at the location.",
    )
    shopify_quantity_name = fields.Char(string="Shopify Quantity Compared")
    target = fields.Integer(string="Odoo Stands For")
    action = fields.Selection(ACTIONS, string="Done", index=True)
    note = fields.Text(string="What Was Done")


class ShopifyReconciliationFinding(models.Model):
    _name = "shopify.reconciliation.finding"
    _description = "Shopify Reconciliation Finding"
    _order = "resolved, kind, sku, id"
    _rec_name = "key"

    shop_id = fields.Many2one(
        "shopify.shop", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="shop_id.company_id", store=True, index=True)
    kind = fields.Selection(FINDING_KINDS, required=True, index=True)
    key = fields.Char(required=True, help="Stable across runs: kind and Shopify ids.")
    message = fields.Text()
    sku = fields.Char(string="SKU")
    product = fields.Char()
    shopify_location = fields.Char()
    odoo_location = fields.Char()
    inventory_item_gid = fields.Char(string="Shopify Inventory Item")
    location_gid = fields.Char(string="Shopify Location ID")
    units = fields.Float()
    items = fields.Integer()
    first_seen = fields.Datetime()
    last_seen = fields.Datetime()
    first_run_id = fields.Many2one("shopify.reconciliation.run", ondelete="set null")
    last_run_id = fields.Many2one("shopify.reconciliation.run", ondelete="set null")
    resolved = fields.Boolean(index=True)
    resolved_at = fields.Datetime()

    _shop_key_uniq = models.Constraint(
        "UNIQUE(shop_id, key)", "A finding is listed once per shop."
    )

    def _to_engine_finding(self):
        self.ensure_one()
        return Finding(
            FindingKind(self.kind),
            self.key,
            self.message or "",
            sku=self.sku or "",
            product=self.product or "",
            shopify_location=self.shopify_location or "",
            odoo_location=self.odoo_location or "",
            inventory_item_id=self.inventory_item_gid or "",
            location_id=self.location_gid or "",
            units=self.units,
            items=self.items,
        )
