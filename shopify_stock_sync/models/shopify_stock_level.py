# Copyright 2026 shopify_stock_sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A level: the state of one (link, mapping) pair — outbox, status board, metrics.

Levels exist only for pairs that are both linked and mapped; they are created lazily
by :meth:`ShopifyStockLevel._ensure_levels`.  This model translates a level to the
engine's ``LevelChange`` and a ``PushOutcome`` back; the engine decides.
"""

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.fields import Domain
from odoo.tools import SQL

from ..engine import echo
from ..engine.data import (
    Direction,
    ErrorCategory,
    LevelChange,
    LevelKey,
    OutcomeStatus,
    ShopifyLevel,
    Subject,
)
from .constants import OPERATOR

LEVEL_STATES = [
    ("pending", "Pending"),
    ("synced", "Synced"),
    ("error", "Error"),
    ("ignored", "Ignored"),
]
ERROR_CATEGORIES = [
    (ErrorCategory.TRANSIENT.value, "Temporary (retried)"),
    (ErrorCategory.AUTH.value, "Credentials or scopes"),
    (ErrorCategory.REQUEST.value, "Request refused"),
    (ErrorCategory.DATA.value, "Product data"),
    (ErrorCategory.CONFIG.value, "Configuration"),
]


class ShopifyStockLevel(models.Model):
    _name = "shopify.stock.level"
    _description = "Shopify Stock Level"
    _order = "dirty_since, id"

    link_id = fields.Many2one(
        "shopify.variant.link", required=True, index=True, ondelete="cascade"
    )
    mapping_id = fields.Many2one(
        "shopify.location.mapping",
        string="Location Mapping",
        required=True,
        index=True,
        ondelete="cascade",
    )
    shop_id = fields.Many2one(
        related="link_id.shop_id", store=True, index=True, string="Shop"
    )
    company_id = fields.Many2one(related="shop_id.company_id", store=True, index=True)
    product_id = fields.Many2one(
        related="link_id.product_id", store=True, index=True, string="Product"
    )
    shopify_sku = fields.Char(related="link_id.shopify_sku", string="SKU in Shopify")
    shopify_location_name = fields.Char(
        related="mapping_id.shopify_location_name", string="Shopify Location"
    )
    odoo_quantity = fields.Float(
        string="Last Odoo Quantity",
        digits="Product Unit",
        readonly=True,
        help="Odoo-owned and two-way locations: the Odoo quantity of the shop's "
        "basis at the last push. Shopify-owned locations: Odoo's on hand over the "
        "mapping after the last adjustment or reading from Shopify.",
    )
    shopify_known = fields.Boolean(
        string="Shopify Level Known",
        readonly=True,
        help="Whether Shopify's level below has been read or written at least once.",
    )
    shopify_stocked = fields.Boolean(
        string="Stocked in Shopify",
        readonly=True,
        help="Whether the item has an inventory level at the Shopify location.",
    )
    shopify_available = fields.Integer(readonly=True)
    shopify_on_hand = fields.Integer(readonly=True)
    shopify_committed = fields.Integer(readonly=True)
    shopify_updated_at = fields.Char(
        readonly=True,
        help="Shopify's own timestamp of the level, as Shopify gave it.",
    )
    last_pushed_quantity = fields.Integer(readonly=True)
    last_pushed_at = fields.Datetime(readonly=True)
    last_idempotency_key = fields.Char(readonly=True)
    shopify_recent_pushes = fields.Text(
        readonly=True,
        help="Our recent writes to this level (JSON), so that Shopify's webhooks "
        "about them are known as echoes.",
    )
    state = fields.Selection(
        LEVEL_STATES, required=True, default="pending", index=True, readonly=True
    )
    error_category = fields.Selection(ERROR_CATEGORIES, readonly=True, index=True)
    error_message = fields.Text(readonly=True)
    dirty_since = fields.Datetime(
        readonly=True,
        help="When Odoo's quantity first changed since the last sync.",
    )
    synced_at = fields.Datetime(readonly=True)

    _link_mapping_uniq = models.Constraint(
        "UNIQUE(link_id, mapping_id)",
        "There is already a level for this product at this Shopify location.",
    )

    def _compute_display_name(self):
        for level in self:
            level.display_name = (
                f"{level.product_id.display_name} @ {level.shopify_location_name}"
            )

    @api.constrains("link_id", "mapping_id")
    def _check_same_shop(self):
        for level in self:
            if level.link_id.shop_id != level.mapping_id.shop_id:
                raise ValidationError(
                    self.env._(
                        "The level of %(product)s joins a link of shop %(link_shop)s "
                        "to a location mapping of shop %(mapping_shop)s: both must "
                        "belong to the same shop.",
                        product=level.link_id.product_id.display_name,
                        link_shop=level.link_id.shop_id.name,
                        mapping_shop=level.mapping_id.shop_id.name,
                    )
                )

    # -- lazy creation --------------------------------------------------------------

    @api.model
    def _ensure_levels(self, links, mappings, pairs=None):
        """The levels of every (link, mapping) pair of the same shop, created if
        missing; only linked links and mappings that are on and have Odoo locations
        count, and only the ``pairs`` given as ``(link id, mapping id)``, if given.
        One search and at most one create, whatever the number of pairs; ``links``
        and ``mappings`` may name a record several times (a pair is created once,
        never twice)."""
        links = _distinct(links).filtered(lambda link: link.state == "linked")
        mappings = _distinct(mappings).filtered(
            lambda m: Direction(m.direction).is_on and m.location_ids
        )
        if not links or not mappings:
            return self.browse()
        existing = self.search(
            Domain("link_id", "in", links.ids)
            & Domain("mapping_id", "in", mappings.ids)
        )
        if pairs is not None:
            pairs = set(pairs)
            existing = existing.filtered(
                lambda level: (level.link_id.id, level.mapping_id.id) in pairs
            )
        have = {(level.link_id.id, level.mapping_id.id) for level in existing}
        links_by_shop = links.grouped("shop_id")
        to_create = []
        for mapping in mappings:
            for link in links_by_shop.get(mapping.shop_id, ()):
                pair = (link.id, mapping.id)
                if pair in have or (pairs is not None and pair not in pairs):
                    continue
                have.add(pair)
                to_create.append({"link_id": link.id, "mapping_id": mapping.id})
        created = self.create(to_create)
        created._mark_pending()
        return existing | created

    # -- engine translations --------------------------------------------------------

    def _engine_key(self):
        self.ensure_one()
        return LevelKey(
            inventory_item_id=self.link_id.inventory_item_gid,
            location_id=self.mapping_id.shopify_location_gid,
        )

    def _engine_subject(self):
        self.ensure_one()
        product = self.link_id.product_id
        return Subject(
            sku=self.link_id.shopify_sku or product.default_code or "",
            product=product.display_name or "",
            shopify_location=self.mapping_id.shopify_location_name or "",
            odoo_location=", ".join(
                self.mapping_id.location_ids.mapped("complete_name")
            ),
        )

    def _engine_known(self):
        """Shopify's level as last seen, or None if it was never seen."""
        self.ensure_one()
        if not self.shopify_known:
            return None
        stocked = self.shopify_stocked
        return ShopifyLevel(
            key=self._engine_key(),
            stocked=stocked,
            available=self.shopify_available if stocked else None,
            on_hand=self.shopify_on_hand if stocked else None,
            committed=self.shopify_committed if stocked else None,
            tracked=self.link_id.tracked,
            updated_at=self.shopify_updated_at or None,
        )

    def _to_engine_change(self, odoo_quantity=None):
        """This level as the engine's ``LevelChange`` (``ref`` is the level's id).

        ``odoo_quantity``: the Odoo quantity to push (computed by the caller); the
        last one recorded on the level when not given.
        """
        self.ensure_one()
        if odoo_quantity is None:
            odoo_quantity = self.odoo_quantity
        return LevelChange(
            key=self._engine_key(),
            odoo_quantity=odoo_quantity,
            ref=self.id,
            subject=self._engine_subject(),
            known=self._engine_known(),
            direction=Direction(self.mapping_id.direction),
        )

    def _to_engine_changes(self, quantities=None):
        """``_to_engine_change`` of each level, in order; ``quantities`` maps level
        ids to Odoo quantities."""
        quantities = quantities or {}
        return [level._to_engine_change(quantities.get(level.id)) for level in self]

    @api.model
    def _level_values(self, level):
        """Field values of a ``ShopifyLevel``."""
        if level is None:
            return {}
        return {
            "shopify_known": True,
            "shopify_stocked": level.stocked,
            "shopify_available": level.available or 0,
            "shopify_on_hand": level.on_hand or 0,
            "shopify_committed": level.committed or 0,
            "shopify_updated_at": level.updated_at or False,
        }

    @api.model
    def _apply_outcome(self, outcome, name="available"):
        """Record an engine ``PushOutcome`` on this level (``name``: the quantity
        the push sets); a write is remembered among the level's recent pushes."""
        self.ensure_one()
        now = fields.Datetime.now()
        values = {"odoo_quantity": outcome.change.odoo_quantity}
        if outcome.status == OutcomeStatus.SYNCED:
            values.update(self._level_values(outcome.after))
            values.update(
                state="synced",
                synced_at=now,
                error_category=False,
                error_message=outcome.message or False,  # a note, if any
            )
            if outcome.written:
                values.update(
                    last_pushed_quantity=outcome.target,
                    last_pushed_at=now,
                    last_idempotency_key=outcome.idempotency_key or False,
                )
                recorded = echo.record_push(outcome, now, name)
                if recorded is not None:
                    pushes = echo.remember(
                        echo.pushes_from_json(self.shopify_recent_pushes), recorded[1]
                    )
                    values["shopify_recent_pushes"] = echo.pushes_to_json(pushes)
        else:
            values.update(self._level_values(outcome.before))
            values.update(
                # RETRY: not done yet, a later push may succeed
                state="error" if outcome.status == OutcomeStatus.ERROR else "pending",
                error_category=outcome.category.value if outcome.category else False,
                error_message=outcome.message or False,
            )
        self.write(values)

    # -- waiting for a push ---------------------------------------------------------

    def _mark_pending(self, since=None, failed_keeps_since=False):
        """Mark these levels pending, each keeping the first ``dirty_since`` of what
        it already waits for: a pending level keeps the earlier of its own and
        ``since``; any other starts waiting at ``since`` (time to correction counts
        from there).  ``since``: one time for all (now by default), or a dict by
        level id.  ``failed_keeps_since``: a level in error keeps its time too (its
        change still waits: the re-queue).  Nothing else is written; one UPDATE."""
        if not self:
            return
        if isinstance(since, dict):
            times = [since[level_id] for level_id in self.ids]
        else:
            times = [since or fields.Datetime.now()] * len(self.ids)
        waiting = ["pending", "error"] if failed_keeps_since else ["pending"]
        self.flush_recordset()
        self.env.cr.execute(
            SQL(
                """
                UPDATE shopify_stock_level level
                   SET state = 'pending',
                       dirty_since = CASE
                           WHEN level.state = ANY(%s)
                            AND level.dirty_since IS NOT NULL
                           THEN LEAST(level.dirty_since, changed.since)
                           ELSE changed.since END,
                       write_uid = %s,
                       write_date = now() AT TIME ZONE 'UTC'
                  FROM unnest(%s::int[], %s::timestamp[]) AS changed(id, since)
                 WHERE level.id = changed.id
                """,
                waiting,
                self.env.uid,
                list(self.ids),
                times,
            )
        )
        self.invalidate_recordset(["state", "dirty_since", "write_uid", "write_date"])

    # -- actions --------------------------------------------------------------------

    def action_requeue(self):
        """Mark the selected levels pending again, clear their error and enqueue
        their shops' push.

        A failed or pending level keeps the time its change started waiting; a synced
        or ignored one starts waiting now (time to correction counts from there).
        """
        self.env["shopify.shop"]._check_shopify_group(
            self.env._("re-queue stock levels"), OPERATOR, self
        )
        # operators only read levels: the record rules are checked on read, then
        # these few fields are written as superuser
        levels = self.sudo()
        levels._mark_pending(failed_keeps_since=True)
        levels.write({"error_category": False, "error_message": False})
        levels.shop_id._enqueue_push()
        return True


def _distinct(records):
    """``records`` with each record once, in their first order."""
    return records.browse(tuple(dict.fromkeys(records._ids)))
