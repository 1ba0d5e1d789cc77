"""The simulator's SDL is a strict subset of Shopify's real Admin API 2026-10 schema.

Whatever the simulator accepts, Shopify accepts too: every type, field, argument and
enum value of ``tests/simulator/schema.graphql`` exists in the real schema with the same
name, type and default; required arguments and input fields are never left out.  And
every document the engine sends validates against the simulator's SDL.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path

import pytest
from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    build_client_schema,
    is_non_null_type,
    is_specified_directive,
    is_specified_scalar_type,
    parse,
    validate,
)
from graphql.pyutils import Undefined
from graphql.type.introspection import introspection_types

from shopify_stock_sync.engine.shopify.documents import ALL
from tests.simulator.schema import executable_schema, load_schema

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "shopify"
INTROSPECTION = SHARED / "admin-2026-10.json.gz"


@cache
def real_schema() -> GraphQLSchema:
    with gzip.open(INTROSPECTION, "rt", encoding="utf-8") as handle:
        data = json.load(handle)
    return build_client_schema(data.get("data", data), assume_valid=True)


@pytest.fixture(scope="module")
def real() -> GraphQLSchema:
    if not INTROSPECTION.exists():
        pytest.skip(
            f"the real Shopify schema is absent (looked for {INTROSPECTION.name} in "
            "../shared/shopify/; see its SOURCE.md for how to fetch it)"
        )
    return real_schema()


@pytest.fixture(scope="module")
def sim() -> GraphQLSchema:
    return load_schema()


def own_types(schema: GraphQLSchema) -> dict[str, GraphQLNamedType]:
    return {
        name: type_
        for name, type_ in schema.type_map.items()
        if name not in introspection_types and not is_specified_scalar_type(type_)
    }


def is_required(arg: GraphQLArgument | GraphQLInputField) -> bool:
    return is_non_null_type(arg.type) and arg.default_value is Undefined


def compare_args(
    where: str,
    ours: Mapping[str, GraphQLArgument] | Mapping[str, GraphQLInputField],
    theirs: Mapping[str, GraphQLArgument] | Mapping[str, GraphQLInputField],
) -> list[str]:
    problems = []
    for name, arg in ours.items():
        if name not in theirs:
            problems.append(f"{where}({name}:) does not exist in Shopify")
            continue
        if str(arg.type) != str(theirs[name].type):
            problems.append(
                f"{where}({name}:) is {arg.type} here, {theirs[name].type} in Shopify"
            )
        if arg.default_value != theirs[name].default_value:
            problems.append(
                f"{where}({name}:) defaults to {arg.default_value!r} here, "
                f"{theirs[name].default_value!r} in Shopify"
            )
    for name, arg in theirs.items():
        if is_required(arg) and name not in ours:
            problems.append(f"{where}({name}:) is required in Shopify but missing here")
    return problems


def compare_type(ours: GraphQLNamedType, theirs: GraphQLNamedType) -> list[str]:
    name = ours.name
    if type(ours) is not type(theirs):
        return [
            f"{name} is a {type(ours).__name__} here, {type(theirs).__name__} there"
        ]
    problems: list[str] = []
    if isinstance(ours, (GraphQLObjectType, GraphQLInterfaceType)):
        assert isinstance(theirs, (GraphQLObjectType, GraphQLInterfaceType))
        missing = {i.name for i in ours.interfaces} - {
            i.name for i in theirs.interfaces
        }
        problems += [f"{name} implements {i} only here" for i in sorted(missing)]
        for field_name, field in ours.fields.items():
            real_field = theirs.fields.get(field_name)
            if real_field is None:
                problems.append(f"{name}.{field_name} does not exist in Shopify")
                continue
            if str(field.type) != str(real_field.type):
                problems.append(
                    f"{name}.{field_name} is {field.type} here, {real_field.type} there"
                )
            problems += compare_args(
                f"{name}.{field_name}", field.args, real_field.args
            )
    elif isinstance(ours, GraphQLInputObjectType):
        assert isinstance(theirs, GraphQLInputObjectType)
        problems += compare_args(name, ours.fields, theirs.fields)
    elif isinstance(ours, GraphQLEnumType):
        assert isinstance(theirs, GraphQLEnumType)
        extra = set(ours.values) - set(theirs.values)
        problems += [
            f"{name}.{value} is not a Shopify value" for value in sorted(extra)
        ]
    elif isinstance(ours, GraphQLUnionType):
        assert isinstance(theirs, GraphQLUnionType)
        extra = {t.name for t in ours.types} - {t.name for t in theirs.types}
        problems += [f"{name} includes {t} only here" for t in sorted(extra)]
    else:
        assert isinstance(ours, GraphQLScalarType)
    return problems


def test_root_types_are_shopifys(sim: GraphQLSchema, real: GraphQLSchema) -> None:
    assert sim.query_type and real.query_type and sim.mutation_type
    assert real.mutation_type
    assert sim.query_type.name == real.query_type.name == "QueryRoot"
    assert sim.mutation_type.name == real.mutation_type.name == "Mutation"
    assert sim.subscription_type is None


def test_every_type_is_a_subset_of_shopifys(
    sim: GraphQLSchema, real: GraphQLSchema
) -> None:
    problems: list[str] = []
    for name, type_ in own_types(sim).items():
        if name not in real.type_map:
            problems.append(f"type {name} does not exist in Shopify")
            continue
        problems += compare_type(type_, real.type_map[name])
    assert problems == []


def test_the_subset_is_strict(sim: GraphQLSchema, real: GraphQLSchema) -> None:
    ours, theirs = own_types(sim), own_types(real)
    assert set(ours) < set(theirs)
    assert len(sim.query_type.fields) < len(real.query_type.fields)  # type: ignore[union-attr]


def test_directives_are_shopifys(sim: GraphQLSchema, real: GraphQLSchema) -> None:
    real_directives = {d.name: d for d in real.directives}
    own = [d for d in sim.directives if not is_specified_directive(d)]
    assert [d.name for d in own] == ["idempotent"]
    for directive in own:
        theirs = real_directives[directive.name]
        assert set(directive.locations) <= set(theirs.locations)
        assert compare_args(f"@{directive.name}", directive.args, theirs.args) == []


def test_every_root_field_is_served() -> None:
    """No dead SDL: each query and mutation field has a resolver behind it."""
    schema = executable_schema()
    for root in (schema.query_type, schema.mutation_type):
        assert root is not None
        unserved = [
            name for name, field in root.fields.items() if field.resolve is None
        ]
        assert unserved == [], f"{root.name} fields without a resolver"


@pytest.mark.parametrize("name", sorted(ALL))
def test_engine_document_validates_against_the_simulator(
    sim: GraphQLSchema, name: str
) -> None:
    assert validate(sim, parse(ALL[name])) == []


@pytest.mark.parametrize("name", sorted(ALL))
def test_engine_document_validates_against_shopify(
    real: GraphQLSchema, name: str
) -> None:
    assert validate(real, parse(ALL[name])) == []
