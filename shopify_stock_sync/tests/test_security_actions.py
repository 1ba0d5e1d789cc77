# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Every public method that reaches Shopify or changes what the sync does checks the
caller's group before anything else: an operator's call, with_user or over JSON-RPC,
is refused before a request leaves for the simulated shop; an administrator still
does it all; operators keep re-queueing, pushing now and marking events reviewed."""

import inspect

from odoo import fields
from odoo.exceptions import AccessError
from odoo.service.model import get_public_method
from odoo.tests import tagged

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.shopify_stock_sync.engine import subscriptions

from .common import ADMIN, OPERATOR, HttpPushCase, PushCase

ADDON_MODULE = "odoo.addons.shopify_stock_sync."
ADMIN_NAME = "Shopify Stock Sync / Administrator"
OPERATOR_NAME = "Shopify Stock Sync / Operator"

# Administrators only: each reaches Shopify, changes the configuration or what the
# sync does.  In the order an administrator may press them one after the other.
ADMIN_METHODS = (
    ("shopify.shop", "action_test_connection"),
    ("shopify.shop", "action_import_locations"),
    ("shopify.shop", "action_webhook_check"),
    ("shopify.shop", "action_webhook_unsubscribe"),
    ("shopify.shop", "action_webhook_subscribe"),
    ("shopify.shop", "action_check_readiness"),
    ("shopify.shop", "action_readiness_test_push"),
    ("shopify.link.wizard", "action_preview"),
    ("shopify.link.wizard", "action_apply"),
    ("shopify.reconciliation.run", "action_cancel"),
    ("shopify.shop", "action_reconcile_now"),
    ("shopify.shop", "action_reconcile_dry_run"),
    ("shopify.webhook.event", "action_reprocess"),
)
# Operators too (USAGE/CONFIGURE): they mark levels pending for the push job or clear
# a review flag; none of them sends a request itself.
OPERATOR_METHODS = (
    ("shopify.stock.level", "action_requeue"),
    ("product.product", "action_shopify_push_now"),
    ("product.template", "action_shopify_push_now"),
    ("stock.quant", "action_shopify_push_now"),
    ("shopify.webhook.event", "action_mark_reviewed"),
)
# Public, and needing no check: they open a list of records the user may read, or
# are the ORM's own (access rights apply).
OPEN_ONLY = {
    ("shopify.shop", "action_open_mappings"),
    ("shopify.shop", "action_open_links"),
    ("shopify.shop", "action_open_levels"),
    ("shopify.shop", "action_open_reconciliation_runs"),
    ("shopify.shop", "action_open_findings"),
    ("shopify.shop", "action_open_webhook_events"),
    ("queue.job", "related_action_shopify_levels"),
}
# Operators' handling of the addon's failed jobs (tested in test_failed_jobs.py):
# they re-queue or dismiss jobs, and send nothing themselves.
JOB_METHODS = {
    ("queue.job", "action_shopify_requeue"),
    ("queue.job", "action_shopify_dismiss"),
}
ORM = {
    ("shopify.shop", "write"),
    ("shopify.location.mapping", "write"),
    ("stock.quant", "create"),
    ("stock.quant", "write"),
}
# Methods reaching Shopify whose direct call an administrator's test counts.
CALLS_SHOPIFY = {
    "action_test_connection",
    "action_import_locations",
    "action_webhook_check",
    "action_webhook_unsubscribe",
    "action_webhook_subscribe",
    "action_check_readiness",
    "action_readiness_test_push",
    "action_preview",
    "action_apply",
}


def public_methods(env):
    """``(model, method)`` of every method this addon defines that JSON-RPC can call
    (Odoo's own rule: no leading underscore, not ``@api.private`` anywhere)."""
    found = set()
    for name in env.registry:
        for klass in env.registry[name].__mro__:
            if not klass.__module__.startswith(ADDON_MODULE):
                continue
            for attr, value in vars(klass).items():
                if attr.startswith("_") or not inspect.isfunction(value):
                    continue
                try:
                    get_public_method(env[name], attr)
                except AccessError:
                    continue
                found.add((name, attr))
    return found


class ActionsCase(PushCase):
    """A connected shop on the simulator, one Odoo-owned mapping, one linked product
    with stock, its level, the 8 webhook subscriptions, a queued reconciliation run,
    a webhook event in error and a link wizard; users of each group."""

    def setUp(self):
        super().setUp()
        sim = self.sim
        self.store, self.mapping = self._simulated_mapping(
            "Main store", self.shelf_1, "odoo_to_shopify"
        )
        variant = sim.add_variant("SHIRT")
        sim.set_level(variant.inventory_item_id, self.store, available=0)
        self.product = self._product("Shirt", default_code="SHIRT")
        self.link = self._link(
            self.product,
            1,
            variant_gid=variant.id,
            inventory_item_gid=variant.inventory_item_id,
        )
        self.env["stock.quant"]._update_available_quantity(
            self.product, self.shelf_1, 5.0
        )
        self.quant = self.env["stock.quant"].search(
            [
                ("product_id", "=", self.product.id),
                ("location_id", "=", self.shelf_1.id),
            ]
        )
        self.level = self.env["shopify.stock.level"]._ensure_levels(
            self.link, self.mapping
        )
        self.level.sudo().state = "error"
        self.shop.sudo().state = "connected"
        self.endpoint = self.shop.sudo().webhook_endpoint
        for topic in subscriptions.TOPICS:
            sim.add_subscription(topic, self.endpoint)
        self.run = (
            self.env["shopify.reconciliation.run"]
            .sudo()
            .create({"shop_id": self.shop.id})
        )
        self.event = (
            self.env["shopify.webhook.event"]
            .sudo()
            .create(
                {
                    "shop_id": self.shop.id,
                    "webhook_id": "security-1",
                    "topic": "inventory_levels/update",
                    "received_at": fields.Datetime.now(),
                    "state": "error",
                    "review": True,
                }
            )
        )
        self.operator = self._user("shopify_operator", OPERATOR)
        self.admin = self._user("shopify_admin", ADMIN)
        self.stock_user = self._user("plain_stock_user", "stock.group_stock_user")
        # a wizard is its creator's only
        self.wizard = (
            self.env["shopify.link.wizard"]
            .with_user(self.admin)
            .create({"shop_id": self.shop.id})
        )
        self.env.cr.flush()
        sim.reset_stats()

    def records(self, model):
        return {
            "shopify.shop": self.shop,
            "shopify.link.wizard": self.wizard,
            "shopify.reconciliation.run": self.run,
            "shopify.webhook.event": self.event,
            "shopify.stock.level": self.level,
            "product.product": self.product,
            "product.template": self.product.product_tmpl_id,
            "stock.quant": self.quant,
        }[model]

    def mine(self):
        """This shop's subscriptions in the simulated shop."""
        return [s for s in self.sim.subscriptions() if s[2] == self.endpoint]

    def assert_refused(self, user, methods, group_name):
        """Each method, called as ``user``, raises an AccessError that names the
        group and the action, and nothing reaches the simulator or is queued."""
        runs = self.env["shopify.reconciliation.run"].search_count([])
        for model, method in methods:
            with self.subTest(model=model, method=method):
                records = self.records(model).with_user(user)
                with trap_jobs() as trap, self.assertRaises(AccessError) as caught:
                    getattr(records, method)()
                message = str(caught.exception)
                self.assertIn(group_name, message)
                self.assertIn("Nothing was changed", message)
                self.assertEqual(self.sim.stats.requests, 0)
                self.assertEqual(self.sim.stats.token_requests, 0)
                trap.assert_jobs_count(0)
        self.env.invalidate_all()
        self.assertEqual(len(self.mine()), 8)
        self.assertEqual(self.shop.state, "connected")
        self.assertEqual(self.run.state, "queued")
        self.assertEqual(self.env["shopify.reconciliation.run"].search_count([]), runs)
        self.assertEqual(self.event.state, "error")
        self.assertTrue(self.event.review)
        self.assertEqual(self.level.state, "error")
        self.assertFalse(self.link.search([("shop_id", "=", self.shop.id)]) - self.link)


@tagged("post_install", "-at_install")
class TestActionsNeedTheirGroup(ActionsCase):
    def test_every_public_method_is_decided(self):
        """A public method added to the addon fails this test until it is listed
        with the group that may call it (and so checked below)."""
        decided = (
            set(ADMIN_METHODS) | set(OPERATOR_METHODS) | JOB_METHODS | OPEN_ONLY | ORM
        )
        self.assertEqual(public_methods(self.env), decided)

    def test_operator_reaches_nothing_of_an_administrator(self):
        self.assert_refused(self.operator, ADMIN_METHODS, ADMIN_NAME)

    def test_message_names_the_action(self):
        with self.assertRaisesRegex(AccessError, "remove the webhook subscriptions"):
            self.shop.with_user(self.operator).action_webhook_unsubscribe()

    def test_user_without_a_shopify_group_reaches_nothing(self):
        self.assert_refused(self.stock_user, OPERATOR_METHODS, OPERATOR_NAME)
        self.assert_refused(self.stock_user, ADMIN_METHODS, ADMIN_NAME)

    def test_operator_keeps_requeue_push_now_and_review(self):
        for model, method in OPERATOR_METHODS:
            with self.subTest(model=model, method=method), trap_jobs() as trap:
                self.level.sudo().state = "error"
                self.env.flush_all()  # before the push's own SQL
                getattr(self.records(model).with_user(self.operator), method)()
                self.env.invalidate_all()
                if method == "action_mark_reviewed":
                    self.assertFalse(self.event.review)
                    trap.assert_jobs_count(0)
                else:
                    self.assertEqual(self.level.state, "pending")
                    self.assertTrue(trap.enqueued_jobs)  # the shop's push
        # only jobs were queued: the push job talks to Shopify, not the button
        self.assertEqual(self.sim.stats.requests, 0)

    def test_administrator_still_can(self):
        admin_calls = 0
        with trap_jobs() as trap:
            for model, method in ADMIN_METHODS:
                with self.subTest(model=model, method=method):
                    self.sim.reset_stats()
                    getattr(self.records(model).with_user(self.admin), method)()
                    self.env.invalidate_all()
                    if method in CALLS_SHOPIFY:
                        self.assertGreater(self.sim.stats.requests, 0)
                        admin_calls += 1
        self.assertEqual(admin_calls, len(CALLS_SHOPIFY))
        self.assertEqual(len(self.mine()), 8)  # removed, then subscribed again
        self.assertEqual(self.wizard.state, "done")
        self.assertEqual(self.run.state, "cancelled")
        new_run = self.shop.reconciliation_run_ids - self.run
        self.assertEqual(len(new_run), 1)  # the dry run found it queued
        self.assertFalse(new_run.dry_run)
        self.assertEqual(self.event.state, "received")
        trap.assert_jobs_count(1, only=self.event._process_event)


@tagged("post_install", "-at_install")
class TestJsonRpc(HttpPushCase, ActionsCase):
    """The defect as it was met: an operator's JSON-RPC call of Remove all."""

    def call_kw(self, user, record, method):
        self.authenticate(user.login, user.login)
        response = self.url_open(
            f"/web/dataset/call_kw/{record._name}/{method}",
            json={
                "jsonrpc": "2.0",
                "method": "call",
                "id": 1,
                "params": {
                    "model": record._name,
                    "method": method,
                    "args": [record.ids],
                    "kwargs": {},
                },
            },
        )
        self.assertEqual(response.status_code, 200)
        self.env.invalidate_all()
        return response.json()

    def test_operator_refused_before_any_request(self):
        for method in (
            "action_webhook_unsubscribe",
            "action_test_connection",
            "action_import_locations",
        ):
            with self.subTest(method=method):
                answer = self.call_kw(self.operator, self.shop, method)
                error = answer["error"]["data"]
                self.assertEqual(error["name"], "odoo.exceptions.AccessError")
                self.assertIn(ADMIN_NAME, error["message"])
                self.assertEqual(self.sim.stats.requests, 0)
                self.assertEqual(self.sim.stats.token_requests, 0)
        self.assertEqual(len(self.mine()), 8)
        self.assertEqual(self.shop.state, "connected")

    def test_administrator_removes_the_subscriptions(self):
        answer = self.call_kw(self.admin, self.shop, "action_webhook_unsubscribe")
        self.assertNotIn("error", answer)
        self.assertGreater(self.sim.stats.requests, 0)
        self.assertEqual(self.mine(), [])
        self.assertIn("8 subscriptions removed", self.shop.webhook_status)
