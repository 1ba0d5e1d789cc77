"""The simulator's schema: ``schema.graphql`` with the resolvers attached."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from graphql import GraphQLInterfaceType, GraphQLObjectType, GraphQLSchema, build_schema

SDL_PATH = Path(__file__).with_name("schema.graphql")


def load_schema() -> GraphQLSchema:
    """The SDL alone, as written (for checks against Shopify's schema)."""
    return build_schema(SDL_PATH.read_text(encoding="utf-8"))


@cache
def executable_schema() -> GraphQLSchema:
    """The SDL with every registered resolver attached; built once per process."""
    from . import (  # noqa: F401  (they register resolvers)
        bulk,
        inventory,
        resolvers,
        subscriptions,
    )
    from .context import RESOLVERS

    schema = load_schema()
    for (type_name, field_name), function in RESOLVERS.items():
        type_ = schema.type_map[type_name]
        assert isinstance(type_, GraphQLObjectType), type_name
        type_.fields[field_name].resolve = function
    node = schema.type_map["Node"]
    assert isinstance(node, GraphQLInterfaceType)
    node.resolve_type = resolvers.resolve_type
    return schema
