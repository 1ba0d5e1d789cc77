"""Every GraphQL document the engine sends is valid against Shopify's real 2026-10
schema, and every inventory mutation carries the ``@idempotent`` key Shopify requires
at runtime."""

from __future__ import annotations

import pytest
from graphql import OperationType, parse, validate

from shopify_stock_sync.engine.shopify import documents
from tests.real_schema import real_schema

INVENTORY_MUTATIONS = {
    "inventorySetQuantities",
    "inventoryAdjustQuantities",
    "inventoryActivate",
    "inventoryMoveQuantities",
}


@pytest.fixture(scope="module")
def schema():
    found = real_schema()
    if found is None:
        pytest.skip(
            "Shopify's 2026-10 schema is not available: neither ../shared/shopify/ nor "
            ".cache/shopify/ holds it and npm could not fetch @shopify/dev-mcp@1.16.0"
        )
    return found


@pytest.mark.parametrize("name", sorted(documents.ALL))
def test_document_is_valid_against_real_schema(schema, name):
    errors = validate(schema, parse(documents.ALL[name]))
    assert errors == [], f"{name}: {[e.message for e in errors]}"


@pytest.mark.parametrize("name", sorted(documents.ALL))
def test_inventory_mutations_are_idempotent(name):
    document = parse(documents.ALL[name])
    for definition in document.definitions:
        if getattr(definition, "operation", None) != OperationType.MUTATION:
            continue
        for selection in definition.selection_set.selections:
            if selection.name.value in INVENTORY_MUTATIONS:
                directives = {d.name.value for d in selection.directives}
                assert "idempotent" in directives, f"{name}: no @idempotent"


def test_every_document_is_listed():
    constants = {
        name
        for name, value in vars(documents).items()
        if name.isupper() and isinstance(value, str)
    }
    assert constants == set(documents.ALL)


def test_a_wrong_document_is_caught(schema):
    # The check can fail: a field that does not exist in 2026-10 is reported.
    errors = validate(schema, parse("{ shop { noSuchField } }"))
    assert errors and "noSuchField" in errors[0].message
