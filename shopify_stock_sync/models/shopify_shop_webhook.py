# Copyright 2026 shopify_stock_sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The shop's webhook side: its endpoint, its secrets, its subscriptions.

Each shop has its own endpoint, named by a random token (not its id: the addresses
of other shops cannot be guessed from one).  Deliveries are signed with the app's
secret: the client secret (Dev Dashboard app) or the API secret key (legacy custom
app); during a rotation the previous secret is accepted too.
"""

import secrets

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..engine import subscriptions
from ..engine.shopify.errors import ShopifyError

WEBHOOK_ROUTE = "/shopify_stock_sync/webhook/"


def new_webhook_token():
    return secrets.token_urlsafe(24)


class ShopifyShop(models.Model):
    _inherit = "shopify.shop"  # pylint: disable=consider-merging-classes-inherited

    webhook_token = fields.Char(
        copy=False,
        readonly=True,
        index=True,
        default=lambda self: new_webhook_token(),
        groups="shopify_stock_sync.group_shopify_admin",
        help="The random part of the shop's webhook address.",
    )
    webhook_endpoint = fields.Char(
        string="Webhook Address",
        compute="_compute_webhook_endpoint",
        groups="shopify_stock_sync.group_shopify_admin",
        help="Where Shopify sends this shop's webhooks (from the web.base.url "
        "parameter).",
    )
    previous_webhook_secret = fields.Char(
        groups="base.group_system",
        copy=False,
        help="During a rotation of the app's secret: the previous secret, still "
        "accepted on webhooks until cleared.",
    )
    webhook_status = fields.Text(
        string="Webhook Subscriptions", readonly=True, copy=False
    )

    def init(self):
        """Give every shop a token of its own: when the column is added to an
        existing database, Odoo fills every row with one default value."""
        self.env.cr.execute(
            """
            SELECT id FROM shopify_shop shop
             WHERE webhook_token IS NULL
                OR EXISTS (SELECT 1 FROM shopify_shop other
                            WHERE other.webhook_token = shop.webhook_token
                              AND other.id < shop.id)
            """
        )
        for (shop_id,) in self.env.cr.fetchall():
            self.env.cr.execute(
                "UPDATE shopify_shop SET webhook_token = %s WHERE id = %s",
                (new_webhook_token(), shop_id),
            )

    @api.depends("webhook_token")
    def _compute_webhook_endpoint(self):
        base = (
            self.env["ir.config_parameter"].sudo().get_param("web.base.url") or ""
        ).rstrip("/")
        for shop in self:
            token = shop.sudo().webhook_token
            shop.webhook_endpoint = f"{base}{WEBHOOK_ROUTE}{token}" if token else False

    def _webhook_secrets(self):
        """The secrets a delivery may be signed with: the current, the previous."""
        self.ensure_one()
        shop = self.sudo()
        current = shop.api_secret if shop.auth_method == "admin_token" else None
        current = current or shop.client_secret
        return [current, shop.previous_webhook_secret]

    # -- buttons ---------------------------------------------------------------------

    def _subscription_call(self, call):
        self.ensure_one()
        endpoint = self.sudo().webhook_endpoint
        try:
            return call(self._shopify_client(), endpoint)
        except ShopifyError as exc:
            raise UserError(
                self.env._(
                    "Webhook subscriptions of %(shop)s: %(error)s",
                    shop=self.name,
                    error=exc,
                )
            ) from None

    def _describe_plan(self, wanted):
        missing = ", ".join(wanted.to_create) or self.env._("none")
        present = ", ".join(s.topic for s in wanted.present) or self.env._("none")
        elsewhere = ", ".join(f"{s.topic} → {s.uri}" for s in wanted.elsewhere)
        text = self.env._(
            "Subscribed: %(present)s. Missing: %(missing)s.",
            present=present,
            missing=missing,
        )
        if elsewhere:
            text += " " + self.env._("Pointing elsewhere: %s.", elsewhere)
        return text

    def action_webhook_subscribe(self):
        """Make the shop send every inventory level and location topic here."""
        self._check_shopify_group(self.env._("subscribe the webhooks"))
        result = self._subscription_call(subscriptions.ensure)
        wanted = self._subscription_call(subscriptions.check)
        status = self._describe_plan(wanted)
        self.webhook_status = status
        return self._notify(
            self.env._(
                "Webhooks of %(shop)s: %(created)s created, %(removed)s removed",
                shop=self.name,
                created=len(result.created),
                removed=len(result.removed),
            ),
            status,
            "success" if wanted.ready else "warning",
        )

    def action_webhook_check(self):
        """Compare the shop's subscriptions with what is needed; change nothing."""
        self._check_shopify_group(self.env._("check the webhook subscriptions"))
        wanted = self._subscription_call(subscriptions.check)
        status = self._describe_plan(wanted)
        self.webhook_status = status
        return self._notify(
            self.env._("Webhooks of %s checked", self.name),
            status,
            "success" if wanted.ready else "warning",
        )

    def action_webhook_unsubscribe(self):
        """Delete every subscription pointing at this shop's endpoint."""
        self._check_shopify_group(self.env._("remove the webhook subscriptions"))
        removed = self._subscription_call(subscriptions.remove_all)
        status = self.env._("%s subscriptions removed.", len(removed))
        self.webhook_status = status
        return self._notify(
            self.env._("Webhooks of %s removed", self.name), status, "success"
        )

    def action_open_webhook_events(self):
        return self._open_related("shopify_stock_sync.action_shopify_webhook_event")


# pylint: disable=consider-merging-classes-inherited
class ShopifyLocationMapping(models.Model):
    _inherit = "shopify.location.mapping"

    conflict_rule = fields.Selection(
        [("odoo_wins", "Odoo wins"), ("shopify_wins", "Shopify wins")],
        required=True,
        default="odoo_wins",
        tracking=True,
        help="Two-way mappings: when both Odoo and Shopify changed a level since the "
        "last sync. Odoo wins: Shopify's change is not applied and Odoo's quantity "
        "is pushed. Shopify wins: Shopify's change is applied to Odoo, then the sum "
        "is pushed. Either way the event is listed for review.",
    )
