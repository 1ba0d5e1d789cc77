# Copyright 2026 shopify_stock_sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A location mapping: one Shopify location fed by one or more Odoo internal locations.

Children of a mapped Odoo location are included (their quantities are summed), so an
Odoo location, its parents and its children may feed at most one Shopify location per
shop.
"""

from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.fields import Domain

from ..engine.data import Direction, Location
from .shopify_shop import DIRECTIONS


class ShopifyLocationMapping(models.Model):
    _name = "shopify.location.mapping"
    _inherit = ["mail.thread"]
    _description = "Shopify Location Mapping"
    _order = "shop_id, shopify_location_name, id"
    _rec_name = "shopify_location_name"

    shop_id = fields.Many2one(
        "shopify.shop", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="shop_id.company_id", store=True, index=True)
    shopify_location_gid = fields.Char(
        string="Shopify Location ID",
        required=True,
        help="The location's global id, gid://shopify/Location/...",
    )
    shopify_location_name = fields.Char(string="Shopify Location", required=True)
    shopify_active = fields.Boolean(
        string="Active in Shopify",
        default=True,
        help="Shopify refuses quantities at a deactivated location.",
    )
    fulfills_online_orders = fields.Boolean(default=True)
    fulfillment_service = fields.Boolean(
        string="Fulfilment Service",
        help="The location belongs to a fulfilment service (an app or a third-party "
        "warehouse) that keeps its own quantities.",
    )
    location_ids = fields.Many2many(
        "stock.location",
        "shopify_location_mapping_stock_location_rel",
        "mapping_id",
        "location_id",
        string="Odoo Locations",
        tracking=True,
        domain="[('usage', '=', 'internal'), "
        "('company_id', 'in', [company_id, False])]",
        help="Internal locations whose stock (children included) feeds this Shopify "
        "location.",
    )
    direction = fields.Selection(
        DIRECTIONS,
        required=True,
        tracking=True,
        default=Direction.OFF.value,
        help="Off until Odoo locations are mapped: an unmapped Shopify location is "
        "left alone, never fed from a default.",
    )
    level_ids = fields.One2many("shopify.stock.level", "mapping_id", string="Levels")

    _shopify_location_uniq = models.Constraint(
        "UNIQUE(shop_id, shopify_location_gid)",
        "This Shopify location already has a mapping in this shop.",
    )

    def write(self, vals):
        before = {}
        if "direction" in vals or "location_ids" in vals:
            before = {
                mapping.id: (mapping.direction, mapping.location_ids)
                for mapping in self
            }
        result = super().write(vals)
        if before:
            self._push_new_feeds(before)
        return result

    def _push_new_feeds(self, before):
        """Mappings that start writing to Shopify, or that writing take other Odoo
        locations: every linked product of their shop in scope is pushed there
        again (nothing else), with no stock move needed."""
        changed = self.sudo().filtered(
            lambda mapping: Direction(mapping.direction).writes_to_shopify
            and mapping.location_ids
            and (
                not Direction(before[mapping.id][0]).writes_to_shopify
                or before[mapping.id][1] != mapping.location_ids
            )
        )
        for shop, mappings in changed.grouped("shop_id").items():
            shop._push_again(shop._rule_and_scope()[1], mappings)

    def _compute_display_name(self):
        for mapping in self:
            mapping.display_name = (
                f"{mapping.shop_id.name} / {mapping.shopify_location_name}"
                if mapping.shop_id
                else mapping.shopify_location_name
            )

    # -- Odoo's quantities -----------------------------------------------------------

    def _odoo_quantities(self, products, basis):
        """``{product id: quantity}``: each product's ``basis`` quantity (the name of
        a product quantity field: ``free_qty``, ``qty_available``,
        ``virtual_available``) at this mapping's Odoo locations, children included,
        as superuser in the mapping's company.  The product form's numbers, from one
        call of stock's grouped computation, without filling the cache of all five
        quantity fields of every product (most of the cost for thousands)."""
        self.ensure_one()
        products = (
            products.sudo()
            .with_company(self.company_id)
            .with_context(location=self.location_ids.ids)
        )
        quantities = dict.fromkeys(products.ids, 0.0)  # services hold none
        storable = products.filtered(lambda product: product.type != "service")
        if storable:
            computed = storable._compute_quantities_dict(None, None, None)
            quantities.update(
                (product_id, values[basis]) for product_id, values in computed.items()
            )
        return quantities

    def _odoo_stock(self, product):
        """``[(location, on hand)]`` of ``product`` at this mapping's Odoo locations
        and their internal children that hold some: the mapping's own locations
        first, in order (the first takes added units), then the children by name.
        One grouped query, as superuser."""
        self.ensure_one()
        groups = (
            self.env["stock.quant"]
            .sudo()
            ._read_group(
                Domain("product_id", "=", product.id)
                & Domain("location_id", "child_of", self.location_ids.ids)
                & Domain("location_id.usage", "=", "internal"),
                ["location_id"],
                ["quantity:sum"],
            )
        )
        held = dict(groups)
        children = sorted(
            (location for location in held if location not in self.location_ids),
            key=lambda location: location.complete_name,
        )
        return [
            (location, held.get(location, 0.0))
            for location in (*self.location_ids, *children)
        ]

    # -- engine translations --------------------------------------------------------

    def _to_engine_location(self):
        """The Shopify location as the engine knows it."""
        self.ensure_one()
        return Location(
            id=self.shopify_location_gid,
            name=self.shopify_location_name,
            active=self.shopify_active,
            fulfills_online_orders=self.fulfills_online_orders,
            fulfillment_service=self.fulfillment_service,
        )

    @api.model
    def _values_from_engine_location(self, location):
        return {
            "shopify_location_gid": location.id,
            "shopify_location_name": location.name,
            "shopify_active": location.active,
            "fulfills_online_orders": location.fulfills_online_orders,
            "fulfillment_service": location.fulfillment_service,
        }

    @api.model
    def _import_shopify_locations(self, shop, locations):
        """Create or update the shop's mappings from engine ``Location``s.

        New mappings are off.  A mapping that writes to a location Shopify no longer
        lets us write to (deactivated, a fulfilment service, or gone) stops writing:
        odoo_to_shopify becomes off, two_way becomes shopify_to_odoo.  Returns a
        summary for the user.
        """
        existing = {
            m.shopify_location_gid: m
            for m in self.search(Domain("shop_id", "=", shop.id))
        }
        seen = set()
        to_create = []
        updated = self.browse()
        stopped = []
        for location in locations:
            seen.add(location.id)
            values = self._values_from_engine_location(location)
            mapping = existing.get(location.id)
            if mapping is None:
                to_create.append(
                    dict(values, shop_id=shop.id, direction=Direction.OFF.value)
                )
                continue
            if not location.writable and Direction(mapping.direction).writes_to_shopify:
                values["direction"] = mapping._direction_without_writing()
                stopped.append(location.name)
            changed = {
                name: value for name, value in values.items() if mapping[name] != value
            }
            if changed:
                mapping.write(changed)
                updated |= mapping
        for gid, mapping in existing.items():
            if gid in seen or not mapping.shopify_active:
                continue
            values = {"shopify_active": False}
            if Direction(mapping.direction).writes_to_shopify:
                values["direction"] = mapping._direction_without_writing()
                stopped.append(mapping.shopify_location_name)
            mapping.write(values)
            updated |= mapping
        created = self.create(to_create)
        lines = [
            self.env._(
                "%(count)s Shopify locations read: %(created)s new (off until Odoo "
                "locations are mapped), %(updated)s updated.",
                count=len(locations),
                created=len(created),
                updated=len(updated),
            )
        ]
        if stopped:
            lines.append(
                self.env._(
                    "No longer written to, because Shopify does not accept quantities "
                    "there any more (deactivated, run by a fulfilment service or "
                    "deleted): %(names)s.",
                    names=", ".join(stopped),
                )
            )
        return " ".join(lines)

    def _direction_without_writing(self, direction=None):
        self.ensure_one()
        if (direction or self.direction) == Direction.TWO_WAY.value:
            return Direction.SHOPIFY_TO_ODOO.value
        return Direction.OFF.value

    @api.onchange("location_ids")
    def _onchange_location_ids_propose_direction(self):
        """Mapping the first Odoo locations proposes the shop's default direction
        (without writing where Shopify does not accept quantities)."""
        for mapping in self:
            if (
                mapping.direction != Direction.OFF.value
                or not mapping.location_ids
                or mapping._origin.location_ids
            ):
                continue
            direction = mapping.shop_id.default_direction
            if (
                direction
                and Direction(direction).writes_to_shopify
                and not mapping._to_engine_location().writable
            ):
                direction = mapping._direction_without_writing(direction)
            mapping.direction = direction

    # -- constraints ----------------------------------------------------------------

    @api.constrains("direction", "shopify_active", "fulfillment_service")
    def _check_writable_location(self):
        for mapping in self:
            if not Direction(mapping.direction).writes_to_shopify:
                continue
            location = mapping._to_engine_location()
            if location.writable:
                continue
            direction = dict(DIRECTIONS)[mapping.direction]
            if not location.active:
                raise ValidationError(
                    self.env._(
                        "Shopify location '%(location)s' of shop %(shop)s is "
                        "deactivated in Shopify, so Odoo cannot write its quantities "
                        "there (direction %(direction)s): Shopify refuses quantities "
                        "at a deactivated location. Reactivate it in Shopify and "
                        "import the locations again, or set the direction to Off or "
                        "Shopify to Odoo.",
                        location=mapping.shopify_location_name,
                        shop=mapping.shop_id.name,
                        direction=direction,
                    )
                )
            raise ValidationError(
                self.env._(
                    "Shopify location '%(location)s' of shop %(shop)s belongs to a "
                    "fulfilment service, so Odoo cannot write its quantities there "
                    "(direction %(direction)s): the fulfilment service keeps that "
                    "stock itself and Shopify does not let other apps set it. Set the "
                    "direction to Off or Shopify to Odoo.",
                    location=mapping.shopify_location_name,
                    shop=mapping.shop_id.name,
                    direction=direction,
                )
            )

    @api.constrains("location_ids", "shop_id")
    def _check_odoo_locations(self):
        """Internal locations of the shop's company only."""
        for mapping in self:
            for location in mapping.location_ids:
                if location.usage != "internal":
                    usage = dict(
                        location._fields["usage"]._description_selection(self.env)
                    ).get(location.usage, location.usage)
                    raise ValidationError(
                        self.env._(
                            "Odoo location %(location)s cannot feed Shopify location "
                            "'%(shopify)s': its type is %(usage)s, and only internal "
                            "locations hold stock that can be sold. Map an internal "
                            "location (such as WH/Stock) instead.",
                            location=location.complete_name,
                            shopify=mapping.shopify_location_name,
                            usage=usage,
                        )
                    )
                if location.company_id and location.company_id != mapping.company_id:
                    raise ValidationError(
                        self.env._(
                            "Odoo location %(location)s belongs to company "
                            "%(location_company)s, but shop %(shop)s belongs to "
                            "%(shop_company)s: a shop can only be fed from its own "
                            "company's locations.",
                            location=location.complete_name,
                            location_company=location.company_id.name,
                            shop=mapping.shop_id.name,
                            shop_company=mapping.company_id.name,
                        )
                    )

    @api.constrains("location_ids", "shop_id")
    def _check_overlap(self):
        """An Odoo location, its parents and children feed one Shopify location.

        One search for the mappings of the shops concerned; each mapped location's
        ``parent_path`` then names its ancestors (itself included), so an overlap is
        a location whose ancestor is mapped elsewhere: no query per location.
        """
        mappings = self.search(Domain("shop_id", "in", self.shop_id.ids))
        owners = defaultdict(lambda: self.browse())  # (shop, location id) -> mappings
        for mapping in mappings:
            for location in mapping.location_ids:
                owners[mapping.shop_id.id, location.id] |= mapping
        for mapping in mappings:
            for location in mapping.location_ids:
                for ancestor_id in location.parent_path.split("/")[:-1]:
                    others = owners.get((mapping.shop_id.id, int(ancestor_id)))
                    other = (others - mapping)[:1] if others else others
                    if other and (mapping in self or other in self):
                        self._raise_overlap(mapping, location, other, int(ancestor_id))

    def _raise_overlap(self, mapping, location, other, other_location_id):
        other_location = self.env["stock.location"].browse(other_location_id)
        if other_location == location:
            if mapping not in self:  # name the mapping being saved last
                mapping, other = other, mapping
            message = self.env._(
                "Odoo location %(location)s feeds both Shopify locations '%(first)s' "
                "and '%(second)s' of shop %(shop)s: an Odoo location may feed only "
                "one Shopify location per shop, or its stock would be sold twice.",
                location=location.complete_name,
                first=other.shopify_location_name,
                second=mapping.shopify_location_name,
                shop=mapping.shop_id.name,
            )
        else:
            message = self.env._(
                "Odoo location %(location)s, which feeds Shopify location "
                "'%(mapping)s', is inside %(parent)s, which feeds Shopify "
                "location '%(other)s' of shop %(shop)s: a location's stock counts in "
                "its parents, so it would be sold twice. Map either the parent or "
                "its children, not both.",
                location=location.complete_name,
                mapping=mapping.shopify_location_name,
                parent=other_location.complete_name,
                other=other.shopify_location_name,
                shop=mapping.shop_id.name,
            )
        raise ValidationError(message)
