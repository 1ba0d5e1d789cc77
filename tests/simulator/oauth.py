"""The client-credentials grant: ``POST /admin/oauth/access_token``.

Modelled assumptions: a wrong secret or unknown client id is HTTP 400
``{"error": "invalid_client", ...}``; another grant type is HTTP 400
``unsupported_grant_type``; tokens look like ``shpca_<hex>`` and expire ``expires_in``
seconds later on the virtual clock.
"""

from __future__ import annotations

import hmac
import json
import secrets
from urllib.parse import parse_qs

from .endpoint import Reply, json_reply
from .state import Shop, Token


def read_form(body: bytes, content_type: str) -> dict[str, str]:
    """The grant's parameters from a form or JSON body."""
    if "json" in content_type:
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            return {}
        return {k: str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    parsed = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {key: values[0] for key, values in parsed.items()}


def handle_token(shop: Shop, body: bytes, content_type: str) -> Reply:
    form = read_form(body, content_type)
    with shop.lock:
        shop.stats.token_requests += 1
        if form.get("grant_type") != "client_credentials":
            return json_reply(
                400,
                {
                    "error": "unsupported_grant_type",
                    "error_description": "Only grant_type=client_credentials is "
                    "supported here.",
                },
            )
        app = shop.apps.get(form.get("client_id", ""))
        secret = form.get("client_secret", "")
        if app is None or not hmac.compare_digest(app.secret.encode(), secret.encode()):
            return json_reply(
                400,
                {
                    "error": "invalid_client",
                    "error_description": "Client authentication failed: unknown "
                    "client_id or wrong client_secret.",
                },
            )
        value = f"shpca_{secrets.token_hex(16)}"
        shop.tokens[value] = Token(
            value,
            frozenset(app.scopes),
            expires_at=shop.clock.now() + app.expires_in,
            client_id=app.client_id,
        )
        return json_reply(
            200,
            {
                "access_token": value,
                "scope": ",".join(app.scopes),
                "expires_in": app.expires_in,
            },
        )
