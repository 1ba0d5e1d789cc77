# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The Link variants wizard against the Shopify simulator on loopback HTTP.

The simulated shop and the Odoo catalogue hold every case the preview must sort:
matches by barcode and by SKU (trimmed), an untracked variant, a duplicate SKU on
each side, blanks on both sides, a case-only SKU difference, a title that must not
match, products out of scope or not storable, unmatched records on both sides, and
links whose Shopify variant is gone.
"""

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from odoo.addons.shopify_stock_sync.models.shopify_shop import BASE_URL_OVERRIDE_PARAM

from .common import OPERATOR, ShopifyCase, Simulator

TOKEN = "shpat_link_wizard_test_token"
GONE = "gid://shopify/ProductVariant/999999"


@tagged("post_install", "-at_install")
class TestLinkWizard(ShopifyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        category = cls.env["product.category"].create({"name": "Shopify pilot"})
        other = cls.env["product.category"].create({"name": "Not synced"})
        cls.shop.write(
            {
                "auth_method": "admin_token",
                "access_token": TOKEN,
                "product_domain": f"[('categ_id', '=', {category.id})]",
            }
        )

        def product(name, sku=False, barcode=False, categ=category, storable=True):
            return cls._product(
                name,
                default_code=sku,
                barcode=barcode,
                categ_id=categ.id,
                is_storable=storable,
            )

        cls.red = product("T-shirt red", "TS-RED", "5400000000011")
        cls.mug = product("Mug", "MUG")
        cls.notebook = product("Notebook A5", barcode="4006381333931")
        cls.tote = product("Tote bag", "TOTE")
        cls.cap = product("Cap green", "CAP-GRN", "5400000000103")
        cls.sock = product("Socks", "SOCK")
        cls.sock_gift = product("Socks (gift box)", "SOCK")
        cls.paper = product("Gift wrapping paper")
        cls.blue = product("T-shirt blue", "ts-blu-s")
        cls.poster = product("Poster", "POSTER")
        cls.lamp = product("Lamp", "LAMP-1")  # same title as a Shopify product
        cls.candle = product("Candle", "CANDLE", categ=other)  # out of scope
        cls.service = product("Installation", "INSTALL", storable=False)

    def setUp(self):
        super().setUp()
        # A fresh simulated shop per test: tests add variants to it.
        self.sim = sim = Simulator(plan="standard", domain=self.shop.domain)
        self.addCleanup(sim.close)
        # The client waits on the simulator's virtual clock, as in the engine tests:
        # its cost bucket refills while the client paces itself.
        shop_class = type(self.env["shopify.shop"])
        make_client = shop_class._shopify_client

        def simulated_client(shop, **options):
            options.update(clock=sim.clock.now, sleep=sim.clock.sleep)
            return make_client(shop, **options)

        self.patch(shop_class, "_shopify_client", simulated_client)
        sim.add_token(TOKEN)
        self.env["ir.config_parameter"].sudo().set_param(
            BASE_URL_OVERRIDE_PARAM, sim.base_url
        )
        add = sim.add_variant
        self.v_red = add("TS-RED", "5400000000011", title="Red", product_title="Tee")
        self.v_mug = add(" MUG ", product_title="Mug")
        self.v_notebook = add(None, "4006381333931", product_title="Notebook")
        self.v_tote = add("TOTE", tracked=False, product_title="Tote bag")
        self.v_cap = add("CAP-GRN", "5400000000103", product_title="Cap")
        self.v_cap_old = add("CAP-GRN", product_title="Cap (old listing)")
        self.v_sock = add("SOCK", product_title="Socks")
        self.v_blank = add(None, product_title="Gift card")
        self.v_blue = add("TS-BLU-S", title="Blue", product_title="Tee")
        self.v_candle = add("CANDLE", product_title="Candle")
        self.v_lamp = add("LAMP-X", product_title="Lamp")
        self.v_service = add("INSTALL", product_title="Installation")

    def _wizard(self):
        return (
            self.env["shopify.link.wizard"]
            .with_context(default_shop_id=self.shop.id)
            .create({})
        )

    def _rows(self, wizard, bucket):
        return wizard.line_ids.filtered(lambda line: line.bucket == bucket)

    def _links(self):
        return self.env["shopify.variant.link"].search([("shop_id", "=", self.shop.id)])

    def test_preview_sorts_every_record(self):
        wizard = self._wizard()
        self.assertEqual(wizard.shop_id, self.shop)
        wizard.action_preview()
        self.assertEqual(wizard.state, "preview")
        self.assertEqual(wizard.variant_count, 12)
        self.assertEqual(wizard.product_count, 11)  # storable, in the category
        matched = self._rows(wizard, "matched")
        self.assertEqual(
            [(r.product_id, r.variant_gid, r.match_method) for r in matched],
            [
                (self.notebook, self.v_notebook.id, "barcode"),
                (self.mug, self.v_mug.id, "sku"),  # " MUG " trimmed
                (self.tote, self.v_tote.id, "sku"),
                (self.red, self.v_red.id, "barcode"),  # the barcode comes first
            ],
        )
        self.assertEqual(matched[1].shopify_title, "Mug")
        # the trimmed SKU is matched, and noted on its row and in the counts
        self.assertEqual(matched[1].shopify_sku, " MUG ")
        self.assertIn("white space around it", matched[1].sku_note)
        self.assertFalse(matched[0].sku_note or matched[2].sku_note)
        self.assertEqual(wizard.padded_sku_count, 1)
        self.assertIn("1 Shopify SKUs have white space around them", wizard.summary)
        self.assertFalse(matched[2].tracked)
        self.assertEqual(matched[3].shopify_title, "Tee / Red")
        self.assertEqual(wizard.matched_count, 4)
        self.assertEqual(wizard.matched_line_ids, matched)

        ambiguous = self._rows(wizard, "ambiguous")
        self.assertEqual(
            [(r.conflict, r.code) for r in ambiguous],
            [("duplicate", "sku: CAP-GRN"), ("duplicate", "sku: SOCK")],
        )
        self.assertEqual(ambiguous[0].product_id, self.cap)
        self.assertIn("2 Shopify variants", ambiguous[0].message)
        self.assertIn(self.v_cap_old.id, ambiguous[0].shopify_records)
        self.assertFalse(ambiguous[1].product_id)  # two products: both named
        self.assertEqual(
            ambiguous[1].odoo_records,
            f"{self.sock.display_name}; {self.sock_gift.display_name}",
        )
        self.assertIn("2 Odoo products", ambiguous[1].message)

        case = self._rows(wizard, "case")
        self.assertEqual(
            [(r.product_id, r.shopify_sku, r.match_method) for r in case],
            [(self.blue, "TS-BLU-S", False)],
        )
        self.assertIn("case-sensitive", case.message)
        blank = self._rows(wizard, "blank")
        self.assertEqual(
            [(r.side, r.product_id, r.variant_gid) for r in blank],
            [
                ("odoo", self.paper, False),
                ("shopify", self.env["product.product"], self.v_blank.id),
            ],
        )
        self.assertEqual(
            self._rows(wizard, "odoo_only").product_id, self.lamp | self.poster
        )
        self.assertEqual(
            self._rows(wizard, "shopify_only").mapped("variant_gid"),
            [self.v_candle.id, self.v_service.id, self.v_lamp.id],
        )
        self.assertFalse(self._rows(wizard, "already_linked"))
        self.assertFalse(self._rows(wizard, "stale"))
        self.assertIn("4 to link", wizard.summary)
        self.assertFalse(self._links(), "a preview writes nothing")

    def test_apply_links_only_the_unambiguous_and_is_idempotent(self):
        codes = [
            (p.default_code, p.barcode)
            for p in self.cap | self.sock | self.blue | self.red | self.mug
        ]
        wizard = self._wizard()
        wizard.action_preview()
        wizard.action_apply()
        self.assertEqual(wizard.state, "done")
        self.assertEqual(wizard.applied_count, 4)
        links = self._links()
        self.assertEqual(
            {
                (
                    link.product_id,
                    link.variant_gid,
                    link.inventory_item_gid,
                    link.match_method,
                    link.state,
                    link.tracked,
                )
                for link in links
            },
            {
                (
                    self.red,
                    self.v_red.id,
                    self.v_red.inventory_item_id,
                    "barcode",
                    "linked",
                    True,
                ),
                (
                    self.mug,
                    self.v_mug.id,
                    self.v_mug.inventory_item_id,
                    "sku",
                    "linked",
                    True,
                ),
                (
                    self.notebook,
                    self.v_notebook.id,
                    self.v_notebook.inventory_item_id,
                    "barcode",
                    "linked",
                    True,
                ),
                (
                    self.tote,
                    self.v_tote.id,
                    self.v_tote.inventory_item_id,
                    "sku",
                    "linked",
                    False,
                ),
            },
        )
        mug = links.filtered(lambda link: link.product_id == self.mug)
        self.assertEqual((mug.shopify_sku, mug.shopify_title), (" MUG ", "Mug"))
        # Odoo's codes are never rewritten; conflicts get no link.
        self.assertEqual(
            [
                (p.default_code, p.barcode)
                for p in self.cap | self.sock | self.blue | self.red | self.mug
            ],
            codes,
        )
        # The preview shown after Apply is read again: the links are there.
        self.assertEqual(wizard.matched_count, 0)
        self.assertEqual(wizard.already_linked_count, 4)
        self.assertEqual(wizard.ambiguous_count, 2)

        again = self._wizard()
        again.action_preview()
        self.assertEqual(
            self._rows(again, "already_linked").mapped("match_method"), ["id"] * 4
        )
        self.assertEqual(self._rows(again, "already_linked").link_id, links)
        self.assertFalse(self._rows(again, "matched"))
        again.action_apply()
        self.assertEqual(again.applied_count, 0)
        self.assertEqual(self._links(), links)

    def test_existing_links_take_shopify_s_new_sku_on_preview(self):
        """A SKU (and barcode) changed in Shopify after linking: the next preview
        records it on the link, so messages name the SKU Shopify shows; a preview
        that finds nothing changed writes nothing."""
        wizard = self._wizard()
        wizard.action_preview()
        wizard.action_apply()
        self.assertEqual(wizard.refreshed_count, 0)
        links = self._links()
        mug = links.filtered(lambda link: link.product_id == self.mug)
        red = links.filtered(lambda link: link.product_id == self.red)
        self.sim.edit_variant(self.v_mug.id, sku="MUG-2")
        self.sim.edit_variant(self.v_red.id, barcode="5400000000099")
        again = self._wizard()
        again.action_preview()
        self.assertEqual(again.refreshed_count, 2)
        self.assertIn("2 existing links took Shopify's current SKU", again.summary)
        self.assertEqual(mug.shopify_sku, "MUG-2")  # the link kept, its SKU new
        self.assertEqual(red.shopify_barcode, "5400000000099")
        self.assertEqual(red.shopify_sku, "TS-RED")
        self.assertEqual(self._links(), links)
        self.assertEqual(
            self._rows(again, "already_linked")
            .filtered(lambda r: r.product_id == self.mug)
            .shopify_sku,
            "MUG-2",
        )
        self.assertFalse(again.padded_sku_count)  # " MUG " is gone
        # the level's messages name the new SKU
        mapping = self._mapping("Main store", self.stock, "odoo_to_shopify")
        level = self.env["shopify.stock.level"]._ensure_levels(mug, mapping)
        self.assertEqual(level._engine_subject().sku, "MUG-2")
        third = self._wizard()
        third.action_preview()
        self.assertEqual(third.refreshed_count, 0)
        self.sim.edit_variant(self.v_mug.id, sku="MUG-3")
        third.action_apply()  # Apply refreshes too
        self.assertEqual(third.refreshed_count, 1)
        self.assertEqual(mug.shopify_sku, "MUG-3")

    def test_variants_are_read_page_by_page(self):
        self.sim.reset_stats()
        wizard_class = type(self.env["shopify.link.wizard"])
        self.patch(wizard_class, "_variant_page_size", 5)
        self._wizard().action_preview()
        self.assertEqual(self.sim.stats.by_operation["Variants"], 3)  # 12 variants

    def test_links_whose_variant_is_gone(self):
        Link = self.env["shopify.variant.link"]
        values = {"shop_id": self.shop.id, "match_method": "manual"}
        relinked = Link.create(
            dict(
                values,
                product_id=self.mug.id,
                variant_gid=GONE,
                inventory_item_gid="gid://shopify/InventoryItem/999999",
            )
        )
        orphan = Link.create(
            dict(
                values,
                product_id=self.poster.id,
                variant_gid="gid://shopify/ProductVariant/999998",
                inventory_item_gid="gid://shopify/InventoryItem/999998",
            )
        )
        wizard = self._wizard()
        wizard.action_preview()
        self.assertEqual(self._rows(wizard, "stale").product_id, self.poster | self.mug)
        self.assertIn(self.mug, self._rows(wizard, "matched").product_id)
        wizard.action_apply()
        self.assertEqual(wizard.applied_count, 5)  # 3 new, 1 replaced, 1 marked
        self.assertFalse(relinked.exists())
        mug = self._links().filtered(lambda link: link.product_id == self.mug)
        self.assertEqual(
            (mug.variant_gid, mug.match_method, mug.state),
            (self.v_mug.id, "sku", "linked"),
        )
        self.assertEqual(orphan.state, "conflict")
        self.assertIn("no longer exists", orphan.conflict_reason)
        self.assertEqual(len(self._links()), 5)

    def test_apply_writes_only_what_the_preview_showed(self):
        wizard = self._wizard()
        wizard.action_preview()
        late = self.sim.add_variant("POSTER", product_title="Poster")
        wizard.action_apply()
        self.assertNotIn(self.poster, self._links().product_id)
        self.assertEqual(len(self._links()), 4)
        # Shown now, for the next Apply.
        self.assertEqual(self._rows(wizard, "matched").mapped("variant_gid"), [late.id])
        wizard.action_apply()
        self.assertIn(self.poster, self._links().product_id)

    def test_bad_input_gives_actionable_errors_and_writes_nothing(self):
        wizard = self._wizard()
        with self.assertRaisesRegex(UserError, "Preview the links first"):
            wizard.action_apply()
        self.shop.access_token = "shpat_revoked"
        with self.assertRaisesRegex(
            UserError, "Could not read the variants of Main shop: .*preview again"
        ):
            wizard.action_preview()
        self.assertEqual(wizard.state, "draft")
        self.assertFalse(self._links())
        self.shop.access_token = False
        with self.assertRaises(UserError):
            wizard.action_preview()
        self.assertFalse(self._links())

    def test_existing_links_are_kept_whatever_the_scope(self):
        Link = self.env["shopify.variant.link"]
        values = {"shop_id": self.shop.id, "match_method": "manual"}
        # Out of scope, linked by hand: kept, never matched anew.
        candle = Link.create(
            dict(
                values,
                product_id=self.candle.id,
                variant_gid=self.v_candle.id,
                inventory_item_gid=self.v_candle.inventory_item_id,
            )
        )
        # A conflict recorded elsewhere: shown, not touched.
        lamp = Link.create(
            dict(
                values,
                product_id=self.lamp.id,
                variant_gid=self.v_lamp.id,
                inventory_item_gid=self.v_lamp.inventory_item_id,
                state="conflict",
                conflict_reason="Checked by hand.",
            )
        )
        wizard = self._wizard()
        wizard.action_preview()
        linked = self._rows(wizard, "already_linked")
        self.assertEqual(linked.link_id, candle | lamp)
        self.assertEqual(
            linked.filtered(lambda r: r.link_id == lamp).message, "Checked by hand."
        )
        self.assertNotIn(
            self.v_candle.id, self._rows(wizard, "shopify_only").mapped("variant_gid")
        )
        self.assertEqual(wizard.product_count, 11)
        wizard.action_apply()
        self.assertEqual(wizard.applied_count, 4)
        self.assertEqual((lamp.state, lamp.match_method), ("conflict", "manual"))
        self.assertEqual(candle.variant_gid, self.v_candle.id)

    def test_only_shop_administrators_link(self):
        operator = self._user("shopify_link_operator", OPERATOR)
        with self.assertRaises(AccessError):
            self.env["shopify.link.wizard"].with_user(operator).create(
                {"shop_id": self.shop.id}
            )
