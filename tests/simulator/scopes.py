"""Access scopes: which fields a token may read or run, as Shopify's ``requiredAccess``.

Modelled: levels and quantities need ``read_inventory``; variants and products
``read_products``; inventory items either of them; locations ``read_locations`` (only
``Location.id`` also with ``read_inventory``); the inventory mutations
``write_inventory``.  Root fields are checked too, so an empty list is refused all the
same.  A denied field answers HTTP 200 with an ``ACCESS_DENIED`` error and null, as
Shopify does.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLResolveInfo,
    GraphQLSchema,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    is_abstract_type,
    visit,
)

from .context import context

DOCUMENTATION = "https://shopify.dev/api/usage/access-scopes"

TYPE_SCOPES: dict[str, tuple[str, ...]] = {
    "InventoryLevel": ("read_inventory",),
    "InventoryQuantity": ("read_inventory",),
    "InventoryItem": ("read_inventory", "read_products"),
    "ProductVariant": ("read_products",),
    "Product": ("read_products",),
    "Location": ("read_locations",),
    "FulfillmentService": ("read_locations",),
}
FIELD_SCOPES: dict[tuple[str, str], tuple[str, ...]] = {
    # Root fields are checked even when they would return nothing.
    ("QueryRoot", "locations"): ("read_locations", "read_inventory"),
    ("QueryRoot", "location"): ("read_locations", "read_inventory"),
    ("QueryRoot", "productVariants"): ("read_products",),
    ("QueryRoot", "productVariant"): ("read_products",),
    ("QueryRoot", "inventoryItems"): ("read_inventory", "read_products"),
    ("QueryRoot", "inventoryItem"): ("read_inventory", "read_products"),
    ("QueryRoot", "inventoryLevel"): ("read_inventory",),
    ("Location", "id"): ("read_locations", "read_inventory"),
    ("InventoryItem", "inventoryLevel"): ("read_inventory",),
    ("InventoryItem", "inventoryLevels"): ("read_inventory",),
    ("Mutation", "inventorySetQuantities"): ("write_inventory",),
    ("Mutation", "inventoryActivate"): ("write_inventory",),
}


@cache
def required(type_name: str, field_name: str) -> tuple[str, ...]:
    """The scopes of which a token needs one to resolve ``type_name.field_name``."""
    if field_name.startswith("__"):
        return ()
    found = FIELD_SCOPES.get((type_name, field_name))
    return found if found is not None else TYPE_SCOPES.get(type_name, ())


def check(info: GraphQLResolveInfo) -> None:
    """Refuse the field being resolved if the token's scopes do not cover it."""
    needed = required(info.parent_type.name, info.field_name)
    if not needed or set(needed) & context(info).scopes:
        return
    access = " or ".join(f"`{scope}` access scope" for scope in needed)
    raise GraphQLError(
        f"Access denied for {info.field_name} field. Required access: {access}.",
        info.field_nodes,
        extensions={
            "code": "ACCESS_DENIED",
            "documentation": DOCUMENTATION,
            "requiredAccess": f"{access}.",
        },
    )


class ScopeGuard:
    """graphql-core middleware applying :func:`check` to every field."""

    def resolve(
        self, next_: Any, root: Any, info: GraphQLResolveInfo, **args: Any
    ) -> Any:
        check(info)
        return next_(root, info, **args)


def may_deny(
    schema: GraphQLSchema, document: DocumentNode, scopes: frozenset[str]
) -> bool:
    """Whether any field of ``document`` could be refused to these scopes (then the
    request runs with :class:`ScopeGuard`; otherwise without its per-field cost)."""
    type_info = TypeInfo(schema)
    found: list[str] = []

    class Fields(Visitor):
        def enter_field(self, node: FieldNode, *_args: Any) -> None:
            parent = type_info.get_parent_type()
            if parent is None:
                return
            possible = (
                schema.get_possible_types(parent)  # type: ignore[arg-type]
                if is_abstract_type(parent)
                else [parent]
            )
            for type_ in possible:
                needed = required(type_.name, node.name.value)
                if needed and set(needed).isdisjoint(scopes):
                    found.append(node.name.value)

    visit(document, TypeInfoVisitor(type_info, Fields()))
    return bool(found)
