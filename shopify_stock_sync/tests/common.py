# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Fixtures shared by the addon's tests: a shop, Odoo locations, users per group."""

import itertools
import pathlib
import sys
from contextlib import contextmanager
from unittest.mock import patch
from urllib.parse import urlsplit

import requests

from odoo.tests import HttpCase, TransactionCase, common, new_test_user

from odoo.addons.shopify_stock_sync.models.constants import ADMIN, OPERATOR
from odoo.addons.shopify_stock_sync.models.shopify_shop import BASE_URL_OVERRIDE_PARAM

try:
    from tests.simulator import Simulator
except ImportError:  # run by Odoo itself: the repository root is not on sys.path
    sys.path.append(str(pathlib.Path(__file__).resolve().parents[2]))
    from tests.simulator import Simulator

__all__ = [
    "ADMIN",
    "OPERATOR",
    "HttpPushCase",
    "LoopbackSession",
    "PushCase",
    "ShopifyCase",
    "Simulator",
]

_NUMBERS = itertools.count(1000)


class ShopifyCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.ref("base.main_company")
        cls.warehouse = cls.env.ref("stock.warehouse0")
        cls.stock = cls.warehouse.lot_stock_id
        Location = cls.env["stock.location"]
        cls.shelf_1 = Location.create(
            {"name": "Shelf 1", "location_id": cls.stock.id, "usage": "internal"}
        )
        cls.shelf_2 = Location.create(
            {"name": "Shelf 2", "location_id": cls.stock.id, "usage": "internal"}
        )
        cls.bin_1 = Location.create(
            {"name": "Bin 1", "location_id": cls.shelf_1.id, "usage": "internal"}
        )
        cls.backroom = Location.create(
            {
                "name": "Backroom",
                "location_id": cls.warehouse.view_location_id.id,
                "usage": "internal",
            }
        )
        cls.customers = cls.env.ref("stock.stock_location_customers")
        cls.shop = cls.env["shopify.shop"].create(
            {
                "name": "Main shop",
                "domain": "main-shop.myshopify.com",
                "company_id": cls.company.id,
            }
        )

    @classmethod
    def _request_handler(cls, s, r, /, **kw):
        # Odoo's guard against external requests in tests compares the timeout with a
        # number; the engine's client gives (connect, read) tuples
        if isinstance(kw.get("timeout"), tuple):
            kw["timeout"] = max(kw["timeout"])
        return super()._request_handler(s, r, **kw)

    @classmethod
    def _mapping(cls, name, locations=None, direction="off", shop=None, **values):
        shop = shop or cls.shop
        number = next(_NUMBERS)
        return cls.env["shopify.location.mapping"].create(
            {
                "shop_id": shop.id,
                "shopify_location_gid": f"gid://shopify/Location/{number}",
                "shopify_location_name": name,
                "location_ids": [(6, 0, locations.ids if locations else [])],
                "direction": direction,
                **values,
            }
        )

    @classmethod
    def _product(cls, name, **values):
        return cls.env["product.product"].create(
            {"name": name, "is_storable": True, **values}
        )

    @classmethod
    def _link(cls, product, number, shop=None, **values):
        return cls.env["shopify.variant.link"].create(
            {
                "shop_id": (shop or cls.shop).id,
                "product_id": product.id,
                "variant_gid": f"gid://shopify/ProductVariant/{number}",
                "inventory_item_gid": f"gid://shopify/InventoryItem/{number}",
                "shopify_sku": product.default_code or False,
                **values,
            }
        )

    @classmethod
    def _user(cls, login, groups, company=None):
        company = company or cls.company
        return new_test_user(
            cls.env,
            login=login,
            groups=f"base.group_user,{groups}",
            company_id=company.id,
            company_ids=[(6, 0, company.ids)],
        )


class LoopbackSession(requests.Session):
    """Sends to the simulator on loopback with the client's own timeouts.

    Odoo's test guard raises any request timeout below 10 s; a simulated timeout
    would then cost 10 real seconds.  Loopback requests go straight to the transport
    adapter instead (anything else still meets Odoo's guard).
    """

    def send(self, request, **kwargs):
        if urlsplit(request.url).hostname != "127.0.0.1":
            return super().send(request, **kwargs)
        return self.get_adapter(request.url).send(
            request,
            timeout=kwargs.get("timeout"),
            verify=kwargs.get("verify", True),
            proxies=kwargs.get("proxies") or {},
        )


class PushCase(ShopifyCase):
    """The shop on a fresh Shopify simulator per test, its client on the simulator's
    virtual clock (pacing and back-off take no real time), with short timeouts."""

    TOKEN = "shpat_push_token"

    def setUp(self):
        super().setUp()
        self.sim = sim = Simulator(plan="standard", domain=self.shop.domain)
        self.addCleanup(sim.close)
        sim.add_token(self.TOKEN)
        sim.timeout_delay = 0.5  # real seconds; the client gives up after 0.2 s
        self.env["ir.config_parameter"].sudo().set_param(
            BASE_URL_OVERRIDE_PARAM, sim.base_url
        )
        self.shop.sudo().write(
            {"auth_method": "admin_token", "access_token": self.TOKEN}
        )
        shop_class = type(self.env["shopify.shop"])
        make_client = shop_class._shopify_client

        def simulated_client(shop, **options):
            options.update(
                clock=sim.clock.now,
                sleep=sim.clock.sleep,
                timeout=(1.0, 0.2),
                session=LoopbackSession(),
            )
            return make_client(shop, **options)

        self.patch(shop_class, "_shopify_client", simulated_client)

    def _simulated_mapping(self, name, locations, direction):
        """A location of the simulated shop and its mapping to ``locations``:
        ``(its gid, the mapping)``."""
        gid = self.sim.add_location(name)
        return gid, self._mapping(name, locations, direction, shopify_location_gid=gid)

    def run_jobs(self, trap, limit=20):
        """Perform the trapped jobs, and the jobs they enqueue, until none is left;
        returns how many ran."""
        ran = 0
        while trap.enqueued_jobs:
            ran += len(trap.enqueued_jobs)
            trap.perform_enqueued_jobs()
            if ran > limit:
                self.fail(f"more than {limit} jobs: the push keeps enqueueing itself")
        return ran


class HttpPushCase(HttpCase, PushCase):
    """A PushCase with Odoo's HTTP server answering: webhook deliveries, JSON-RPC
    calls as a logged-in user."""

    @contextmanager
    def requests_allowed(self, keep=0):
        """Let the server handle requests meanwhile, cookie or not (the simulator's
        deliveries carry no test cookie).  The registry's test lock is released
        as often as it is held (pytest-odoo holds it twice), then taken again."""
        lock = common._registry_test_lock
        held = 0
        with patch.object(self, "http_request_allow_all", True):
            while lock._is_owned() and lock.count > keep:
                lock.release()
                held += 1
            try:
                yield
            finally:
                for _ in range(held):
                    lock.acquire()

    def url_open(self, *args, **kwargs):
        # the opener releases the lock once itself
        with self.requests_allowed(keep=1):
            return super().url_open(*args, **kwargs)
