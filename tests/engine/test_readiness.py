"""The launch readiness checklist flags each problem it names, and only those."""

from __future__ import annotations

import pytest

from shopify_stock_sync.engine import channels
from shopify_stock_sync.engine.data import (
    Direction,
    ErrorCategory,
    LevelChange,
    LevelKey,
    Location,
    OutcomeStatus,
    PushOutcome,
    ShopifyLevel,
    Subject,
    Variant,
)
from shopify_stock_sync.engine.linking import Match, Method, OdooProduct, preview_links
from shopify_stock_sync.engine.readiness import (
    CAP,
    CheckLine,
    JobRunner,
    MappingInfo,
    ShopReadiness,
    TestPush,
    TestPushKind,
    WebhookStatus,
    check_blanks,
    check_case,
    check_duplicates,
    check_job_runner,
    check_locations,
    check_products_linked,
    check_scopes,
    check_stocked,
    check_test_push,
    check_tracked,
    check_webhooks,
    checklist,
    pick_test_products,
    unreachable_endpoint,
)
from shopify_stock_sync.engine.shopify.auth import REQUIRED_SCOPES
from shopify_stock_sync.engine.subscriptions import TOPICS, Subscription, plan


def variant(
    n: int,
    sku: str | None,
    barcode: str | None = None,
    tracked: bool = True,
    title: str = "Default Title",
) -> Variant:
    return Variant(
        f"gid://shopify/ProductVariant/{n}",
        f"gid://shopify/InventoryItem/{n}",
        sku=sku,
        barcode=barcode,
        tracked=tracked,
        title=title,
        product_title=f"Shirt {n}",
    )


def location(n: int, name: str, **flags) -> Location:
    return Location(f"gid://shopify/Location/{n}", name, **flags)


# -- the line itself ------------------------------------------------------------------


def test_a_line_lists_a_capped_number_of_records_with_the_count() -> None:
    line = CheckLine("x", "Thing", False, "3 problems", ("a", "b"), 3, "Fix it.")
    assert (line.status, line.more) == ("problem", 1)
    assert line.text == "Thing: 3 problems a; b and 1 more. Fix it."
    ok = CheckLine("x", "Thing", True, "all good.")
    assert (ok.status, ok.more, ok.text) == ("ok", 0, "Thing: all good.")
    listed = CheckLine("x", "Thing", False, "1 problem", ("a",), 1, "")
    assert listed.text == "Thing: 1 problem a."


# -- 1. scopes -------------------------------------------------------------------------


def test_scopes() -> None:
    line = check_scopes([" read_products", "read_inventory", "write_inventory"])
    assert not line.ok
    assert line.records == ("read_locations",) and line.count == 1
    assert line.summary == "the app lacks 1 scope the sync needs"
    assert "install it again" in line.todo
    ok = check_scopes(list(REQUIRED_SCOPES) + ["write_products"])
    assert ok.ok and ok.records == () and ok.todo == ""
    assert "read_products, read_inventory" in ok.summary
    assert check_scopes([], required=("a", "b")).summary == (
        "the app lacks 2 scopes the sync needs"
    )


# -- 2. locations ----------------------------------------------------------------------


def test_every_active_location_mapped_or_off() -> None:
    main, outlet = location(1, "Main"), location(2, "Outlet")
    closed = location(3, "Closed", active=False)
    mappings = [
        MappingInfo(main.id, "Main", Direction.ODOO_TO_SHOPIFY, ("WH/Stock",)),
        MappingInfo(outlet.id, "Outlet", Direction.OFF),
    ]
    line = check_locations([main, outlet, closed], mappings)
    assert line.ok, line.text
    assert (
        line.summary == "every active Shopify location is mapped or deliberately off."
    )


def test_location_problems_name_each_location() -> None:
    locations = [
        location(1, "Main"),
        location(2, "Pop-up"),  # no mapping at all
        location(3, "Closed", active=False),
        location(4, "3PL", fulfillment_service=True),
        location(5, "Kiosk", fulfillment_service=True),
    ]
    mappings = [
        MappingInfo(locations[0].id, "Main", Direction.ODOO_TO_SHOPIFY),  # no Odoo
        MappingInfo(locations[2].id, "Closed", "two_way", ("WH/Old",)),
        MappingInfo(locations[3].id, "3PL", Direction.ODOO_TO_SHOPIFY, ("WH/3PL",)),
        MappingInfo(locations[4].id, "Kiosk", Direction.SHOPIFY_TO_ODOO, ("K",)),
        MappingInfo("gid://shopify/Location/9", "Gone", Direction.TWO_WAY, ("WH/G",)),
    ]
    line = check_locations(locations, mappings)
    assert not line.ok
    assert line.records == (
        "'Pop-up' has no mapping",
        "'3PL' is run by a fulfilment service, which refuses quantities",
        "'Closed' is on but deactivated in Shopify",
        "'Gone' is on but no longer exists in Shopify",
        "'Main' is on but has no Odoo location",
    )
    assert line.summary == "5 location problems"
    assert "Import Locations" in line.todo


def test_nothing_mapped_is_a_problem() -> None:
    main = location(1, "Main")
    line = check_locations([main], [MappingInfo(main.id, "Main")])
    assert line.records == ("no Shopify location is mapped yet",)
    assert line.summary == "1 location problem"


# -- 3. SKUs ---------------------------------------------------------------------------


def messy_preview():
    products = [
        OdooProduct(1, sku="DUP", name="Shirt A"),
        OdooProduct(2, sku="DUP", name="Shirt B"),
        OdooProduct(3, sku="", barcode="", name="Nameless"),
        OdooProduct(4, sku="ts-blu-s", name="Blue"),
        OdooProduct(5, sku="OK-1", name="Fine", linked_variant_id=variant(5, "x").id),
        OdooProduct(6, sku="NEW-1", name="New"),
        OdooProduct(7, sku="NOPE", name="Lonely"),
        OdooProduct(8, sku="OUT", name="Out of scope", in_scope=False),
        OdooProduct(9, barcode="111", name=""),
    ]
    variants = [
        variant(10, "SHARED"),
        variant(11, "SHARED"),
        variant(12, None),
        variant(13, "TS-BLU-S"),
        variant(5, "OK-1", tracked=False),
        variant(14, "NEW-1"),
        variant(15, "OUT"),
        variant(16, "DUP"),
    ]
    return preview_links(products, variants)


def test_duplicates_on_either_side() -> None:
    line = check_duplicates(messy_preview())
    assert line.records == (
        "SKU 'DUP' on 2 Odoo products",
        "SKU 'SHARED' on 2 Shopify variants",
    )
    assert line.summary == "2 SKUs or barcodes on several records"
    merged = preview_links(
        [OdooProduct(1, sku="M")], [variant(1, "M")], duplicated_skus={"M"}
    )
    assert check_duplicates(merged).records == ("SKU 'M' on several Odoo products",)
    barcodes = preview_links(
        [OdooProduct(1, barcode="9"), OdooProduct(2, barcode="9")],
        [variant(1, None, barcode="9"), variant(2, None, barcode="9")],
    )
    assert check_duplicates(barcodes).records == (
        "barcode '9' on 2 Odoo products and 2 Shopify variants",
    )


def test_blanks_on_both_sides() -> None:
    line = check_blanks(messy_preview())
    assert line.records == ("Odoo Nameless", "Shopify Shirt 12")
    assert line.summary == "2 records without SKU or barcode"


def test_case_only_differences() -> None:
    line = check_case(messy_preview())
    assert line.records == ("Odoo 'ts-blu-s' vs Shopify 'TS-BLU-S'",)
    assert line.summary == "1 SKU differing from the other side only in letter case"


def test_clean_skus_are_ok() -> None:
    clean = preview_links([OdooProduct(1, sku="A")], [variant(1, "A")])
    for check in (check_duplicates, check_blanks, check_case):
        assert check(clean).ok


# -- 4. products linked, 5. tracked ----------------------------------------------------


def test_every_storable_product_in_scope_linked() -> None:
    line = check_products_linked(messy_preview())
    assert not line.ok
    # All but the linked one and the one outside the scope.
    assert line.count == 7
    assert line.records == (
        "Shirt A [DUP]: several Odoo products have this SKU",
        "Shirt B [DUP]: several Odoo products have this SKU",
        "New [NEW-1]: matched, not linked yet",
        "Lonely [NOPE]: no Shopify variant has this SKU or barcode",
        "Nameless: it has no Internal Reference (SKU) and no barcode",
        "barcode 111: no Shopify variant has this SKU or barcode",
        "Blue [ts-blu-s]: a Shopify SKU differs only in letter case",
    )
    assert line.summary == "7 storable products in the sync scope are not linked"
    assert line.todo.startswith("Open Link Variants: 1 can be linked now;")


def test_unlinked_list_is_capped_but_counted() -> None:
    products = [OdooProduct(n, sku=f"P-{n:02}") for n in range(CAP + 5)]
    line = check_products_linked(preview_links(products, []))
    assert line.count == CAP + 5 and len(line.records) == CAP and line.more == 5


def test_products_linked_ok_and_blank_name() -> None:
    linked = OdooProduct(1, sku="A", linked_variant_id=variant(1, "A").id)
    preview = preview_links([linked], [variant(1, "A")])
    assert check_products_linked(preview).ok
    blank = preview_links([OdooProduct(7)], [])
    line = check_products_linked(blank)
    assert line.records == (
        "product 7: it has no Internal Reference (SKU) and no barcode",
    )
    assert line.summary == "1 storable product in the sync scope is not linked"


def test_products_linked_twice_are_not_linked() -> None:
    v = variant(1, "A")
    twice = [OdooProduct(n, name=f"P{n}", linked_variant_id=v.id) for n in (1, 2)]
    line = check_products_linked(preview_links(twice, [v]))
    assert line.count == 2
    assert line.records == (
        "P1: several Odoo products are linked to its Shopify variant",
        "P2: several Odoo products are linked to its Shopify variant",
    )


def test_linked_variants_must_track_inventory() -> None:
    line = check_tracked(messy_preview())
    assert line.records == ("Shirt 5 [OK-1] (Odoo OK-1)",)
    assert line.summary == "1 linked variant does not track inventory"
    assert check_tracked(preview_links([], [])).ok


# -- 6. stocked ------------------------------------------------------------------------


def test_every_linked_item_stocked_at_every_mapped_location() -> None:
    a = LevelKey("gid://shopify/InventoryItem/1", "gid://shopify/Location/1")
    b = LevelKey("gid://shopify/InventoryItem/1", "gid://shopify/Location/2")
    c = LevelKey("gid://shopify/InventoryItem/2", "gid://shopify/Location/1")
    expected = {
        a: Subject("A-1", shopify_location="Main"),
        b: Subject("A-1", shopify_location="Outlet"),
        c: Subject(),
    }
    levels = {
        a: ShopifyLevel(a, stocked=True, available=1),
        b: ShopifyLevel(b, stocked=False),
    }
    line = check_stocked(expected, levels)
    assert line.records == (
        "gid://shopify/InventoryItem/2 at 'gid://shopify/Location/1'",
        "A-1 at 'Outlet'",
    )
    assert line.summary == "2 linked items not stocked at a mapped location"
    levels[b] = ShopifyLevel(b, stocked=True)
    levels[c] = ShopifyLevel(c, stocked=True)
    assert check_stocked(expected, levels).ok


# -- 7. job runner ---------------------------------------------------------------------


def test_job_runner_configured() -> None:
    line = check_job_runner(JobRunner("base,rpc,web,queue_job", "root:2"))
    assert line.ok
    assert line.summary == (
        "queue_job runs, and jobs of root.shopify_stock_sync run up to 2 at once."
    )
    line = check_job_runner(
        JobRunner(["base", "web", "queue_job"], "root:2x,foo:1", channel="foo")
    )
    assert line.records == (
        "the [queue_job] channels setting is invalid: Channel 'root' has an invalid "
        "capacity '2x'.",
    )
    assert line.todo == "Correct the channels setting and restart Odoo."
    # As in queue_job, a setting starting with root:0 stops the runner before it
    # is read any further.
    line = check_job_runner(JobRunner("queue_job", "root:0x"))
    assert line.records == ("the job runner is disabled (channels start with root:0)",)


def test_job_runner_problems() -> None:
    line = check_job_runner(JobRunner("base,rpc,web", None))
    assert line.records == ("queue_job is not in server_wide_modules",)
    assert "base,rpc,web,queue_job" in line.todo
    assert line.summary == "1 problem: sync jobs would wait forever"
    line = check_job_runner(JobRunner(None, "root:0"))
    assert line.records == (
        "queue_job is not in server_wide_modules",
        "the job runner is disabled (channels start with root:0)",
    )
    line = check_job_runner(
        JobRunner("queue_job", "root:2,shopify_stock_sync:1:paused")
    )
    assert line.records == (
        "the channel root.shopify_stock_sync or a parent is paused",
    )
    line = check_job_runner(JobRunner("queue_job", "root:2,sub:3:sequential"))
    assert line.records == (
        "the [queue_job] channels setting is invalid: Channel 'sub' is sequential, "
        "so its capacity must be 1.",
    )
    # A root of capacity 0 that does not start the setting means no limit.
    line = check_job_runner(JobRunner("queue_job", "foo:1,root:0"))
    assert line.ok and "with no limit of their own" in line.summary


def test_channels_are_parsed_as_queue_job_parses_them() -> None:
    assert channels.parse_channels("\n root : 4,\n ,\n foo bar:1: k=va lue,\n") == [
        {"name": "root", "capacity": 4},
        {"name": "foo bar", "capacity": 1, "k": "va lue"},
    ]
    assert channels.parse_channels("root\nbaz:2:throttle=3") == [
        {"name": "root", "capacity": 1},
        {"name": "baz", "capacity": 2, "throttle": "3"},
    ]
    for bad, message in [
        (":3", "has no channel name"),
        ("root:x", "invalid capacity 'x'"),
        ("root:", "invalid capacity ''"),
        ("root:1:a=b=c", "invalid option 'a=b=c'"),
        ("root:1:capacity=2", "sets 'capacity' twice"),
        ("root:1:throttle=fast", "invalid throttle 'fast'"),
        ("s:2:sequential", "is sequential, so its capacity must be 1"),
    ]:
        with pytest.raises(ValueError, match=message):
            channels.parse_channels(bad)


def test_channel_capacity_follows_the_parents() -> None:
    capacity = channels.channel_capacity
    name = "root.shopify_stock_sync"
    assert capacity(None, name) == 1  # queue_job's default: root:1
    assert capacity("", name) == 1
    assert capacity("root:4,shopify_stock_sync:2", name) == 2
    assert capacity("root:1,root.shopify_stock_sync:3", name) == 1
    assert capacity("shopify_stock_sync:3", name) == 1  # root keeps its 1
    assert capacity("root:4,shopify_stock_sync:0", name) == 4  # 0: no own limit
    assert capacity("root:4,root:2", name) == 2  # the last setting wins
    assert capacity("root:0", name) == 0
    assert capacity(" root:0, x:1", name) == 0
    assert capacity("root:3:paused", name) == 0
    assert capacity("root:4,other:1:paused", name) == 4
    assert capacity("root:3", "root") == 3
    assert channels.full_name("a.b") == "root.a.b"
    assert channels.has_module(" base, queue_job ")
    assert not channels.has_module(["base", "queue_jobs"])
    assert not channels.has_module(None)


# -- 8. test push ----------------------------------------------------------------------


def outcome(status: OutcomeStatus, message: str = "") -> PushOutcome:
    key = LevelKey("gid://shopify/InventoryItem/1", "gid://shopify/Location/1")
    category = None if status is OutcomeStatus.SYNCED else ErrorCategory.DATA
    return PushOutcome(
        LevelChange(key, 1.0), status, category=category, message=message
    )


def test_test_push_lines() -> None:
    synced = (outcome(OutcomeStatus.SYNCED),)
    pushes = [
        TestPush(TestPushKind.SIMPLE, "Mug", synced),
        TestPush(TestPushKind.VARIANT, "Shirt (Red, M)", synced),
        TestPush(TestPushKind.MULTI_LOCATION, "Cap", synced * 2),
    ]
    assert check_test_push(pushes).ok
    failed = pushes[:1] + [
        TestPush(
            TestPushKind.VARIANT,
            "Shirt (Red, M)",
            synced + (outcome(OutcomeStatus.ERROR, "SKU X: not tracked."),),
        ),
        TestPush(TestPushKind.MULTI_LOCATION, "Cap", (outcome(OutcomeStatus.RETRY),)),
    ]
    line = check_test_push(failed)
    assert line.records == (
        "product with variants Shirt (Red, M): SKU X: not tracked.",
        "product at several locations Cap: failed",
    )
    assert line.summary == "2 test pushes not done or failed"
    line = check_test_push([TestPush(TestPushKind.SIMPLE, "Mug")])
    assert line.records == (
        "simple product: not tried yet",
        "product with variants: not tried yet",
        "product at several locations: not tried yet",
    )
    # With one mapped location there is no product at several to try.
    line = check_test_push(pushes[:2], mapped_locations=1)
    assert line.ok
    assert check_test_push(pushes[:1], mapped_locations=1).summary == (
        "1 test push not done or failed"
    )


def test_pick_test_products() -> None:
    def match(v: Variant) -> Match:
        return Match(OdooProduct(v.id, sku=v.sku), v, Method.SKU)

    simple = match(variant(1, "MUG"))
    untracked = match(variant(2, "GIFT", tracked=False))
    red = match(variant(3, "TS-RED", title="Red / M"))
    cap = match(variant(4, "CAP", title=" "))
    picked = pick_test_products([untracked, simple, red, cap], mapped_locations=2)
    assert picked == {
        TestPushKind.SIMPLE: simple,
        TestPushKind.VARIANT: red,
        TestPushKind.MULTI_LOCATION: cap,
    }
    # Only two products: the multi-location push reuses one of them.
    picked = pick_test_products([simple, red], mapped_locations=3)
    assert picked[TestPushKind.MULTI_LOCATION] == simple
    picked = pick_test_products([simple], mapped_locations=1)
    assert picked == {
        TestPushKind.SIMPLE: simple,
        TestPushKind.VARIANT: None,
        TestPushKind.MULTI_LOCATION: None,
    }
    assert set(pick_test_products([], 2).values()) == {None}


# -- all of it -------------------------------------------------------------------------


def test_checklist_of_a_ready_shop_and_of_a_new_one() -> None:
    main, outlet = location(1, "Main"), location(2, "Outlet")
    v1, v2 = variant(1, "MUG"), variant(2, "TS-RED", title="Red")
    products = [
        OdooProduct(1, sku="MUG", name="Mug", linked_variant_id=v1.id),
        OdooProduct(2, sku="TS-RED", name="Shirt", linked_variant_id=v2.id),
    ]
    preview = preview_links(products, [v1, v2])
    mappings = [
        MappingInfo(main.id, "Main", Direction.ODOO_TO_SHOPIFY, ("WH/Stock",)),
        MappingInfo(outlet.id, "Outlet", Direction.SHOPIFY_TO_ODOO, ("OUT/Stock",)),
    ]
    expected = {
        LevelKey(v.inventory_item_id, loc.id): Subject(v.sku or "")
        for v in (v1, v2)
        for loc in (main, outlet)
    }
    levels = {key: ShopifyLevel(key, stocked=True) for key in expected}
    synced = (outcome(OutcomeStatus.SYNCED),)
    ready = ShopReadiness(
        granted_scopes=REQUIRED_SCOPES,
        locations=[main, outlet],
        mappings=mappings,
        preview=preview,
        expected_pairs=expected,
        levels=levels,
        job_runner=JobRunner("base,rpc,web,queue_job", "root:2"),
        test_pushes=[TestPush(kind, "x", synced) for kind in TestPushKind],
    )
    result = checklist(ready)
    assert result.ok, [line.text for line in result.problems]
    assert [line.code for line in result.lines] == [
        "scopes",
        "locations",
        "sku_duplicates",
        "sku_blanks",
        "sku_case",
        "products_linked",
        "tracked",
        "stocked",
        "job_runner",
        "test_push",
        "webhooks",
    ]
    assert result.problems == ()
    new = ShopReadiness(
        granted_scopes=(),
        locations=[main, outlet],
        mappings=[],
        preview=preview_links([OdooProduct(1, sku="MUG")], [v1]),
        expected_pairs={},
        levels={},
        job_runner=JobRunner("base,rpc,web"),
    )
    result = checklist(new)
    assert not result.ok
    assert [line.code for line in result.problems] == [
        "scopes",
        "locations",
        "products_linked",
        "job_runner",
        "test_push",
    ]
    # Nothing mapped: the multi-location push is not asked for.
    assert result.line("test_push").count == 2
    with pytest.raises(KeyError):
        result.line("nothing")


def test_a_variant_taken_by_a_linked_product() -> None:
    v = variant(1, "A")
    owner = OdooProduct(1, sku="OLD", name="Owner", linked_variant_id=v.id)
    taker = OdooProduct(2, sku="A", name="Taker")
    preview = preview_links([owner, taker], [v])
    # Not a duplicate code: another line's business.
    assert check_duplicates(preview).ok
    line = check_products_linked(preview)
    assert line.records == (
        "Taker [A]: its Shopify variant is already linked to another Odoo product",
    )


def test_webhooks_line() -> None:
    endpoint = "https://odoo.example.com/shopify_stock_sync/webhook/t0k3n"
    update = Subscription("gid://shopify/WebhookSubscription/1", TOPICS[0], endpoint)
    partial = plan([update], endpoint, TOPICS[:2])
    line = check_webhooks(WebhookStatus(partial, {TOPICS[0]: "2026-11-27 10:00"}))
    assert not line.ok and line.count == 1
    assert line.records == (f"{TOPICS[1]}: not subscribed",)
    assert f"{TOPICS[0]} last arrived 2026-11-27 10:00" in line.summary
    assert "Subscribe" in line.todo
    stray = Subscription(
        "gid://shopify/WebhookSubscription/2", "PRODUCTS_UPDATE", endpoint
    )
    wrong = plan([update, stray], endpoint, TOPICS[:1])
    line = check_webhooks(WebhookStatus(wrong))
    assert not line.ok
    assert line.records == (
        "PRODUCTS_UPDATE: an incomplete or unwanted subscription to this endpoint",
    )
    full = plan([update], endpoint, TOPICS[:1])
    line = check_webhooks(WebhookStatus(full))
    assert line.ok and f"{TOPICS[0]} last arrived never" in line.summary
    assert check_webhooks(None).ok


@pytest.mark.parametrize(
    ("endpoint", "why"),
    [
        ("http://odoo.example.com/w/t", "it is not https"),
        ("http://127.0.0.1:8069/w/t", "it is not https"),
        ("https://127.0.0.1/w/t", "127.0.0.1 is not an address on the internet"),
        ("https://10.1.2.3/w/t", "10.1.2.3 is not an address on the internet"),
        ("https://192.168.0.9/w/t", "192.168.0.9 is not an address on the internet"),
        ("https://[::1]/w/t", "::1 is not an address on the internet"),
        ("https://localhost/w/t", "localhost is a name only this network knows"),
        ("https://odoo.local/w/t", "odoo.local is a name only this network knows"),
        ("https:///w/t", "it names no host"),
    ],
)
def test_webhooks_line_names_an_address_shopify_cannot_reach(endpoint, why) -> None:
    update = Subscription("gid://shopify/WebhookSubscription/1", TOPICS[0], endpoint)
    line = check_webhooks(WebhookStatus(plan([update], endpoint, TOPICS[:1])))
    assert not line.ok and line.count == 1
    assert line.summary == f"Shopify cannot deliver to {endpoint}: {why}."
    assert "web.base.url" in line.todo and "Subscribe Webhooks" in line.todo


def test_webhooks_line_of_the_sandbox_takes_loopback() -> None:
    endpoint = "http://127.0.0.1:8069/shopify_stock_sync/webhook/t0k3n"
    update = Subscription("gid://shopify/WebhookSubscription/1", TOPICS[0], endpoint)
    status = WebhookStatus(plan([update], endpoint, TOPICS[:1]), sandbox=True)
    assert check_webhooks(status).ok
    assert unreachable_endpoint("https://8.8.8.8/w") is None
