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

from .data import ErrorCategory, ItemError, Subject

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


def batch_unfinished(subject: Subject, rounds: int) -> str:
    return (
        f"{about(subject)}: Shopify refused the batch this level was in {rounds} "
        "times in a row because other items' quantities kept changing. It will be "
        "retried with the next push."
    )


def restocked(subject: Subject, quantity: int) -> str:
    return (
        f"{about(subject)}: the item had been removed from this Shopify location in "
        f"Shopify; Odoo's location mapping writes there, so the push stocked it "
        f"there again and set it to {quantity}. To stop selling it there, remove the "
        "Odoo locations from the mapping or turn the mapping off."
    )


def shopify_moved(subject: Subject, correction: int) -> str:
    return (
        f"{about(subject)}: Shopify's on hand was changed by {_signed(correction)} in "
        "Shopify since the last sync (not by orders), so Odoo's quantity was not "
        "written over it; the location mapping's conflict rule decides."
    )


def found_by_push(odoo_quantity: float | None, on_hand: int, available: int) -> str:
    odoo = "unknown" if odoo_quantity is None else f"{odoo_quantity:g}"
    return (
        "Found by a push before Shopify's webhook came (Shopify refused to overwrite "
        f"the changed level): Odoo {odoo}, Shopify {on_hand} on hand "
        f"({available} available)."
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


def chunk_not_saved(rule: str = "") -> str:
    """A reconciliation chunk whose results Odoo's database refused (``rule``: the
    database rule it broke, in words, when known); never the SQL itself.

    >>> chunk_not_saved("There is already a level for this product.")[:60]
    "Odoo's database refused to save this chunk's results (There "
    """
    because = f" ({rule.strip().rstrip('.')})" if rule.strip() else ""
    return (
        f"Odoo's database refused to save this chunk's results{because}. Nothing of "
        "the chunk was kept, and the other chunks are not affected: the chunk is "
        "tried again after them, and its products are compared again by the next "
        "run. This is a fault of the sync, not of your stock: if it comes back, "
        "report it with this run's name."
    )


def push_held(shop: str, pending: int, cause: str = "") -> str:
    """A shop whose credentials or access scopes Shopify refuses: its pushes wait,
    without failing, until an administrator repairs the connection.

    ``cause``: Shopify's refusal, when it was just met (a held push that did not
    call Shopify has none to give).
    """
    cause = f"{_sentence(cause)} " if cause.strip() else ""
    levels = "1 level waits" if pending == 1 else f"{pending} levels wait"
    return (
        f"{cause}Shop '{shop}' needs reconnecting: its pushes to Shopify are held and "
        f"{levels}. An administrator fixes the shop's credentials or the app's access "
        "scopes, then clicks Test Connection on the shop: once it passes, every held "
        "level is pushed, with nothing else to do."
    )


# What an operator does about a failed job, by why it failed (``None``: a failure the
# addon did not foresee).
_JOB_NEXT_STEPS = {
    ErrorCategory.TRANSIENT: (
        "Shopify or the network kept failing: test the shop's connection, and once "
        "it passes re-queue this job."
    ),
    ErrorCategory.AUTH: (
        "Fix the shop's credentials or the app's access scopes and test the "
        "connection (the held pushes then go out by themselves), then dismiss this "
        "job."
    ),
    ErrorCategory.CONFIG: (
        "Complete the shop's settings and test the connection, then re-queue this job."
    ),
    ErrorCategory.REQUEST: (
        "Shopify refused the request itself, so re-queueing will not help: report "
        "the message to the addon's maintainers, then dismiss this job."
    ),
    ErrorCategory.DATA: (
        "Fix the item the message names (in Shopify, or its link in Odoo), then "
        "re-queue this job."
    ),
}
_UNFORESEEN = (
    "An unexpected error: report the message to the addon's maintainers; re-queue "
    "this job once the cause is fixed, or dismiss it."
)


def job_next_step(category: ErrorCategory | str | None) -> str:
    """The next step for an operator who reads a failed job of the addon."""
    try:
        return _JOB_NEXT_STEPS[ErrorCategory(category)]
    except ValueError:
        return _UNFORESEEN


def job_retry(state: str, attempt: int = 0, attempts: int = 0) -> str:
    """Whether queue_job runs a job again by itself, in a few words: a failed,
    done or cancelled job never does; a waiting one after an attempt says which
    try comes next."""
    if state in ("failed", "done", "cancelled"):
        return "No"
    if state == "started":
        return "Running"
    if attempt:
        of = f" of {attempts}" if attempts else ""
        return f"Yes, try {attempt + 1}{of}"
    return "Yes"


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


# Inbound: a change made in Shopify, and what Odoo does about it --------------------


def _signed(units: float) -> str:
    return f"{units:+g}"


def inbound_unknown_pair(subject: Subject, item: str, location: str, cause: str) -> str:
    who = about(subject) if subject.sku or subject.product else f"Shopify item {item}"
    where = "" if subject.shopify_location else f" at Shopify location {location}"
    return f"{who}{where}: {cause}; the change in Shopify is not applied to Odoo."


def inbound_stale(subject: Subject, event_time: str, known_time: str) -> str:
    return (
        f"{about(subject)}: the webhook tells of Shopify's level at {event_time}, "
        f"older than what Odoo already knows (from {known_time}); ignored."
    )


def inbound_already_known(subject: Subject) -> str:
    return (
        f"{about(subject)}: Shopify's level is what Odoo already knows (a repeated or "
        "late webhook); nothing to do."
    )


def inbound_echo(subject: Subject, name: str, value: int, pushed_at: str) -> str:
    return (
        f"{about(subject)}: our own push ({name} = {value}, sent {pushed_at}) "
        "coming back from Shopify; nothing to do."
    )


def inbound_order_driven(
    subject: Subject, committed: int, on_hand: int, unexplained: int = 0
) -> str:
    shipped = (
        f" and on hand by {_signed(on_hand)} (a fulfilment)" if on_hand < 0 else ""
    )
    doubt = (
        f" On hand fell by {unexplained} more than committed did: orders placed and "
        "shipped meanwhile, or a stock correction among them; run a reconciliation "
        "to be sure."
        if unexplained
        else ""
    )
    return (
        f"{about(subject)}: Shopify's committed quantity moved by {_signed(committed)}"
        f"{shipped}: orders in Shopify, which the order connector brings into Odoo; "
        f"no stock adjustment.{doubt}"
    )


def inbound_no_stock_change(subject: Subject, available: int) -> str:
    return (
        f"{about(subject)}: only Shopify's available quantity moved "
        f"({_signed(available)}; units marked damaged, reserved or the like), its on "
        "hand did not; nothing for Odoo."
    )


def inbound_correction(
    subject: Subject, delta: int, before: int, after: int, placed: str
) -> str:
    return (
        f"{about(subject)}: Shopify's on hand changed by {_signed(delta)} ({before} → "
        f"{after}) without an order (a count or edit in Shopify); Odoo's stock is "
        f"adjusted by {_signed(delta)}: {placed}."
    )


def inbound_wrong_direction(subject: Subject, what: str) -> str:
    return (
        f"{about(subject)}: {what} in Shopify, but Odoo owns this location's stock; "
        "not applied. The level is pushed again to restore Odoo's quantity."
    )


def inbound_conflict(
    subject: Subject, odoo_delta: float, shopify_delta: int, outcome: str
) -> str:
    return (
        f"{about(subject)}: both Odoo (by {_signed(odoo_delta)}) and Shopify (on hand "
        f"by {_signed(shopify_delta)}) changed since the last sync. {outcome} Listed "
        "for review."
    )


def inbound_baseline(subject: Subject) -> str:
    return (
        f"{about(subject)}: the first reading of this level in Odoo; earlier changes "
        "in Shopify are not known, so nothing is applied. Run a reconciliation if Odoo "
        "and Shopify differ."
    )


def inbound_first_reading_followed(
    subject: Subject, odoo: float, shopify: int, placed: str, two_way: bool = False
) -> str:
    why = (
        "On this two-way location Shopify wins when the two sides disagree"
        if two_way
        else "Shopify owns this location's stock"
    )
    return (
        f"{about(subject)}: the first reading of this level in Odoo: Shopify counts "
        f"{shopify} on hand, Odoo has {odoo:g}. {why}, so Odoo's stock is adjusted by "
        f"{_signed(shopify - odoo)}: {placed}."
    )


def inbound_first_reading_kept(
    subject: Subject, odoo: float, shopify: int | None
) -> str:
    counted = "no on hand" if shopify is None else f"{shopify} on hand"
    return (
        f"{about(subject)}: the first reading of this level in Odoo: Shopify counts "
        f"{counted}, Odoo has {odoo:g}, and which side moved is not known. On this "
        "two-way location Odoo wins when the two sides disagree, so the next push "
        "sets Shopify to Odoo's quantity. If Shopify's count was right, correct Odoo's "
        "stock (the push follows), then mark this reviewed."
    )


def inbound_disconnected(subject: Subject) -> str:
    return (
        f"{about(subject)}: the item is no longer stocked at this Shopify location; "
        "Odoo's stock is left as it is. Stock it there again in Shopify, or unmap the "
        "location."
    )
