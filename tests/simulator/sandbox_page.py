"""The sandbox's own routes: a page to see and move the shop, and JSON for scripts.

- ``GET /sandbox``: locations and every level (product, variant, SKU, available,
  committed, on hand), reloaded every 2.5 s (not while a field has the focus), with
  "Sell 1" and "Set on hand" per level; plain HTML and inline CSS, everything escaped.
- ``GET /sandbox/state.json``: ``{"locations": [{"gid", "name"}], "levels": [...],
  "webhooks": {"subscriptions", "sent", "pending"}}``.
- ``POST /sandbox/sell`` (``item_gid``, ``location_gid``, ``qty`` default 1) places an
  order (``Simulator.place_order``); ``POST /sandbox/set`` (``item_gid``,
  ``location_gid``, ``on_hand``) is a merchant's count (``Simulator.edit_on_hand``).
  Both queue the webhooks Shopify would send.  Form fields or JSON; a form is answered
  303 to ``/sandbox``, JSON with ``{"level": ...}``; bad input 400 with what is wrong,
  a post from another site's page (``Origin`` not this host) 403.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .endpoint import Reply, json_reply
from .inventory import MAX_QUANTITY
from .server import Request
from .simulator import Simulator
from .state import Level, Shop

PAGE = "/sandbox"
STATE = "/sandbox/state.json"
SELL = "/sandbox/sell"
SET = "/sandbox/set"
REFRESH_MS = 2500
MAX_SALE = 1000


class BadInput(ValueError):
    """A post the sandbox cannot act on; its message says why (HTTP 400)."""


# Reading ------------------------------------------------------------------------------


def level_row(shop: Shop, level: Level) -> dict[str, Any]:
    """One level as ``state.json`` lists it.  Hold ``shop.lock``."""
    item = shop.items[level.item_number]
    variant = shop.variants[item.variant_number]
    location = shop.locations[level.location_number]
    return {
        "sku": variant.sku or "",
        "barcode": variant.barcode or "",
        "product": shop.products[variant.product_number].title,
        "variant": variant.title,
        "item_gid": item.gid,
        "location_gid": location.gid,
        "location": location.name,
        "available": level.available,
        "committed": level.committed,
        "on_hand": level.on_hand,
    }


def state(sim: Simulator, sent: int | None = None) -> dict[str, Any]:
    """Locations, levels (by location, then product and variant) and the webhooks'
    counters: subscriptions, POSTs made (``sent``, when the caller counts them
    itself), deliveries pending."""
    shop = sim.shop
    with shop.lock:
        locations = [shop.locations[n] for n in sorted(shop.locations)]
        levels = [
            row
            for loc in locations
            for row in sorted(
                (level_row(shop, level) for level in shop.levels_at(loc.number)),
                key=lambda row: (row["product"], row["variant"]),
            )
        ]
        webhooks = {
            "subscriptions": len(shop.webhooks.subscriptions),
            "sent": len(shop.webhooks.sent) if sent is None else sent,
            "pending": len(shop.webhooks.pending),
        }
    return {
        "locations": [{"gid": loc.gid, "name": loc.name} for loc in locations],
        "levels": levels,
        "webhooks": webhooks,
    }


# Writing ------------------------------------------------------------------------------


def is_json(request: Request) -> bool:
    return "json" in request.headers.get("Content-Type", "")


def fields(request: Request) -> dict[str, str]:
    """The posted fields, from a form or a JSON object (:class:`BadInput` if the JSON
    is not one)."""
    if not is_json(request):
        parsed = parse_qs(request.body.decode("utf-8", "replace"))
        return {key: values[0].strip() for key, values in parsed.items()}
    try:
        data = json.loads(request.body or b"null")
    except ValueError:
        raise BadInput("the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise BadInput("the body must be a JSON object of fields")
    return {key: str(value).strip() for key, value in data.items()}


def whole_number(given: Mapping[str, str], name: str, low: int, high: int) -> int:
    """Field ``name`` as an integer in [low, high]; :class:`BadInput` otherwise."""
    text = given.get(name, "")
    if not text:
        raise BadInput(f"{name} is required")
    try:
        value = int(text)
    except ValueError:
        raise BadInput(f"{name} must be a whole number, not {text!r}") from None
    if not low <= value <= high:
        raise BadInput(f"{name} must be between {low} and {high}, not {value}")
    return value


def stocked(shop: Shop, given: Mapping[str, str]) -> Level:
    """The level named by ``item_gid`` and ``location_gid``.  Hold ``shop.lock``."""
    for name in ("item_gid", "location_gid"):
        if not given.get(name):
            raise BadInput(f"{name} is required")
    item, location = shop.item(given["item_gid"]), shop.location(given["location_gid"])
    if item is None:
        raise BadInput(f"no inventory item {given['item_gid']!r} in the shop")
    if location is None:
        raise BadInput(f"no location {given['location_gid']!r} in the shop")
    level = shop.levels.get((item.number, location.number))
    if level is None:
        raise BadInput(f"{item.gid} is not stocked at {location.name}")
    return level


def sell(sim: Simulator, given: Mapping[str, str]) -> dict[str, Any]:
    """An order of ``qty`` (default 1) units; refused beyond what is available (the
    default inventory policy: no selling out of stock).  Returns the level's row."""
    qty = whole_number({**given, "qty": given.get("qty") or "1"}, "qty", 1, MAX_SALE)
    with sim.shop.lock:
        level = stocked(sim.shop, given)
        if qty > level.available:
            location = sim.shop.locations[level.location_number].name
            raise BadInput(f"only {level.available} available at {location}")
        sim.place_order(given["item_gid"], given["location_gid"], qty)
        return level_row(sim.shop, level)


def set_on_hand(sim: Simulator, given: Mapping[str, str]) -> dict[str, Any]:
    """A count: on hand becomes ``on_hand`` (available moves with it, committed
    stays).  Returns the level's row."""
    value = whole_number(given, "on_hand", 0, MAX_QUANTITY)
    with sim.shop.lock:
        level = stocked(sim.shop, given)
        sim.edit_on_hand(given["item_gid"], given["location_gid"], value=value)
        return level_row(sim.shop, level)


# HTTP ---------------------------------------------------------------------------------


def same_origin(request: Request) -> bool:
    """Whether a browser's ``Origin`` (if any) is this server: another site's page
    may not post to the sandbox."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc == request.headers.get("Host", "")


def action(
    sim: Simulator, act: Callable[[Simulator, Mapping[str, str]], dict[str, Any]]
) -> Callable[[Request], Reply]:
    """A POST route running ``act`` on the posted fields."""

    def page(request: Request) -> Reply:
        if not same_origin(request):
            return json_reply(403, {"error": "posts from another origin are refused"})
        as_json = is_json(request)
        try:
            row = act(sim, fields(request))
        except BadInput as exc:
            if as_json:
                return json_reply(400, {"error": str(exc)})
            return text_reply(400, error_page(str(exc)))
        if as_json:
            return json_reply(200, {"level": row})
        return Reply(303, b"", {"Location": PAGE, "Content-Type": "text/plain"})

    return page


def text_reply(status: int, document: str) -> Reply:
    headers = {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}
    return Reply(status, document.encode("utf-8"), headers)


def install(sim: Simulator, sent: Callable[[], int] | None = None) -> None:
    """Add the sandbox's routes to ``sim``; ``sent`` counts the webhook POSTs made
    (default: those ``sim.webhooks.sent`` still holds)."""

    def counted() -> dict[str, Any]:
        return state(sim, None if sent is None else sent())

    sim.route("GET", PAGE, lambda _r: text_reply(200, render(counted(), sim.domain)))
    sim.route("GET", STATE, lambda _r: json_reply(200, counted()))
    sim.route("POST", SELL, action(sim, sell))
    sim.route("POST", SET, action(sim, set_on_hand))


# HTML ---------------------------------------------------------------------------------

STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#222}
h1{font-size:1.3rem}h2{font-size:1.1rem;margin-top:1.5rem}
table{border-collapse:collapse}th,td{padding:.25rem .6rem;border-bottom:1px solid #ddd}
th{text-align:left;background:#f4f4f4}td.n{text-align:right;font-variant:tabular-nums}
form{display:inline;margin:0}input[type=number]{width:6rem}
.muted{color:#777}.low{color:#b00;font-weight:600}
"""
SCRIPT = (
    "setInterval(function(){var a=document.activeElement;"
    f"if(!a||a.tagName!=='INPUT')location.reload();}},{REFRESH_MS});"
)


def render(data: Mapping[str, Any], domain: str) -> str:
    """The whole page for ``state()``'s ``data``."""
    e = html.escape
    hooks = data["webhooks"]
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{e(domain)} (sandbox)</title><style>{STYLE}</style>",
        f"<noscript><meta http-equiv='refresh' content='{REFRESH_MS // 1000}'>"
        "</noscript></head><body>",
        f"<h1>Sandbox Shopify shop <code>{e(domain)}</code></h1>",
        "<p class='muted'>A simulated shop on this machine: no real Shopify store is "
        "involved. Selling and setting here send the webhooks Shopify would.</p>",
        f"<p>Webhooks: {int(hooks['subscriptions'])} subscriptions, "
        f"{int(hooks['sent'])} sent, {int(hooks['pending'])} pending.</p>",
    ]
    for loc in data["locations"]:
        rows = [row for row in data["levels"] if row["location_gid"] == loc["gid"]]
        parts.append(location_table(loc, rows))
    parts.append(f"<script>{SCRIPT}</script></body></html>")
    return "".join(parts)


def location_table(loc: Mapping[str, str], rows: list[dict[str, Any]]) -> str:
    """One location's heading and the table of its levels."""
    e = html.escape
    head = (
        f"<h2>{e(loc['name'])} <small class='muted'>{e(loc['gid'])}</small></h2>"
        "<table><tr><th>Product</th><th>Variant</th><th>SKU</th><th>Barcode</th>"
        "<th>Available</th><th>Committed</th><th>On hand</th><th></th><th></th></tr>"
    )
    if not rows:
        return (
            head + "<tr><td colspan='9' class='muted'>no stock here</td></tr></table>"
        )
    return head + "".join(level_html(row) for row in rows) + "</table>"


def level_html(row: Mapping[str, Any]) -> str:
    """One level's table row with its two forms."""
    e = html.escape
    hidden = (
        f"<input type='hidden' name='item_gid' value='{e(row['item_gid'])}'>"
        f"<input type='hidden' name='location_gid' value='{e(row['location_gid'])}'>"
    )
    low = " low" if row["available"] <= 0 else ""
    return (
        f"<tr><td>{e(row['product'])}</td><td>{e(row['variant'])}</td>"
        f"<td>{e(row['sku']) or '<span class=muted>(none)</span>'}</td>"
        f"<td>{e(row['barcode'])}</td>"
        f"<td class='n{low}'>{int(row['available'])}</td>"
        f"<td class='n'>{int(row['committed'])}</td>"
        f"<td class='n'>{int(row['on_hand'])}</td>"
        f"<td><form method='post' action='{SELL}'>{hidden}"
        "<button type='submit'>Sell 1</button></form></td>"
        f"<td><form method='post' action='{SET}'>{hidden}"
        f"<input type='number' name='on_hand' min='0' value='{int(row['on_hand'])}' "
        "required> <button type='submit'>Set on hand</button></form></td></tr>"
    )


def error_page(message: str) -> str:
    """What a form post that was refused shows, with the way back."""
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Refused</title>"
        f"<style>{STYLE}</style></head><body><h1>Refused</h1>"
        f"<p>{html.escape(message)}</p><p><a href='{PAGE}'>Back to the shop</a></p>"
        "</body></html>"
    )
