# Copyright 2026 shopify_stock_sync contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The push job of a shop: its pending stock levels to Shopify, 250 at a time.

One run of ``_push_stock`` (queue_job, channel ``root.shopify_stock_sync``):

1. takes the shop's push lock (one run per shop at a time);
2. folds the shop's recorded stock changes into its levels (pending, first
   ``dirty_since`` kept, missing levels created);
3. for each batch of at most 250 pending levels, computes the Odoo quantities per
   mapping (superuser, the mapping's company, children included, the rule's basis),
   hands the batch to ``engine.push.push`` and records each outcome on its level (a
   two-way level the engine found changed in Shopify is decided as its webhook
   would be: ``_decide_shopify_moved``);
4. leaves to a follow-up job what did not fit in the run, and the levels Shopify kept
   changing while they were set.

Failures: a transient one (network, 5xx, THROTTLED, 429) is retried by queue_job with
growing delays (the job function's retry pattern, never sooner than Shopify asks); on
the last attempt, or for missing settings, the job fails with an operational message
(refused credentials or scopes hold the shop's pushes instead: ``_hold_push``).
queue_job rolls the failed job's transaction back, then calls ``_push_stock_failed``
in a new transaction: that records the same message on the shop's pending levels, so
the failure survives the rollback.
"""

import logging
import time
import uuid
from collections import Counter
from dataclasses import replace

from odoo import fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain
from odoo.tools import SQL

from odoo.addons.queue_job.exception import RetryableJobError

from ..engine import inbound, messages, push
from ..engine.data import Direction, ErrorCategory, OutcomeStatus
from ..engine.inventory import PAGE_SIZE
from ..engine.schedule import is_last_attempt, retry_delay
from ..engine.shopify.errors import AuthError, ShopifyError, TransientError
from .constants import LEVEL_LOCK_SPACE, PUSH_IDENTITY

_logger = logging.getLogger(__name__)

PUSH_METHOD = "_push_stock"
PUSH_MAX_RETRIES = 8
STALE_RETRY_DELAY = 30  # seconds before levels Shopify kept changing are tried again
# the topic of the event kept for a Shopify correction a push found (not a webhook's)
PUSH_FOUND_TOPIC = "push/shopify_moved"


class ShopifyPushError(Exception):
    """A push that stops for good; ``str()`` is the operational message."""

    category = ErrorCategory.REQUEST


class ShopifyPushTransientError(ShopifyPushError):
    """Shopify or the network kept failing through every attempt."""

    category = ErrorCategory.TRANSIENT


class ShopifyPushAuthError(ShopifyPushError):
    """Shopify refused the credentials or a scope."""

    category = ErrorCategory.AUTH


class ShopifyPushConfigError(ShopifyPushError):
    """The shop's settings cannot make a client (credentials missing...)."""

    category = ErrorCategory.CONFIG


# queue_job hands the on_fail method the exception's class name only
FAILURE_CATEGORIES = {
    cls.__name__: cls.category
    for cls in (
        ShopifyPushError,
        ShopifyPushTransientError,
        ShopifyPushAuthError,
        ShopifyPushConfigError,
    )
}


def failure_category(exc_name):
    """The ``ErrorCategory`` of a failed job from its exception's (dotted) class
    name: one of the push's errors, or queue_job's FailedJobError (the last of
    the retries of a transient failure); None for any other exception."""
    name = (exc_name or "").rsplit(".", 1)[-1]
    if name == "FailedJobError":
        return ErrorCategory.TRANSIENT
    return FAILURE_CATEGORIES.get(name)


class ShopifyShop(models.Model):
    _inherit = "shopify.shop"

    # Budget of one run: no new batch starts after this many batches or seconds; the
    # rest goes to a follow-up job (a short transaction, well within a worker's time).
    _push_max_batches = 8
    _push_max_seconds = 60.0

    # -- enqueueing -------------------------------------------------------------------

    def _push_identity_key(self):
        self.ensure_one()
        return PUSH_IDENTITY.format(self.id)

    def _enqueue_push(self, eta=None):
        """One push job per shop, unless one is already waiting (identity key)."""
        for shop in self.sudo():
            shop.with_company(shop.company_id).with_delay(
                eta=eta,
                max_retries=PUSH_MAX_RETRIES,
                identity_key=shop._push_identity_key(),
                description=self.env._("Push stock to Shopify: %s", shop.name),
            )._push_stock()

    # -- the job ----------------------------------------------------------------------

    def _push_stock(self):
        """Push stock to Shopify"""
        self.ensure_one()
        shop = self.sudo()
        job_uuid = self.env.context.get("job_uuid") or uuid.uuid4().hex
        shop._lock_or_retry(
            LEVEL_LOCK_SPACE,
            shop.id,
            self.env._(
                "Another push of shop %s is running; this one starts after it.",
                shop.name,
            ),
            seconds=5,
        )
        shop._fold_stock_changes()
        if not shop.active:
            return self.env._("Shop %s is archived: nothing pushed.", shop.name)
        shop._ignore_unpushable_levels()
        todo = shop._pending_levels()
        if not todo:
            return self.env._("Shop %s: nothing to push.", shop.name)
        if shop.state == "reconnect":  # credentials refused: wait for the admin
            return shop._hold_push()
        try:
            client = shop._shopify_client()
        except UserError as exc:
            raise ShopifyPushConfigError(
                messages.push_stopped(
                    shop.name,
                    str(exc),
                    shop._pending_count(),
                    fix=self.env._(
                        "Complete the shop's settings, then test the connection"
                    ),
                )
            ) from None
        rule = shop._quantity_rule()
        settings = push.PushSettings(
            reference_uri=f"gid://shopify-stock-sync/QueueJob/{job_uuid}"
        )
        Level = self.env["shopify.stock.level"].sudo()
        done = Level
        counts = Counter()
        started = time.monotonic()
        for _batch_no in range(self._push_max_batches):
            batch = shop._pending_levels(exclude=done)
            if not batch:
                break
            try:
                outcomes = shop._push_batch(client, batch, rule, settings, job_uuid)
            except TransientError as exc:
                if not done:
                    raise shop._retry_or_stop(exc, job_uuid) from None
                # keep what is done: a follow-up job takes the rest, after the delay
                delay = retry_delay(1, shop._push_retry_pattern(), exc.retry_after)
                shop._enqueue_push(eta=delay)
                return (
                    shop._push_summary(counts, done)
                    + " "
                    + messages.transient(exc.message, delay)
                )
            except AuthError as exc:
                return shop._hold_push(exc.message)
            except ShopifyError as exc:
                if not done:
                    raise shop._stop(exc, ShopifyPushError) from None
                # keep what Shopify took (a rollback would forget writes it applied,
                # and the next push would take them for Shopify's own moves): a
                # follow-up job meets the refusal again, and fails with it alone
                shop._enqueue_push()
                return (
                    shop._push_summary(counts, done)
                    + " "
                    + self.env._(
                        "A later batch was refused (%(error)s): a new job tries it "
                        "again, and reports it if Shopify refuses it again.",
                        error=exc.message,
                    )
                )
            done |= batch
            counts.update(outcome.status for outcome in outcomes)
            counts["written"] += sum(outcome.written for outcome in outcomes)
            if time.monotonic() - started > self._push_max_seconds:
                break
        if shop._pending_levels(exclude=done, limit=1):
            shop._enqueue_push()  # more than a run's budget: on with the rest
        elif done.filtered(lambda level: level.state == "pending"):
            # Shopify kept changing these while they were set: a bit later
            shop._enqueue_push(eta=STALE_RETRY_DELAY)
        return shop._push_summary(counts, done)

    def _push_batch(self, client, levels, rule, settings, salt):
        """Push one batch through the engine; record each outcome on its level."""
        quantities = self._odoo_quantities(levels)
        changes = levels._to_engine_changes(quantities)
        outcomes = push.push(client, changes, rule, settings, salt=salt)
        by_id = {level.id: level for level in levels}
        for outcome in outcomes:
            level = by_id[outcome.change.ref]
            if outcome.status == OutcomeStatus.SHOPIFY_MOVED:
                self._decide_shopify_moved(level, outcome)
            else:
                level._apply_outcome(outcome, settings.name)
        return outcomes

    def _decide_shopify_moved(self, level, outcome):
        """A two-way level whose compare-and-set showed a correction made in Shopify
        that no webhook told of yet: decided and applied exactly as that webhook
        would be (``inbound.shopify_moved``, the mapping's conflict rule), and kept
        as an event of the shop, so that a conflict is listed in Conflicts to
        Review.  The webhook, when it comes, finds the level already known."""
        self.ensure_one()
        change = outcome.change
        event = (
            self.env["shopify.webhook.event"]
            .sudo()
            .create(
                {
                    "shop_id": self.id,
                    "webhook_id": f"push-{uuid.uuid4().hex}",
                    "topic": PUSH_FOUND_TOPIC,
                    "received_at": fields.Datetime.now(),
                    "inventory_item_gid": change.key.inventory_item_id,
                    "shopify_location_gid": change.key.location_id,
                }
            )
        )
        _level, engine_level = event._inbound_level(change)
        engine_level = replace(engine_level, known=outcome.before)
        decision = inbound.shopify_moved(engine_level, outcome.after, outcome.movement)
        event._apply(decision, level)
        return event

    def _push_summary(self, counts, done):
        summary = self.env._(
            "Shop %(shop)s: %(total)s levels pushed: %(synced)s synced (%(written)s "
            "written), %(errors)s in error, %(retry)s left for a later push.",
            shop=self.name,
            total=len(done),
            synced=counts[OutcomeStatus.SYNCED],
            written=counts["written"],
            errors=counts[OutcomeStatus.ERROR],
            retry=counts[OutcomeStatus.RETRY],
        )
        moved = counts[OutcomeStatus.SHOPIFY_MOVED]
        if moved:
            summary += " " + self.env._(
                "%s two-way levels had been changed in Shopify: decided by their "
                "mapping's conflict rule (Webhook Events).",
                moved,
            )
        return summary

    # -- failures ---------------------------------------------------------------------

    def _retry_or_stop(self, exc, job_uuid):
        """The exception to raise for a transient failure: a retry with a growing
        delay, or, on the last attempt, a failure for good."""
        attempt, attempts = self._push_attempt(job_uuid)
        if is_last_attempt(attempt, attempts):
            return ShopifyPushTransientError(
                messages.push_stopped(
                    self.name,
                    exc.message,
                    self._pending_count(),
                    attempts=attempt,
                )
            )
        delay = retry_delay(attempt, self._push_retry_pattern(), exc.retry_after)
        return RetryableJobError(
            messages.push_retrying(self.name, exc.message, attempt, attempts, delay),
            seconds=delay,
        )

    def _stop(self, exc, error_class):
        fix = {
            ShopifyPushAuthError: self.env._(
                "Fix the shop's credentials or the app's access scopes, then test "
                "the connection"
            ),
        }.get(
            error_class,
            self.env._(
                "Shopify refused the request itself, so retrying it will not help: "
                "report this message to the addon's maintainers"
            ),
        )
        return error_class(
            messages.push_stopped(
                self.name,
                exc.message,
                self._pending_count(),
                fix=fix,
            )
        )

    def _push_attempt(self, job_uuid):
        """(this attempt's number, the job's maximum) from the stored job; (1, the
        default) when the push runs outside a stored job."""
        job = self.env["queue.job"].sudo().search([("uuid", "=", job_uuid)], limit=1)
        if not job:
            return 1, PUSH_MAX_RETRIES
        return job.retry + 1, job.max_retries

    def _push_retry_pattern(self):
        functions = self.env["queue.job.function"].sudo()
        name = functions.job_function_name(self._name, PUSH_METHOD)
        return functions.job_config(name).retry_pattern

    def _push_stock_failed(self, exc_info=None, exc_name=None, exc_message=None):
        """queue_job's on_fail method: runs after the failed job's transaction was
        rolled back, in a transaction of its own.  Records the job's message on the
        shop's pending levels (they stay pending: the next push takes them)."""
        try:
            category = failure_category(exc_name) or ErrorCategory.TRANSIENT
            for shop in self.sudo().exists():
                shop._fold_stock_changes()
                shop._pending_levels(limit=None).write(
                    {
                        "error_category": category.value,
                        "error_message": exc_message or exc_name,
                    }
                )
        except Exception:
            _logger.exception("Could not record the failure of a Shopify push job")

    # -- levels -----------------------------------------------------------------------

    def _lock_or_retry(self, space, key, message, seconds):
        """Take the advisory lock (``space``, ``key``) for this transaction; when
        another job holds it, raise a RetryableJobError with ``message`` that tries
        again after ``seconds`` without counting as an attempt."""
        self.env.cr.execute(SQL("SELECT pg_try_advisory_xact_lock(%s, %s)", space, key))
        if not self.env.cr.fetchone()[0]:
            raise RetryableJobError(message, seconds=seconds, ignore_retry=True)

    def _pending_levels(self, exclude=None, limit=PAGE_SIZE):
        self.ensure_one()
        domain = Domain("shop_id", "=", self.id) & Domain("state", "=", "pending")
        if exclude:
            domain &= Domain("id", "not in", exclude.ids)
        return (
            self.env["shopify.stock.level"]
            .sudo()
            .search(domain, order="dirty_since, id", limit=limit)
        )

    def _fold_stock_changes(self):
        """Turn the shop's recorded stock changes into pending levels; returns how
        many changes were folded.

        A level that was not pending starts waiting at its first change; a pending
        one keeps its first ``dirty_since``.  Changes of pairs that no longer qualify
        (link in conflict, mapping no longer writing) are dropped.  A fixed number of
        queries, whatever the number of changes.
        """
        self.ensure_one()
        cr = self.env.cr
        cr.execute(
            SQL(
                "SELECT id, link_id, mapping_id, changed_at FROM shopify_stock_change "
                "WHERE shop_id = %s",
                self.id,
            )
        )
        rows = cr.fetchall()
        if not rows:
            return 0
        first = {}
        everything = None
        for _id, link_id, mapping_id, changed_at in rows:
            if link_id and mapping_id:
                pair = (link_id, mapping_id)
                first[pair] = min(first.get(pair, changed_at), changed_at)
            else:
                everything = min(everything or changed_at, changed_at)
        levels = self._levels_of_pairs(set(first), everything)
        levels._mark_pending(
            {
                level.id: min(
                    t
                    for t in (
                        first.get((level.link_id.id, level.mapping_id.id)),
                        everything,
                    )
                    if t
                )
                for level in levels
            }
        )
        cr.execute(
            SQL(
                "DELETE FROM shopify_stock_change WHERE id = ANY(%s)",
                [row[0] for row in rows],
            )
        )
        return len(rows)

    def _levels_of_pairs(self, pairs, everything=None):
        """The levels of these (link id, mapping id) pairs of the shop, created when
        missing; with ``everything``, of every linked product in the sync scope at
        every mapping that writes.  Pairs that no longer qualify are left out."""
        self.ensure_one()
        Level = self.env["shopify.stock.level"].sudo()
        links = self.env["shopify.variant.link"].sudo()
        mappings = self.env["shopify.location.mapping"].sudo()
        if everything:
            links = links.search(
                Domain("shop_id", "=", self.id) & Domain("state", "=", "linked")
            )
            in_scope = self._products_in_scope(set(links.product_id.ids))
            links = links.filtered(lambda link: link.product_id.id in in_scope)
            mappings = mappings.search(Domain("shop_id", "=", self.id))
            pairs = set(pairs) | {(lk, mp) for lk in links.ids for mp in mappings.ids}
        links = links.browse({lk for lk, _mp in pairs}).filtered(
            lambda link: link.state == "linked" and link.shop_id == self
        )
        mappings = mappings.browse({mp for _lk, mp in pairs}).filtered(
            lambda m: m.shop_id == self
            and Direction(m.direction).writes_to_shopify
            and m.location_ids
        )
        link_ids, mapping_ids = set(links.ids), set(mappings.ids)
        pairs = {(lk, mp) for lk, mp in pairs if lk in link_ids and mp in mapping_ids}
        if not pairs:
            return Level
        existing = Level.search(
            Domain("link_id", "in", links.ids)
            & Domain("mapping_id", "in", mappings.ids)
        )
        have = {(level.link_id.id, level.mapping_id.id): level for level in existing}
        # created bare: the fold marks them pending with their changes' time
        created = Level.create(
            [{"link_id": lk, "mapping_id": mp} for lk, mp in sorted(pairs - set(have))]
        )
        return Level.browse([have[pair].id for pair in pairs if pair in have]) | created

    def _ignore_unpushable_levels(self):
        """Pending levels whose link or mapping no longer allows a push: ignored,
        with the reason (two searches, whatever the number of pending levels)."""
        self.ensure_one()
        pending = Domain("shop_id", "=", self.id) & Domain("state", "=", "pending")
        reasons = (
            (
                Domain("mapping_id.direction", "not in", Direction.writing_values())
                | Domain("mapping_id.location_ids", "=", False),
                self.env._(
                    "Not pushed: the location mapping no longer writes to Shopify "
                    "(its direction or its Odoo locations changed)."
                ),
            ),
            (
                Domain("link_id.state", "!=", "linked"),
                self.env._(
                    "Not pushed: the product's link to Shopify is in conflict; "
                    "resolve it in Variant Links."
                ),
            ),
        )
        Level = self.env["shopify.stock.level"].sudo()
        for domain, reason in reasons:
            levels = Level.search(pending & domain)
            if levels:
                levels.write(
                    {
                        "state": "ignored",
                        "error_category": ErrorCategory.CONFIG.value,
                        "error_message": reason,
                    }
                )

    def _pending_count(self):
        self.ensure_one()
        return (
            self.env["shopify.stock.level"]
            .sudo()
            .search_count(
                Domain("shop_id", "=", self.id) & Domain("state", "=", "pending")
            )
        )

    def _products_in_scope(self, product_ids):
        """The ids among ``product_ids`` in the shop's sync scope (no query when the
        scope is every product)."""
        self.ensure_one()
        domain = self._sync_scope_domain()
        if domain.is_true():
            return set(product_ids)
        products = (
            self.env["product.product"]
            .sudo()
            .with_context(active_test=False)
            .search(Domain("id", "in", list(product_ids)) & domain)
        )
        return set(products.ids)

    def _odoo_quantities(self, levels):
        """The Odoo quantity of the rule's basis of each level, by level id: one
        grouped computation per mapping, as superuser in the mapping's company,
        children of its Odoo locations included."""
        self.ensure_one()
        basis = self.quantity_basis
        quantities = {}
        for mapping, mapping_levels in levels.grouped("mapping_id").items():
            by_product = mapping._odoo_quantities(mapping_levels.product_id, basis)
            for level in mapping_levels:
                quantities[level.id] = by_product[level.product_id.id]
        return quantities
