# Copyright 2026 shopify_stock_sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Stock changes waiting for their shop's push job: the outbox of the warehouse.

A transaction that changes stock (a picking, an inventory adjustment, a reservation)
only *inserts* rows here, once, just before it commits: one per (link, mapping) pair
it touched.  The shop's push job folds them into its levels (pending, first
``dirty_since`` kept) and deletes them.

Why not mark the levels pending right there: Odoo runs transactions in REPEATABLE
READ.  A warehouse transaction that updates a level the push job marked synced after
the warehouse transaction began fails with a serialization error — the picking's
validation with it — and a push job that holds a level's row lock would make the
warehouse wait on Shopify.  Inserts never conflict, so the warehouse never waits on a
push and never fails because of one; a change committed while a job runs is a row that
job cannot see, left for the next job.
"""

import logging

from odoo import SUPERUSER_ID, api, fields, models
from odoo.tools import SQL

from ..engine.data import Direction

_logger = logging.getLogger(__name__)

# precommit data: (product id, location id) pairs of this transaction's quant changes
PAIRS_KEY = "shopify_stock_sync.changed_quants"
# postcommit data: ids of the change rows this transaction recorded
RECORDED_KEY = "shopify_stock_sync.recorded_changes"


class ShopifyStockChange(models.Model):
    _name = "shopify.stock.change"
    _description = "Shopify Stock Change"
    _log_access = False
    _order = "id"

    shop_id = fields.Many2one(
        "shopify.shop", required=True, index=True, ondelete="cascade"
    )
    link_id = fields.Many2one(
        "shopify.variant.link",
        ondelete="cascade",
        help="Empty, with the mapping: every level of the shop.",
    )
    mapping_id = fields.Many2one("shopify.location.mapping", ondelete="cascade")
    changed_at = fields.Datetime(required=True)

    # -- from stock.quant -----------------------------------------------------------

    @api.model
    def _collect_quant_changes(self, pairs):
        """Note (product id, location id) pairs whose quantities changed.

        Pure Python, no query: the pairs wait in the transaction's precommit data,
        and the first call registers the one callback that records them all.
        """
        cr = self.env.cr
        data = cr.precommit.data
        if PAIRS_KEY not in data:
            data[PAIRS_KEY] = set()
            env = api.Environment(cr, SUPERUSER_ID, {})
            cr.precommit.add(env["shopify.stock.change"]._record_quant_changes)
        data[PAIRS_KEY].update(pairs)

    def _record_quant_changes(self):
        """Precommit: record the transaction's quant changes, enqueue their jobs.

        Never raises into the warehouse transaction: on any failure the savepoint
        undoes what was begun, the error is logged and every level of every shop is
        marked for a full push instead (nothing is lost, it just costs more).
        """
        pairs = self.env.cr.precommit.data.pop(PAIRS_KEY, None)
        if pairs:
            self._record_safely(
                lambda: self._resolve_quant_changes(pairs),
                f"{len(pairs)} changed quants",
            )

    # -- resolving ------------------------------------------------------------------

    @api.model
    def _resolve_quant_changes(self, pairs):
        """``(shop id, link id, mapping id)`` rows of changed (product, location)
        pairs: linked products, at internal locations inside (or equal to) an Odoo
        location of a mapping that writes to Shopify, in active shops, within each
        shop's sync scope.  One query, and one more per shop with a sync scope;
        superuser and raw SQL, so the acting user's companies do not matter."""
        products, locations = zip(*sorted(pairs), strict=True)
        self.env.cr.execute(
            SQL(
                """
                SELECT DISTINCT mapping.shop_id, link.id, mapping.id, link.product_id
                  FROM unnest(%(products)s::int[], %(locations)s::int[])
                       AS changed(product_id, location_id)
                  JOIN stock_location loc
                    ON loc.id = changed.location_id AND loc.usage = 'internal'
                  JOIN shopify_variant_link link
                    ON link.product_id = changed.product_id AND link.state = 'linked'
                  JOIN shopify_shop shop ON shop.id = link.shop_id AND shop.active
                  JOIN shopify_location_mapping mapping
                    ON mapping.shop_id = shop.id
                   AND mapping.direction IN %(writing)s
                  JOIN shopify_location_mapping_stock_location_rel rel
                    ON rel.mapping_id = mapping.id
                  JOIN stock_location mapped ON mapped.id = rel.location_id
                 WHERE loc.parent_path LIKE mapped.parent_path || '%%'
                """,
                products=list(products),
                locations=list(locations),
                writing=Direction.writing_values(),
            )
        )
        return self._in_sync_scope(self.env.cr.fetchall())

    @api.model
    def _resolve_products(self, product_ids):
        """Rows of every mapping that writes to Shopify, for these products' links."""
        self.env.cr.execute(
            SQL(
                """
                SELECT DISTINCT mapping.shop_id, link.id, mapping.id, link.product_id
                  FROM shopify_variant_link link
                  JOIN shopify_shop shop ON shop.id = link.shop_id AND shop.active
                  JOIN shopify_location_mapping mapping
                    ON mapping.shop_id = shop.id
                   AND mapping.direction IN %(writing)s
                 WHERE link.product_id = ANY(%(products)s)
                   AND link.state = 'linked'
                   AND EXISTS (
                       SELECT 1 FROM shopify_location_mapping_stock_location_rel rel
                        WHERE rel.mapping_id = mapping.id
                   )
                """,
                products=list(product_ids),
                writing=Direction.writing_values(),
            )
        )
        return self._in_sync_scope(self.env.cr.fetchall())

    @api.model
    def _in_sync_scope(self, rows):
        """Keep the rows whose product is in its shop's sync scope."""
        by_shop = {}
        for row in rows:
            by_shop.setdefault(row[0], []).append(row)
        kept = []
        shops = self.env["shopify.shop"].sudo().browse(sorted(by_shop))
        for shop in shops:
            shop_rows = by_shop[shop.id]
            in_scope = shop._products_in_scope({row[3] for row in shop_rows})
            kept.extend(row[:3] for row in shop_rows if row[3] in in_scope)
        return kept

    # -- recording ------------------------------------------------------------------

    @api.model
    def _record_for_other_mappings(self, pairs, mapping):
        """Changes of (product, location) ``pairs`` that ``mapping`` itself made
        (an adjustment following Shopify, which the quant hook skipped): recorded
        for every other mapping they concern (another shop covering the same Odoo
        locations still pushes them)."""
        rows = [
            row for row in self._resolve_quant_changes(pairs) if row[2] != mapping.id
        ]
        return self._record(rows)

    def _record(self, rows):
        """Insert one change per ``(shop, link, mapping)`` row and enqueue one push
        job per shop concerned; returns the shops.  One insert, whatever the number
        of rows, plus the enqueueing (a few queries per shop)."""
        if not rows:
            return self.env["shopify.shop"]
        shop_ids, link_ids, mapping_ids = zip(*rows, strict=True)
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO shopify_stock_change
                       (shop_id, link_id, mapping_id, changed_at)
                SELECT shop_id, link_id, mapping_id,
                       date_trunc('second', clock_timestamp() AT TIME ZONE 'UTC')
                  FROM unnest(%s::int[], %s::int[], %s::int[])
                       AS row(shop_id, link_id, mapping_id)
                RETURNING id
                """,
                list(shop_ids),
                list(link_ids),
                list(mapping_ids),
            )
        )
        self._check_after_commit([change_id for (change_id,) in self.env.cr.fetchall()])
        shops = self.env["shopify.shop"].sudo().browse(sorted(set(shop_ids)))
        shops._enqueue_push()
        return shops

    @api.model
    def _record_everything(self):
        """Mark every level of every active shop for a push (the fallback when the
        changes of a transaction could not be resolved)."""
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO shopify_stock_change (shop_id, changed_at)
                SELECT id, date_trunc('second', clock_timestamp() AT TIME ZONE 'UTC')
                  FROM shopify_shop WHERE active
                RETURNING id, shop_id
                """
            )
        )
        rows = self.env.cr.fetchall()
        self._check_after_commit([change_id for change_id, _shop in rows])
        shops = self.env["shopify.shop"].sudo().browse(sorted({s for _c, s in rows}))
        shops._enqueue_push()
        return shops

    @api.model
    def _record_safely(self, resolve, what):
        """``_record(resolve())`` in a savepoint; on failure log, then fall back to
        a full push of every shop.  Never raises."""
        env = self.env
        env.flush_all()  # only our own work is pending inside the savepoint
        try:
            with env.cr.savepoint(flush=False):
                shops = self._record(resolve())
                env.flush_all()
            return shops
        except Exception:
            env.clear()
            _logger.exception(
                "Shopify stock sync could not record %s; every level of every "
                "active shop is marked for a push instead",
                what,
            )
        try:
            with env.cr.savepoint(flush=False):
                shops = self._record_everything()
                env.flush_all()
            return shops
        except Exception:
            env.clear()
            _logger.exception(
                "Shopify stock sync could not mark the shops for a push either: the "
                "next reconciliation corrects Shopify"
            )
        return env["shopify.shop"]

    # -- after the commit -------------------------------------------------------------

    @api.model
    def _check_after_commit(self, change_ids):
        """Make sure, once this transaction is committed, that a job will see its
        changes.

        The job enqueued before the commit may be one this transaction saw pending
        (its snapshot is older) that has started since: it cannot see changes
        committed after it began.  After the commit, a fresh transaction enqueues a
        job for every shop whose changes are still there, unless one is waiting
        (queue_job's identity key, now read fresh).
        """
        if not change_ids:
            return
        cr = self.env.cr
        data = cr.postcommit.data
        if RECORDED_KEY not in data:
            data[RECORDED_KEY] = []
            registry, data_ref = self.env.registry, data

            def after_commit():
                recorded = data_ref.pop(RECORDED_KEY, None)
                try:
                    with registry.cursor() as new_cr:
                        env = api.Environment(new_cr, SUPERUSER_ID, {})
                        env["shopify.stock.change"]._ensure_push_jobs(recorded)
                except Exception:
                    _logger.exception(
                        "Shopify stock sync could not check the push jobs after a "
                        "commit: the next stock change or reconciliation pushes"
                    )

            cr.postcommit.add(after_commit)
        data[RECORDED_KEY].extend(change_ids)

    @api.model
    def _ensure_push_jobs(self, change_ids):
        """Enqueue a push for every shop with one of these changes still waiting."""
        if not change_ids:
            return self.env["shopify.shop"]
        self.env.cr.execute(
            SQL(
                "SELECT DISTINCT shop_id FROM shopify_stock_change WHERE id = ANY(%s)",
                list(change_ids),
            )
        )
        shop_ids = [row[0] for row in self.env.cr.fetchall()]
        shops = self.env["shopify.shop"].sudo().browse(shop_ids)
        shops._enqueue_push()
        return shops

    # -- Push stock to Shopify now ---------------------------------------------------

    @api.model
    def _push_now(self, rows):
        """What the *Push stock to Shopify now* actions do: record the rows, mark
        their levels pending at once, enqueue the shops' jobs; a notification.
        The actions check the operator group first (``_check_shopify_group``)."""
        shops = self.sudo()._record(rows)
        for shop in shops:
            shop._fold_stock_changes()
        if not rows:
            message = self.env._(
                "Nothing to push: none of the selected products is linked to a "
                "Shopify variant at a location mapped from Odoo to Shopify."
            )
            kind = "warning"
        else:
            message = self.env._(
                "%(count)s stock levels of %(shops)s are queued for Shopify; "
                "Shopify Sync / Status / Stock Levels shows when they are synced.",
                count=len(rows),
                shops=", ".join(shops.mapped("name")),
            )
            kind = "success"
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Push stock to Shopify"),
                "message": message,
                "type": kind,
                "sticky": False,
            },
        }
