# Copyright 2026 shopify_stock_sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A shop's launch readiness checklist: gathered from Odoo and Shopify, decided by
``engine.readiness.checklist``, kept as lines on the shop until checked again.

*Check Readiness* reads Shopify's locations, variants and the levels of every linked
item at every mapped location, the link preview of the link wizard, the job runner's
settings and the last test pushes.  *Test Push* pushes the products
``engine.readiness.pick_test_products`` picks (a simple one, one with variants, one at
several locations) through the normal push, and keeps their outcomes for the check.
"""

import uuid

from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import config

from ..engine import inventory, push, subscriptions
from ..engine.data import (
    Direction,
    LevelChange,
    LevelKey,
    OutcomeStatus,
    PushOutcome,
    Subject,
)
from ..engine.readiness import (
    JobRunner,
    MappingInfo,
    ShopReadiness,
    TestPush,
    TestPushKind,
    WebhookStatus,
    checklist,
    pick_test_products,
)
from ..engine.shopify.errors import ShopifyError

try:  # the job runner's own reading of the [queue_job] channels setting
    from odoo.addons.queue_job.jobrunner.runner import _channels as _queue_channels
except ImportError:  # pragma: no cover - queue_job is a dependency

    def _queue_channels():
        return None


class ShopifyReadinessLine(models.Model):
    _name = "shopify.readiness.line"
    _description = "Shopify Launch Readiness Line"
    _order = "shop_id, sequence, id"

    shop_id = fields.Many2one(
        "shopify.shop", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="shop_id.company_id", store=True, index=True)
    sequence = fields.Integer()
    code = fields.Char(required=True)
    title = fields.Char(string="Check", required=True)
    status = fields.Selection(
        [("ok", "OK"), ("problem", "Problem"), ("not_run", "Not run yet")],
        required=True,
    )
    summary = fields.Text()
    records = fields.Text(string="Records Concerned")
    count = fields.Integer(string="Records")
    todo = fields.Text(string="What To Do")


class ShopifyShop(models.Model):
    _inherit = "shopify.shop"  # pylint: disable=consider-merging-classes-inherited

    readiness_line_ids = fields.One2many(
        "shopify.readiness.line", "shop_id", string="Launch Readiness"
    )
    readiness_checked_at = fields.Datetime(
        string="Readiness Checked On", readonly=True, copy=False
    )
    readiness_ok = fields.Boolean(string="Ready to Launch", readonly=True, copy=False)
    readiness_test_pushes = fields.Json(readonly=True, copy=False)

    # -- gathering ---------------------------------------------------------------------

    def _readiness_preview(self):
        """The link wizard's preview of the shop's products and variants."""
        wizard = self.env["shopify.link.wizard"].sudo().create({"shop_id": self.id})
        variants = wizard._read_variants()
        preview, _by_product, _in_scope = wizard._preview(variants)
        return preview

    def _readiness_pairs(self):
        """Every linked item at every mapping that is on, with their names."""
        links = self.link_ids.filtered(lambda link: link.state == "linked")
        mappings = self._mappings_on()
        pairs = {}
        for mapping in mappings:
            odoo = ", ".join(mapping.location_ids.mapped("complete_name"))
            for link in links:
                key = LevelKey(link.inventory_item_gid, mapping.shopify_location_gid)
                pairs[key] = _subject(link, mapping, odoo)
        return pairs

    def _mappings_on(self):
        return self.mapping_ids.filtered(
            lambda m: Direction(m.direction).is_on and m.location_ids
        )

    def _readiness_test_pushes(self):
        pushes = []
        for entry in self.readiness_test_pushes or []:
            outcomes = tuple(
                PushOutcome(
                    LevelChange(LevelKey("", ""), 0),
                    OutcomeStatus(outcome["status"]),
                    message=outcome.get("message") or "",
                )
                for outcome in entry.get("outcomes") or []
            )
            pushes.append(
                TestPush(TestPushKind(entry["kind"]), entry["product"], outcomes)
            )
        return pushes

    def _readiness_data(self):
        self.ensure_one()
        shop = self.sudo()
        client = shop._shopify_client()
        pairs = shop._readiness_pairs()
        try:
            locations = inventory.list_locations(client)
            levels = inventory.read_levels(client, list(pairs))
            webhooks = shop._readiness_webhooks(client)
        except ShopifyError as exc:
            raise UserError(
                self.env._(
                    "Could not read %(shop)s for the checklist: %(error)s",
                    shop=shop.name,
                    error=exc,
                )
            ) from None
        return ShopReadiness(
            granted_scopes=[
                s.strip() for s in (shop.granted_scopes or "").split(",") if s.strip()
            ],
            locations=locations,
            mappings=[
                MappingInfo(
                    m.shopify_location_gid,
                    m.shopify_location_name,
                    Direction(m.direction),
                    tuple(m.location_ids.mapped("complete_name")),
                )
                for m in shop.mapping_ids
            ],
            preview=shop._readiness_preview(),
            expected_pairs=pairs,
            levels=levels,
            job_runner=JobRunner(config["server_wide_modules"], _queue_channels()),
            test_pushes=shop._readiness_test_pushes(),
            webhooks=webhooks,
        )

    def _readiness_webhooks(self, client):
        """Subscriptions and last arrivals, when a mapping takes changes from Shopify
        (None otherwise: no webhook is needed)."""
        if not self.mapping_ids.filtered(
            lambda m: Direction(m.direction).reads_from_shopify
        ):
            return None
        plan = subscriptions.check(client, self.webhook_endpoint)
        groups = self.env["shopify.webhook.event"]._read_group(
            [("shop_id", "=", self.id)], ["topic"], ["received_at:max"]
        )
        return WebhookStatus(
            plan,
            {
                subscriptions.enum_topic(
                    topic
                ): f"{fields.Datetime.to_string(last)} UTC"
                for topic, last in groups
                if topic and last
            },
            sandbox=self.is_sandbox,
        )

    # -- buttons -----------------------------------------------------------------------

    def action_check_readiness(self):
        """Run the launch readiness checklist and keep its lines."""
        self._check_shopify_group(self.env._("check the launch readiness"))
        for shop in self.sudo():
            result = checklist(shop._readiness_data())
            tried = {entry["kind"] for entry in shop.readiness_test_pushes or []}
            lines = []
            for sequence, line in enumerate(result.lines):
                status = "ok" if line.ok else "problem"
                if line.code == "test_push" and not line.ok and not tried:
                    status = "not_run"
                lines.append(
                    {
                        "shop_id": shop.id,
                        "sequence": sequence,
                        "code": line.code,
                        "title": line.title,
                        "status": status,
                        "summary": line.summary,
                        "records": "\n".join(line.records),
                        "count": line.count,
                        "todo": line.todo if not line.ok else False,
                    }
                )
            shop.readiness_line_ids.unlink()
            self.env["shopify.readiness.line"].create(lines)
            shop.write(
                {
                    "readiness_checked_at": fields.Datetime.now(),
                    "readiness_ok": result.ok,
                }
            )
        return True

    def action_readiness_test_push(self):
        """Push the picked test products to Shopify now, then check again."""
        self._check_shopify_group(self.env._("run a test push"))
        for shop in self.sudo():
            shop._readiness_run_test_push()
        return self.action_check_readiness()

    def _readiness_run_test_push(self):
        self.ensure_one()
        preview = self._readiness_preview()
        writing = self._mappings_on().filtered(
            lambda m: Direction(m.direction).writes_to_shopify
        )
        picked = pick_test_products(preview.already_linked, len(writing))
        links = {link.product_id.id: link for link in self.link_ids}
        Level = self.env["shopify.stock.level"].sudo()
        client = self._shopify_client()
        rule = self._quantity_rule()
        salt = uuid.uuid4().hex
        settings = push.PushSettings(
            reference_uri=f"gid://shopify-stock-sync/TestPush/{salt}"
        )
        results = []
        for kind, match in picked.items():
            if match is None or match.product.id not in links:
                continue
            levels = Level._ensure_levels(links[match.product.id], writing)
            try:
                outcomes = self._push_batch(client, levels, rule, settings, salt)
            except ShopifyError as exc:
                outcomes = [
                    PushOutcome(
                        LevelChange(LevelKey("", ""), 0),
                        OutcomeStatus.ERROR,
                        message=str(exc),
                    )
                ]
            results.append(
                {
                    "kind": kind.value,
                    "product": match.product.name,
                    "outcomes": [
                        {"status": o.status.value, "message": o.message}
                        for o in outcomes
                    ],
                }
            )
        self.readiness_test_pushes = results


def _subject(link, mapping, odoo):
    product = link.product_id
    return Subject(
        sku=link.shopify_sku or product.default_code or "",
        product=product.display_name or "",
        shopify_location=mapping.shopify_location_name or "",
        odoo_location=odoo,
    )
