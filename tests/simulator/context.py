"""What a resolver knows about the request it serves, and the resolver registry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLResolveInfo

from .state import Shop

Resolver = Callable[..., Any]
RESOLVERS: dict[tuple[str, str], Resolver] = {}


@dataclass
class Context:
    shop: Shop
    scopes: frozenset[str]
    base_url: str
    bulk: bool = False  # running a bulk operation: connections need no first/last


def context(info: GraphQLResolveInfo) -> Context:
    ctx = info.context
    assert isinstance(ctx, Context)
    return ctx


def resolver(type_name: str, field_name: str) -> Callable[[Resolver], Resolver]:
    """Register the decorated function as the resolver of ``type_name.field_name``."""

    def register(function: Resolver) -> Resolver:
        RESOLVERS[(type_name, field_name)] = function
        return function

    return register


def attributes(type_name: str, **getters: Callable[[Any], Any]) -> None:
    """Register one-argument getters (``id=lambda loc: loc.gid``) as field resolvers."""
    for field_name, getter in getters.items():
        RESOLVERS[(type_name, field_name)] = _getter(getter)


def _getter(getter: Callable[[Any], Any]) -> Resolver:
    def resolve(source: Any, _info: GraphQLResolveInfo, **_args: Any) -> Any:
        return getter(source)

    return resolve
