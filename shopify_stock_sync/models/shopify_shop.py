# Copyright 2026 shopify_stock_sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A Shopify shop connection: domain, credentials, defaults and the quantity rule.

The record only translates: the domain and version checks, the client, the quantity
rule and the location list all come from the engine.
"""

import ast
import logging
import os

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.fields import Domain
from odoo.modules import module as odoo_module
from odoo.tools import config

from ..engine import inventory, messages
from ..engine.data import Direction
from ..engine.rule import Basis, QuantityRule, to_push_again
from ..engine.shopify import documents
from ..engine.shopify.auth import REQUIRED_SCOPES, Credentials, validate_domain
from ..engine.shopify.client import (
    DEFAULT_API_VERSION,
    ShopifyClient,
    validate_api_version,
)
from ..engine.shopify.errors import ConfigurationError, ShopifyError
from ..engine.shopify.sandbox import SANDBOX_VARIABLE, sandbox_route
from .constants import ADMIN

_logger = logging.getLogger(__name__)

# For tests only: a base URL (the Shopify simulator on loopback) used instead of
# https://<domain>, honoured only while Odoo runs tests.
BASE_URL_OVERRIDE_PARAM = "shopify_stock_sync.base_url_override"
DEFAULT_API_VERSION_PARAM = "shopify_stock_sync.default_api_version"
DEFAULT_DIRECTION_PARAM = "shopify_stock_sync.default_direction"
# Changing any of these makes the last connection test meaningless.
CONNECTION_FIELDS = (
    "domain",
    "api_version",
    "auth_method",
    "client_id",
    "client_secret",
    "access_token",
)

RECONNECT_ACTIVITY = "shopify_stock_sync.mail_activity_shopify_reconnect"

# Changing any of these changes what Shopify should show: their levels are pushed again.
RULE_FIELDS = ("quantity_basis", "safety_buffer", "use_quantity_cap", "quantity_cap")
SCOPE_FIELD = "product_domain"

DIRECTIONS = [
    (Direction.ODOO_TO_SHOPIFY.value, "Odoo to Shopify"),
    (Direction.SHOPIFY_TO_ODOO.value, "Shopify to Odoo"),
    (Direction.TWO_WAY.value, "Two-way"),
    (Direction.OFF.value, "Off"),
]
BASES = [
    (Basis.FREE.value, "Free to use (on hand minus reserved)"),
    (Basis.ON_HAND.value, "On hand"),
    (Basis.FORECAST.value, "Forecasted"),
]


def _read_sandbox_route():
    """The sandbox route of this server (``bash run.sh``), read once at start."""
    try:
        return sandbox_route(os.environ.get(SANDBOX_VARIABLE))
    except ConfigurationError as exc:
        _logger.error("Sandbox route ignored: %s", exc)
        return None


SANDBOX = _read_sandbox_route()


def in_test_mode():
    """True while Odoo runs tests (``--test-enable``, or pytest-odoo's test run)."""
    return bool(config["test_enable"] or odoo_module.current_test)


def check_api_version(env, version):
    """Refuse what the engine's client would refuse as an API version."""
    try:
        validate_api_version(version)
    except ConfigurationError:
        raise ValidationError(
            env._(
                "%(version)r is not a Shopify API version: use a quarterly version "
                "such as %(default)s.",
                version=version,
                default=DEFAULT_API_VERSION,
            )
        ) from None


class ShopifyShop(models.Model):
    _name = "shopify.shop"
    _description = "Shopify Shop"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "name, id"

    name = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
        tracking=True,
    )
    domain = fields.Char(
        string="Shop Domain",
        required=True,
        tracking=True,
        help="The shop's permanent domain, such as my-shop.myshopify.com "
        "(lower case, without https:// or a path).",
    )
    api_version = fields.Char(
        string="API Version",
        required=True,
        tracking=True,
        default=lambda self: self._default_api_version(),
        help="The Shopify Admin API version the shop is called with, such as 2026-10.",
    )
    auth_method = fields.Selection(
        [
            ("client_credentials", "Client credentials (Dev Dashboard app)"),
            ("admin_token", "Admin API access token (legacy custom app)"),
        ],
        string="Authentication",
        required=True,
        default="client_credentials",
        tracking=True,
    )
    # Secrets: readable by system administrators only, never copied, never tracked,
    # never logged, never passed to a job (jobs read them from the shop with sudo).
    client_id = fields.Char(
        string="Client ID",
        groups="base.group_system",
        copy=False,
        help="Client ID of the Dev Dashboard app installed on the shop.",
    )
    client_secret = fields.Char(
        groups="base.group_system",
        copy=False,
        help="Client secret of the Dev Dashboard app; also signs its webhooks.",
    )
    access_token = fields.Char(
        string="Admin API Access Token",
        groups="base.group_system",
        copy=False,
        help="The Admin API access token of a legacy custom app (shpat_...).",
    )
    api_secret = fields.Char(
        string="API Secret Key",
        groups="base.group_system",
        copy=False,
        help="The API secret key of a legacy custom app: it signs the app's webhooks.",
    )
    default_direction = fields.Selection(
        DIRECTIONS,
        required=True,
        tracking=True,
        default=lambda self: self._default_direction(),
        help="The direction proposed for a location mapping once Odoo locations are "
        "mapped to it.",
    )
    quantity_basis = fields.Selection(
        BASES,
        required=True,
        default=Basis.FREE.value,
        tracking=True,
        help="Which Odoo quantity Shopify may sell.",
    )
    safety_buffer = fields.Float(
        digits="Product Unit",
        default=0.0,
        tracking=True,
        help="Units kept back from Shopify at each location.",
    )
    use_quantity_cap = fields.Boolean(string="Cap Quantities", tracking=True)
    quantity_cap = fields.Integer(
        tracking=True,
        help="Shopify never shows more than this per location.",
    )
    product_domain = fields.Char(
        string="Sync Scope",
        default="[]",
        help="The Odoo products this shop syncs (all when empty); a small group is "
        "a safe pilot.",
    )
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("connected", "Connected"),
            ("reconnect", "Needs Reconnecting"),
            ("error", "Error"),
        ],
        required=True,
        default="draft",
        readonly=True,
        copy=False,
        tracking=True,
    )
    state_reason = fields.Text(string="Connection Status", readonly=True, copy=False)
    is_sandbox = fields.Boolean(
        compute="_compute_is_sandbox",
        help="This server was started by run.sh with this shop as its sandbox: it "
        "talks to the bundled Shopify simulator, not to Shopify.",
    )
    sandbox_page_url = fields.Char(compute="_compute_is_sandbox")
    shopify_shop_name = fields.Char(string="Name in Shopify", readonly=True, copy=False)
    granted_scopes = fields.Char(readonly=True, copy=False)
    missing_scopes = fields.Char(readonly=True, copy=False)
    connection_checked_at = fields.Datetime(
        string="Connection Tested On", readonly=True, copy=False
    )
    mapping_ids = fields.One2many(
        "shopify.location.mapping", "shop_id", string="Location Mappings"
    )
    link_ids = fields.One2many("shopify.variant.link", "shop_id", string="Links")
    mapping_count = fields.Integer(compute="_compute_counts")
    link_count = fields.Integer(compute="_compute_counts")
    level_pending_count = fields.Integer(compute="_compute_counts")
    level_error_count = fields.Integer(compute="_compute_counts")

    _domain_uniq = models.Constraint(
        "UNIQUE(domain)",
        "This Shopify shop is already connected (perhaps archived, or in another "
        "company).",
    )

    # -- defaults -------------------------------------------------------------------

    @api.model
    def _default_api_version(self):
        param = self.env["ir.config_parameter"].sudo()
        return param.get_param(DEFAULT_API_VERSION_PARAM) or DEFAULT_API_VERSION

    @api.model
    def _default_direction(self):
        param = self.env["ir.config_parameter"].sudo()
        value = param.get_param(DEFAULT_DIRECTION_PARAM)
        if value in dict(DIRECTIONS):
            return value
        return Direction.ODOO_TO_SHOPIFY.value

    # -- computes -------------------------------------------------------------------

    def _compute_counts(self):
        def counts(model, domain):
            groups = self.env[model]._read_group(
                Domain("shop_id", "in", self.ids) & Domain(domain),
                ["shop_id"],
                ["__count"],
            )
            return {shop.id: count for shop, count in groups}

        mappings = counts("shopify.location.mapping", Domain.TRUE)
        links = counts("shopify.variant.link", Domain.TRUE)
        pending = counts("shopify.stock.level", Domain("state", "=", "pending"))
        errors = counts("shopify.stock.level", Domain("state", "=", "error"))
        for shop in self:
            shop.mapping_count = mappings.get(shop.id, 0)
            shop.link_count = links.get(shop.id, 0)
            shop.level_pending_count = pending.get(shop.id, 0)
            shop.level_error_count = errors.get(shop.id, 0)

    # -- constraints ----------------------------------------------------------------

    @api.constrains("domain")
    def _check_domain(self):
        for shop in self:
            try:
                validate_domain(shop.domain)
            except ConfigurationError as exc:
                raise ValidationError(str(exc)) from None

    @api.constrains("api_version")
    def _check_api_version(self):
        for shop in self:
            check_api_version(self.env, shop.api_version)

    @api.constrains(
        "quantity_basis", "safety_buffer", "use_quantity_cap", "quantity_cap"
    )
    def _check_quantity_rule(self):
        for shop in self:
            try:
                shop._quantity_rule()
            except ValueError as exc:
                raise ValidationError(str(exc)) from None

    @api.constrains("product_domain")
    def _check_product_domain(self):
        for shop in self:
            shop._sync_scope_domain()

    # -- engine translations --------------------------------------------------------

    def _quantity_rule(self):
        """The engine's quantity rule of this shop."""
        self.ensure_one()
        return QuantityRule(
            basis=Basis(self.quantity_basis),
            safety_buffer=self.safety_buffer,
            cap=self.quantity_cap if self.use_quantity_cap else None,
        )

    def _sync_scope_domain(self):
        """The product.product domain of the shop's sync scope (a ``Domain``)."""
        self.ensure_one()
        text = (self.product_domain or "").strip() or "[]"
        try:
            domain = Domain(ast.literal_eval(text))
            domain.validate(self.env["product.product"])
        except (ValueError, SyntaxError, TypeError, KeyError) as exc:
            raise ValidationError(
                self.env._(
                    "The sync scope of shop %(shop)s is not a valid product filter "
                    "(%(error)s). Edit it with the filter editor, or clear it to sync "
                    "every product.",
                    shop=self.name,
                    error=exc,
                )
            ) from None
        return domain

    def _shopify_base_url_override(self):
        """The base URL to call instead of https://<domain>: the simulator's, or None.

        Two ways only, neither a database setting that could divert a real shop: the
        sandbox of ``bash run.sh`` (the server's ``SHOPIFY_STOCK_SYNC_SANDBOX``, for
        its own domain only, on loopback), and, while Odoo runs tests, the
        ``shopify_stock_sync.base_url_override`` parameter.
        """
        self.ensure_one()
        sandbox = SANDBOX and SANDBOX.base_url_for(self.domain)
        if sandbox:
            return sandbox
        if not in_test_mode():
            return None
        param = self.env["ir.config_parameter"].sudo()
        return param.get_param(BASE_URL_OVERRIDE_PARAM) or None

    def _shopify_credentials(self):
        self.ensure_one()
        shop = self.sudo()
        if shop.auth_method == "admin_token":
            return Credentials.admin_token(shop.access_token or "")
        return Credentials.client_credentials(
            shop.client_id or "", shop.client_secret or ""
        )

    def _shopify_client(self, **options):
        """The engine's client for this shop (the secrets are read with sudo).

        Raises ``UserError`` with the engine's message when the settings cannot make
        a client (a bad domain or version, missing credentials).
        """
        self.ensure_one()
        try:
            return ShopifyClient(
                self.domain,
                self._shopify_credentials(),
                api_version=self.api_version,
                base_url=self._shopify_base_url_override(),
                **options,
            )
        except ConfigurationError as exc:
            raise UserError(str(exc)) from None

    @api.depends("domain")
    def _compute_is_sandbox(self):
        for shop in self:
            shop.is_sandbox = bool(SANDBOX and SANDBOX.base_url_for(shop.domain))
            shop.sandbox_page_url = SANDBOX.page_url if shop.is_sandbox else False

    # -- ORM ------------------------------------------------------------------------

    def write(self, vals):
        if "state" not in vals and any(name in vals for name in CONNECTION_FIELDS):
            vals = dict(
                vals,
                state="draft",
                state_reason=self.env._(
                    "The connection settings changed: test the connection again."
                ),
            )
        before = self._rule_snapshot(vals)
        result = super().write(vals)
        if before:
            self._push_rule_changes(before)
        return result

    def _rule_snapshot(self, vals):
        """Before a write that may change the quantity rule or the sync scope: each
        shop's rule and linked products in scope, by shop id (empty otherwise)."""
        if not any(name in vals for name in (*RULE_FIELDS, SCOPE_FIELD)):
            return {}
        return {shop.id: shop._rule_and_scope() for shop in self.sudo()}

    def _rule_and_scope(self):
        self.ensure_one()
        links = (
            self.env["shopify.variant.link"]
            .sudo()
            .search_fetch(
                Domain("shop_id", "=", self.id) & Domain("state", "=", "linked"),
                ["product_id"],
            )
        )
        return self._quantity_rule(), self._products_in_scope(set(links.product_id.ids))

    def _push_rule_changes(self, before):
        """Push again exactly the levels a rule or scope change affects: with a new
        rule, every linked product in scope; with a new scope only, the products
        that entered it (those that left it are no longer synced).  Through the
        stock changes' own recording, so the shop's push job takes them in
        batches."""
        for shop in self.sudo():
            rule_before, scope_before = before[shop.id]
            rule, scope = shop._rule_and_scope()
            shop._push_again(to_push_again(rule_before, rule, scope_before, scope))

    def _push_again(self, product_ids, mappings=None):
        """Record a stock change of these products at the shop's mappings that
        write to Shopify (only ``mappings``, when given), as a stock move would: the
        shop's push job takes them in batches."""
        self.ensure_one()
        if not product_ids:
            return
        self.env.flush_all()  # the mappings and links as just written, for the SQL
        Change = self.env["shopify.stock.change"].sudo()
        Change._record(
            [
                row
                for row in Change._resolve_products(product_ids)
                if row[0] == self.id and (mappings is None or row[2] in mappings.ids)
            ]
        )

    # -- buttons --------------------------------------------------------------------

    def action_test_connection(self):
        """Ask Shopify who we are: the shop's name, the granted scopes, the version."""
        self._check_shopify_group(self.env._("test the connection to Shopify"))
        self.ensure_one()
        now = fields.Datetime.now()
        try:
            client = self._shopify_client()
            data = client.execute(documents.SHOP_INFO)
        except (UserError, ShopifyError) as exc:
            reason = str(exc)
            self.write(
                {
                    # a shop whose pushes are held stays held until a test passes
                    "state": "reconnect" if self.state == "reconnect" else "error",
                    "state_reason": reason,
                    "connection_checked_at": now,
                }
            )
            _logger.info("Shopify shop %s: connection test failed", self.id)
            return self._notify(
                self.env._("Connection to %(shop)s failed", shop=self.name),
                reason,
                "danger",
            )
        shop_info = data.get("shop") or {}
        installation = data.get("currentAppInstallation") or {}
        granted = sorted(
            {s["handle"] for s in installation.get("accessScopes") or () if s}
        )
        missing = [scope for scope in REQUIRED_SCOPES if scope not in granted]
        values = {
            "shopify_shop_name": shop_info.get("name") or "",
            "granted_scopes": ", ".join(granted),
            "missing_scopes": ", ".join(missing),
            "connection_checked_at": now,
        }
        if missing:
            state = "reconnect" if self.state == "reconnect" else "error"
            reason = self.env._(
                "Connected to %(name)s (API %(version)s), but the app lacks the access "
                "scopes %(missing)s. Grant them to the app in Shopify and reinstall "
                "it, then test again.",
                name=values["shopify_shop_name"] or self.domain,
                version=self.api_version,
                missing=", ".join(missing),
            )
            values.update(state=state, state_reason=reason)
            kind = "warning"
        else:
            reason = self.env._(
                "Connected to %(name)s (API %(version)s) with the scopes %(granted)s.",
                name=values["shopify_shop_name"] or self.domain,
                version=self.api_version,
                granted=values["granted_scopes"],
            )
            values.update(state="connected", state_reason=reason)
            kind = "success"
        self.write(values)
        if not missing:
            self._resume_pushes()
        return self._notify(
            self.env._("Connection to %(shop)s tested", shop=self.name), reason, kind
        )

    # -- refused credentials: pushes held until the connection test passes ---------

    def _hold_push(self, cause=""):
        """Hold the shop's pushes: Shopify refuses its credentials or a scope.

        Called by the push job instead of failing: the shop goes to *Needs
        Reconnecting* (``cause``: the refusal just met), its administrators get one
        activity and the log one line, however many changes come; the pending levels
        carry the message and wait.  Returns the message (the job's result).
        """
        self.ensure_one()
        shop = self.sudo()
        message = messages.push_held(shop.name, shop._pending_count(), cause)
        if cause:
            if shop.state != "reconnect":
                _logger.warning(
                    "Shopify shop %s: Shopify refused its credentials or an access "
                    "scope; its pushes are held until its connection test passes",
                    shop.id,
                )
            shop.write({"state": "reconnect", "state_reason": message})
            shop._schedule_reconnect_activity(message)
        # the same record of the failure on the pending levels as a failed push job
        shop._push_stock_failed(
            exc_name="ShopifyPushAuthError", exc_message=shop.state_reason or message
        )
        return message

    def _schedule_reconnect_activity(self, message):
        """One open *Reconnect* activity per shop, for one of its administrators."""
        self.ensure_one()
        if self.activity_ids.filtered(
            lambda activity: activity.activity_type_id.id == self._reconnect_type_id()
        ):
            return
        admin = self._connection_admin()
        self.activity_schedule(
            RECONNECT_ACTIVITY,
            note=message,
            user_id=admin.id or self.env.uid,
        )

    def _reconnect_type_id(self):
        return self.env["ir.model.data"]._xmlid_to_res_id(RECONNECT_ACTIVITY)

    def _connection_admin(self):
        """Who fixes the shop's credentials: a system administrator (only they read
        the secrets) of the shop's company, a Shopify administrator first."""
        self.ensure_one()
        users = (
            self.env.ref("base.group_system")
            .sudo()
            .all_user_ids.filtered(
                lambda user: user.active
                and not user.share
                and self.company_id in user.company_ids
            )
        )
        shopify_admins = users.filtered(lambda user: user.has_group(ADMIN))
        return (shopify_admins or users).sorted("id")[:1]

    def _resume_pushes(self):
        """The connection test passed: close the *Reconnect* activity and push what
        waited (pending levels, recorded changes), without anyone asking."""
        self.ensure_one()
        shop = self.sudo()
        shop.activity_ids.filtered(
            lambda activity: activity.activity_type_id.id == shop._reconnect_type_id()
        ).action_feedback(feedback=self.env._("The connection test passed."))
        waiting = shop._pending_count() or self.env[
            "shopify.stock.change"
        ].sudo().search_count(Domain("shop_id", "=", shop.id), limit=1)
        if waiting and shop.active:
            shop._enqueue_push()
        # the webhooks Shopify delivered meanwhile, whose level could not be read
        # (held for the credentials; an event in error for another cause stays)
        held = (
            self.env["shopify.webhook.event"]
            .sudo()
            .search(
                Domain("shop_id", "=", shop.id)
                & Domain("state", "=", "error")
                & Domain("kind", "=", "held")
            )
        )
        if held and shop.active:
            held.write({"state": "received"})
            held._enqueue()

    def action_import_locations(self):
        """Create or update one mapping per Shopify location (new ones are off)."""
        self._check_shopify_group(self.env._("import the locations from Shopify"))
        self.ensure_one()
        try:
            result = self._import_locations()
        except ShopifyError as exc:
            raise UserError(
                self.env._(
                    "Could not read the locations of %(shop)s: %(error)s",
                    shop=self.name,
                    error=exc,
                )
            ) from None
        return self._notify(
            self.env._("Locations of %(shop)s imported", shop=self.name),
            result,
            "success",
        )

    def _import_locations(self):
        """Read the shop's locations in Shopify and update its mappings from them
        (``_import_shopify_locations``); returns the summary for the user.  Raises
        ``ShopifyError`` when Shopify cannot be read."""
        self.ensure_one()
        locations = inventory.list_locations(self._shopify_client())
        return self.env["shopify.location.mapping"]._import_shopify_locations(
            self, locations
        )

    def _notify(self, title, message, kind):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": title,
                "message": message,
                "type": kind,
                "sticky": kind != "success",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def _open_related(self, action_xmlid):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(action_xmlid)
        action["domain"] = [("shop_id", "=", self.id)]
        context = {
            key: value
            for key, value in self.env.context.items()
            if key.startswith("search_default_")
        }
        action["context"] = dict(context, default_shop_id=self.id)
        return action

    def action_open_mappings(self):
        return self._open_related("shopify_stock_sync.action_shopify_location_mapping")

    def action_open_links(self):
        return self._open_related("shopify_stock_sync.action_shopify_variant_link")

    def action_open_levels(self):
        return self._open_related("shopify_stock_sync.action_shopify_stock_level")
