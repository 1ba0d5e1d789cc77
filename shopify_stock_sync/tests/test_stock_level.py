# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Levels: created lazily, translated to the engine's LevelChange and back from its
PushOutcome, re-queued by operators."""

from psycopg2 import IntegrityError

from odoo import fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.shopify_stock_sync.engine import push
from odoo.addons.shopify_stock_sync.engine.data import (
    ErrorCategory,
    LevelChange,
    LevelKey,
    OutcomeStatus,
    PushOutcome,
    ShopifyLevel,
    Subject,
)
from odoo.addons.shopify_stock_sync.models.shopify_shop import BASE_URL_OVERRIDE_PARAM

from .common import OPERATOR, ShopifyCase, Simulator


@tagged("post_install", "-at_install")
class TestStockLevel(ShopifyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.shirt = cls._product("Shirt", default_code="ABC-RED-M")
        cls.mug = cls._product("Mug", default_code="MUG")
        cls.lamp = cls._product("Lamp", default_code="LAMP")
        cls.shirt_link = cls._link(cls.shirt, 1)
        cls.mug_link = cls._link(cls.mug, 2)
        cls.lamp_link = cls._link(
            cls.lamp, 3, state="conflict", conflict_reason="Duplicate SKU"
        )
        cls.main = cls._mapping("Main store", cls.shelf_1, "odoo_to_shopify")
        cls.outlet = cls._mapping("Outlet", cls.shelf_2, "off")
        cls.popup = cls._mapping("Pop-up", direction="odoo_to_shopify")
        cls.Level = cls.env["shopify.stock.level"]

    def _level(self, link=None, mapping=None):
        return self.Level._ensure_levels(link or self.shirt_link, mapping or self.main)

    def test_levels_only_for_linked_and_mapped_pairs(self):
        links = self.shirt_link | self.mug_link | self.lamp_link
        mappings = self.main | self.outlet | self.popup
        levels = self.Level._ensure_levels(links, mappings)
        self.assertEqual(len(levels), 2)
        self.assertEqual(levels.link_id, self.shirt_link | self.mug_link)
        self.assertEqual(levels.mapping_id, self.main)
        self.assertEqual(set(levels.mapped("state")), {"pending"})
        self.assertTrue(all(levels.mapped("dirty_since")))
        self.assertEqual(levels.shop_id, self.shop)
        self.assertEqual(levels.company_id, self.company)
        self.assertEqual(levels.product_id, self.shirt | self.mug)
        # again: the same levels, none created
        self.assertEqual(self.Level._ensure_levels(links, mappings), levels)
        self.assertEqual(self.Level.search_count([("shop_id", "=", self.shop.id)]), 2)

    def test_each_pair_once_and_only_the_pairs_asked_for(self):
        """Links and mappings named several times (a reconciliation chunk's drifts,
        several per product and per location): one level per pair, created in one
        go; with ``pairs``, only those pairs get a level."""
        links = self.shirt_link | self.mug_link
        mappings = self.main | self.popup
        self.popup.location_ids = self.backroom
        twice = self.Level._ensure_levels(links + links, mappings + mappings)
        self.assertEqual(len(twice), 4)
        self.assertEqual(self.Level.search_count([("shop_id", "=", self.shop.id)]), 4)
        twice.unlink()
        wanted = {(self.shirt_link.id, self.main.id), (self.mug_link.id, self.popup.id)}
        levels = self.Level._ensure_levels(links + links, mappings, pairs=wanted)
        self.assertEqual(
            {(level.link_id.id, level.mapping_id.id) for level in levels}, wanted
        )
        self.assertEqual(self.Level.search_count([("shop_id", "=", self.shop.id)]), 2)
        again = self.Level._ensure_levels(links, mappings, pairs=wanted)
        self.assertEqual(again, levels)

    def test_levels_never_join_two_shops(self):
        other_shop = self.shop.copy(
            {"name": "Other shop", "domain": "other-shop.myshopify.com"}
        )
        other_link = self._link(self.shirt, 1, shop=other_shop)
        self.assertFalse(self.Level._ensure_levels(other_link, self.main))
        with self.assertRaises(ValidationError) as caught:
            self.Level.create({"link_id": other_link.id, "mapping_id": self.main.id})
        self.assertEqual(
            str(caught.exception),
            "The level of [ABC-RED-M] Shirt joins a link of shop Other shop to a "
            "location mapping of shop Main shop: both must belong to the same shop.",
        )

    def test_one_level_per_link_and_mapping(self):
        level = self._level()
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(IntegrityError) as caught,
            self.env.cr.savepoint(),
        ):
            level.copy()
        self.assertIn("shopify_stock_level_link_mapping_uniq", str(caught.exception))

    def _queries(self, func):
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        func()
        self.env.flush_all()
        return self.env.cr.sql_log_count - before

    def test_ensure_levels_is_set_based(self):
        products = self.env["product.product"].create(
            [{"name": f"P{n}", "is_storable": True} for n in range(60)]
        )
        links = self.env["shopify.variant.link"].create(
            [
                {
                    "shop_id": self.shop.id,
                    "product_id": product.id,
                    "variant_gid": f"gid://shopify/ProductVariant/{100 + n}",
                    "inventory_item_gid": f"gid://shopify/InventoryItem/{100 + n}",
                }
                for n, product in enumerate(products)
            ]
        )
        ensure = self.Level._ensure_levels
        self._queries(lambda: ensure(links[:1], self.main))  # warm the caches
        few = self._queries(lambda: ensure(links[1:3], self.main))
        many = self._queries(lambda: ensure(links[3:], self.main))
        self.assertEqual(many, few)
        self.assertEqual(len(self.main.level_ids), 60)

    def test_to_engine_change(self):
        level = self._level()
        change = level._to_engine_change(7.5)
        key = LevelKey("gid://shopify/InventoryItem/1", self.main.shopify_location_gid)
        self.assertEqual(
            change,
            LevelChange(
                key=key,
                odoo_quantity=7.5,
                ref=level.id,
                subject=Subject(
                    sku="ABC-RED-M",
                    product="[ABC-RED-M] Shirt",
                    shopify_location="Main store",
                    odoo_location="WH/Stock/Shelf 1",
                ),
                known=None,
            ),
        )
        self.assertEqual(level._to_engine_changes({level.id: 3.0})[0].odoo_quantity, 3)
        self.assertEqual(level._to_engine_change().odoo_quantity, 0.0)

    def test_known_level_round_trip(self):
        level = self._level()
        key = level._to_engine_change().key
        seen = ShopifyLevel(
            key=key,
            stocked=True,
            available=4,
            on_hand=6,
            committed=2,
            tracked=True,
            updated_at="2026-11-27T10:00:00Z",
        )
        level._apply_outcome(
            PushOutcome(
                level._to_engine_change(4.0),
                OutcomeStatus.SYNCED,
                4,
                before=seen,
                after=seen,
            )
        )
        self.assertEqual(level._to_engine_change().known, seen)
        self.assertEqual(level._to_engine_change().trusted_known, seen)
        self.assertEqual(level.state, "synced")
        self.assertFalse(level.last_pushed_at)  # nothing was written
        level.write({"shopify_stocked": False})
        self.assertEqual(
            level._engine_known(),
            ShopifyLevel(
                key=key, stocked=False, tracked=True, updated_at="2026-11-27T10:00:00Z"
            ),
        )

    def test_apply_synced_outcome(self):
        level = self._level()
        level.write({"state": "error", "error_category": "data", "error_message": "x"})
        change = level._to_engine_change(9.6)
        before = ShopifyLevel(change.key, True, available=5, on_hand=8, committed=3)
        # The engine says what Shopify holds after the write (available 5 -> 9 moved
        # on hand by the same 4 units).
        after = ShopifyLevel(change.key, True, available=9, on_hand=12, committed=3)
        level._apply_outcome(
            PushOutcome(
                change,
                OutcomeStatus.SYNCED,
                target=9,
                before=before,
                after=after,
                written=True,
                idempotency_key="sss-abc",
            )
        )
        self.assertRecordValues(
            level,
            [
                {
                    "state": "synced",
                    "odoo_quantity": 9.6,
                    "shopify_known": True,
                    "shopify_stocked": True,
                    "shopify_available": 9,
                    "shopify_on_hand": 12,
                    "shopify_committed": 3,
                    "last_pushed_quantity": 9,
                    "last_idempotency_key": "sss-abc",
                    "error_category": False,
                    "error_message": False,
                }
            ],
        )
        self.assertTrue(level.synced_at and level.last_pushed_at)

    def test_apply_error_and_retry_outcomes(self):
        level = self._level()
        change = level._to_engine_change(2.0)
        before = ShopifyLevel(change.key, True, 1, 1, 0, tracked=False)
        message = "SKU ABC-RED-M ...: the Shopify variant does not track inventory."
        level._apply_outcome(
            PushOutcome(
                change,
                OutcomeStatus.ERROR,
                before=before,
                category=ErrorCategory.DATA,
                message=message,
            )
        )
        self.assertRecordValues(
            level,
            [
                {
                    "state": "error",
                    "error_category": "data",
                    "error_message": message,
                    "shopify_available": 1,
                    "synced_at": False,
                }
            ],
        )
        level._apply_outcome(
            PushOutcome(
                change,
                OutcomeStatus.RETRY,
                category=ErrorCategory.TRANSIENT,
                message="Shopify's quantity changed while it was being set.",
            )
        )
        self.assertEqual(level.state, "pending")
        self.assertEqual(level.error_category, "transient")
        self.assertEqual(level.shopify_available, 1)

    def test_requeue(self):
        level = self._level()
        level.write(
            {
                "state": "error",
                "error_category": "auth",
                "error_message": "Shopify refused the access token.",
                "dirty_since": False,
            }
        )
        operator = self._user("level_operator", OPERATOR)
        with self.assertRaises(AccessError):
            level.with_user(operator).write({"state": "pending"})
        level.with_user(operator).action_requeue()
        self.assertRecordValues(
            level,
            [{"state": "pending", "error_category": False, "error_message": False}],
        )
        self.assertTrue(level.dirty_since)
        # a failed level keeps the time its change started waiting; a synced one
        # starts waiting now
        waiting_since = fields.Datetime.to_datetime("2026-11-01 10:00:00")
        synced = self._level(self.mug_link)
        level.write({"state": "error", "dirty_since": waiting_since})
        synced.write({"state": "synced", "dirty_since": waiting_since})
        (level | synced).with_user(operator).action_requeue()
        self.assertEqual(level.dirty_since, waiting_since)
        self.assertGreater(synced.dirty_since, waiting_since)
        self.assertEqual(synced.state, "pending")
        stock_user = self._user("level_stock_user", "stock.group_stock_user")
        with self.assertRaises(AccessError):
            level.with_user(stock_user).action_requeue()

    def test_mark_pending_keeps_the_first_dirty_since(self):
        """Every path that marks levels pending (the push's fold, a re-queue, a
        webhook, a reconciliation, creation) goes through this rule."""
        early = fields.Datetime.to_datetime("2026-11-01 10:00:00")
        late = fields.Datetime.to_datetime("2026-11-02 10:00:00")
        cap_link = self._link(self._product("Cap", default_code="CAP"), 4)
        pending, synced, failed = (
            self._level(link) for link in (self.shirt_link, self.mug_link, cap_link)
        )
        levels = pending | synced | failed
        self.assertEqual(len(levels), 3)
        self.assertEqual(set(levels.mapped("state")), {"pending"})  # created so
        pending.write({"dirty_since": early})
        synced.write({"state": "synced", "dirty_since": early})
        failed.write({"state": "error", "dirty_since": early})
        levels._mark_pending(late)
        self.assertEqual(set(levels.mapped("state")), {"pending"})
        self.assertEqual(pending.dirty_since, early)  # waiting since then
        self.assertEqual(synced.dirty_since, late)  # starts waiting now
        self.assertEqual(failed.dirty_since, late)
        # an earlier change moves a pending level's time back; a re-queue keeps a
        # failed level's time
        failed.write({"state": "error", "dirty_since": early})
        pending._mark_pending({pending.id: early.replace(hour=9)})
        failed._mark_pending(late, failed_keeps_since=True)
        self.assertEqual(pending.dirty_since, early.replace(hour=9))
        self.assertEqual(failed.dirty_since, early)
        # one query, whatever the number of levels
        self.assertEqual(
            [
                self._queries(lambda: pending._mark_pending()),
                self._queries(lambda: levels._mark_pending()),
            ],
            [1, 1],
        )


@tagged("post_install", "-at_install")
class TestStockLevelPush(ShopifyCase):
    """The translations carry a real push through the engine and back."""

    def test_push_through_the_engine(self):
        with Simulator(plan="standard") as sim:
            sim.add_token("shpat_level_push_token")
            self.env["ir.config_parameter"].set_param(
                BASE_URL_OVERRIDE_PARAM, sim.base_url
            )
            self.shop.write(
                {
                    "domain": sim.domain,
                    "auth_method": "admin_token",
                    "access_token": "shpat_level_push_token",
                    "safety_buffer": 1,
                }
            )
            store = sim.add_location("Main store")
            variant = sim.add_variant("ABC-RED-M")
            sim.set_level(variant.inventory_item_id, store, available=5, committed=2)
            link = self._link(
                self._product("Shirt", default_code="ABC-RED-M"),
                1,
                variant_gid=variant.id,
                inventory_item_gid=variant.inventory_item_id,
            )
            mapping = self._mapping(
                "Main store", self.stock, "odoo_to_shopify", shopify_location_gid=store
            )
            level = self.env["shopify.stock.level"]._ensure_levels(link, mapping)
            client = self.shop._shopify_client()
            rule = self.shop._quantity_rule()

            # first push: read, then set (10 - buffer 1 - 2 committed = 7)
            (outcome,) = push.push(
                client, level._to_engine_changes({level.id: 10}), rule
            )
            level._apply_outcome(outcome)
            self.assertEqual(
                sim.level(variant.inventory_item_id, store)["available"], 7
            )
            self.assertRecordValues(
                level,
                [
                    {
                        "state": "synced",
                        "last_pushed_quantity": 7,
                        "shopify_available": 7,
                        "shopify_on_hand": 9,
                        "shopify_committed": 2,
                    }
                ],
            )

            # second push trusts the remembered level: one call, no read
            sim.reset_stats()
            (outcome,) = push.push(
                client, level._to_engine_changes({level.id: 12}), rule
            )
            level._apply_outcome(outcome)
            self.assertEqual(sim.stats.requests, 1)
            self.assertEqual(
                sim.level(variant.inventory_item_id, store)["available"], 9
            )
            self.assertEqual(level.shopify_available, 9)

            # a sale lands in Shopify: the remembered level is stale, the engine
            # reads again and the guard keeps the sold unit off
            sim.place_order(variant.inventory_item_id, store, 1)
            (outcome,) = push.push(
                client, level._to_engine_changes({level.id: 12}), rule
            )
            level._apply_outcome(outcome)
            self.assertEqual(level.state, "synced")
            self.assertEqual(level.shopify_committed, 3)
            self.assertEqual(
                sim.level(variant.inventory_item_id, store)["available"], 8
            )
