# Copyright 2026 shopify_stock_sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The sandbox's Odoo side, run by ``bash run.sh`` inside ``odoo shell`` at every start.

Idempotent: what exists is kept (the merchant's own changes with it), what is missing is
made, through the addon's own buttons as an administrator would press them:

- users: ``operator`` (Shopify operator) and ``warehouse`` (warehouse user), each
  with its login as password; ``admin`` keeps Odoo's default ``admin``;
- two stock sub-locations of the main warehouse, ``Shelf A`` and ``Shelf B``;
- the sandbox's products (``tests.simulator.sandbox_seed``, the same data the simulator
  was stocked from), with their stock on those shelves, made once;
- the shop "Sandbox" connected to the simulator (Test Connection), its locations
  imported and mapped (the first Odoo -> Shopify from Shelf A, the second two-way with
  Shelf B), its products linked through the link wizard's own preview and apply;
- Odoo's address (``web.base.url``, this run's port) and the webhook subscriptions
  pointing at it (Subscribe Webhooks), every run, since the port may change.

Needs ``SANDBOX_ODOO_URL`` and the ``SHOPIFY_STOCK_SYNC_SANDBOX`` route in the
environment, and the repository on ``PYTHONPATH``; ``env`` is odoo shell's.
"""

import os
import sys

from tests.simulator import sandbox_seed

# odoo shell gives `env`
env = globals()["env"]
env = env(context=dict(env.context, tracking_disable=True))
odoo_url = os.environ["SANDBOX_ODOO_URL"]
SHELVES = {"A": "Shelf A", "B": "Shelf B"}
USERS = {
    "operator": ("Olivia Operator", ["shopify_stock_sync.group_shopify_operator"]),
    "warehouse": ("Walter Warehouse", ["stock.group_stock_user"]),
}


def say(message):
    sys.stdout.write(f"sandbox-setup: {message}\n")
    sys.stdout.flush()


def ensure_users():
    Users = env["res.users"].with_context(no_reset_password=True)
    for login, (name, groups) in USERS.items():
        if Users.search_count([("login", "=", login)]):
            continue
        group_ids = [env.ref(xmlid).id for xmlid in groups]
        Users.create(
            {
                "name": name,
                "login": login,
                "password": login,
                "group_ids": [(6, 0, [env.ref("base.group_user").id, *group_ids])],
            }
        )
        say(f"user {login} created")


def ensure_shelves():
    warehouse = env["stock.warehouse"].search(
        [("company_id", "=", env.company.id)], limit=1
    )
    stock = warehouse.lot_stock_id
    Location = env["stock.location"]
    shelves = {}
    for key, name in SHELVES.items():
        shelf = Location.search(
            [("location_id", "=", stock.id), ("name", "=", name)], limit=1
        )
        if not shelf:
            shelf = Location.create(
                {"name": name, "location_id": stock.id, "usage": "internal"}
            )
            say(f"location {shelf.complete_name} created")
        shelves[key] = shelf
    return shelves


def ensure_products(shelves):
    """The seed's products, with variants where the seed groups several under one
    product title; their stock on the shelves is set once, when they are made."""
    Product = env["product.product"]
    by_title = {}
    skus = set()
    for item in sandbox_seed.PRODUCTS:
        # A SKU that Shopify gives two variants (an old listing kept alive) is one
        # product in Odoo: the link preview shows the other variant as ambiguous.
        if item.sku and item.sku in skus:
            continue
        skus.add(item.sku)
        by_title.setdefault(item.product, []).append(item)
    made = Product
    for title, items in by_title.items():
        if env["product.template"].search_count([("name", "=", title)]):
            continue
        template = env["product.template"].create(
            {"name": title, "type": "consu", "is_storable": True}
        )
        if len(items) == 1:
            pairs = [(items[0], template.product_variant_ids)]
        else:
            attribute = ensure_attribute("Option")
            values = [ensure_value(attribute, item.variant) for item in items]
            template.write(
                {
                    "attribute_line_ids": [
                        (
                            0,
                            0,
                            {
                                "attribute_id": attribute.id,
                                "value_ids": [(6, 0, [v.id for v in values])],
                            },
                        )
                    ]
                }
            )
            pairs = [
                (item, variant_with(template, value))
                for item, value in zip(items, values, strict=True)
            ]
        for item, product in pairs:
            product.write(
                {"default_code": item.sku or False, "barcode": item.barcode or False}
            )
            made |= product
            for key, quantity in item.odoo.items():
                if quantity:
                    env["stock.quant"].with_context(inventory_mode=True).create(
                        {
                            "product_id": product.id,
                            "location_id": shelves[key].id,
                            "inventory_quantity": quantity,
                        }
                    ).action_apply_inventory()
    if made:
        say(f"{len(made)} products created with their stock")


def variant_with(template, value):
    """The variant of ``template`` with the attribute value ``value``."""
    return template.product_variant_ids.filtered(
        lambda product: value
        in product.product_template_attribute_value_ids.product_attribute_value_id
    )


def ensure_attribute(name):
    Attribute = env["product.attribute"]
    return Attribute.search([("name", "=", name)], limit=1) or Attribute.create(
        {"name": name, "create_variant": "always"}
    )


def ensure_value(attribute, name):
    Value = env["product.attribute.value"]
    return Value.search(
        [("attribute_id", "=", attribute.id), ("name", "=", name)], limit=1
    ) or Value.create({"attribute_id": attribute.id, "name": name})


def ensure_shop(shelves):
    Shop = env["shopify.shop"]
    shop = Shop.with_context(active_test=False).search(
        [("domain", "=", sandbox_seed.DOMAIN)], limit=1
    )
    if shop:
        return shop
    shop = Shop.create(
        {
            "name": "Sandbox",
            "domain": sandbox_seed.DOMAIN,
            "auth_method": "client_credentials",
            "client_id": sandbox_seed.CLIENT_ID,
            "client_secret": sandbox_seed.CLIENT_SECRET,
        }
    )
    shop.action_test_connection()
    if shop.state != "connected":
        raise RuntimeError(f"the sandbox shop did not connect: {shop.state_reason}")
    shop.action_import_locations()
    by_name = {m.shopify_location_name: m for m in shop.mapping_ids}
    first, second = (by_name[name] for name in sandbox_seed.LOCATIONS[:2])
    first.write({"location_ids": [(6, 0, shelves["A"].ids)]})
    first.direction = "odoo_to_shopify"
    second.write({"location_ids": [(6, 0, shelves["B"].ids)]})
    second.direction = "two_way"
    wizard = env["shopify.link.wizard"].create({"shop_id": shop.id})
    wizard.action_preview()
    wizard.action_apply()
    say(
        f"shop {shop.name} connected: {len(shop.mapping_ids)} locations, "
        f"{wizard.applied_count} products linked"
    )
    return shop


def ensure_webhooks(shop):
    params = env["ir.config_parameter"].sudo()
    params.set_param("web.base.url", odoo_url)
    params.set_param("web.base.url.freeze", "True")
    shop.invalidate_recordset(["webhook_endpoint"])
    shop.action_webhook_subscribe()
    say(f"webhooks: {shop.webhook_status}")


ensure_users()
shelves = ensure_shelves()
ensure_products(shelves)
shop = ensure_shop(shelves)
ensure_webhooks(shop)
env.cr.commit()
say("done")
