# Copyright 2026 shopify_stock_sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The webhook endpoint: one address per shop, named by a random token.

In order, before anything is stored: the declared size (refused unread when over the
limit), the shop (an unknown or archived token answers 404, the same for every
wrong token), the body read up to the limit, the signature against the shop's
secrets in constant time (401).  Then the event is inserted once per webhook id
and its job enqueued; a replay answers 200 too.  No call to Shopify is made here.
"""

import logging

from odoo import http
from odoo.fields import Domain
from odoo.http import request

from ..engine import webhook

_logger = logging.getLogger(__name__)

MAX_BODY = webhook.DEFAULT_MAX_BODY


def _answer(status, text):
    return request.make_response(
        text, headers=[("Content-Type", "text/plain; charset=utf-8")], status=status
    )


class ShopifyWebhookController(http.Controller):
    @http.route(
        "/shopify_stock_sync/webhook/<string:token>",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def shopify_webhook(self, token, **_params):
        httprequest = request.httprequest
        headers = dict(httprequest.headers.items())
        try:
            webhook.check_size(headers, MAX_BODY)
        except webhook.BodyTooLarge as exc:
            return _answer(413, str(exc))
        shops = (
            request.env["shopify.shop"]
            .sudo()
            .search(Domain("webhook_token", "=", token or "-"), limit=2)
        )
        if len(shops) != 1 or not token:
            return _answer(404, "Unknown webhook address.")
        # the declared size was checked above; Odoo caps an undeclared one (its
        # maximum content length) and verify() checks the real size
        raw = httprequest.get_data()
        try:
            webhook.verify(headers, raw, shops._webhook_secrets(), MAX_BODY)
        except webhook.BodyTooLarge as exc:
            return _answer(413, str(exc))
        except webhook.NoSecret as exc:
            _logger.info("Shopify webhook for shop %s refused: no secret", shops.id)
            return _answer(401, str(exc))
        except webhook.WebhookRejected as exc:
            _logger.info("Shopify webhook for shop %s refused: %s", shops.id, exc)
            return _answer(401, str(exc))
        domain = (webhook.header(headers, webhook.SHOP_HEADER) or "").strip().lower()
        if domain and domain != shops.domain:
            return _answer(401, "The delivery names another shop.")
        if not (webhook.header(headers, webhook.WEBHOOK_ID_HEADER) or "").strip():
            return _answer(400, "The delivery has no X-Shopify-Webhook-Id.")
        event = (
            request.env["shopify.webhook.event"].sudo()._receive(shops, headers, raw)
        )
        return _answer(200, "ok" if event else "ok (already received)")
