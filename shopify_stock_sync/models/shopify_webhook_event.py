# Copyright 2026 shopify_stock_sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A webhook delivery from Shopify: kept for audit, decided and applied by a job.

The controller (:mod:`..controllers.main`) verifies the signature and inserts the
event once per ``X-Shopify-Webhook-Id`` (insert-or-ignore: a replay changes nothing),
then enqueues :meth:`ShopifyWebhookEvent._process_event`.  The job reads the level
afresh in Shopify and hands everything to ``engine.inbound``; this model only
translates the records to the engine's data and applies its decision:

* placements become inventory adjustments through ``stock.quant`` inventory mode (a
  ``stock.move`` records each), with a context key telling the quant hook not to turn
  them back into a push of the same mapping;
* ``known`` becomes the level's last known Shopify state; ``mark_for_push`` marks the
  level pending and enqueues the shop's push;
* the kind, the message and the review flag are stored on the event.
"""

import json
import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain
from odoo.tools import SQL

from odoo.addons.queue_job.exception import RetryableJobError

from ..engine import inbound, readings, webhook
from ..engine.data import Direction
from ..engine.echo import pushes_from_json
from ..engine.placement import OdooStock
from ..engine.shopify.errors import AuthError, ShopifyError, TransientError
from .constants import INBOUND_PAIRS_KEY, LEVEL_LOCK_SPACE, OPERATOR

_logger = logging.getLogger(__name__)

PROCESS_METHOD = "_process_event"
RETENTION_PARAM = "shopify_stock_sync.webhook_retention_days"
DEFAULT_RETENTION_DAYS = 30
# the headers kept with an event (the signature is not: it proves nothing later)
KEPT_HEADERS = (
    webhook.TOPIC_HEADER,
    webhook.WEBHOOK_ID_HEADER,
    webhook.SHOP_HEADER,
    webhook.TRIGGERED_AT_HEADER,
    webhook.API_VERSION_HEADER,
    webhook.EVENT_ID_HEADER,
)
NOT_HANDLED = "not_handled"
HELD = "held"  # Shopify refused the credentials: processed again after reconnecting
LOCATIONS = "locations"
KINDS = [
    (inbound.InboundKind.CORRECTION.value, "Stock correction"),
    (inbound.InboundKind.CONFLICT.value, "Conflict"),
    (inbound.InboundKind.WRONG_DIRECTION.value, "Against Odoo-owned stock"),
    (inbound.InboundKind.ECHO.value, "Our own push"),
    (inbound.InboundKind.ORDER_DRIVEN.value, "Orders"),
    (inbound.InboundKind.NO_STOCK_CHANGE.value, "No stock change"),
    (inbound.InboundKind.STALE.value, "Old or repeated"),
    (inbound.InboundKind.BASELINE.value, "First reading"),
    (inbound.InboundKind.DISCONNECTED.value, "No longer stocked"),
    (inbound.InboundKind.UNKNOWN_PAIR.value, "Not synced pair"),
    (LOCATIONS, "Locations changed"),
    (NOT_HANDLED, "Not handled"),
    (HELD, "Held: credentials refused"),
]


class ShopifyWebhookEvent(models.Model):
    _name = "shopify.webhook.event"
    _description = "Shopify Webhook Event"
    _order = "received_at desc, id desc"
    _rec_name = "webhook_id"

    shop_id = fields.Many2one(
        "shopify.shop", required=True, index=True, ondelete="cascade", readonly=True
    )
    company_id = fields.Many2one(related="shop_id.company_id", store=True, index=True)
    webhook_id = fields.Char(
        string="Webhook ID",
        required=True,
        readonly=True,
        help="X-Shopify-Webhook-Id: the same for every retry of one delivery.",
    )
    event_id = fields.Char(string="Event ID", readonly=True)
    topic = fields.Char(required=True, readonly=True, index=True)
    triggered_at = fields.Char(readonly=True, help="X-Shopify-Triggered-At.")
    received_at = fields.Datetime(required=True, readonly=True, index=True)
    headers = fields.Text(readonly=True, help="The delivery's Shopify headers.")
    payload = fields.Text(readonly=True, help="The body, as received.")
    inventory_item_gid = fields.Char(string="Inventory Item", readonly=True)
    shopify_location_gid = fields.Char(string="Shopify Location", readonly=True)
    level_id = fields.Many2one(
        "shopify.stock.level", readonly=True, index=True, ondelete="set null"
    )
    product_id = fields.Many2one(related="level_id.product_id", string="Product")
    mapping_id = fields.Many2one(
        "shopify.location.mapping", readonly=True, ondelete="set null"
    )
    state = fields.Selection(
        [("received", "Received"), ("done", "Done"), ("error", "Error")],
        required=True,
        default="received",
        readonly=True,
        index=True,
    )
    kind = fields.Selection(KINDS, readonly=True, index=True)
    message = fields.Text(string="Outcome", readonly=True)
    adjustment = fields.Float(
        digits="Product Unit",
        readonly=True,
        help="Units added to Odoo's stock (negative: removed) for this event.",
    )
    review = fields.Boolean(
        string="To Review",
        readonly=True,
        index=True,
        help="A conflict or a change the rules could not fully explain.",
    )
    processed_at = fields.Datetime(readonly=True)

    _shop_webhook_uniq = models.Constraint(
        "UNIQUE(shop_id, webhook_id)",
        "This webhook delivery was already received.",
    )

    # -- intake (the controller) ---------------------------------------------------

    @api.model
    def _receive(self, shop, headers, raw_body):
        """Store a verified delivery once and enqueue its job; returns the new
        event, or an empty recordset for a replay (same webhook id).

        Insert-or-ignore in one statement: two copies of a delivery arriving at
        once insert one row, the other waits for it and inserts nothing.
        """
        webhook_id = (webhook.header(headers, webhook.WEBHOOK_ID_HEADER) or "").strip()
        topic = (webhook.header(headers, webhook.TOPIC_HEADER) or "").strip().lower()
        kept = {
            name: value
            for name in KEPT_HEADERS
            if (value := webhook.header(headers, name)) is not None
        }
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO shopify_webhook_event
                       (shop_id, company_id, webhook_id, event_id, topic, triggered_at,
                        received_at, headers, payload, state, review,
                        create_uid, create_date, write_uid, write_date)
                VALUES (%(shop)s, %(company)s, %(webhook_id)s, %(event_id)s,
                        %(topic)s, %(triggered)s, %(now)s, %(headers)s, %(payload)s,
                        'received', false, %(uid)s, %(now)s, %(uid)s, %(now)s)
                ON CONFLICT (shop_id, webhook_id) DO NOTHING
                RETURNING id
                """,
                shop=shop.id,
                company=shop.company_id.id,
                webhook_id=webhook_id,
                event_id=kept.get(webhook.EVENT_ID_HEADER),
                topic=topic or "?",
                triggered=kept.get(webhook.TRIGGERED_AT_HEADER),
                now=fields.Datetime.now(),
                headers=json.dumps(kept),
                payload=raw_body.decode("utf-8", "replace"),
                uid=self.env.uid,
            )
        )
        row = self.env.cr.fetchone()
        if not row:
            return self.browse()
        event = self.browse(row[0])
        event._enqueue()
        return event

    def _enqueue(self):
        for event in self:
            shop = event.shop_id
            event.with_company(shop.company_id).with_delay(
                description=self.env._(
                    "Shopify webhook %(topic)s for %(shop)s",
                    topic=event.topic,
                    shop=shop.name,
                ),
            )._process_event()

    # -- the job -------------------------------------------------------------------

    def _process_event(self):
        """Decide and apply a Shopify webhook"""
        self.ensure_one()
        event = self.sudo()
        if event.state != "received":
            return self.env._("Already processed.")
        shop = event.shop_id
        shop._lock_or_retry(  # the shop's level lock: never beside its push
            LEVEL_LOCK_SPACE,
            shop.id,
            self.env._(
                "Another job of shop %s is running; this one starts after it.",
                shop.name,
            ),
            seconds=5,
        )
        headers = json.loads(event.headers or "{}")
        if webhook.is_location_change(headers):
            return event._refresh_locations()
        try:
            parsed = webhook.inventory_level_event(
                headers, (event.payload or "").encode("utf-8")
            )
        except webhook.WebhookError as exc:
            event._finish(NOT_HANDLED, str(exc))
            return event.message
        event.write(
            {
                "inventory_item_gid": parsed.key.inventory_item_id,
                "shopify_location_gid": parsed.key.location_id,
            }
        )
        level, engine_level = event._inbound_level(parsed)
        decision = inbound.triage(parsed, engine_level)
        if decision is None:
            try:
                fresh = readings.read_reading(shop._shopify_client(), parsed.key)
            except TransientError as exc:
                raise RetryableJobError(str(exc), seconds=exc.retry_after) from None
            except AuthError as exc:
                return event._held(exc)
            except (ShopifyError, UserError) as exc:
                return event._error(
                    self.env._("Could not read the level in Shopify: %s", exc)
                )
            decision = inbound.decide(parsed, engine_level, fresh)
        event._apply(decision, level)
        return event.message

    def _refresh_locations(self):
        """A location was created, changed, (de)activated or deleted in Shopify: the
        shop's locations are read and imported again, as *Import Locations* does (a
        new location comes in off; a mapping that writes where Shopify no longer
        takes quantities stops writing, and says so)."""
        self.ensure_one()
        try:
            summary = self.shop_id._import_locations()
        except TransientError as exc:
            raise RetryableJobError(str(exc), seconds=exc.retry_after) from None
        except AuthError as exc:
            return self._held(exc)
        except (ShopifyError, UserError) as exc:
            return self._error(
                self.env._("Could not read the shop's locations in Shopify: %s", exc)
            )
        self._finish(
            LOCATIONS,
            self.env._("Shopify's locations changed: imported again. %s", summary),
        )
        return self.message

    def _held(self, exc):
        """Shopify refused the shop's credentials or a scope while this event was
        read: the shop goes to *Needs Reconnecting* as for a refused push (one
        activity, one log line), and the event waits in error; the connection test
        that passes processes it again (``shopify.shop._resume_pushes``)."""
        self.ensure_one()
        self.shop_id._hold_push(exc.message)
        message = self._error(
            self.env._(
                "Held: Shopify refused the shop's credentials (%s). It is processed "
                "again once the shop's connection test passes.",
                exc.message,
            )
        )
        self.kind = HELD
        return message

    def _error(self, message):
        self.write(
            {
                "state": "error",
                "message": message,
                "processed_at": fields.Datetime.now(),
            }
        )
        return message

    def _inbound_level(self, parsed):
        """(the level record or empty, the engine's ``InboundLevel``)."""
        self.ensure_one()
        shop = self.shop_id
        mapping = (
            self.env["shopify.location.mapping"]
            .sudo()
            .search(
                Domain("shop_id", "=", shop.id)
                & Domain("shopify_location_gid", "=", parsed.key.location_id),
                limit=1,
            )
        )
        link = (
            self.env["shopify.variant.link"]
            .sudo()
            .search(
                Domain("shop_id", "=", shop.id)
                & Domain("inventory_item_gid", "=", parsed.key.inventory_item_id),
                limit=1,
            )
        )
        self.mapping_id = mapping
        Level = self.env["shopify.stock.level"].sudo()
        level = Level
        if mapping and link:
            level = Level._ensure_levels(link, mapping)
        values = {
            "key": parsed.key,
            "direction": Direction(mapping.direction) if mapping else None,
            "linked": bool(link) and link.state == "linked",
        }
        if not level:
            return level, inbound.InboundLevel(**values)
        self.level_id = level
        product = link.product_id.sudo().with_company(mapping.company_id)
        values.update(
            subject=level._engine_subject(),
            conflict_rule=inbound.ConflictRule(mapping.conflict_rule or "odoo_wins"),
            known=level._engine_known(),
            recent_pushes=pushes_from_json(level.shopify_recent_pushes),
            odoo_quantity=mapping._odoo_quantities(product, shop.quantity_basis)[
                product.id
            ],
            odoo_quantity_at_sync=level.odoo_quantity if level.synced_at else None,
            odoo_stock=tuple(
                OdooStock(str(location.id), quantity, location.complete_name)
                for location, quantity in mapping._odoo_stock(product)
            ),
        )
        return level, inbound.InboundLevel(**values)

    def _apply(self, decision, level):
        """Carry out an engine decision on Odoo's records; note it on the event."""
        self.ensure_one()
        if level:
            values = level._level_values(decision.known)
            if decision.placements:
                self._adjust_stock(level, decision.placements)
            shopify_owned = (
                level.mapping_id.direction == Direction.SHOPIFY_TO_ODOO.value
            )
            if decision.adjustment and decision.placements and not shopify_owned:
                # two-way: what Odoo had at the last sync, moved by Shopify's
                # correction (Odoo's own moves since stay to be pushed)
                values["odoo_quantity"] = level.odoo_quantity + decision.adjustment
            if decision.known is not None and shopify_owned:
                # nothing to push there: the level is in step once Shopify is known,
                # and Odoo's on hand over the mapping now follows Shopify's
                values.update(
                    state="synced",
                    synced_at=fields.Datetime.now(),
                    odoo_quantity=level.mapping_id._odoo_quantities(
                        level.product_id, "qty_available"
                    )[level.product_id.id],
                )
            if decision.mark_for_push:
                values.pop("state", None)
                level._mark_pending()
            if values:
                level.write(values)
            if decision.mark_for_push:
                self.shop_id._enqueue_push()
        self._finish(
            decision.kind.value,
            decision.message,
            review=decision.review,
            adjustment=decision.adjustment if decision.placements else 0.0,
        )

    def _adjust_stock(self, level, placements):
        """Inventory adjustments (stock.quant inventory mode, so a stock.move
        records each) at the mapping's locations; their quant writes are not turned
        into a push of this mapping (the stock.quant hook skips the pairs), other
        mappings and shops that cover the same locations are told as usual."""
        product = level.product_id
        mapping = level.mapping_id
        Location = self.env["stock.location"].sudo()
        pairs = {(product.id, int(p.location)) for p in placements}
        Quant = (
            self.env["stock.quant"]
            .sudo()
            .with_company(mapping.company_id)
            .with_context(inventory_mode=True, **{INBOUND_PAIRS_KEY: sorted(pairs)})
        )
        reference = self.env._("Shopify correction (webhook %s)", self.webhook_id)
        for placement in placements:
            location = Location.browse(int(placement.location))
            quant = Quant._gather(product, location, strict=True).filtered(
                lambda q: not q.lot_id and not q.package_id and not q.owner_id
            )[:1]
            current = quant.quantity if quant else 0.0
            if quant:
                quant.inventory_quantity = current + placement.quantity
            else:
                quant = Quant.create(
                    {
                        "product_id": product.id,
                        "location_id": location.id,
                        "inventory_quantity": current + placement.quantity,
                    }
                )
            quant.with_context(inventory_name=reference).action_apply_inventory()
        # the same Odoo locations in other mappings (another shop) still push
        self.env["shopify.stock.change"].sudo()._record_for_other_mappings(
            pairs, mapping
        )

    def _finish(self, kind, message, review=False, adjustment=0.0):
        self.write(
            {
                "state": "done",
                "kind": kind,
                "message": message,
                "review": review,
                "adjustment": adjustment,
                "processed_at": fields.Datetime.now(),
            }
        )

    # -- actions -------------------------------------------------------------------

    def action_mark_reviewed(self):
        """Clear the review flag (operators too: it changes nothing in the sync)."""
        self.env["shopify.shop"]._check_shopify_group(
            self.env._("mark webhook events reviewed"), OPERATOR, self
        )
        self.sudo().write({"review": False})
        return True

    def action_reprocess(self):
        """Run the decision again (for an event in error)."""
        self.env["shopify.shop"]._check_shopify_group(
            self.env._("process webhook events again"), records=self
        )
        events = self.filtered(lambda e: e.state == "error")
        events.write({"state": "received"})
        events._enqueue()
        return True

    # -- pruning -------------------------------------------------------------------

    @api.autovacuum
    def _gc_old_events(self):
        """Drop events older than the retention (days), except those to review."""
        param = self.env["ir.config_parameter"].sudo().get_param(RETENTION_PARAM)
        try:
            days = int(param) if param else DEFAULT_RETENTION_DAYS
        except ValueError:
            days = DEFAULT_RETENTION_DAYS
        if days <= 0:
            return
        limit = fields.Datetime.now() - timedelta(days=days)
        self.flush_model()
        self.env.cr.execute(
            SQL(
                "DELETE FROM shopify_webhook_event "
                "WHERE received_at < %s AND state != 'received' AND NOT review",
                limit,
            )
        )
        _logger.info("Pruned %s old Shopify webhook events", self.env.cr.rowcount)
        self.invalidate_model()
