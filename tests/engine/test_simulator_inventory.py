"""The simulator's inventory mutations: set with compare-and-set, activation,
idempotency keys and the runtime rules of 2026-10."""

from __future__ import annotations

import pytest

from shopify_stock_sync.engine.shopify import documents
from tests.simulator import Simulator
from tests.simulator.raw import RawClient

TOKEN = "shpat_simulator_tests"


@pytest.fixture
def shop():
    with Simulator() as sim:
        sim.add_token(TOKEN)
        yield sim


@pytest.fixture
def api(shop) -> RawClient:
    return RawClient(shop.base_url, TOKEN)


@pytest.fixture
def main(shop) -> str:
    return shop.add_location("Main")


def item_at(shop: Simulator, location: str, available: int = 5, **variant) -> str:
    made = shop.add_variant(sku=f"I-{len(shop.shop.items)}", **variant)
    shop.set_level(made.inventory_item_id, location, available=available)
    return made.inventory_item_id


def quantity(item, location, target, expected):
    return {
        "inventoryItemId": item,
        "locationId": location,
        "quantity": target,
        "changeFromQuantity": expected,
    }


def set_input(*quantities, name="available", reason="correction", reference=None):
    payload = {"name": name, "reason": reason, "quantities": list(quantities)}
    if reference is not None:
        payload["referenceDocumentUri"] = reference
    return payload


def set_(api: RawClient, payload: dict, key: str) -> dict:
    return api.data(documents.SET_QUANTITIES, input=payload, key=key)[
        "inventorySetQuantities"
    ]


# inventorySetQuantities ----------------------------------------------------------


def test_set_available_keeps_committed(api, shop, main) -> None:
    item = item_at(shop, main, available=10)
    shop.place_order(item, main, 4)  # available 6, committed 4, on_hand 10
    result = set_(api, set_input(quantity(item, main, 20, 6)), "k1")
    assert result["userErrors"] == []
    assert result["inventoryAdjustmentGroup"]["id"].startswith(
        "gid://shopify/InventoryAdjustmentGroup/"
    )
    assert shop.level(item, main) == {"available": 20, "on_hand": 24, "committed": 4}
    assert shop.stats.applied_writes == [(item, main, "available", 20, "k1")]


def test_set_on_hand_keeps_committed(api, shop, main) -> None:
    item = item_at(shop, main, available=10)
    shop.place_order(item, main, 4)
    result = set_(api, set_input(quantity(item, main, 20, 10), name="on_hand"), "k1")
    assert result["userErrors"] == []
    assert shop.level(item, main) == {"available": 16, "on_hand": 20, "committed": 4}


def test_adjustment_group_reports_the_changes(api, shop, main) -> None:
    item = item_at(shop, main, available=3)
    body = api.data(
        """
        mutation S($input: InventorySetQuantitiesInput!, $key: String!) {
          inventorySetQuantities(input: $input) @idempotent(key: $key) {
            inventoryAdjustmentGroup {
              reason referenceDocumentUri
              changes(quantityNames: ["available"]) {
                name delta quantityAfterChange item { id } location { id } }
            }
          }
        }""",
        input=set_input(quantity(item, main, 8, 3), reference="gid://odoo-sync/Job/7"),
        key="k-group",
    )
    group = body["inventorySetQuantities"]["inventoryAdjustmentGroup"]
    assert group["reason"] == "correction"
    assert group["referenceDocumentUri"] == "gid://odoo-sync/Job/7"
    assert group["changes"] == [
        {
            "name": "available",
            "delta": 5,
            "quantityAfterChange": 8,
            "item": {"id": item},
            "location": {"id": main},
        }
    ]


def test_stale_change_from_refuses_the_whole_batch(api, shop, main) -> None:
    fresh, stale = item_at(shop, main, 1), item_at(shop, main, 2)
    shop.place_order(stale, main, 1)  # a sale since the read: available 1, not 2
    result = set_(
        api,
        set_input(quantity(fresh, main, 9, 1), quantity(stale, main, 9, 2)),
        "k-stale",
    )
    assert result["inventoryAdjustmentGroup"] is None
    (error,) = result["userErrors"]
    assert error["code"] == "CHANGE_FROM_QUANTITY_STALE"
    assert error["field"] == ["input", "quantities", "1", "changeFromQuantity"]
    assert shop.level(fresh, main)["available"] == 1  # all-or-nothing
    assert shop.level(stale, main)["available"] == 1
    assert shop.stats.applied_writes == []


def test_explicit_null_change_from_skips_the_guard(api, shop, main) -> None:
    item = item_at(shop, main, available=4)
    result = set_(api, set_input(quantity(item, main, 9, None)), "k-null")
    assert result["userErrors"] == []
    assert shop.level(item, main)["available"] == 9


def test_omitted_change_from_is_an_error(api, shop, main) -> None:
    item = item_at(shop, main, available=4)
    omitted = {"inventoryItemId": item, "locationId": main, "quantity": 9}
    body = api.run(documents.SET_QUANTITIES, input=set_input(omitted), key="k")
    assert body["data"] == {"inventorySetQuantities": None}
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "INVALID_FIELD_ARGUMENTS"
    assert "changeFromQuantity" in error["message"]
    assert shop.level(item, main)["available"] == 4


def test_omitted_change_from_in_a_literal_is_an_error_too(api, shop, main) -> None:
    item = item_at(shop, main, available=4)
    document = (
        'mutation { inventorySetQuantities(input: {name: "available", reason: '
        f'"correction", quantities: [{{inventoryItemId: "{item}", '
        f'locationId: "{main}", quantity: 1}}]}}) @idempotent(key: "lit") '
        "{ userErrors { code } } }"
    )
    body = api.run(document)
    assert body["errors"][0]["extensions"]["code"] == "INVALID_FIELD_ARGUMENTS"


def test_idempotent_directive_is_required(api, shop, main) -> None:
    item = item_at(shop, main, available=4)
    no_directive = documents.SET_QUANTITIES.replace(" @idempotent(key: $key)", "")
    no_directive = no_directive.replace(", $key: String!", "")
    assert "@idempotent" not in no_directive
    body = api.run(no_directive, input=set_input(quantity(item, main, 1, 4)))
    assert body["data"] == {"inventorySetQuantities": None}
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert "@idempotent directive is required" in body["errors"][0]["message"]
    assert shop.level(item, main)["available"] == 4


@pytest.mark.parametrize("key", ["", "   "])
def test_blank_idempotency_key_is_refused(api, shop, main, key) -> None:
    item = item_at(shop, main, available=4)
    body = api.run(
        documents.SET_QUANTITIES, input=set_input(quantity(item, main, 1, 4)), key=key
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert shop.level(item, main)["available"] == 4


def test_same_key_same_arguments_replays(api, shop, main) -> None:
    item = item_at(shop, main, available=4)
    payload = set_input(quantity(item, main, 7, 4))
    first = set_(api, payload, "k-once")
    shop.place_order(item, main, 1)  # available 6 now: a second apply would be stale
    again = set_(api, payload, "k-once")
    assert again == first  # the original answer, group id included
    assert shop.stats.replays == 1
    assert shop.stats.applied_writes == [(item, main, "available", 7, "k-once")]
    assert shop.level(item, main)["available"] == 6


def test_same_key_other_arguments_is_a_mismatch(api, shop, main) -> None:
    item = item_at(shop, main, available=4)
    set_(api, set_input(quantity(item, main, 7, 4)), "k-reused")
    result = set_(api, set_input(quantity(item, main, 8, 7)), "k-reused")
    assert result["inventoryAdjustmentGroup"] is None
    assert [e["code"] for e in result["userErrors"]] == [
        "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"
    ]
    assert shop.level(item, main)["available"] == 7
    assert shop.stats.replays == 0


def test_a_refused_answer_is_replayed_too(api, shop, main) -> None:
    item = item_at(shop, main, available=4)
    payload = set_input(quantity(item, main, 7, 3))  # stale
    first = set_(api, payload, "k-stale")
    shop.set_level(item, main, available=3)  # now it would match ...
    assert set_(api, payload, "k-stale") == first  # ... but the key answers as before
    assert shop.level(item, main)["available"] == 3
    assert set_(api, payload, "k-new")["userErrors"] == []  # a new key applies
    assert shop.level(item, main)["available"] == 7


INVALID_CASES = {
    "name": ({"name": "incoming"}, "INVALID_NAME", ["input", "name"]),
    "reason": ({"reason": "because"}, "INVALID_REASON", ["input", "reason"]),
    "reference": (
        {"reference": "odoo:job/1"},
        "INVALID_REFERENCE_DOCUMENT",
        ["input", "referenceDocumentUri"],
    ),
    "reference-missing-id": (
        {"reference": "gid://odoo-sync/SyncJob/"},
        "INVALID_REFERENCE_DOCUMENT",
        ["input", "referenceDocumentUri"],
    ),
}


@pytest.mark.parametrize("case", sorted(INVALID_CASES))
def test_invalid_request_fields(api, shop, main, case) -> None:
    options, code, field = INVALID_CASES[case]
    item = item_at(shop, main, available=4)
    result = set_(api, set_input(quantity(item, main, 1, 4), **options), "k")
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [(code, field)]
    assert shop.level(item, main)["available"] == 4


def test_per_quantity_errors(api, shop, main) -> None:
    ok = item_at(shop, main, available=1)
    untracked = item_at(shop, main, available=1, tracked=False)
    bundle = item_at(shop, main, available=1)
    shop.make_immutable(bundle)
    closed = shop.add_location("Closed", active=False)
    third_party = shop.add_location("3PL", fulfillment_service=True)
    unknown_item = "gid://shopify/InventoryItem/1"
    unknown_location = "gid://shopify/Location/1"
    result = set_(
        api,
        set_input(
            quantity(ok, main, 2, 1),  # 0: fine
            quantity(untracked, main, 2, 1),  # 1
            quantity(bundle, main, 2, 1),  # 2
            quantity(ok, closed, 2, None),  # 3
            quantity(ok, third_party, 2, None),  # 4
            quantity(unknown_item, main, 2, None),  # 5
            quantity(ok, unknown_location, 2, None),  # 6
            quantity(ok, main, 3, 1),  # 7: duplicate pair
            quantity(untracked, main, -1, None),  # 8: the pair of 1 again
        ),
        "k-mixed",
    )
    found = [(e["field"][2], e["code"], e["message"]) for e in result["userErrors"]]
    codes = {(index, code) for index, code, _ in found}
    assert codes == {
        ("1", "INVALID_INVENTORY_ITEM"),
        ("2", "NON_MUTABLE_INVENTORY_ITEM"),
        ("3", "INVALID_LOCATION"),
        ("4", "INVALID_LOCATION"),
        ("5", "INVALID_INVENTORY_ITEM"),
        ("6", "INVALID_LOCATION"),
        ("7", "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR"),
        ("8", "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR"),
    }
    messages = {index: message for index, _, message in found}
    assert messages["1"] == "The inventory item is not tracked"
    assert "deactivated" in messages["3"]
    assert "fulfillment service" in messages["4"]
    assert "bundle" in messages["2"]
    assert result["inventoryAdjustmentGroup"] is None
    assert shop.level(ok, main)["available"] == 1
    assert shop.stats.applied_writes == []


def test_negative_and_too_high_quantities(api, shop, main) -> None:
    low, high = item_at(shop, main), item_at(shop, main)
    result = set_(
        api,
        set_input(quantity(low, main, -1, None), quantity(high, main, 10**9 + 1, None)),
        "k",
    )
    assert [e["code"] for e in result["userErrors"]] == [
        "INVALID_QUANTITY_NEGATIVE",
        "INVALID_QUANTITY_TOO_HIGH",
    ]


def test_unstocked_pair_is_an_error_by_default(api, shop, main) -> None:
    item = shop.add_variant(sku="NEW").inventory_item_id
    result = set_(api, set_input(quantity(item, main, 3, 0)), "k")
    assert result["userErrors"] == [
        {
            "code": "INVALID_LOCATION",
            "field": ["input", "quantities", "0", "locationId"],
            "message": "The inventory item is not stocked at the location",
        }
    ]
    assert shop.level(item, main) is None


def test_unstocked_pair_is_stocked_in_stock_mode(api, shop, main) -> None:
    shop.unstocked_set = "stock"
    item = shop.add_variant(sku="NEW").inventory_item_id
    stale = set_(api, set_input(quantity(item, main, 3, 2)), "k1")
    assert [e["code"] for e in stale["userErrors"]] == ["CHANGE_FROM_QUANTITY_STALE"]
    result = set_(api, set_input(quantity(item, main, 3, 0)), "k2")
    assert result["userErrors"] == []
    assert shop.level(item, main) == {"available": 3, "on_hand": 3, "committed": 0}


def test_unstocked_pair_error_without_code(api, shop, main) -> None:
    shop.unstocked_set = "error_no_code"
    item = shop.add_variant(sku="NEW").inventory_item_id
    result = set_(api, set_input(quantity(item, main, 3, 0)), "k")
    assert [(e["code"], e["message"]) for e in result["userErrors"]] == [
        (None, "The inventory item is not stocked at the location")
    ]
    assert shop.level(item, main) is None


def test_partial_batches_apply_the_quantities_without_error(api, shop, main) -> None:
    shop.set_batches = "partial"
    good, stale = item_at(shop, main, 5), item_at(shop, main, 5)
    result = set_(
        api, set_input(quantity(good, main, 7, 5), quantity(stale, main, 7, 4)), "k"
    )
    assert result["inventoryAdjustmentGroup"] is not None
    assert [e["field"] for e in result["userErrors"]] == [
        ["input", "quantities", "1", "changeFromQuantity"]
    ]
    assert shop.level(good, main)["available"] == 7
    assert shop.level(stale, main)["available"] == 5
    # a request refused as a whole still applies nothing
    refused = set_(api, set_input(quantity(good, main, 9, 7), reason="nope"), "k2")
    assert refused["inventoryAdjustmentGroup"] is None
    assert shop.level(good, main)["available"] == 7
    # and so does a batch whose every quantity is refused
    none = set_(api, set_input(quantity(stale, main, 9, 4)), "k3")
    assert none["inventoryAdjustmentGroup"] is None


def test_simulator_settings_are_checked() -> None:
    with Simulator() as sim:
        with pytest.raises(ValueError):
            sim.unstocked_set = "maybe"
        with pytest.raises(ValueError):
            sim.set_batches = "some"
        with pytest.raises(ValueError):
            sim.throttle_http_status = 500
        with pytest.raises(ValueError):
            sim.inject("meteor")
        with pytest.raises(ValueError):
            Simulator(plan="enterprise")


# inventoryActivate ---------------------------------------------------------------


def activate(api: RawClient, item: str, location: str, key: str) -> dict:
    return api.data(documents.ACTIVATE, item=item, location=location, key=key)[
        "inventoryActivate"
    ]


def test_activate_stocks_the_pair_with_zero(api, shop, main) -> None:
    item = shop.add_variant(sku="NEW").inventory_item_id
    result = activate(api, item, main, "a1")
    assert result["userErrors"] == []
    level_id = result["inventoryLevel"]["id"]
    assert level_id == (
        f"gid://shopify/InventoryLevel/{main.rsplit('/', 1)[1]}"
        f"?inventory_item_id={item.rsplit('/', 1)[1]}"
    )
    assert shop.level(item, main) == {"available": 0, "on_hand": 0, "committed": 0}
    assert shop.stats.activations == [(item, main, 0, "a1")]
    assert set_(api, set_input(quantity(item, main, 4, 0)), "s1")["userErrors"] == []
    assert shop.level(item, main)["available"] == 4


def test_activate_with_a_quantity_and_an_existing_level(api, shop, main) -> None:
    item = shop.add_variant(sku="NEW").inventory_item_id
    body = api.data(
        """mutation A($item: ID!, $loc: ID!, $key: String!) {
          inventoryActivate(inventoryItemId: $item, locationId: $loc, available: 6)
            @idempotent(key: $key) { inventoryLevel { quantities(names: ["available"])
              { quantity } } userErrors { message } } }""",
        item=item,
        loc=main,
        key="a-six",
    )
    assert body["inventoryActivate"]["inventoryLevel"]["quantities"] == [
        {"quantity": 6}
    ]
    again = activate(api, item, main, "a-again")  # already stocked: unchanged
    assert again["userErrors"] == [] and again["inventoryLevel"]["id"]
    assert shop.level(item, main)["available"] == 6


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"active": False}, "deactivated"),
        ({"fulfillment_service": True}, "fulfillment"),
    ],
)
def test_activate_refused_at_unwritable_locations(api, shop, options, words) -> None:
    location = shop.add_location("Elsewhere", **options)
    item = shop.add_variant(sku="NEW").inventory_item_id
    result = activate(api, item, location, "a1")
    assert result["inventoryLevel"] is None
    assert result["userErrors"][0]["field"] == ["locationId"]
    assert words in result["userErrors"][0]["message"]
    assert shop.level(item, location) is None


def test_activate_unknown_ids(api, shop, main) -> None:
    result = activate(api, "gid://shopify/InventoryItem/1", main, "a1")
    assert result["userErrors"][0]["field"] == ["inventoryItemId"]


def test_activate_is_idempotent_too(api, shop, main) -> None:
    item = shop.add_variant(sku="NEW").inventory_item_id
    other = shop.add_variant(sku="NEW-2").inventory_item_id
    first = activate(api, item, main, "a1")
    assert activate(api, item, main, "a1") == first
    assert shop.stats.replays == 1 and len(shop.stats.activations) == 1
    mismatch = activate(api, other, main, "a1")
    assert mismatch["inventoryLevel"] is None
    assert "different operation parameters" in mismatch["userErrors"][0]["message"]
    assert shop.level(other, main) is None
    no_directive = documents.ACTIVATE.replace(" @idempotent(key: $key)", "")
    body = api.run(
        no_directive.replace(", $key: String!", ""), item=other, location=main
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
