# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Shopify to Odoo: simulator-signed webhooks posted to the real endpoint, then the
event's job run; each case ends with Odoo's stock, Shopify's quantity and the event
saying what happened."""

import json
import logging
import time
from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.sql_db import db_connect
from odoo.tests import tagged

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.shopify_stock_sync.controllers.main import MAX_BODY
from odoo.addons.shopify_stock_sync.engine.webhook import signature
from odoo.addons.shopify_stock_sync.models.constants import (
    LEVEL_LOCK_SPACE,
    RECONCILE_LOCK_SPACE,
)

from .common import HttpPushCase

_logger = logging.getLogger(__name__)

LEVEL_UPDATE = "INVENTORY_LEVELS_UPDATE"


class WebhookCase(HttpPushCase):
    SECRET = "shpss_webhook_secret"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.shirt = cls._product("Shirt", default_code="SHIRT")
        cls.Event = cls.env["shopify.webhook.event"]
        cls.Level = cls.env["shopify.stock.level"]
        cls.Change = cls.env["shopify.stock.change"]

    def setUp(self):
        super().setUp()
        sim = self.sim
        # Shopify's clock at Odoo's time: pushes and Shopify's timestamps compare
        sim.clock.advance(max(time.time() - sim.clock.now(), 0))
        sim.webhook_secret = self.SECRET
        self.shop.sudo().api_secret = self.SECRET
        # "Main store": two-way, Odoo Shelf 1; "POS": Shopify's, Odoo Shelf 2; "Web":
        # Odoo's, Odoo Backroom
        self.store, self.two = self._simulated_mapping(
            "Main store", self.shelf_1, "two_way"
        )
        self.pos, self.own = self._simulated_mapping(
            "POS", self.shelf_2, "shopify_to_odoo"
        )
        self.web, self.odoo = self._simulated_mapping(
            "Web", self.backroom, "odoo_to_shopify"
        )
        variant = sim.add_variant("SHIRT")
        self.item = variant.inventory_item_id
        self.link = self._link(
            self.shirt,
            1,
            variant_gid=variant.id,
            inventory_item_gid=variant.inventory_item_id,
        )
        # 10 everywhere, in Odoo and in Shopify
        Quant = self.env["stock.quant"]
        for location, gid in (
            (self.shelf_1, self.store),
            (self.shelf_2, self.pos),
            (self.backroom, self.web),
        ):
            Quant._update_available_quantity(self.shirt, location, 10.0)
            # the POS at 9: its first webhook (to 10, see start_in_step) is a baseline
            sim.set_level(self.item, gid, available=9 if gid == self.pos else 10)
        self.env.cr.flush()
        self.token = self.shop.sudo().webhook_token
        self.endpoint = f"{self.base_url()}/shopify_stock_sync/webhook/{self.token}"
        sim.webhooks.clear()
        sim.add_subscription(LEVEL_UPDATE, self.endpoint)

    # -- helpers --------------------------------------------------------------------

    @classmethod
    def _request_handler(cls, s, r, /, **kw):
        # the simulator's deliveries to Odoo go with the test's session (its
        # database) and test cookies, as the test's own opener sends them
        if cls._cookies and r.url.startswith(cls.base_url()):
            r.headers["Cookie"] = cls._cookies
        return super()._request_handler(s, r, **kw)

    _cookies = None

    def deliver(self, **options):
        with self.requests_allowed(keep=1), self.allow_requests(all_requests=True):
            cookies = "; ".join(f"{k}={v}" for k, v in self.opener.cookies.items())
            with patch.object(type(self), "_cookies", cookies):
                statuses = self.sim.webhooks.deliver(**options)
        self.env.invalidate_all()
        return statuses

    def process(self):
        """Run the jobs of the waiting events, in the order they were received."""
        self.env.invalidate_all()
        events = self.Event.search([("state", "=", "received")], order="id")
        for event in events:
            event._process_event()
        self.env.invalidate_all()
        return events

    def push(self):
        self.env.cr.flush()  # the quant hook's precommit: change rows
        self.shop._push_stock()
        self.env.invalidate_all()

    def start_in_step(self):
        """Odoo and Shopify agree and Odoo knows it: the writing levels pushed, the
        Shopify-owned one read once (its first webhook: a baseline)."""
        self.shop._enqueue_push()
        self.Change._record(
            [
                (self.shop.id, self.link.id, mapping.id)
                for mapping in (self.two, self.odoo)
            ]
        )
        self.push()
        self.sim.edit_on_hand(self.item, self.pos, 1)
        self.assertEqual(self.deliver(), [200])
        (event,) = self.process()
        self.assertEqual(event.kind, "baseline")
        self.sim.webhooks.clear()

    def on_hand(self, location):
        return self.shirt.with_context(location=location.id).qty_available

    def shopify(self, gid, name="on_hand"):
        return self.sim.level(self.item, gid)[name]

    def level(self, mapping):
        return self.Level.search(
            [("link_id", "=", self.link.id), ("mapping_id", "=", mapping.id)]
        )

    def post(self, body, headers=None, token=None, secret=SECRET, piece=None):
        """POST ``body`` signed; with ``piece``, chunked in pieces of that size
        (no Content-Length)."""
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": "inventory_levels/update",
            "X-Shopify-Hmac-Sha256": signature(secret, body),
            "X-Shopify-Shop-Domain": self.shop.domain,
            "X-Shopify-Webhook-Id": "manual-1",
            **(headers or {}),
        }
        url = f"/shopify_stock_sync/webhook/{token or self.token}"
        data = body
        if piece:
            data = (body[n : n + piece] for n in range(0, len(body), piece))
        response = self.url_open(url, data=data, headers=headers)
        self.env.invalidate_all()
        return response


@tagged("post_install", "-at_install")
class TestWebhookIntake(WebhookCase):
    def test_bad_signature(self):
        self.sim.edit_on_hand(self.item, self.pos, 3)
        ((headers, body),) = self.sim.webhooks.payloads()
        tampered = body.replace(b'"available":12', b'"available":99')
        self.assertNotEqual(tampered, body)
        response = self.url_open(self.endpoint, data=tampered, headers=headers)
        self.assertEqual(response.status_code, 401)
        response = self.post(body, secret="not-the-secret")
        self.assertEqual(response.status_code, 401)
        response = self.post(body, headers={"X-Shopify-Hmac-Sha256": ""})
        self.assertEqual(response.status_code, 401)
        self.assertFalse(self.Event.search_count([]))
        self.assertEqual(self.on_hand(self.shelf_2), 10)

    def test_unknown_shop(self):
        self.sim.edit_on_hand(self.item, self.pos, 3)
        ((_headers, body),) = self.sim.webhooks.payloads()
        for token in ("wrong-token", str(self.shop.id)):
            response = self.post(body, token=token)
            self.assertEqual(response.status_code, 404)
        self.shop.active = False
        self.env.cr.flush()
        self.assertEqual(self.post(body).status_code, 404)
        self.assertFalse(self.Event.search_count([]))

    def test_each_shop_its_own_address(self):
        other = self.env["shopify.shop"].create(
            {"name": "Other", "domain": "other-shop.myshopify.com"}
        )
        other.sudo().webhook_token = self.token  # as an upgrade fills the column
        self.env.cr.flush()
        self.env["shopify.shop"].init()
        self.env.invalidate_all()
        self.assertEqual(self.shop.sudo().webhook_token, self.token)
        self.assertTrue(other.sudo().webhook_token)
        self.assertNotEqual(other.sudo().webhook_token, self.token)

    def test_another_shops_domain(self):
        body = b'{"inventory_item_id":1,"location_id":2,"available":1}'
        response = self.post(
            body, headers={"X-Shopify-Shop-Domain": "other.myshopify.com"}
        )
        self.assertEqual(response.status_code, 401)
        self.assertFalse(self.Event.search_count([]))

    def test_oversized_body(self):
        body = b'{"padding":"' + b"x" * MAX_BODY + b'"}'
        response = self.post(body)
        self.assertEqual(response.status_code, 413)
        self.assertFalse(self.Event.search_count([]))

    def test_chunked_deliveries(self):
        """A body that declares no length (chunked): a small one is taken, an
        oversized one refused by its real size."""
        body = b'{"inventory_item_id":1,"location_id":2,"available":1}'
        response = self.post(body, piece=10)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.Event.search_count([]), 1)
        big = b'{"padding":"' + b"x" * MAX_BODY + b'"}'
        response = self.post(
            big, headers={"X-Shopify-Webhook-Id": "manual-2"}, piece=65536
        )
        self.assertEqual(response.status_code, 413)
        self.assertEqual(self.Event.search_count([]), 1)

    def test_location_changes_import_the_locations_again(self):
        """A location deactivated in Shopify stops the mapping that writes to it; a
        new one comes in off; nothing else changes."""
        for topic in ("LOCATIONS_DEACTIVATE", "LOCATIONS_CREATE"):
            self.sim.add_subscription(topic, self.endpoint)
        self.sim.set_location_active(self.web, False)
        self.sim.add_location("Kiosk")
        self.assertEqual(self.deliver(), [200, 200])
        events = self.process()
        self.assertEqual(events.mapped("state"), ["done", "done"])
        self.assertEqual(events.mapped("kind"), ["locations", "locations"])
        self.assertIn("No longer written to", events[0].message)
        self.assertIn("Web", events[0].message)
        self.assertRecordValues(
            self.odoo, [{"direction": "off", "shopify_active": False}]
        )
        self.assertEqual(
            (self.two.direction, self.own.direction), ("two_way", "shopify_to_odoo")
        )
        kiosk = self.env["shopify.location.mapping"].search(
            [("shop_id", "=", self.shop.id), ("shopify_location_name", "=", "Kiosk")]
        )
        self.assertEqual(kiosk.direction, "off")

    def test_previous_secret_during_rotation(self):
        self.shop.sudo().write(
            {"api_secret": "shpss_new_secret", "previous_webhook_secret": self.SECRET}
        )
        self.env.cr.flush()
        self.sim.edit_on_hand(self.item, self.pos, 1)
        self.assertEqual(self.deliver(), [200])
        self.shop.sudo().previous_webhook_secret = False
        self.env.cr.flush()
        self.sim.edit_on_hand(self.item, self.pos, 1)
        self.assertEqual(self.deliver(), [401])
        self.assertEqual(self.Event.search_count([]), 1)

    def test_replayed_delivery(self):
        self.start_in_step()
        self.sim.edit_on_hand(self.item, self.pos, 4)
        statuses = self.deliver(duplicate=True)
        self.assertEqual(statuses, [200, 200])
        (event,) = self.Event.search([("state", "=", "received")])
        jobs = self.env["queue.job"].search(
            [("model_name", "=", "shopify.webhook.event"), ("records", "!=", False)]
        )
        self.assertIn(event.id, [job.records.id for job in jobs])
        self.process()
        self.assertEqual(event.kind, "correction")
        # the same delivery once more, after it was applied
        headers, body = (
            dict(json.loads(event.headers)),
            event.payload.encode(),
        )
        headers["X-Shopify-Hmac-Sha256"] = signature(self.SECRET, body)
        response = self.url_open(self.endpoint, data=body, headers=headers)
        self.assertEqual(response.status_code, 200)
        self.assertFalse(self.process())
        self.assertEqual(self.on_hand(self.shelf_2), 14)
        self.assertEqual(self.shopify(self.pos), 14)
        self.assertEqual(self.Event.search_count([("kind", "=", "correction")]), 1)

    def test_stored_event(self):
        self.sim.edit_on_hand(self.item, self.pos, 2)
        self.deliver()
        event = self.Event.search([])
        self.assertEqual(event.shop_id, self.shop)
        self.assertEqual(event.topic, "inventory_levels/update")
        self.assertEqual(event.state, "received")
        headers = json.loads(event.headers)
        self.assertNotIn("X-Shopify-Hmac-Sha256", headers)
        self.assertEqual(json.loads(event.payload)["available"], 11)

    def test_prune_old_events(self):
        self.sim.edit_on_hand(self.item, self.pos, 2)
        self.sim.edit_on_hand(self.item, self.pos, 2)
        self.deliver()
        self.process()
        old, kept = self.Event.search([], order="id")
        old_time = fields.Datetime.now() - timedelta(days=40)
        (old | kept).write({"received_at": old_time})
        kept.review = True
        self.Event._gc_old_events()
        self.assertEqual(self.Event.search([]), kept)


@tagged("post_install", "-at_install")
class TestWebhookDecisions(WebhookCase):
    def test_manual_correction(self):
        self.start_in_step()
        self.sim.edit_on_hand(self.item, self.pos, -3)
        self.assertEqual(self.deliver(), [200])
        (event,) = self.process()
        self.assertEqual(event.kind, "correction", event.message)
        self.assertEqual(event.adjustment, -3)
        self.assertEqual(self.on_hand(self.shelf_2), 7)
        self.assertEqual(self.shopify(self.pos), 7)
        move = self.env["stock.move"].search(
            [
                ("product_id", "=", self.shirt.id),
                ("location_id", "=", self.shelf_2.id),
                ("is_inventory", "=", True),
                ("state", "=", "done"),
            ]
        )
        self.assertEqual(move.quantity, 3)
        self.assertIn("-3", event.message)
        # "Last Odoo Quantity": Odoo's on hand after the adjustment, not the sum of
        # the webhooks' adjustments
        self.assertEqual(self.level(self.own).odoo_quantity, 7)

    def test_push_and_webhook_of_a_shop_share_its_level_lock(self):
        """While another job holds the shop's level lock, both its webhook job and
        its push wait (retried, no attempt counted); neither waits on the shop's
        reconciliation lock.  (The other job takes its locks before this
        transaction takes any: a transaction keeps its advisory locks.)"""
        self.sim.edit_on_hand(self.item, self.pos, -3)
        self.assertEqual(self.deliver(), [200])
        (event,) = self.Event.search([("state", "=", "received")])
        changes = self.Change.search([("shop_id", "=", self.shop.id)])
        self.assertTrue(changes)
        lock = "SELECT pg_try_advisory_xact_lock(%s, %s)"
        other = db_connect(self.env.cr.dbname).cursor()
        try:
            other.execute(lock, (LEVEL_LOCK_SPACE, self.shop.id))
            self.assertTrue(other.fetchone()[0])
            for job in (event._process_event, self.shop._push_stock):
                with self.assertRaises(RetryableJobError) as waited:
                    job()
                self.assertTrue(waited.exception.ignore_retry)
            self.assertEqual(event.state, "received")
            self.assertTrue(changes.exists())
        finally:
            other.rollback()
            other.close()
        other = db_connect(self.env.cr.dbname).cursor()
        try:
            other.execute(lock, (RECONCILE_LOCK_SPACE, self.shop.id))
            self.assertTrue(other.fetchone()[0])
            self.process()
            self.push()
        finally:
            other.rollback()
            other.close()
        self.assertNotEqual(event.state, "received", event.message)
        self.assertFalse(changes.exists())

    def test_reconciled_correction_never_counted_again_by_a_webhook(self):
        """A +5 in Shopify whose webhook was missed, set right by a reconciliation,
        then a real +1 with its webhook: Odoo ends where Shopify is, the +5 counted
        once (the level remembers what the reconciliation read)."""
        self.start_in_step()
        self.sim.edit_on_hand(self.item, self.pos, 5)
        self.sim.webhooks.clear()  # the webhook never arrived
        with trap_jobs() as trap:
            run = self.env["shopify.reconciliation.run"]._start(self.shop)
            self.run_jobs(trap, limit=40)
        self.env.invalidate_all()
        self.assertEqual(run.state, "done", run.message)
        self.assertEqual(run.line_ids.mapped("action"), ["adjust"])
        self.assertEqual(self.on_hand(self.shelf_2), 15)
        level = self.level(self.own)
        self.assertEqual((level.shopify_on_hand, level.state), (15, "synced"))
        self.sim.clock.advance(2)
        self.sim.edit_on_hand(self.item, self.pos, 1)
        self.assertEqual(self.deliver(), [200])
        (event,) = self.process()
        self.assertEqual((event.kind, event.adjustment), ("correction", 1))
        self.assertEqual(self.shopify(self.pos), 16)
        self.assertEqual(self.on_hand(self.shelf_2), 16)

    def test_correction_while_credentials_refused_is_applied_after_reconnecting(self):
        """A shop that only follows its POS: no push ever runs.  Shopify refuses the
        token; a POS count arrives by webhook: the shop needs reconnecting (not
        "Connected" with events in error), and once the connection test passes the
        correction reaches Odoo without anyone re-processing events."""
        self.start_in_step()
        self.shop.sudo().state = "connected"
        self.sim.revoke_token(self.TOKEN)
        self.sim.edit_on_hand(self.item, self.pos, 2)  # 10 -> 12
        self.assertEqual(self.deliver(), [200])
        with self.assertLogs(
            "odoo.addons.shopify_stock_sync.models.shopify_shop", "WARNING"
        ):
            (event,) = self.process()
        self.assertEqual(self.shop.state, "reconnect")
        self.assertEqual((event.state, event.kind), ("error", "held"))
        self.assertEqual(self.on_hand(self.shelf_2), 10)
        # an event in error for another cause is not processed again
        other = event.copy({"webhook_id": "other-cause", "kind": False})
        other.write({"state": "error", "message": "Not readable."})
        self.sim.add_token("shpat_new_token")
        self.shop.sudo().access_token = "shpat_new_token"
        with trap_jobs() as trap:
            self.shop.action_test_connection()
            self.assertEqual(self.shop.state, "connected")
            self.env.cr.flush()
            trap.perform_enqueued_jobs()
        self.env.invalidate_all()
        self.assertEqual((event.state, event.kind), ("done", "correction"))
        self.assertEqual(self.on_hand(self.shelf_2), 12)
        self.assertEqual(other.state, "error")

    def test_first_reading_that_differs_is_followed_on_a_shopify_owned_level(self):
        """Nothing known of the POS level yet, Shopify counts 12 and Odoo 10: Shopify
        owns the count, so Odoo follows it; the level is not taken as in step while
        they differ."""
        self.sim.edit_on_hand(self.item, self.pos, 3)  # 9 -> 12
        self.assertEqual(self.deliver(), [200])
        (event,) = self.process()
        self.assertEqual(event.kind, "correction", event.message)
        self.assertEqual(event.adjustment, 2)
        self.assertIn("first reading", event.message)
        self.assertEqual(self.on_hand(self.shelf_2), 12)
        level = self.level(self.own)
        self.assertEqual((level.shopify_on_hand, level.state), (12, "synced"))
        self.assertEqual(level.odoo_quantity, 12)  # Odoo's on hand, adjusted
        # the next change counts from there
        self.sim.edit_on_hand(self.item, self.pos, -1)
        self.deliver()
        (event,) = self.process()
        self.assertEqual((event.kind, event.adjustment), ("correction", -1))
        self.assertEqual(self.on_hand(self.shelf_2), 11)
        self.assertEqual(self.level(self.own).odoo_quantity, 11)

    def test_first_reading_of_a_two_way_level_is_never_lost_silently(self):
        """Linked, never pushed, two-way "Main store": Shopify counts 13, Odoo 10.
        Odoo wins (the default): listed for review with both quantities, and the
        next push sets Shopify to Odoo's; Shopify wins: Odoo follows Shopify."""
        self.sim.edit_on_hand(self.item, self.store, 3)  # 10 -> 13
        self.assertEqual(self.deliver(), [200])
        (event,) = self.process()
        self.assertEqual((event.kind, event.review), ("baseline", True), event.message)
        self.assertIn("Shopify counts 13 on hand, Odoo has 10", event.message)
        self.assertEqual(self.on_hand(self.shelf_1), 10)
        self.assertEqual(self.level(self.two).state, "pending")
        self.push()
        self.assertEqual(self.shopify(self.store), 10)
        self.assertIn(event, self.Event.search([("review", "=", True)]))
        # Shopify wins: a count in Shopify before the first push becomes Odoo's
        self.two.conflict_rule = "shopify_wins"
        self.level(self.two).unlink()  # nothing known of the level again
        self.sim.edit_on_hand(self.item, self.store, 2)  # 10 -> 12
        self.sim.webhooks.clear()
        self.sim.edit_on_hand(self.item, self.store, 1)  # 12 -> 13
        self.assertEqual(self.deliver(), [200])
        (event,) = self.process()
        self.assertEqual((event.kind, event.adjustment), ("correction", 3))
        self.assertFalse(event.review)
        self.assertEqual(self.on_hand(self.shelf_1), 13)

    def test_removal_taken_from_child_locations_too(self):
        """Stock kept in a bin under the mapped location: units Shopify removes are
        taken from the location, then the bin, never below zero while they hold
        some; the message names the locations."""
        bin_2 = self.env["stock.location"].create(
            {"name": "Bin 2", "location_id": self.shelf_2.id, "usage": "internal"}
        )
        Quant = self.env["stock.quant"]
        Quant._update_available_quantity(self.shirt, self.shelf_2, -8.0)
        Quant._update_available_quantity(self.shirt, bin_2, 8.0)
        self.start_in_step()
        self.sim.edit_on_hand(self.item, self.pos, -5)
        self.assertEqual(self.deliver(), [200])
        (event,) = self.process()
        self.assertEqual(event.kind, "correction", event.message)
        strict = self.shirt.with_context(strict=True)
        self.assertEqual(
            (
                strict.with_context(location=self.shelf_2.id).qty_available,
                strict.with_context(location=bin_2.id).qty_available,
            ),
            (0.0, 5.0),
        )
        self.assertIn(f"-2 at {self.shelf_2.complete_name}", event.message)
        self.assertIn(f"-3 at {bin_2.complete_name}", event.message)

    def test_correction_on_two_way_not_pushed_back(self):
        self.start_in_step()
        self.sim.edit_on_hand(self.item, self.store, 5)
        self.deliver()
        (event,) = self.process()
        self.assertEqual(event.kind, "correction", event.message)
        self.assertEqual(self.on_hand(self.shelf_1), 15)
        self.env.cr.flush()
        self.assertFalse(
            self.Change.search_count([("mapping_id", "=", self.two.id)]),
            "the adjustment must not come back as a push",
        )
        self.assertEqual(self.level(self.two).state, "synced")
        writes = len(self.sim.stats.applied_writes)
        self.push()
        self.assertEqual(len(self.sim.stats.applied_writes), writes)
        self.assertEqual(self.shopify(self.store, "available"), 15)

    def test_out_of_order_deliveries(self):
        self.start_in_step()
        self.sim.edit_on_hand(self.item, self.pos, 3)
        self.sim.clock.advance(2)
        self.sim.edit_on_hand(self.item, self.pos, -1)
        self.assertEqual(self.deliver(order="reverse"), [200, 200])
        late, early = self.process()
        self.assertEqual(json.loads(late.payload)["available"], 12)
        self.assertEqual(late.kind, "correction", late.message)
        self.assertEqual(late.adjustment, 2)
        self.assertIn(early.kind, ("stale",), early.message)
        self.assertFalse(early.adjustment)
        self.assertEqual(self.on_hand(self.shelf_2), 12)
        self.assertEqual(self.shopify(self.pos), 12)

    def test_echo_after_two_quick_pushes(self):
        self.start_in_step()
        Quant = self.env["stock.quant"]
        Quant._update_available_quantity(self.shirt, self.shelf_1, 2.0)
        self.push()
        Quant._update_available_quantity(self.shirt, self.shelf_1, -5.0)
        self.push()
        self.assertEqual(self.shopify(self.store, "available"), 7)
        self.assertEqual(len(self.sim.webhooks.payloads()), 2)
        self.assertEqual(self.deliver(order="reverse"), [200, 200])
        events = self.process()
        self.assertEqual(
            events.mapped("kind"), ["echo", "echo"], events.mapped("message")
        )
        self.assertFalse(any(events.mapped("adjustment")))
        self.assertEqual(self.on_hand(self.shelf_1), 7)
        self.assertEqual(self.shopify(self.store, "available"), 7)
        pushes = json.loads(self.level(self.two).shopify_recent_pushes)
        self.assertEqual([p["value"] for p in pushes][-2:], [12, 7])

    def test_order_driven_change(self):
        self.start_in_step()
        self.sim.place_order(self.item, self.pos, 2)
        self.deliver()
        (placed,) = self.process()
        self.assertEqual(self.shopify(self.pos, "available"), 8)
        self.sim.clock.advance(5)
        self.sim.fulfil_order(self.item, self.pos, 2)
        self.deliver()
        (shipped,) = self.process()
        self.assertEqual(placed.kind, "order_driven", placed.message)
        self.assertEqual(shipped.kind, "order_driven", shipped.message)
        self.assertFalse(placed.adjustment or shipped.adjustment)
        # the sale is the order connector's business: never counted here
        self.assertEqual(self.on_hand(self.shelf_2), 10)
        self.assertEqual(self.shopify(self.pos), 8)

    def test_correction_on_odoo_owned_mapping(self):
        self.start_in_step()
        self.sim.edit_on_hand(self.item, self.web, -4)
        self.deliver()
        (event,) = self.process()
        self.assertEqual(event.kind, "wrong_direction", event.message)
        self.assertIn("Odoo owns", event.message)
        self.assertEqual(self.level(self.odoo).state, "pending")
        self.assertEqual(self.on_hand(self.backroom), 10)
        self.push()
        self.assertEqual(self.shopify(self.web, "available"), 10)
        # the repair's own webhook is an echo
        self.deliver()
        (echo,) = self.process()
        self.assertEqual(echo.kind, "echo", echo.message)
        self.assertEqual(self.on_hand(self.backroom), 10)

    def test_conflict_two_way_odoo_wins(self):
        self.start_in_step()
        self.env["stock.quant"]._update_available_quantity(
            self.shirt, self.shelf_1, 4.0
        )
        self.env.cr.flush()  # Odoo moved, not pushed yet
        self.sim.edit_on_hand(self.item, self.store, -2)
        self.deliver()
        (event,) = self.process()
        self.assertEqual(event.kind, "conflict", event.message)
        self.assertTrue(event.review)
        self.assertIn("Odoo wins", event.message)
        self.assertFalse(event.adjustment)
        self.assertEqual(self.on_hand(self.shelf_1), 14)
        self.push()
        self.assertEqual(self.shopify(self.store, "available"), 14)
        review = self.Event.search([("review", "=", True)])
        self.assertEqual(review, event)
        event.action_mark_reviewed()
        self.assertFalse(event.review)

    def test_conflict_two_way_shopify_wins(self):
        self.two.conflict_rule = "shopify_wins"
        self.start_in_step()
        self.env["stock.quant"]._update_available_quantity(
            self.shirt, self.shelf_1, 4.0
        )
        self.env.cr.flush()
        self.sim.edit_on_hand(self.item, self.store, -2)
        self.deliver()
        (event,) = self.process()
        self.assertEqual(event.kind, "conflict", event.message)
        self.assertEqual(event.adjustment, -2)
        self.assertEqual(self.on_hand(self.shelf_1), 12)
        self.push()
        self.assertEqual(self.shopify(self.store, "available"), 12)

    def test_unlinked_item(self):
        other = self.sim.add_variant("OTHER")
        self.sim.set_level(other.inventory_item_id, self.pos, available=3)
        self.deliver()
        events = self.process()
        self.assertEqual(set(events.mapped("kind")), {"unknown_pair"})
        self.assertEqual(self.on_hand(self.shelf_2), 10)


@tagged("post_install", "-at_install")
class TestWebhookSubscriptions(WebhookCase):
    def test_subscribe_check_remove(self):
        self.sim.webhooks.subscriptions.clear()
        self.env["ir.config_parameter"].sudo().set_param(
            "web.base.url", self.base_url()
        )
        self.shop.sudo().state = "connected"
        self.shop.action_webhook_subscribe()
        mine = [s for s in self.sim.subscriptions() if s[2] == self.endpoint]
        self.assertEqual(len(mine), 8)
        self.assertIn("Missing: none", self.shop.webhook_status)
        self.shop.action_webhook_check()
        self.assertIn("Missing: none", self.shop.webhook_status)
        self.shop.action_webhook_unsubscribe()
        self.assertFalse([s for s in self.sim.subscriptions() if s[2] == self.endpoint])
        self.shop.action_webhook_check()
        self.assertIn("INVENTORY_LEVELS_UPDATE", self.shop.webhook_status)


@tagged("post_install", "-at_install")
class TestWebhookBurst(WebhookCase):
    COUNT = 500

    def test_burst_of_500(self):
        for number in range(self.COUNT):
            self.sim.edit_on_hand(self.item, self.pos, 1 if number % 2 else -1)
        self.assertEqual(len(self.sim.webhooks.payloads()), self.COUNT)
        started = time.perf_counter()
        statuses = self.deliver(workers=8, order="shuffle", seed=5)
        elapsed = time.perf_counter() - started
        sent = self.sim.webhooks.sent
        seconds = sorted(s.seconds for s in sent)
        _logger.info(
            "webhook burst: %s deliveries in %.2f s, per delivery p50 %.3f s, "
            "p99 %.3f s, max %.3f s",
            len(sent),
            elapsed,
            seconds[len(seconds) // 2],
            seconds[int(len(seconds) * 0.99) - 1],
            seconds[-1],
        )
        # Counts and statuses only: how fast is a benchmark's question
        # (tests/bench/bench_odoo.sh bench_odoo_webhook.py), not a test's.
        self.assertEqual(statuses, [200] * self.COUNT)
        self.assertFalse(self.sim.webhooks.payloads())
        self.assertEqual(self.Event.search_count([]), self.COUNT)
        self.assertEqual(
            self.env["queue.job"].search_count(
                [("model_name", "=", "shopify.webhook.event")]
            ),
            self.COUNT,
        )
