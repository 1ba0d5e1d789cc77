# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Location mappings refuse what would sell stock twice or write where Shopify won't."""

from psycopg2 import IntegrityError

from odoo.exceptions import ValidationError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from .common import ADMIN, ShopifyCase


@tagged("post_install", "-at_install")
class TestLocationMapping(ShopifyCase):
    def test_one_location_may_feed_one_shopify_location(self):
        self._mapping("Main store", self.stock)
        with self.assertRaises(ValidationError) as caught:
            self._mapping("Outlet", self.stock)
        self.assertEqual(
            str(caught.exception),
            "Odoo location WH/Stock feeds both Shopify locations 'Main store' and "
            "'Outlet' of shop Main shop: an Odoo location may feed only one Shopify "
            "location per shop, or its stock would be sold twice.",
        )

    def test_child_of_a_mapped_location_is_refused(self):
        self._mapping("Main store", self.stock)
        with self.assertRaises(ValidationError) as caught:
            self._mapping("Outlet", self.bin_1)
        self.assertEqual(
            str(caught.exception),
            "Odoo location WH/Stock/Shelf 1/Bin 1, which feeds Shopify location "
            "'Outlet', is inside WH/Stock, which feeds Shopify location "
            "'Main store' of shop Main shop: a location's stock counts in its "
            "parents, so it would be sold twice. Map either the parent or its "
            "children, not both.",
        )

    def test_parent_of_a_mapped_location_is_refused(self):
        self._mapping("Main store", self.shelf_1)
        outlet = self._mapping("Outlet", self.shelf_2)
        with self.assertRaises(ValidationError) as caught:
            outlet.location_ids = self.stock
        self.assertIn(
            "Odoo location WH/Stock/Shelf 1, which feeds Shopify location "
            "'Main store', is inside WH/Stock, which feeds Shopify location "
            "'Outlet' of shop Main shop",
            str(caught.exception),
        )

    def test_siblings_and_other_shops_may_share(self):
        self._mapping("Main store", self.shelf_1 | self.shelf_2)
        self._mapping("Outlet", self.backroom)
        other_shop = self.shop.copy({"domain": "other-shop.myshopify.com"})
        other = self._mapping("Main store", self.stock, shop=other_shop)
        self.assertEqual(other.location_ids, self.stock)

    def test_one_mapping_may_hold_a_location_and_its_child(self):
        # the same Shopify location: the quantities are one Shopify quantity
        mapping = self._mapping("Main store", self.stock | self.shelf_1)
        self.assertEqual(len(mapping.location_ids), 2)

    def test_non_internal_location_is_refused(self):
        with self.assertRaises(ValidationError) as caught:
            self._mapping("Main store", self.customers)
        self.assertEqual(
            str(caught.exception),
            f"Odoo location {self.customers.complete_name} cannot feed Shopify "
            "location 'Main store': its type is Customer, and only internal "
            "locations hold stock that can be sold. Map an internal location (such "
            "as WH/Stock) instead.",
        )

    def test_location_of_another_company_is_refused(self):
        other = self.env["res.company"].create({"name": "Other Company"})
        other_stock = (
            self.env["stock.warehouse"]
            .search([("company_id", "=", other.id)], limit=1)
            .lot_stock_id
        )
        self.assertEqual(other_stock.company_id, other)
        with self.assertRaises(ValidationError) as caught:
            self._mapping("Main store", other_stock)
        self.assertEqual(
            str(caught.exception),
            f"Odoo location {other_stock.complete_name} belongs to company Other "
            f"Company, but shop Main shop belongs to {self.company.name}: a shop can "
            "only be fed from its own company's locations.",
        )

    def test_deactivated_shopify_location_cannot_be_written(self):
        with self.assertRaises(ValidationError) as caught:
            self._mapping(
                "Old store", self.stock, "odoo_to_shopify", shopify_active=False
            )
        self.assertEqual(
            str(caught.exception),
            "Shopify location 'Old store' of shop Main shop is deactivated in "
            "Shopify, so Odoo cannot write its quantities there (direction Odoo to "
            "Shopify): Shopify refuses quantities at a deactivated location. "
            "Reactivate it in Shopify and import the locations again, or set the "
            "direction to Off or Shopify to Odoo.",
        )
        mapping = self._mapping(
            "Old store", self.stock, "shopify_to_odoo", shopify_active=False
        )
        with self.assertRaises(ValidationError):
            mapping.direction = "two_way"

    def test_fulfilment_service_location_cannot_be_written(self):
        mapping = self._mapping("3PL", self.stock, fulfillment_service=True)
        with self.assertRaises(ValidationError) as caught:
            mapping.direction = "two_way"
        self.assertEqual(
            str(caught.exception),
            "Shopify location '3PL' of shop Main shop belongs to a fulfilment "
            "service, so Odoo cannot write its quantities there (direction "
            "Two-way): the fulfilment service keeps that stock itself and Shopify "
            "does not let other apps set it. Set the direction to Off or Shopify "
            "to Odoo.",
        )
        mapping.direction = "shopify_to_odoo"

    def test_shopify_location_once_per_shop(self):
        mapping = self._mapping("Main store")
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(IntegrityError) as caught,
            self.env.cr.savepoint(),
        ):
            mapping.copy()
        self.assertIn(
            "shopify_location_mapping_shopify_location_uniq", str(caught.exception)
        )

    def _queries(self, func):
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        func()
        self.env.flush_all()
        return self.env.cr.sql_log_count - before

    def test_overlap_check_queries_do_not_grow_with_locations(self):
        shelves = self.env["stock.location"].create(
            [
                {
                    "name": f"Shelf {n}",
                    "location_id": self.stock.id,
                    "usage": "internal",
                }
                for n in range(3, 63)
            ]
        )
        warm, first, second = (self._mapping(n) for n in ("Main", "Outlet", "Pop-up"))
        self._queries(lambda: warm.write({"location_ids": shelves[:1].ids}))
        few = self._queries(lambda: first.write({"location_ids": shelves[1:3].ids}))
        many = self._queries(lambda: second.write({"location_ids": shelves[3:].ids}))
        self.assertEqual(many, few)

    def test_engine_location(self):
        mapping = self._mapping("3PL", fulfillment_service=True)
        location = mapping._to_engine_location()
        self.assertEqual(location.id, mapping.shopify_location_gid)
        self.assertEqual(location.name, "3PL")
        self.assertFalse(location.writable)

    def test_mapping_locations_proposes_the_default_direction(self):
        self.shop.default_direction = "two_way"
        main = self._mapping("Main store")
        with Form(
            main, view="shopify_stock_sync.shopify_location_mapping_view_form"
        ) as f:
            f.location_ids.add(self.stock)
            self.assertEqual(f.direction, "two_way")
        self.assertEqual(main.direction, "two_way")
        tpl = self._mapping("3PL", fulfillment_service=True)
        with Form(
            tpl, view="shopify_stock_sync.shopify_location_mapping_view_form"
        ) as f:
            f.location_ids.add(self.backroom)
            self.assertEqual(f.direction, "shopify_to_odoo")
        # a mapping the admin already set up keeps its direction
        with Form(
            main, view="shopify_stock_sync.shopify_location_mapping_view_form"
        ) as f:
            f.direction = "off"
            f.location_ids.add(self.shelf_1)
            self.assertEqual(f.direction, "off")

    def test_who_changed_a_mapping_is_tracked(self):
        """Who switched a location to two-way (and its conflict rule, its Odoo
        locations) or off is in the mapping's chatter."""
        admin = self._user("mapping_admin", ADMIN)
        mapping = self._mapping("Main store", self.shelf_1, "odoo_to_shopify")
        self.env.cr.flush()
        view = "shopify_stock_sync.shopify_location_mapping_view_form"
        with Form(mapping.with_user(admin), view=view) as f:
            f.direction = "two_way"
            f.conflict_rule = "shopify_wins"
            f.location_ids.add(self.shelf_2)
        self.env.cr.flush()  # tracking is written before the commit
        with Form(mapping.with_user(admin), view=view) as f:
            f.direction = "off"
        self.env.cr.flush()
        changes = [
            (message.author_id, tracking.field_id.name)
            for message in mapping.message_ids
            for tracking in message.tracking_value_ids
        ]
        self.assertEqual(
            sorted(name for _author, name in changes),
            ["conflict_rule", "direction", "direction", "location_ids"],
        )
        self.assertEqual({author for author, _name in changes}, {admin.partner_id})
        off = mapping.message_ids[0].tracking_value_ids  # the newest first
        self.assertEqual(
            (off.field_id.name, off.old_value_char, off.new_value_char),
            ("direction", "Two-way", "Off"),
        )
        # the form shows the chatter
        arch = mapping.get_views([(self.env.ref(view).id, "form")])["views"]["form"][
            "arch"
        ]
        self.assertIn("<chatter", arch)

    def test_shop_form_lists_the_conflict_rule_of_two_way_mappings(self):
        """The shop form's mapping list has the conflict rule, editable and shown
        where the direction is two-way."""
        two_way = self._mapping("Main store", self.shelf_1, "two_way")
        view = "shopify_stock_sync.shopify_shop_view_form"
        with Form(self.shop, view=view) as f:
            with f.mapping_ids.edit(0) as line:
                self.assertEqual(line.direction, "two_way")
                line.conflict_rule = "shopify_wins"
        self.assertEqual(two_way.conflict_rule, "shopify_wins")
        arch = self.shop.get_views([(self.env.ref(view).id, "form")])["views"]["form"][
            "arch"
        ]
        self.assertRegex(
            arch,
            r"<field name=\"conflict_rule\"[^>]*invisible=\"direction != 'two_way'\"",
        )
