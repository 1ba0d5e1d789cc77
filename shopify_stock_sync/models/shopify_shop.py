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

from ..engine import inventory
from ..engine.data import Direction
from ..engine.rule import Basis, QuantityRule
from ..engine.shopify import documents
from ..engine.shopify.auth import REQUIRED_SCOPES, Credentials, validate_domain
from ..engine.shopify.client import (
    DEFAULT_API_VERSION,
    ShopifyClient,
    validate_api_version,
)
from ..engine.shopify.errors import ConfigurationError, ShopifyError
from ..engine.shopify.sandbox import SANDBOX_VARIABLE, sandbox_route

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

DIRECTIONS = [
    (Direction.ODOO_TO_SHOPIFY.value, "Odoo to Shopify"),
    (Direction.SHOPIFY_TO_ODOO.value, "Shopify to Odoo"),
    (Direction.TWO_WAY.value, "Two-way"),
    (Direction.OFF.value, "Off"),
]
WRITING_DIRECTIONS = (Direction.ODOO_TO_SHOPIFY.value, Direction.TWO_WAY.value)
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
    _inherit = ["mail.thread"]
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
        [("draft", "Draft"), ("connected", "Connected"), ("error", "Error")],
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
        return super().write(vals)

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
                    "state": "error",
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
            reason = self.env._(
                "Connected to %(name)s (API %(version)s), but the app lacks the access "
                "scopes %(missing)s. Grant them to the app in Shopify and reinstall "
                "it, then test again.",
                name=values["shopify_shop_name"] or self.domain,
                version=self.api_version,
                missing=", ".join(missing),
            )
            values.update(state="error", state_reason=reason)
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
        return self._notify(
            self.env._("Connection to %(shop)s tested", shop=self.name), reason, kind
        )

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
