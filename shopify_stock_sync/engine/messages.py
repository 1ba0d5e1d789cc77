"""Operational messages: what failed, for which SKU, where, why, and what happens next.

Every message an operator reads about a level is built here, so they all name the SKU,
the product, the Shopify and Odoo locations, the cause, and whether it will retry.

>>> s = Subject("ABC-RED-M", "Shirt (Red, M)", "Main store", "WH/Stock")
>>> about(s)
"SKU ABC-RED-M (Shirt (Red, M)) at Shopify location 'Main store' (from Odoo WH/Stock)"
>>> not_tracked(s).endswith("Not retried automatically.")
True
"""

from __future__ import annotations

from .data import ItemError, Subject

NO_RETRY = "Not retried automatically."


def about(subject: Subject) -> str:
    sku = f"SKU {subject.sku}" if subject.sku else "A product without SKU"
    product = f" ({subject.product})" if subject.product else ""
    where = (
        f" at Shopify location '{subject.shopify_location}'"
        if subject.shopify_location
        else ""
    )
    source = f" (from Odoo {subject.odoo_location})" if subject.odoo_location else ""
    return f"{sku}{product}{where}{source}"


def not_tracked(subject: Subject) -> str:
    return (
        f"{about(subject)}: the Shopify variant does not track inventory, so Shopify "
        "ignores its quantity. Turn on 'Track quantity' for the variant in Shopify, "
        f"then push again. {NO_RETRY}"
    )


def level_inactive(subject: Subject) -> str:
    return (
        f"{about(subject)}: the item's inventory level is deactivated at this Shopify "
        "location. Reactivate the item at the location in Shopify, or unmap it, then "
        f"push again. {NO_RETRY}"
    )


def stale_gave_up(subject: Subject, attempts: int) -> str:
    return (
        f"{about(subject)}: Shopify's quantity changed while it was being set, "
        f"{attempts} times in a row (sales in progress). It will be retried with the "
        "next push."
    )


def activation_failed(subject: Subject, error: str) -> str:
    return (
        f"{about(subject)}: the item is not stocked at this Shopify location and "
        f"Shopify refused to stock it there: {error} Stock it there in Shopify or "
        f"unmap the location, then push again. {NO_RETRY}"
    )


def refused(subject: Subject, error: ItemError) -> str:
    """A per-item ``userErrors`` entry, with the code's meaning where known."""
    hint = _HINTS.get(error.code or "", "Check the item in Shopify, then push again.")
    code = f" ({error.code})" if error.code else ""
    return (
        f"{about(subject)}: Shopify refused the quantity{code}: {error.message} "
        f"{hint} {NO_RETRY}"
    )


def request_refused(subject: Subject, detail: str) -> str:
    return f"{about(subject)}: Shopify refused the whole push: {detail} {NO_RETRY}"


def transient(cause: str, retry_in: float | None) -> str:
    """A failure of the connection or of Shopify that the job retries by itself."""
    when = f"in {retry_in:.0f} s" if retry_in else "shortly"
    return f"{cause.rstrip('.')}; it will retry {when}."


def push_retrying(
    shop: str, cause: str, attempt: int, attempts: int, retry_in: float
) -> str:
    """A push of a shop failed on the way (network, Shopify): its job runs again."""
    of = f" of {attempts}" if attempts else ""
    return (
        f"{_sentence(cause)} Push attempt {attempt}{of} of shop '{shop}' failed; it "
        f"will retry in {retry_in:.0f} s, the levels stay pending until then."
    )


def push_stopped(
    shop: str,
    cause: str,
    pending: int,
    *,
    attempts: int | None = None,
    fix: str = "",
) -> str:
    """A push of a shop that stops for good: what failed, what stays, what next.

    ``attempts``: the push failed that many times in a row (transient failures);
    ``fix``: what to repair first (credentials, settings), when retrying alone will
    not help.
    """
    if attempts:
        stopped = f"failed {attempts} times in a row and stopped"
        fix = fix or "If Shopify keeps failing, test the shop's connection."
    else:
        stopped = "stopped"
    levels = "1 level stays" if pending == 1 else f"{pending} levels stay"
    fix = f" {_sentence(fix)}" if fix else ""
    return (
        f"{_sentence(cause)} The push of shop '{shop}' {stopped}; {levels} pending."
        f"{fix} They are pushed again with the next stock change of their products, "
        "with 'Push stock to Shopify now', or with Re-queue in Shopify Sync / Status "
        "/ Stock Levels."
    )


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


_HINTS = {
    "INVALID_INVENTORY_ITEM": (
        "The variant may have been deleted in Shopify: relink the product."
    ),
    "INVALID_LOCATION": (
        "The location may be deactivated or run by a fulfilment service: check the "
        "location mapping."
    ),
    "NON_MUTABLE_INVENTORY_ITEM": (
        "Shopify computes this item's quantity itself (a bundle): unlink it."
    ),
    "INVALID_QUANTITY_NEGATIVE": "Check the Odoo quantity and the quantity rule.",
    "INVALID_QUANTITY_TOO_HIGH": "Check the Odoo quantity and the quantity rule.",
    "INVALID_QUANTITY_TOO_LOW": "Check the Odoo quantity and the quantity rule.",
}
