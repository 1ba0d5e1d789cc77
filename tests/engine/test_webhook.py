"""Webhook signatures (HMAC-SHA256 of the raw body) and inventory level payloads."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timedelta, timezone

import pytest

from shopify_stock_sync.engine.data import LevelKey
from shopify_stock_sync.engine.webhook import (
    BodyTooLarge,
    InvalidSignature,
    InventoryLevelEvent,
    MalformedWebhook,
    MissingSignature,
    NoSecret,
    UnsupportedTopic,
    WebhookError,
    WebhookRejected,
    check_size,
    header,
    inventory_level_event,
    is_location_change,
    signature,
    verify,
)

SECRET = "shpss_current_7f3a"
EDT = timezone(-timedelta(hours=4))
PREVIOUS = "shpss_previous_19be"
BODY = (
    b'{"inventory_item_id":271878346596884015,"location_id":24826418,'
    b'"available":6,"updated_at":"2026-10-02T09:15:41-04:00",'
    b'"admin_graphql_api_id":"gid://shopify/InventoryLevel/24826418'
    b'?inventory_item_id=271878346596884015"}'
)


def reference_signature(secret: str, body: bytes) -> str:
    """Shopify's documented computation, written out independently of the module."""
    return base64.b64encode(
        hmac.new(secret.encode(), body, hashlib.sha256).digest()
    ).decode()


def headers(**extra: str) -> dict[str, str]:
    base = {
        "X-Shopify-Hmac-Sha256": reference_signature(SECRET, BODY),
        "X-Shopify-Topic": "inventory_levels/update",
        "X-Shopify-Webhook-Id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
        "X-Shopify-Shop-Domain": "demo-shop.myshopify.com",
        "X-Shopify-Triggered-At": "2026-10-02T13:15:42.123Z",
        "X-Shopify-API-Version": "2026-10",
        "X-Shopify-Event-Id": "98880550-7158-44d4-b7cd-2c97c8a091b5",
    }
    base.update(extra)
    return base


# -- signatures --------------------------------------------------------------------


def test_signature_matches_known_vector() -> None:
    # RFC 4231 test case 2 ("Jefe"), base64 of its SHA-256 HMAC.
    expected = base64.b64encode(
        bytes.fromhex(
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        )
    ).decode()
    assert signature("Jefe", b"what do ya want for nothing?") == expected
    assert signature(b"Jefe", b"what do ya want for nothing?") == expected
    assert signature(SECRET, BODY) == reference_signature(SECRET, BODY)


def test_verify_accepts_current_secret() -> None:
    assert verify(headers(), BODY, [SECRET, PREVIOUS]) == 0


def test_verify_accepts_previous_secret_during_rotation() -> None:
    signed = headers(**{"X-Shopify-Hmac-Sha256": reference_signature(PREVIOUS, BODY)})
    assert verify(signed, BODY, [SECRET, PREVIOUS]) == 1
    # An unset current secret is skipped, the position still counts in the input.
    assert verify(signed, BODY, [None, "", "  ", PREVIOUS]) == 3


def test_verify_accepts_bytes_body_views_and_bytes_secret() -> None:
    assert verify(headers(), bytearray(BODY), [SECRET.encode()]) == 0
    assert verify(headers(), memoryview(BODY), [SECRET]) == 0


def test_header_lookup_is_case_insensitive() -> None:
    lower = {name.lower(): value for name, value in headers().items()}
    assert verify(lower, BODY, [SECRET]) == 0
    assert header(lower, "X-Shopify-Topic") == "inventory_levels/update"
    assert header({"X-SHOPIFY-TOPIC": "t"}, "x-shopify-topic") == "t"
    assert header({}, "X-Shopify-Topic") is None
    event = inventory_level_event(lower, BODY)
    assert event.webhook_id == "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"


def test_tampered_body_is_refused() -> None:
    tampered = BODY.replace(b'"available":6', b'"available":600')
    with pytest.raises(InvalidSignature) as info:
        verify(headers(), tampered, [SECRET, PREVIOUS])
    assert SECRET not in str(info.value) and PREVIOUS not in str(info.value)
    assert "600" not in str(info.value)


def test_wrong_secret_or_header_is_refused() -> None:
    with pytest.raises(InvalidSignature):
        verify(headers(), BODY, ["another-secret"])
    for wrong in (
        reference_signature(SECRET, BODY)[:-2],
        "not base64 at all",
        "clé",  # non-ASCII must not break the constant-time compare
        reference_signature(SECRET, BODY).lower(),
    ):
        with pytest.raises(InvalidSignature):
            verify(headers(**{"X-Shopify-Hmac-Sha256": wrong}), BODY, [SECRET])


def test_signature_with_surrounding_spaces_is_accepted() -> None:
    padded = " " + reference_signature(SECRET, BODY) + " "
    assert verify(headers(**{"X-Shopify-Hmac-Sha256": padded}), BODY, [SECRET]) == 0


def test_missing_or_blank_header_is_refused() -> None:
    unsigned = headers()
    del unsigned["X-Shopify-Hmac-Sha256"]
    with pytest.raises(MissingSignature):
        verify(unsigned, BODY, [SECRET])
    with pytest.raises(MissingSignature):
        verify(headers(**{"X-Shopify-Hmac-Sha256": "  "}), BODY, [SECRET])


def test_no_usable_secret_is_a_setup_error() -> None:
    for secrets in ([], [None], ["", "   "], [b""]):
        with pytest.raises(NoSecret) as info:
            verify(headers(), BODY, secrets)
        assert not isinstance(info.value, WebhookRejected)
        assert isinstance(info.value, WebhookError)


def test_body_over_limit_is_refused_before_hmac() -> None:
    with pytest.raises(BodyTooLarge) as info:
        verify(headers(), BODY, [SECRET], max_body=len(BODY) - 1)
    assert (info.value.size, info.value.limit) == (len(BODY), len(BODY) - 1)
    assert isinstance(info.value, WebhookRejected)
    assert verify(headers(), BODY, [SECRET], max_body=len(BODY)) == 0
    big = b"x" * (1024 * 1024 + 1)
    with pytest.raises(BodyTooLarge):
        verify({"X-Shopify-Hmac-Sha256": signature(SECRET, big)}, big, [SECRET])


def test_declared_length_is_checked_before_reading() -> None:
    check_size({"Content-Length": "1048576"})
    check_size({})
    check_size({"content-length": "garbage"})
    with pytest.raises(BodyTooLarge):
        check_size({"content-length": "1048577"})
    with pytest.raises(BodyTooLarge):
        check_size({"Content-Length": "11"}, max_body=10)


def test_text_body_is_a_programming_error() -> None:
    with pytest.raises(TypeError):
        verify(headers(), BODY.decode(), [SECRET])  # type: ignore[arg-type]


# -- payloads ----------------------------------------------------------------------


def test_update_is_normalised() -> None:
    event = inventory_level_event(headers(), BODY)
    assert event == InventoryLevelEvent(
        topic="inventory_levels/update",
        key=LevelKey(
            "gid://shopify/InventoryItem/271878346596884015",
            "gid://shopify/Location/24826418",
        ),
        available=6,
        updated_at=datetime(2026, 10, 2, 9, 15, 41, tzinfo=EDT),
        webhook_id="b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
        shop_domain="demo-shop.myshopify.com",
        triggered_at=datetime(2026, 10, 2, 13, 15, 42, 123000, tzinfo=timezone.utc),
        api_version="2026-10",
        event_id="98880550-7158-44d4-b7cd-2c97c8a091b5",
    )
    assert event.key.level_gid == (
        "gid://shopify/InventoryLevel/24826418?inventory_item_id=271878346596884015"
    )
    with pytest.raises(AttributeError):
        event.available = 3  # type: ignore[misc]


def test_connect_and_disconnect() -> None:
    connect = inventory_level_event(
        headers(**{"X-Shopify-Topic": "INVENTORY_LEVELS/CONNECT"}),
        b'{"inventory_item_id": 5, "location_id": 6, "available": null,'
        b' "updated_at": "2026-10-02T13:00:00Z"}',
    )
    assert connect.topic == "inventory_levels/connect"
    assert connect.available is None
    assert connect.updated_at == datetime(2026, 10, 2, 13, tzinfo=timezone.utc)
    disconnect = inventory_level_event(
        headers(**{"X-Shopify-Topic": "inventory_levels/disconnect"}),
        '{"inventory_item_id": "5", "location_id": 6}',
    )
    assert disconnect.key == LevelKey(
        "gid://shopify/InventoryItem/5", "gid://shopify/Location/6"
    )
    assert (disconnect.available, disconnect.updated_at) == (None, None)
    dated = inventory_level_event(
        headers(**{"X-Shopify-Topic": "inventory_levels/disconnect"}),
        b'{"inventory_item_id": 5, "location_id": 6,'
        b' "updated_at": "2026-10-02T13:00:00+00:00"}',
    )
    assert dated.updated_at == datetime(2026, 10, 2, 13, tzinfo=timezone.utc)


def test_optional_headers_may_be_absent() -> None:
    plain = headers()
    del plain["X-Shopify-Triggered-At"]
    del plain["X-Shopify-API-Version"]
    del plain["X-Shopify-Event-Id"]
    event = inventory_level_event(plain, BODY)
    assert (event.triggered_at, event.api_version, event.event_id) == (None, None, None)


def test_ids_given_as_gids_are_kept() -> None:
    event = inventory_level_event(
        headers(),
        json.dumps(
            {
                "inventory_item_id": "gid://shopify/InventoryItem/9",
                "location_id": "gid://shopify/Location/8",
                "available": -3,
                "updated_at": "2026-10-02T13:00:00+02:00",
            }
        ).encode(),
    )
    assert event.key == LevelKey(
        "gid://shopify/InventoryItem/9", "gid://shopify/Location/8"
    )
    assert event.available == -3


VALID = {
    "inventory_item_id": 1,
    "location_id": 1,
    "available": 1,
    "updated_at": "2026-10-02T13:00:00Z",
}
DROP = object()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("inventory_item_id", DROP),
        ("location_id", DROP),
        ("inventory_item_id", "abc"),
        ("inventory_item_id", 0),
        ("inventory_item_id", -4),
        ("inventory_item_id", True),
        ("location_id", "gid://shopify/InventoryItem/1"),
        ("location_id", 1.5),
        ("location_id", None),
        ("available", DROP),
        ("available", "6"),
        ("available", 2.5),
        ("available", False),
        ("updated_at", DROP),
        ("updated_at", "yesterday"),
        ("updated_at", "2026-10-02T13:00:00"),
        ("updated_at", 1759410000),
        ("updated_at", "  "),
    ],
)
def test_malformed_payload_names_the_field(field: str, value: object) -> None:
    payload = {**VALID, field: value}
    if value is DROP:
        del payload[field]
    with pytest.raises(MalformedWebhook) as info:
        inventory_level_event(headers(), json.dumps(payload).encode())
    assert info.value.field == field
    assert repr(field) in str(info.value)


@pytest.mark.parametrize("body", [b"", b"not json", b"[1, 2]", b"\xff\xfe", b"null"])
def test_body_that_is_not_a_json_object(body: bytes) -> None:
    with pytest.raises(MalformedWebhook) as info:
        inventory_level_event(headers(), body)
    assert info.value.field == "body"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("X-Shopify-Webhook-Id", ""),
        ("X-Shopify-Shop-Domain", " "),
        ("X-Shopify-Shop-Domain", "evil.example.com"),
        ("X-Shopify-Triggered-At", "soon"),
        ("X-Shopify-Triggered-At", "2026-10-02T13:15:42"),
        ("X-Shopify-Topic", ""),
    ],
)
def test_malformed_headers_are_named(name: str, value: str) -> None:
    with pytest.raises(MalformedWebhook) as info:
        inventory_level_event(headers(**{name: value}), BODY)
    assert info.value.field == name


def test_missing_header_is_named() -> None:
    plain = headers()
    del plain["X-Shopify-Webhook-Id"]
    with pytest.raises(MalformedWebhook) as info:
        inventory_level_event(plain, BODY)
    assert info.value.field == "X-Shopify-Webhook-Id"
    assert info.value.problem == "missing header"


def test_shop_domain_is_lowercased() -> None:
    event = inventory_level_event(
        headers(**{"X-Shopify-Shop-Domain": "Demo-Shop.MyShopify.com"}), BODY
    )
    assert event.shop_domain == "demo-shop.myshopify.com"


def test_other_topics_are_refused() -> None:
    with pytest.raises(UnsupportedTopic) as info:
        inventory_level_event(headers(**{"X-Shopify-Topic": "orders/create"}), BODY)
    assert "orders/create" in str(info.value)
    assert "inventory_levels/update" in str(info.value)
    assert "locations/update" in str(info.value)


def test_location_changes_are_told_apart() -> None:
    for topic in ("locations/create", "Locations/Update ", "locations/deactivate"):
        assert is_location_change(headers(**{"X-Shopify-Topic": topic}))
    for topic in ("inventory_levels/update", "orders/create", ""):
        assert not is_location_change(headers(**{"X-Shopify-Topic": topic}))
    # a location delivery is not a level change
    with pytest.raises(UnsupportedTopic):
        inventory_level_event(
            headers(**{"X-Shopify-Topic": "locations/update"}), b'{"id": 1}'
        )
